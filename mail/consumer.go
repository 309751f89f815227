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
	// OrdersForEmail and AccountsForEmail leave out those that don't exist.
	OrdersForEmail(ctx context.Context, ids []string) ([]models.Order, error)
	AccountsForEmail(ctx context.Context, ids []string) ([]models.User, error)
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
// order with neither (a customer since deleted) gets no email. The orders
// and accounts of a batch are read at once, in the transaction, so a
// failure hands the events over again, and the dedupe keys make the
// second time add nothing twice.
func (c *Consumer) Handle(ctx context.Context, events []models.Event) error {
	plan, err := planEmails(events)
	if err != nil || len(plan) == 0 {
		return err
	}
	var ids []string
	seen := map[string]bool{}
	for _, w := range plan {
		if !seen[w.orderID] {
			seen[w.orderID] = true
			ids = append(ids, w.orderID)
		}
	}
	list, err := c.store.OrdersForEmail(ctx, ids)
	if err != nil {
		return fmt.Errorf("mail: read orders: %w", err)
	}
	orders := make(map[string]*models.Order, len(list))
	var customers []string
	for i := range list {
		o := &list[i]
		orders[o.ID] = o
		if (o.Checkout == nil || o.Checkout.Email == "") && !strings.HasPrefix(o.CustomerID, models.GuestCustomerPrefix) {
			customers = append(customers, o.CustomerID)
		}
	}
	accounts, err := c.store.AccountsForEmail(ctx, customers)
	if err != nil {
		return fmt.Errorf("mail: read customers: %w", err)
	}
	emails := make(map[string]string, len(accounts))
	for _, u := range accounts {
		emails[u.ID] = u.Email
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	var msgs []models.EmailMessage
	for _, w := range plan {
		o := orders[w.orderID]
		if o == nil {
			continue
		}
		to := emails[o.CustomerID]
		if o.Checkout != nil && o.Checkout.Email != "" {
			to = o.Checkout.Email
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
