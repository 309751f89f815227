package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"shop/models"
)

// createOrderPG is CreateOrder on PostgreSQL in two round trips, sent as
// pgx batches on one of the pool's connections: BEGIN, the key's claim and
// the products' lock go together; then, once the rules have judged the
// locked stock, the new stock, every row (the outbox's events among them)
// and COMMIT. Through GORM the same
// transaction takes five or more round trips, and an order's cost is
// mostly round trips (issue 7's benchmark: orders beside reads).
//
// The idempotency key is claimed with a transaction-scoped advisory lock,
// which tells a request still in flight under the key (another instance's
// included) from a finished one without waiting for it; the lock and the
// key's row are released and committed together. The products' lock is
// gated on the same advisory lock, so a request refused as in use never
// waits on the products the other one holds.
func (s *Store) createOrderPG(ctx context.Context, req models.OrderRequest) (*models.Order, error) {
	var order *models.Order
	var replay string
	err := s.inBatches(ctx, "create order", func(c *pgx.Conn, commit func(w *rows, send func() error) error) error {
		now := s.db.NowFunc()
		claim, held, stock, err := s.beginOrder(ctx, c, req)
		if err != nil {
			return err
		}
		if claim.stored && !expired(claim.key, now) {
			if err := models.ReplayIdempotent(claim.key, req.Fingerprint()); err != nil {
				return err
			}
			replay = claim.key.OrderID
			// A replay writes nothing: end the transaction (its locks).
			rollback(ctx, c)
			return nil
		}
		// A replay places nothing, so only a new order is judged against
		// the caps (none when req has none).
		if err := models.CheckPending(held, req.Units(), req.Pending); err != nil {
			return err
		}
		plan, err := planOrder(req, stock, now)
		if err != nil {
			return err
		}
		if err := commit(&plan.rows, func() error { return s.commitOrder(ctx, c, req, plan, claim.stored, now) }); err != nil {
			return err
		}
		order = &plan.order
		return nil
	})
	if err != nil {
		return nil, mapError(err, "create order")
	}
	if replay != "" {
		// The key's order exists and its lines never change.
		return s.OrderByID(ctx, replay)
	}
	return order, nil
}

// keyClaim is what the first round trip learned of the idempotency key.
type keyClaim struct {
	stored bool // a row exists under the key (maybe expired)
	key    models.IdempotencyKey
}

