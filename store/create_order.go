package store

import (
	"context"
	"fmt"
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
// and the stock is checked under the lock by the rules in models
// (planOrder). PostgreSQL takes it in two round trips (createOrderPG).
func (s *Store) CreateOrder(ctx context.Context, req models.OrderRequest) (*models.Order, error) {
	if s.dialect.serverSide() {
		return s.createOrderPG(ctx, req)
	}
	var order *models.Order
	err := s.write(ctx, func(tx *gorm.DB) error {
		now := tx.NowFunc()
		if req.IdempotencyKey != "" {
			replay, err := s.claimKey(tx, req, now)
			if err != nil || replay != nil {
				order = replay
				return err
			}
		}
		// The transaction holds SQLite's write lock: no other order of the
		// customer's can commit between this count and this order's.
		if req.Pending.On() {
			var held models.Holdings
			if err := tx.Raw(holdingsSQL("?", "?"), req.CustomerID, models.OrderStatusPending).Row().Scan(&held.Orders, &held.Units); err != nil {
				return fmt.Errorf("count pending orders: %w", err)
			}
			if err := models.CheckPending(held, req.Units(), req.Pending); err != nil {
				return err
			}
		}
		stock, err := s.lockStock(tx, req.ProductIDs(), req.VariantIDs())
		if err != nil {
			return err
		}
		plan, err := planOrder(req, stock, now)
		if err != nil {
			return err
		}
		if err := writeStock(tx, plan.stock, now); err != nil {
			return err
		}
		if err := s.insert(tx, plan.rows); err != nil {
			return fmt.Errorf("insert order: %w", err)
		}
		order = &plan.order
		return nil
	})
	if err != nil {
		return nil, mapError(err, "create order")
	}
	return order, nil
}

// orderPlan is an order decided under the products' locks
// (models.PlaceOrder), and the rows that write it.
type orderPlan struct {
	order models.Order
	stock models.StockChange
	rows  rows
}

// planOrder decides the order by the shop's rules and lays out its rows;
// its events go with them (rows.movements adds the stock.changed ones).
func planOrder(req models.OrderRequest, stock map[string]models.ProductStock, now time.Time) (*orderPlan, error) {
	// Time-ordered ids (UUIDv7: still 62 random bits): each order's rows
	// go to the right-hand end of the primary keys' B-trees rather than to
	// a random page, which on PostgreSQL is a random page to read and, after
	// each checkpoint, to write whole to the WAL.
	placed, err := models.PlaceOrder(req, stock, now, newID)
	if err != nil {
		return nil, err
	}
	o := placed.Order
	w := rows{}
	w.add("orders", "order_id, customer_id, total_amount_cents, status, created_at, last_updated, tracking_number, carrier",
		o.ID, o.CustomerID, o.TotalAmount, o.Status, o.CreatedAt, o.LastUpdated, "", "")
	for _, it := range o.Items {
		w.add("order_items", "id, order_id, product_id, quantity, price_at_purchase_cents, position, variant_id, sku, title, options",
			it.ID, it.OrderID, it.ProductID, it.Quantity, it.PriceAtPurchase, it.Position, it.VariantID, it.SKU, it.Title, it.Options)
	}
	w.record(placed.Events...)
	w.movements(placed.Moves)
	w.add("order_events", eventColumns, o.ID, o.Status, "", "", req.Actor, now)
	if req.IdempotencyKey != "" {
		w.add("idempotency_keys", "caller, key, fingerprint, order_id, created_at",
			req.Actor, req.IdempotencyKey, req.Fingerprint(), o.ID, now)
	}
	return &orderPlan{order: o, stock: placed.Stock, rows: w}, nil
}

// claimKey looks up an idempotency key inside the order's transaction
// (SQLite, whose write transactions run one at a time, so no request under
// the key can be in flight). A live key for the same request returns its
// order (replay); for another request, IDEMPOTENCY_KEY_REUSED.
func (s *Store) claimKey(tx *gorm.DB, req models.OrderRequest, now time.Time) (*models.Order, error) {
	var keys []models.IdempotencyKey
	if err := tx.Where("caller = ? AND key = ?", req.Actor, req.IdempotencyKey).Limit(1).Find(&keys).Error; err != nil {
		return nil, fmt.Errorf("read idempotency key: %w", err)
	}
	if len(keys) == 0 {
		return nil, nil
	}
	k := keys[0]
	if expired(k, now) {
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

// holdingsSQL counts a customer's unpaid orders and the units they hold,
// with the placeholders given for the customer and the pending status.
// Each order's items are summed through their index on order_id: the
// caps keep the orders few, and a join let the planner scan every item.
func holdingsSQL(customer, status string) string {
	return "SELECT count(*), coalesce(sum((SELECT sum(i.quantity) FROM order_items i WHERE i.order_id = o.order_id)), 0) FROM orders o WHERE o.customer_id = " +
		customer + " AND o.status = " + status
}

// customerLockSpace seeds the hash of advisory lock keys for customers,
// under which their orders are placed one at a time (createOrderPG).
const customerLockSpace = 5_902_377_481

// idempotencyLockSpace seeds the hash of advisory lock keys for
// idempotency keys, apart from the migration lock.
const idempotencyLockSpace = 8_214_530_117

// insert writes w's rows (inserts) through GORM, and records their events
// with the write.
func (s *Store) insert(tx *gorm.DB, w rows) error {
	if len(w.pending) > 0 {
		record(tx, w.pending...)
	}
	for _, st := range w.inserts(s.dialect.serverSide()) {
		if err := tx.Exec(st.sql, st.args...).Error; err != nil {
			return err
		}
	}
	return nil
}

// expired reports whether a stored key has outlived its time to live (it
// may not have been purged yet).
func expired(k models.IdempotencyKey, now time.Time) bool {
	return now.Sub(k.CreatedAt) >= models.IdempotencyKeyTTL
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }
