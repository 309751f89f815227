package mail

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"shop/models"
)

// ConsumerStore is what the mail consumer needs of the database, inside
// the outbox's delivery transaction.
type ConsumerStore interface {
	OrderForEmail(ctx context.Context, id string) (*models.Order, error)
	// AccountForEmail is nil when there is no such account.
	AccountForEmail(ctx context.Context, id string) (*models.User, error)
	// EnqueueEmails skips those whose DedupeKey is there already.
	EnqueueEmails(ctx context.Context, msgs []models.EmailMessage) error
}

// Consumer turns events into emails (outbox consumer "mail").
type Consumer struct {
	store    ConsumerStore
	renderer *Renderer
}

// NewConsumer makes the mail consumer.
func NewConsumer(store ConsumerStore, r *Renderer) *Consumer {
	return &Consumer{store: store, renderer: r}
}

// wanted is one email an event asks for.
type wanted struct {
	kind, orderID, dedupe string
	amount                models.Money
	seq                   int64
}

// planEmails says which emails events ask for, in their order: a receipt for
// order.placed, a payment receipt for payment.succeeded, a shipment's for
// a change to shipped, a cancellation for a change to cancelled, unless
// the order was refunded (payment.refunded, recorded first by the same
// write), which gets the refund's email instead: both take the order's
// one "ended" key, and the first wins.
func planEmails(events []models.Event) ([]wanted, error) {
	var out []wanted
	for _, ev := range events {
		switch ev.Type {
		case models.EventOrderPlaced:
			var p models.OrderPlaced
			if err := ev.Decode(&p); err != nil {
				return nil, err
			}
			out = append(out, wanted{kind: models.EmailOrderPlaced, orderID: p.OrderID, dedupe: "placed:" + p.OrderID, seq: ev.ID})
		case models.EventPaymentSuccess, models.EventPaymentRefunded:
			var p models.PaymentChanged
			if err := ev.Decode(&p); err != nil {
				return nil, err
			}
			if ev.Type == models.EventPaymentSuccess {
				out = append(out, wanted{kind: models.EmailPaymentReceived, orderID: p.OrderID, dedupe: "paid:" + p.PaymentID, amount: p.Amount, seq: ev.ID})
			} else {
				out = append(out, wanted{kind: models.EmailOrderRefunded, orderID: p.OrderID, dedupe: "ended:" + p.OrderID, amount: p.Amount, seq: ev.ID})
			}
		case models.EventOrderStatusChanged:
			var p models.OrderStatusChanged
			if err := ev.Decode(&p); err != nil {
				return nil, err
			}
			switch p.To {
			case models.OrderStatusShipped:
				out = append(out, wanted{kind: models.EmailOrderShipped, orderID: p.OrderID, dedupe: "shipped:" + p.OrderID, seq: ev.ID})
			case models.OrderStatusCancelled:
				out = append(out, wanted{kind: models.EmailOrderCancelled, orderID: p.OrderID, dedupe: "ended:" + p.OrderID, seq: ev.ID})
			}
		}
	}
	// One write's refund and cancellation: the refund's email only.
	seen := map[string]bool{}
	kept := out[:0]
	for _, w := range out {
		if seen[w.dedupe] {
			continue
		}
		seen[w.dedupe] = true
		kept = append(kept, w)
	}
	return kept, nil
}

// Handle renders and enqueues the emails events ask for, in the delivery's
// transaction. The recipient is the order's checkout email (a guest's, or
// the one a customer's cart named), else its customer's account's; an
// order with neither (a customer since deleted) gets no email. Every read
// and write is in the transaction, so a failure hands the events over
// again, and the dedupe keys make the second time add nothing twice.
func (c *Consumer) Handle(ctx context.Context, events []models.Event) error {
	plan, err := planEmails(events)
	if err != nil || len(plan) == 0 {
		return err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	orders := map[string]*models.Order{}
	var msgs []models.EmailMessage
	for _, w := range plan {
		o, ok := orders[w.orderID]
		if !ok {
			if o, err = c.store.OrderForEmail(ctx, w.orderID); err != nil {
				if models.IsNotFound(err) {
					orders[w.orderID] = nil
					continue
				}
				return fmt.Errorf("mail: read order %s: %w", w.orderID, err)
			}
			orders[w.orderID] = o
		}
		if o == nil {
			continue
		}
		to, err := c.recipient(ctx, o)
		if err != nil {
			return err
		}
		if to == "" {
			continue
		}
		r, err := c.renderer.Order(w.kind, *o, w.amount)
		if err != nil {
			return err
		}
		id := o.ID
		msgs = append(msgs, models.EmailMessage{ID: uuid.NewString(), Kind: w.kind, To: to, Subject: r.Subject, TextBody: r.Text, HTMLBody: r.HTML,
			OrderID: &id, Seq: w.seq, DedupeKey: w.dedupe, Status: models.EmailPending, NextAttemptAt: now, CreatedAt: now})
	}
	return c.store.EnqueueEmails(ctx, msgs)
}

func (c *Consumer) recipient(ctx context.Context, o *models.Order) (string, error) {
	if o.Checkout != nil && o.Checkout.Email != "" {
		return o.Checkout.Email, nil
	}
	if strings.HasPrefix(o.CustomerID, models.GuestCustomerPrefix) {
		return "", nil
	}
	u, err := c.store.AccountForEmail(ctx, o.CustomerID)
	if err != nil {
		return "", fmt.Errorf("mail: read customer of order %s: %w", o.ID, err)
	}
	if u == nil {
		return "", nil
	}
	return u.Email, nil
}
