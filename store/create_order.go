package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"shop/models"
)

// CreateOrder takes the stock of every line, records the order, its items,
// the ledger's movements and the creation event, and stores the
// idempotency key, all in one transaction: a fault at any point leaves
// nothing. The products' rows are locked in product-id order (the lines
// come sorted), so concurrent orders never wait on each other in a cycle,
// and the stock is checked under the lock by the rules in models.
//
// On PostgreSQL the whole order costs five round trips whatever its size:
// BEGIN, the lock, one UPDATE, one INSERT of every row, COMMIT.
func (s *Store) CreateOrder(ctx context.Context, req models.OrderRequest) (*models.Order, error) {
	var order *models.Order
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := tx.NowFunc()
		if req.IdempotencyKey != "" {
			replay, err := s.claimKey(tx, req, now)
			if err != nil || replay != nil {
				order = replay
				return err
			}
		}
		stock, err := s.lockProducts(tx, productIDs(req.Lines))
		if err != nil {
			return err
		}
		prices := make(map[string]models.Money, len(req.Lines))
		for _, l := range req.Lines {
			p, ok := stock[l.ProductID]
			if !ok {
				return models.ProductNotFound(l.ProductID)
			}
			if p.StockCount < l.Quantity {
				return models.InsufficientStock(l.ProductID, p.StockCount, l.Quantity)
			}
			prices[l.ProductID] = p.Price
		}
		items, total, err := models.PriceOrder(req.Lines, prices)
		if err != nil {
			return err
		}
		o := models.Order{
			ID: uuid.NewString(), CustomerID: req.CustomerID, TotalAmount: total,
			Status: models.OrderStatusPending, CreatedAt: now, LastUpdated: now,
		}
		moves := make([]models.StockMovement, len(items))
		for i := range items {
			items[i].ID = uuid.NewString()
			items[i].OrderID = o.ID
			moves[i] = models.StockMovement{
				ProductID: items[i].ProductID, Delta: -items[i].Quantity, Kind: models.MovementOrder,
				OrderID: &o.ID, Actor: req.Actor, At: now,
				StockAfter: stock[items[i].ProductID].StockCount - items[i].Quantity,
			}
		}
		o.Items = items
		if err := s.setStock(tx, moves, now); err != nil {
			return err
		}
		w := rows{}
		w.add("orders", "order_id, customer_id, total_amount_cents, status, created_at, last_updated, tracking_number, carrier",
			o.ID, o.CustomerID, o.TotalAmount, o.Status, o.CreatedAt, o.LastUpdated, "", "")
		for _, it := range items {
			w.add("order_items", "id, order_id, product_id, quantity, price_at_purchase_cents, position",
				it.ID, it.OrderID, it.ProductID, it.Quantity, it.PriceAtPurchase, it.Position)
		}
		w.movements(moves)
		w.add("order_events", "order_id, status, note, actor, at", o.ID, o.Status, "", req.Actor, now)
		if req.IdempotencyKey != "" {
			w.add("idempotency_keys", "caller, key, fingerprint, order_id, created_at",
				req.Actor, req.IdempotencyKey, req.Fingerprint(), o.ID, now)
		}
		if err := s.insert(tx, w); err != nil {
			return fmt.Errorf("insert order: %w", err)
		}
		order = &o
		return nil
	})
	if err != nil {
		return nil, mapError(err, "create order")
	}
	return order, nil
}