// beginOrder opens the transaction, claims the idempotency key, counts
// the customer's unpaid orders when req is capped, and locks the products,
// in one round trip.
//
// The count is taken under a transaction-scoped advisory lock on the
// customer, held until the order commits: the orders of one customer are
// placed one at a time, whatever instance each reaches, so none is judged
// against a count another is about to change. (Under READ COMMITTED the
// count, a statement after the lock, sees every order committed by the
// one before.) It is taken before the products' rows, which the customer's
// other orders wait for no longer than it does.
func (s *Store) beginOrder(ctx context.Context, c *pgx.Conn, req models.OrderRequest) (keyClaim, models.Holdings, map[string]models.ProductStock, error) {
	var claim keyClaim
	var held models.Holdings
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	// The products named, and those of the variants named, locked in id
	// order; then, once the locks are held, every variant of them (their
	// stock, and what the products' totals are computed from), read by a
	// statement of its own: READ COMMITTED gives it a snapshot taken after
	// the wait, so it sees what the transaction before left. (Read in the
	// locking statement, the variants would be as before the wait, unless
	// locked too: a tuple lock on each of a product's variants, 20 for a
	// T-shirt in sizes and colours, for every order.)
	// The ids as one array (the variants' products found once, an
	// InitPlan), so both statements look them up by index: an OR with the
	// subquery made PostgreSQL scan every product, and every variant, on
	// each order.
	named := "product_id = ANY($1::text[] || ARRAY(SELECT product_id::text FROM product_variants WHERE variant_id = ANY($2)))"
	lockSQL := "SELECT product_id, active FROM products WHERE " + named + " ORDER BY product_id FOR UPDATE"
	variantsSQL := "SELECT " + orderVariantColumns + " FROM product_variants v WHERE " + named + " ORDER BY product_id, position, variant_id"
	args := []any{req.ProductIDs(), req.VariantIDs()}
	// gate makes a statement run only once the idempotency key is this
	// request's, so one refused as in use never waits on a lock.
	gate, gateArgs := "", []any(nil)
	if req.IdempotencyKey != "" {
		lockKey := req.Actor + " " + req.IdempotencyKey
		b.Queue("SELECT pg_try_advisory_xact_lock(hashtextextended($1, $2))", lockKey, idempotencyLockSpace)
		b.Queue("SELECT fingerprint, order_id, created_at FROM idempotency_keys WHERE caller = $1 AND key = $2", req.Actor, req.IdempotencyKey)
		// Taken again (it is re-entrant) as the lock's gate: false, no row
		// is locked.
		gated := named + " AND pg_try_advisory_xact_lock(hashtextextended($3, $4))"
		lockSQL = "SELECT product_id, active FROM products WHERE " + gated + " ORDER BY product_id FOR UPDATE"
		variantsSQL = "SELECT " + orderVariantColumns + " FROM product_variants v WHERE " + gated + " ORDER BY product_id, position, variant_id"
		args = append(args, lockKey, idempotencyLockSpace)
		gate, gateArgs = " WHERE pg_try_advisory_xact_lock(hashtextextended($3, $4))", []any{lockKey, idempotencyLockSpace}
	}
	if req.Pending.On() {
		b.Queue("SELECT pg_advisory_xact_lock(hashtextextended($1, $2))"+gate, append([]any{req.CustomerID, customerLockSpace}, gateArgs...)...)
		b.Queue(holdingsSQL("$1", "$2"), req.CustomerID, models.OrderStatusPending)
	}
	b.Queue(lockSQL, args...)
	b.Queue(variantsSQL, args...)
	s.statements.Add(uint64(b.Len()))
	s.roundTrips.Add(1)
	res := c.SendBatch(ctx, b)
	defer res.Close()
	if _, err := res.Exec(); err != nil {
		return claim, held, nil, fmt.Errorf("begin: %w", err)
	}
	if req.IdempotencyKey != "" {
		var got bool
		if err := res.QueryRow().Scan(&got); err != nil {
			return claim, held, nil, fmt.Errorf("lock idempotency key: %w", err)
		}
		if !got {
			return claim, held, nil, models.ErrIdempotencyKeyInUse
		}
		k := &claim.key
		err := res.QueryRow().Scan(&k.Fingerprint, &k.OrderID, &k.CreatedAt)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return claim, held, nil, fmt.Errorf("read idempotency key: %w", err)
		default:
			claim.stored = true
			k.Caller, k.Key = req.Actor, req.IdempotencyKey
		}
	}
	if req.Pending.On() {
		if _, err := res.Exec(); err != nil {
			return claim, held, nil, fmt.Errorf("lock the customer's orders: %w", err)
		}
		if err := res.QueryRow().Scan(&held.Orders, &held.Units); err != nil {
			return claim, held, nil, fmt.Errorf("count pending orders: %w", err)
		}
	}
	rows, err := res.Query()
	if err != nil {
		return claim, held, nil, fmt.Errorf("lock products: %w", err)
	}
	stock := make(map[string]models.ProductStock, len(req.Lines))
	for rows.Next() {
		var ps models.ProductStock
		if err := rows.Scan(&ps.Product.ID, &ps.Product.Active); err != nil {
			rows.Close()
			return claim, held, nil, fmt.Errorf("lock products: %w", err)
		}
		stock[ps.Product.ID] = ps
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return claim, held, nil, fmt.Errorf("lock products: %w", err)
	}
	if rows, err = res.Query(); err != nil {
		return claim, held, nil, fmt.Errorf("read variants: %w", err)
	}
	for rows.Next() {
		var v models.ProductVariant
		var price int64
		var compareAt *int64
		if err := rows.Scan(&v.ID, &v.ProductID, &v.Position, &v.SKU, &v.Title, &price, &compareAt, &v.StockCount, &v.Options, &v.OptionKey); err != nil {
			rows.Close()
			return claim, held, nil, fmt.Errorf("read variants: %w", err)
		}
		v.Price = models.Money(price)
		if compareAt != nil {
			m := models.Money(*compareAt)
			v.CompareAtPrice = &m
		}
		// A product the lock did not return (gone, or the gate shut) has
		// no stock here.
		if ps, ok := stock[v.ProductID]; ok {
			ps.Variants = append(ps.Variants, v)
			stock[v.ProductID] = ps
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return claim, held, nil, fmt.Errorf("read variants: %w", err)
	}
	return claim, held, stock, nil
}

// orderVariantColumns are what an order reads of each variant of its
// products.
const orderVariantColumns = "variant_id, product_id, position, sku, title, price_cents, compare_at_price_cents, stock_count, options, option_key"

// commitOrder writes the plan and commits in one round trip. A key stored
// before but expired is replaced.
func (s *Store) commitOrder(ctx context.Context, c *pgx.Conn, req models.OrderRequest, plan *orderPlan, staleKey bool, now time.Time) error {
	b := &pgx.Batch{}
	if staleKey {
		b.Queue("DELETE FROM idempotency_keys WHERE caller = $1 AND key = $2", req.Actor, req.IdempotencyKey)
	}
	updates := stockStatements(plan.stock, now, true)
	for _, st := range updates {
		b.Queue(st.dollars(), st.args...)
	}
	for _, st := range plan.rows.inserts(true) {
		b.Queue(st.dollars(), st.args...)
	}
	b.Queue("COMMIT")
	s.statements.Add(uint64(b.Len()))
	s.roundTrips.Add(1)
	res := c.SendBatch(ctx, b)
	defer res.Close()
	if staleKey {
		if _, err := res.Exec(); err != nil {
			return fmt.Errorf("drop expired idempotency key: %w", err)
		}
	}
	for _, st := range updates {
		tag, err := res.Exec()
		if err != nil {
			return fmt.Errorf("set stock: %w", err)
		}
		if want := len(st.args[len(st.args)-1].([]string)); tag.RowsAffected() != int64(want) {
			return fmt.Errorf("set stock: %d of %d rows updated", tag.RowsAffected(), want)
		}
	}
	for i := 0; i < b.Len()-len(updates)-1-boolInt(staleKey); i++ {
		if _, err := res.Exec(); err != nil {
			return fmt.Errorf("insert order: %w", err)
		}
	}
	tag, err := res.Exec()
	if err != nil {
		return fmt.Errorf("commit order: %w", err)
	}
	if tag.String() != "COMMIT" {
		return fmt.Errorf("commit order: the transaction was rolled back")
	}
	return nil
}

// rollback ends a failed transaction so the connection goes back to the
// pool clean; a connection that can't is closed by pgx, and the pool
// drops it.
func rollback(ctx context.Context, c *pgx.Conn) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_, _ = c.Exec(rctx, "ROLLBACK")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
