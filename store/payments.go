package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"shop/errcode"
	"shop/models"
)

// Payments. Every write here locks the order's row first (lockOrders), as
// the lifecycle's writes do, so a payment and its order change one request
// at a time, and the rules are judged with both as they are then. No
// provider is ever called from here: the payments service calls it between
// these transactions.

// OrderPayments returns each order's current payment (its latest attempt),
// by order id; an order without one is missing from the map.
func (s *Store) OrderPayments(ctx context.Context, orderIDs []string) (map[string]*models.Payment, error) {
	out := make(map[string]*models.Payment, len(orderIDs))
	for start := 0; start < len(orderIDs); start += maxParams {
		batch := orderIDs[start:min(start+maxParams, len(orderIDs))]
		var ps []models.Payment
		if err := s.db.WithContext(ctx).Where("order_id IN ?", batch).Order("order_id, attempt").Find(&ps).Error; err != nil {
			return nil, mapError(err, "read payments")
		}
		for i := range ps {
			out[ps[i].OrderID] = &ps[i]
		}
	}
	return out, nil
}

// Payments returns an order's payments, oldest attempt first.
func (s *Store) Payments(ctx context.Context, orderID string) ([]models.Payment, error) {
	var ps []models.Payment
	err := s.db.WithContext(ctx).Where("order_id = ?", orderID).Order("attempt").Find(&ps).Error
	return ps, mapError(err, "read payments")
}

func (s *Store) PaymentByID(ctx context.Context, id string) (*models.Payment, error) {
	return s.payment(s.db.WithContext(ctx), "payment_id = ?", id)
}

func (s *Store) PaymentByProviderID(ctx context.Context, provider, providerID string) (*models.Payment, error) {
	return s.payment(s.db.WithContext(ctx), "provider = ? AND provider_payment_id = ?", provider, providerID)
}

func (s *Store) payment(db *gorm.DB, where string, args ...any) (*models.Payment, error) {
	var p models.Payment
	err := db.Where(where, args...).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, models.Errorf(errcode.NotFound, "No such payment.")
	}
	if err != nil {
		return nil, mapError(err, "read payment")
	}
	return &p, nil
}

// currentPayment is the order's latest payment attempt, or nil.
func (s *Store) currentPayment(tx *gorm.DB, orderID string) (*models.Payment, error) {
	var ps []models.Payment
	if err := tx.Where("order_id = ?", orderID).Order("attempt DESC").Limit(1).Find(&ps).Error; err != nil {
		return nil, fmt.Errorf("read the order's payment: %w", err)
	}
	if len(ps) == 0 {
		return nil, nil
	}
	return &ps[0], nil
}

// lockOrder locks one order (lockOrders), or says it does not exist.
func (s *Store) lockOrder(tx *gorm.DB, id string) (models.Order, error) {
	orders, err := s.lockOrders(tx, false, "order_id = ?", id)
	if err != nil {
		return models.Order{}, err
	}
	if len(orders) == 0 {
		return models.Order{}, models.Errorf(errcode.NotFound, "Order %s does not exist.", id)
	}
	return orders[0], nil
}

// AddPayment records a payment its provider made for a pending order. Two
// requests that raced to make the same attempt made the same payment (its
// id and idempotency key come from the order and the attempt); the second
// finds the first's row under the order's lock and returns it, as it
// returns any payment of the order that is still open.
func (s *Store) AddPayment(ctx context.Context, p models.Payment) (*models.Payment, error) {
	var out *models.Payment
	err := s.write(ctx, func(tx *gorm.DB) error {
		now := tx.NowFunc()
		o, err := s.lockOrder(tx, p.OrderID)
		if err != nil {
			return err
		}
		if err := models.Transition(o.Status, models.OrderStatusPaid); err != nil {
			return err
		}
		cur, err := s.currentPayment(tx, o.ID)
		if err != nil {
			return err
		}
		if cur != nil && (cur.Attempt >= p.Attempt || models.PaymentOpen(cur.Status)) {
			out = cur
			return nil
		}
		p.CreatedAt, p.UpdatedAt = now, now
		if err := tx.Create(&p).Error; err != nil {
			return fmt.Errorf("insert payment: %w", err)
		}
		record(tx, models.PaymentEventOf(models.EventPaymentStarted, p, o, now))
		out = &p
		return nil
	})
	if err != nil {
		return nil, mapError(err, "add payment")
	}
	return out, nil
}