// claimKey looks up an idempotency key inside the order's transaction. A
// live key for the same request returns its order (replay); for another
// request, IDEMPOTENCY_KEY_REUSED. On PostgreSQL a transaction-scoped
// advisory lock on the key tells a request still in flight (another
// instance's included) from a finished one without waiting for it: the lock
// and the key's row are released and committed together.
func (s *Store) claimKey(tx *gorm.DB, req models.OrderRequest, now time.Time) (*models.Order, error) {
	if s.kind == "PostgreSQL" {
		// PostgreSQL's text holds no NUL byte: caller and key are joined by
		// a space, which a key never holds (models.ParseIdempotencyKey).
		var got []bool
		err := tx.Raw("SELECT pg_try_advisory_xact_lock(hashtextextended(?, ?))", req.Actor+" "+req.IdempotencyKey, idempotencyLockSpace).Scan(&got).Error
		if err != nil {
			return nil, fmt.Errorf("lock idempotency key: %w", err)
		}
		if len(got) == 0 || !got[0] {
			return nil, models.ErrIdempotencyKeyInUse
		}
	}
	var keys []models.IdempotencyKey
	if err := tx.Where("caller = ? AND key = ?", req.Actor, req.IdempotencyKey).Limit(1).Find(&keys).Error; err != nil {
		return nil, fmt.Errorf("read idempotency key: %w", err)
	}
	if len(keys) == 0 {
		return nil, nil
	}
	k := keys[0]
	if now.Sub(k.CreatedAt) >= models.IdempotencyKeyTTL {
		// Expired but not yet purged: the key is free again.
		if err := tx.Where("caller = ? AND key = ?", k.Caller, k.Key).Delete(&models.IdempotencyKey{}).Error; err != nil {
			return nil, fmt.Errorf("drop expired idempotency key: %w", err)
		}
		return nil, nil
	}
	if err := models.ReplayIdempotent(k, req.Fingerprint()); err != nil {
		return nil, err
	}
	var o models.Order
	if err := tx.Where("order_id = ?", k.OrderID).Preload("Items", itemsInOrder).Take(&o).Error; err != nil {
		return nil, fmt.Errorf("read the order of idempotency key: %w", err)
	}
	return &o, nil
}

// idempotencyLockSpace seeds the hash of advisory lock keys for
// idempotency keys, apart from the migration lock.
const idempotencyLockSpace = 8_214_530_117

func productIDs(lines []models.OrderLine) []string {
	ids := make([]string, len(lines))
	for i, l := range lines {
		ids[i] = l.ProductID
	}
	return ids
}

// lockProducts reads the products' stock and price, locking their rows in
// id order for the rest of the transaction (on SQLite the transaction
// already holds the database's write lock). Missing products are absent
// from the result.
func (s *Store) lockProducts(tx *gorm.DB, ids []string) (map[string]models.Product, error) {
	out := make(map[string]models.Product, len(ids))
	for start := 0; start < len(ids); start += maxParams {
		batch := ids[start:min(start+maxParams, len(ids))]
		sql := "SELECT product_id, stock_count, price_cents FROM products WHERE product_id IN ? ORDER BY product_id"
		if s.kind == "PostgreSQL" {
			sql += " FOR UPDATE"
		}
		var ps []models.Product
		if err := tx.Raw(sql, batch).Scan(&ps).Error; err != nil {
			return nil, fmt.Errorf("lock products: %w", err)
		}
		for _, p := range ps {
			out[p.ID] = p
		}
	}
	return out, nil
}

// setStock writes each moved product's stock after its last movement, in
// one statement; the rows must be locked (lockProducts).
func (s *Store) setStock(tx *gorm.DB, moves []models.StockMovement, now time.Time) error {
	final := make(map[string]int, len(moves))
	for _, m := range moves {
		final[m.ProductID] = m.StockAfter
	}
	ids := make([]string, 0, len(final))
	for id := range final {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for start := 0; start < len(ids); start += maxParams / 2 {
		batch := ids[start:min(start+maxParams/2, len(ids))]
		var b strings.Builder
		args := make([]any, 0, 2*len(batch)+2)
		b.WriteString("UPDATE products SET stock_count = CASE product_id")
		for _, id := range batch {
			b.WriteString(" WHEN ? THEN CAST(? AS INTEGER)")
			args = append(args, id, final[id])
		}
		b.WriteString(" END, last_updated = ? WHERE product_id IN ?")
		args = append(args, now, batch)
		res := tx.Exec(b.String(), args...)
		if res.Error != nil {
			return fmt.Errorf("set stock: %w", res.Error)
		}
		if res.RowsAffected != int64(len(batch)) {
			return fmt.Errorf("set stock: %d of %d products updated", res.RowsAffected, len(batch))
		}
	}
	return nil
}
