package store

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"shop/errcode"
	"shop/models"
)

// ChangeOrderStatus moves an order along its lifecycle in one transaction:
// the order's row is locked, so of two concurrent changes the second sees
// the first's result and is judged against it. A cancellation puts every
// line's stock back, in the same transaction. The order's payment is
// judged too (models.PaymentAllows): a paid order is cancelled only with
// its refund, which is recorded here.
func (s *Store) ChangeOrderStatus(ctx context.Context, ch models.StatusChange) (*models.Order, error) {
	var out *models.Order
	err := s.write(ctx, func(tx *gorm.DB) error {
		now := tx.NowFunc()
		orders, err := s.lockOrders(tx, false, "order_id = ?", ch.OrderID)
		if err != nil {
			return err
		}
		if len(orders) == 0 {
			return models.Errorf(errcode.NotFound, "Order %s does not exist.", ch.OrderID)
		}
		o := orders[0]
		if ch.Allow != nil {
			if err := ch.Allow(o); err != nil {
				return err
			}
		}
		if err := models.Transition(o.Status, ch.To); err != nil {
			return err
		}
		p, err := s.currentPayment(tx, o.ID)
		if err != nil {
			return err
		}
		if err := models.PaymentAllows(ch, p); err != nil {
			return err
		}
		if ch.Refund != nil {
			at := ch.Refund.At
			p.Status, p.RefundID, p.RefundedAt, p.UpdatedAt = models.PaymentRefunded, ch.Refund.RefundID, &at, now
			if err := savePayment(tx, *p); err != nil {
				return err
			}
			record(tx, models.PaymentEventOf(models.EventPaymentRefunded, *p, o, now))
		}
		if err := s.moveOrders(tx, []models.Order{o}, ch, now); err != nil {
			return err
		}
		o.Status, o.LastUpdated = ch.To, now
		if ch.To == models.OrderStatusShipped {
			o.TrackingNumber, o.Carrier = ch.TrackingNumber, ch.Carrier
		}
		out = &o
		return nil
	})
	if err != nil {
		return nil, mapError(err, "change order status")
	}
	return out, nil
}

// AddOrderNote records n as an event of its order, under the order's row
// lock like every other event, with the status the order has.
func (s *Store) AddOrderNote(ctx context.Context, n models.OrderNote) (*models.Order, error) {
	var out *models.Order
	err := s.write(ctx, func(tx *gorm.DB) error {
		orders, err := s.lockOrders(tx, false, "order_id = ?", n.OrderID)
		if err != nil {
			return err
		}
		if len(orders) == 0 {
			return models.Errorf(errcode.NotFound, "Order %s does not exist.", n.OrderID)
		}
		out = &orders[0]
		return s.noteOrder(tx, orders[0], n.Message, n.Note, n.Actor, tx.NowFunc())
	})
	if err != nil {
		return nil, mapError(err, "note order")
	}
	return out, nil
}

// ExpireOrders cancels, with note, up to limit pending orders created
// before cutoff, oldest first, restocking them; it returns them. Several
// instances may run it at once: on PostgreSQL each takes orders no other
// holds (SKIP LOCKED), and an order a customer is cancelling or paying at
// that moment is left to the customer. So is an order whose payment is in
// progress (models.PaymentInProgress): the query passes over them, and
// once the rows are locked they are asked again, since a payment that
// changed just before the lock is not in the query's snapshot. Past
// models.PaymentInProgressGrace a payment in progress protects nothing.
func (s *Store) ExpireOrders(ctx context.Context, cutoff time.Time, note string, limit int) ([]models.Order, error) {
	cutoff = asStored(cutoff)
	graceOver := cutoff.Add(-models.PaymentInProgressGrace)
	var out []models.Order
	err := s.write(ctx, func(tx *gorm.DB) error {
		now := tx.NowFunc()
		orders, err := s.lockOrders(tx, true, "status = ? AND created_at < ? AND (created_at < ? OR NOT EXISTS "+
			"(SELECT 1 FROM payments p WHERE p.order_id = orders.order_id AND p.status IN ?)) ORDER BY created_at, order_id LIMIT ?",
			models.OrderStatusPending, cutoff, graceOver, models.PaymentInProgressStatuses, limit)
		if err != nil || len(orders) == 0 {
			return err
		}
		if orders, err = s.withoutPaymentsInProgress(tx, orders, graceOver); err != nil || len(orders) == 0 {
			return err
		}
		ch := models.StatusChange{To: models.OrderStatusCancelled, Message: note, Actor: models.ActorSystem}
		if err := s.moveOrders(tx, orders, ch, now); err != nil {
			return err
		}
		for i := range orders {
			orders[i].Status, orders[i].LastUpdated = ch.To, now
		}
		out = orders
		return nil
	})
	if err != nil {
		return nil, mapError(err, "expire orders")
	}
	return out, nil
}