// SettleNothingToPay pays pending order orderID, whose total is 0, without
// a provider (models.SettleNothingToPay), in one transaction under the
// order's lock: the payment, succeeded, and the order, paid, with the
// events any payment that succeeds records (payment.started,
// payment.succeeded, order.status_changed). A request that raced this one
// and settled the order first has its payment returned, so two calls at
// once settle once. An order with an open payment (one a provider made
// before shop settled free orders) is refused with INVALID_TRANSITION: the
// caller resumes that payment instead.
func (s *Store) SettleNothingToPay(ctx context.Context, orderID, currency string) (*models.Payment, error) {
	var out *models.Payment
	err := s.write(ctx, func(tx *gorm.DB) error {
		now := tx.NowFunc()
		o, err := s.lockOrder(tx, orderID)
		if err != nil {
			return err
		}
		cur, err := s.currentPayment(tx, o.ID)
		if err != nil {
			return err
		}
		if cur != nil && models.SettledWithNothingToPay(o, *cur) {
			out = cur
			return nil
		}
		if cur != nil && models.PaymentOpen(cur.Status) {
			return models.Errorf(errcode.InvalidTransition, "Order %s has an open payment (%s); pay that one.", o.ID, cur.ID)
		}
		var ps []models.Payment
		if cur != nil {
			ps = append(ps, *cur)
		}
		d, err := models.SettleNothingToPay(o, models.NextAttempt(ps), currency, now)
		if err != nil {
			return err
		}
		p := d.Payment
		if err := tx.Create(&p).Error; err != nil {
			return fmt.Errorf("insert payment: %w", err)
		}
		record(tx, models.PaymentEventOf(models.EventPaymentStarted, p, o, now))
		record(tx, models.PaymentEventOf(models.PaymentEventType(p.Status), p, o, now))
		ch := models.StatusChange{OrderID: o.ID, To: d.MoveTo, Message: d.Message, Note: d.Note, Actor: models.ActorSystem}
		if err := s.moveOrders(tx, []models.Order{o}, ch, now); err != nil {
			return err
		}
		out = &p
		return nil
	})
	if err != nil {
		return nil, mapError(err, "settle an order with nothing to pay")
	}
	return out, nil
}

// ApplyPaymentEvent applies a verified event to its payment, once. The
// event's id is inserted under its primary key in the same transaction as
// its effects; a second delivery (to this instance or another, at the same
// moment or a day later) waits for the first's commit on the order's lock,
// then finds the id and changes nothing. An unknown payment, or one that is
// not orderID's, is NOT_FOUND and records nothing.
func (s *Store) ApplyPaymentEvent(ctx context.Context, orderID string, e models.PaymentEvent) (models.PaymentOutcome, error) {
	var out models.PaymentOutcome
	err := s.write(ctx, func(tx *gorm.DB) error {
		now := tx.NowFunc()
		o, err := s.lockOrder(tx, orderID)
		if err != nil {
			return err
		}
		p, err := s.payment(tx, "provider = ? AND provider_payment_id = ?", e.Provider, e.ProviderPaymentID)
		if err != nil {
			return err
		}
		if p.OrderID != o.ID {
			return models.Errorf(errcode.NotFound, "Payment %s is not order %s's.", p.ID, o.ID)
		}
		res := tx.Exec("INSERT INTO processed_events (provider, event_id, type, payment_id, at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
			e.Provider, e.ID, e.Type, p.ID, now)
		if res.Error != nil {
			return fmt.Errorf("record event: %w", res.Error)
		}
		out.Order = o
		if res.RowsAffected == 0 {
			out.Duplicate = true
			return nil
		}
		cur, err := s.currentPayment(tx, o.ID)
		if err != nil {
			return err
		}
		d := models.DecidePaymentEvent(o, *p, cur.Attempt, e, now)
		out.Decision = d
		if d.Payment != *p {
			if err := savePayment(tx, d.Payment); err != nil {
				return err
			}
			// Any change shows in the customer's responses (its status,
			// the last error), so any change is an event.
			typ := models.EventPaymentUpdated
			if d.Payment.Status != p.Status {
				typ = models.PaymentEventType(d.Payment.Status)
			}
			record(tx, models.PaymentEventOf(typ, d.Payment, o, now))
		}
		switch {
		case d.MoveTo != "":
			ch := models.StatusChange{OrderID: o.ID, To: d.MoveTo, Message: d.Message, Note: d.Note, Actor: models.ActorSystem}
			if err := s.moveOrders(tx, []models.Order{o}, ch, now); err != nil {
				return err
			}
			out.Order.Status, out.Order.LastUpdated = d.MoveTo, now
		case d.Note != "":
			if err := s.noteOrder(tx, o, d.Message, d.Note, models.ActorSystem, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return models.PaymentOutcome{}, mapError(err, "apply payment event")
	}
	return out, nil
}

// eventColumns are the columns every write of order_events gives.
const eventColumns = "order_id, status, message, note, actor, at"

// noteOrder records an event of o, by actor, that leaves its status as it
// is: message for the customer too, note for admins.
func (s *Store) noteOrder(tx *gorm.DB, o models.Order, message, note, actor string, now time.Time) error {
	var n int64
	if err := tx.Model(&models.OrderEvent{}).Where("order_id = ?", o.ID).Count(&n).Error; err != nil {
		return fmt.Errorf("count order events: %w", err)
	}
	if err := models.CheckOrderEventRoom(o.ID, int(n)); err != nil {
		if actor == models.ActorSystem {
			return nil // the payment keeps its own state; the order's events are full
		}
		return err
	}
	w := rows{}
	w.add("order_events", eventColumns, o.ID, o.Status, message, note, actor, now)
	w.record(models.NewEvent(models.EventOrderNoted, o.ID, models.OrderNoted{OrderID: o.ID, CustomerID: o.CustomerID, Actor: actor}, now))
	return s.insert(tx, w)
}

// savePayment writes a payment's changeable fields.
func savePayment(tx *gorm.DB, p models.Payment) error {
	err := tx.Model(&models.Payment{}).Where("payment_id = ?", p.ID).Updates(map[string]any{
		"status": p.Status, "last_error": p.LastError, "refund_id": p.RefundID, "updated_at": p.UpdatedAt,
		"paid_at": p.PaidAt, "refunded_at": p.RefundedAt,
	}).Error
	if err != nil {
		return fmt.Errorf("update payment: %w", err)
	}
	return nil
}

// ClaimRefund judges the cancellation ch as ChangeOrderStatus would and, if
// the order's payment succeeded through a provider (models.RefundOwed),
// marks it as being refunded, which holds every other status change off
// (PaymentAllows) until the refund is recorded or released. A payment being refunded already is returned as
// it is: the caller retries the refund under the same idempotency key,
// which the provider answers with the refund it made, if it made one.
func (s *Store) ClaimRefund(ctx context.Context, ch models.StatusChange) (*models.Payment, error) {
	var out *models.Payment
	err := s.write(ctx, func(tx *gorm.DB) error {
		o, err := s.lockOrder(tx, ch.OrderID)
		if err != nil {
			return err
		}
		if ch.Allow != nil {
			if err := ch.Allow(o); err != nil {
				return err
			}
		}
		if err := models.Transition(o.Status, ch.To); err != nil {
			return err
		}
		p, err := s.currentPayment(tx, o.ID)
		if err != nil || p == nil || !models.RefundOwed(*p) {
			return err // nothing to refund (a payment without a provider took nothing)
		}
		if p.Status == models.PaymentSucceeded {
			p.Status, p.UpdatedAt = models.PaymentRefunding, tx.NowFunc()
			if err := savePayment(tx, *p); err != nil {
				return err
			}
			record(tx, models.PaymentEventOf(models.EventPaymentUpdated, *p, o, p.UpdatedAt))
		}
		out = p
		return nil
	})
	if err != nil {
		return nil, mapError(err, "claim refund")
	}
	return out, nil
}

// SettleRefund records the outcome of a refund: refunded, or, when the
// refund failed, succeeded again with an event saying why. The order's
// status is left as it is either way (a cancellation records its refund
// itself, through ChangeOrderStatus).
func (s *Store) SettleRefund(ctx context.Context, st models.RefundSettlement) error {
	err := s.write(ctx, func(tx *gorm.DB) error {
		now := tx.NowFunc()
		o, err := s.lockOrder(tx, st.OrderID)
		if err != nil {
			return err
		}
		p, err := s.payment(tx, "payment_id = ? AND order_id = ?", st.PaymentID, o.ID)
		if err != nil {
			return err
		}
		// A failure undoes only a claim still open; a refund made is
		// recorded even over a concurrent attempt's failure (PaymentAllows).
		if p.Status != models.PaymentRefunding && (st.Failure != "" || p.Status != models.PaymentSucceeded) {
			return nil // settled by another request already
		}
		var message, note string
		if st.Failure != "" {
			p.Status, p.LastError = models.PaymentSucceeded, st.Failure
			note = models.RefundFailedNote(p.ID, st.Failure, o.Status)
		} else {
			at := st.At
			p.Status, p.RefundID, p.RefundedAt = models.PaymentRefunded, st.RefundID, &at
			note, message = models.RefundedNote(*p), models.RefundedMessage(*p)
		}
		p.UpdatedAt = now
		if err := savePayment(tx, *p); err != nil {
			return err
		}
		record(tx, models.PaymentEventOf(models.PaymentEventType(p.Status), *p, o, now))
		actor := st.Actor
		if actor == "" {
			actor = models.ActorSystem
		}
		return s.noteOrder(tx, o, message, note, actor, now)
	})
	return mapError(err, "settle refund")
}