// withoutPaymentsInProgress drops the locked orders whose payment is in
// progress now, unless they were created before graceOver.
func (s *Store) withoutPaymentsInProgress(tx *gorm.DB, orders []models.Order, graceOver time.Time) ([]models.Order, error) {
	ids := make([]string, len(orders))
	for i, o := range orders {
		ids[i] = o.ID
	}
	var paying []string
	if err := tx.Model(&models.Payment{}).Where("order_id IN ? AND status IN ?", ids, models.PaymentInProgressStatuses).
		Distinct().Pluck("order_id", &paying).Error; err != nil {
		return nil, fmt.Errorf("read payments in progress: %w", err)
	}
	if len(paying) == 0 {
		return orders, nil
	}
	out := orders[:0]
	for _, o := range orders {
		if !contains(paying, o.ID) || o.CreatedAt.Before(graceOver) {
			out = append(out, o)
		}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// lockOrders reads the orders matching where, with their items, locking
// their rows on PostgreSQL (SQLite's transaction holds the write lock);
// skipLocked passes over rows another transaction holds instead of waiting.
func (s *Store) lockOrders(tx *gorm.DB, skipLocked bool, where string, args ...any) ([]models.Order, error) {
	sql := "SELECT * FROM orders WHERE " + where + s.dialect.lockRows(skipLocked)
	var orders []models.Order
	if err := tx.Raw(sql, args...).Scan(&orders).Error; err != nil {
		return nil, fmt.Errorf("lock orders: %w", err)
	}
	if len(orders) == 0 {
		return nil, nil
	}
	ids := make([]string, len(orders))
	for i, o := range orders {
		ids[i] = o.ID
	}
	var items []models.OrderItem
	if err := tx.Where("order_id IN ?", ids).Order("order_id, position").Find(&items).Error; err != nil {
		return nil, fmt.Errorf("read order items: %w", err)
	}
	byOrder := map[string][]models.OrderItem{}
	for _, it := range items {
		byOrder[it.OrderID] = append(byOrder[it.OrderID], it)
	}
	for i := range orders {
		orders[i].Items = byOrder[orders[i].ID]
	}
	return orders, nil
}

// moveOrders writes ch's status to the locked orders, with an event each,
// and restocks their lines when ch cancels them.
func (s *Store) moveOrders(tx *gorm.DB, orders []models.Order, ch models.StatusChange, now time.Time) error {
	ids := make([]string, len(orders))
	for i, o := range orders {
		ids[i] = o.ID
	}
	set := map[string]any{"status": ch.To, "last_updated": now}
	if ch.To == models.OrderStatusShipped {
		set["tracking_number"], set["carrier"] = ch.TrackingNumber, ch.Carrier
	}
	if err := tx.Model(&models.Order{}).Where("order_id IN ?", ids).Updates(set).Error; err != nil {
		return fmt.Errorf("update order status: %w", err)
	}
	w := rows{}
	for _, o := range orders {
		w.add("order_events", eventColumns, o.ID, ch.To, ch.Message, ch.Note, ch.Actor, now)
		from := o.Status
		o.Status = ch.To
		w.record(models.StatusEvent(o, from, ch.Actor, now))
	}
	if ch.To == models.OrderStatusCancelled {
		moves, err := s.restock(tx, orders, ch, now)
		if err != nil {
			return err
		}
		w.movements(moves)
		// A checkout's code use no longer counts (after the restock's
		// product locks, as checkout takes them).
		if err := releaseCodeUses(tx, ids, now); err != nil {
			return err
		}
	}
	return s.insert(tx, w)
}

// restock puts the cancelled orders' lines back in stock, each in the
// variant it was taken from. A variant (or product) deleted since the
// order has no stock to return to, and is skipped.
func (s *Store) restock(tx *gorm.DB, orders []models.Order, ch models.StatusChange, now time.Time) ([]models.StockMovement, error) {
	var ids []string
	for _, o := range orders {
		for _, it := range o.Items {
			ids = append(ids, it.VariantID)
		}
	}
	stock, err := s.lockStock(tx, nil, dedupe(ids))
	if err != nil {
		return nil, err
	}
	current := map[string]int{}
	for _, ps := range stock {
		for _, v := range ps.Variants {
			current[v.ID] = v.StockCount
		}
	}
	deltas := map[string]int{}
	var moves []models.StockMovement
	for _, o := range orders {
		for _, it := range o.Items {
			n, ok := current[it.VariantID]
			if !ok {
				continue
			}
			n += it.Quantity
			current[it.VariantID] = n
			deltas[it.VariantID] += it.Quantity
			orderID := o.ID
			moves = append(moves, models.StockMovement{
				ProductID: it.ProductID, VariantID: it.VariantID, Delta: it.Quantity, Kind: models.MovementCancellation, Reason: cmp.Or(ch.Message, ch.Note),
				OrderID: &orderID, Actor: ch.Actor, At: now, StockAfter: n,
			})
		}
	}
	return moves, writeStock(tx, models.ChangeStock(stock, deltas, now), now)
}

func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// OrderEvents returns the events of the orders, oldest first, by order id.
func (s *Store) OrderEvents(ctx context.Context, orderIDs []string) (map[string][]models.OrderEvent, error) {
	out := make(map[string][]models.OrderEvent, len(orderIDs))
	for start := 0; start < len(orderIDs); start += maxParams {
		batch := orderIDs[start:min(start+maxParams, len(orderIDs))]
		var evs []models.OrderEvent
		if err := s.db.WithContext(ctx).Where("order_id IN ?", batch).Order("order_id, id").Find(&evs).Error; err != nil {
			return nil, mapError(err, "read order events")
		}
		for _, e := range evs {
			out[e.OrderID] = append(out[e.OrderID], e)
		}
	}
	return out, nil
}

// PurgeProcessedEvents deletes the ids of webhook events applied before
// cutoff.
func (s *Store) PurgeProcessedEvents(ctx context.Context, cutoff time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Where("at < ?", asStored(cutoff)).Delete(&models.ProcessedEvent{})
	return res.RowsAffected, mapError(res.Error, "purge processed events")
}

// PurgeIdempotencyKeys deletes the keys created before cutoff.
func (s *Store) PurgeIdempotencyKeys(ctx context.Context, cutoff time.Time) (int64, error) {
	res := s.db.WithContext(ctx).Where("created_at < ?", asStored(cutoff)).Delete(&models.IdempotencyKey{})
	return res.RowsAffected, mapError(res.Error, "purge idempotency keys")
}

// asStored is t as the store writes times (NowFunc): in UTC. SQLite keeps
// times as text and compares them as text, so a cutoff in the server's
// local zone (the expiry worker's time.Now()) would be hours off: east of
// UTC, orders expired and idempotency keys were purged hours early.
func asStored(t time.Time) time.Time { return t.UTC() }
