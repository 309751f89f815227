package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"shop/models"
)

// completeCartPG is CompleteCart on PostgreSQL in two round trips, sent as
// pgx batches on one of the pool's connections, as createOrderPG places
// an order: BEGIN and every read under the locks go together
// (beginCheckout); then, once models.PlaceCheckout has judged them, the
// new stock, every row (the outbox's events among them), the cart
// closed, the code's use counted and COMMIT (commitCheckout). Through
// GORM the same transaction took 15 round trips.
//
// The locks are taken in the order CompleteCart takes them on SQLite's
// path and took them on PostgreSQL's before: the cart's row, the
// customer's advisory lock (checkPending), the products in id order, the
// code's row last, by the statement that counts its use just before
// COMMIT.
func (s *Store) completeCartPG(ctx context.Context, req models.CheckoutRequest, settings pricingSettings) (*models.Order, error) {
	var order *models.Order
	var replay string
	err := s.inBatches(ctx, "complete checkout", func(c *pgx.Conn, commit func(w *rows, send func() error) error) error {
		now := s.db.NowFunc()
		placed, code, err := s.judgeCheckout(ctx, c, req, settings, now, &replay)
		if err != nil {
			return err
		}
		if replay != "" {
			// A replay writes nothing: end the transaction (its locks).
			rollback(ctx, c)
			return nil
		}
		w, err := checkoutRows(placed, now)
		if err != nil {
			return err
		}
		if err := commit(&w, func() error { return s.commitCheckout(ctx, c, placed, w, code, now) }); err != nil {
			return err
		}
		order = &placed.Order
		return nil
	})
	if err != nil {
		return nil, mapError(err, "complete checkout")
	}
	if replay != "" {
		return s.OrderByID(ctx, replay)
	}
	return order, nil
}

// judgeCheckout runs the first round trip (beginCheckout) and judges
// what it read by the rules CompleteCart judges them by on SQLite: the
// replay of a closed cart (its order id in *replay), the caps on unpaid
// orders, then models.PlaceCheckout. code is the cart's code as read,
// nil without one.
func (s *Store) judgeCheckout(ctx context.Context, c *pgx.Conn, req models.CheckoutRequest, settings pricingSettings,
	now time.Time, replay *string) (models.PlacedCheckout, *models.DiscountCode, error) {
	var placed models.PlacedCheckout
	read, err := s.beginCheckout(ctx, c, req)
	if err != nil {
		return placed, nil, err
	}
	cart := read.cart
	if *replay, err = models.CheckoutReplay(req.Caller, *cart, req.IdempotencyKey); err != nil || *replay != "" {
		return placed, nil, err
	}
	if caps, on := pendingCaps(req, *cart); on {
		if err := models.CheckPending(read.held, cartUnits(*cart), caps); err != nil {
			return placed, nil, err
		}
	}
	in := models.CheckoutInput{Stock: read.stock, Caller: req.Caller, Limits: req.Limits,
		Pricing: models.CartPricing{Cart: *cart, PricesIncludeTax: req.PricesIncludeTax, Now: now, Parents: settings.parents}}
	if a := cart.ShippingAddress; a != nil {
		in.Pricing.Zones = settings.zones
		in.Pricing.TaxRates = read.taxRates
		if read.country != a.Country {
			// The batch found the country in the address's JSON itself;
			// should it ever read it otherwise than Go does, the rates
			// are read again by the country Go reads.
			if in.Pricing.TaxRates, err = s.queryTaxRates(ctx, c, "$1", a.Country); err != nil {
				return placed, nil, err
			}
		}
	}
	if cart.DiscountCode != "" {
		key, who := models.CodeKey(cart.DiscountCode), models.CustomerKey(cart.CustomerID, cart.Email)
		code := read.code
		if read.codeKey != key || read.who != who {
			// As for the country: the batch's key and customer are SQL's
			// spelling of models.CodeKey and models.CustomerKey.
			if code, err = s.queryCode(ctx, c, "$1", "$2", key, who); err != nil {
				return placed, nil, err
			}
		}
		if code != nil {
			in.Pricing.Code = &code.DiscountCode
			if who != "" && code.UsageLimitPerCustomer != nil {
				in.Pricing.CodeUses = code.uses
			}
		}
	}
	placed, err = models.PlaceCheckout(in, req.IdempotencyKey, newID)
	return placed, in.Pricing.Code, err
}

// checkoutRead is what the first round trip read under the locks.
type checkoutRead struct {
	cart     *models.Cart
	held     models.Holdings
	stock    map[string]models.ProductStock
	country  string // the shipping address's, as SQL reads it
	taxRates []models.TaxRate
	codeKey  string // the cart's code as a key (models.CodeKey), as SQL spells it
	who      string // models.CustomerKey, as SQL spells it
	code     *codeWithUses
}

// codeWithUses is a code with one customer's unreleased uses of it
// (counted only when the code has a per-customer limit).
type codeWithUses struct {
	models.DiscountCode
	uses int
}

// The cart's pieces as the first round trip's statements name them, the
// cart being $1: each is read after the cart's lock is held (READ
// COMMITTED: a statement's snapshot is taken when it starts), so they see
// the cart as the last write before this one left it.
const (
	ckCartOpen = "EXISTS (SELECT 1 FROM carts WHERE cart_id = $1 AND status = 'open')"
	// The cart's products: those of its lines' variants, as one array (an
	// InitPlan), looked up by index; none once the cart is closed, so a
	// replay waits on no product.
	ckProducts = "product_id = ANY(ARRAY(SELECT v.product_id FROM product_variants v JOIN cart_lines l ON l.variant_id = v.variant_id WHERE l.cart_id = $1)) AND " + ckCartOpen
	ckCountry  = "(SELECT shipping_address::jsonb ->> 'country' FROM carts WHERE cart_id = $1)"
	// models.CodeKey and models.CustomerKey in SQL (checked against Go's).
	ckCodeKey = "(SELECT translate(btrim(discount_code, E' \\t\\n\\v\\f\\r'), 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') FROM carts WHERE cart_id = $1)"
	ckWho     = "(SELECT coalesce(customer_id, lower(btrim(email, E' \\t\\n\\v\\f\\r'))) FROM carts WHERE cart_id = $1)"
)

// beginCheckout opens the transaction and reads, in one round trip, the
// cart under its row's lock, its lines, the customer's unpaid orders
// under the customer's advisory lock when checkPending would count them,
// the cart's products under their locks with their variants, the tax
// rates of the cart's country, and its code with this customer's uses.
func (s *Store) beginCheckout(ctx context.Context, c *pgx.Conn, req models.CheckoutRequest) (checkoutRead, error) {
	var out checkoutRead
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	b.Queue("SELECT cart_id, customer_id, email, shipping_address, billing_address, shipping_method_id, discount_code, status, order_id, checkout_key, created_at, last_updated, "+
		"coalesce(shipping_address::jsonb ->> 'country', '') FROM carts WHERE cart_id = $1 FOR UPDATE", req.CartID)
	b.Queue("SELECT line_id, cart_id, variant_id, quantity, price_seen_cents, position, added_at FROM cart_lines WHERE cart_id = $1 ORDER BY position, line_id", req.CartID)
	capped := req.Limits.Pending().On() && !models.ExemptFromOrderLimits(req.Caller)
	if capped {
		// As checkPending: a customer's orders and checkouts are placed
		// one at a time, the lock taken before the products'.
		b.Queue("SELECT pg_advisory_xact_lock(hashtextextended(customer_id, $2)) FROM carts WHERE cart_id = $1 AND customer_id IS NOT NULL AND status = 'open'",
			req.CartID, customerLockSpace)
		b.Queue(holdingsSQL("(SELECT customer_id FROM carts WHERE cart_id = $1)", "$2"), req.CartID, models.OrderStatusPending)
	}
	b.Queue("SELECT product_id, active, category_id FROM products WHERE "+ckProducts+" ORDER BY product_id FOR UPDATE", req.CartID)
	// The variants read by a statement of their own once the products'
	// locks are held, as beginOrder reads them.
	b.Queue("SELECT "+variantColumns+" FROM product_variants WHERE "+ckProducts+" ORDER BY product_id, position, variant_id", req.CartID)
	b.Queue(taxRatesSQL(ckCountry), req.CartID)
	b.Queue(codeSQL(ckCodeKey, ckWho), req.CartID)
	s.statements.Add(uint64(b.Len()))
	s.roundTrips.Add(1)
	res := c.SendBatch(ctx, b)
	defer res.Close()
	if _, err := res.Exec(); err != nil {
		return out, fmt.Errorf("begin: %w", err)
	}
	var r cartRow
	err := res.QueryRow().Scan(&r.ID, &r.CustomerID, &r.Email, &r.ShippingAddress, &r.BillingAddress, &r.ShippingMethodID,
		&r.DiscountCode, &r.Status, &r.OrderID, &r.CheckoutKey, &r.CreatedAt, &r.LastUpdated, &out.country)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return out, models.CartNotFound()
	case err != nil:
		return out, fmt.Errorf("read cart: %w", err)
	}
	if out.cart, err = r.cart(); err != nil {
		return out, err
	}
	rows, err := res.Query()
	if err != nil {
		return out, fmt.Errorf("read cart lines: %w", err)
	}
	for rows.Next() {
		var l models.CartLine
		var seen int64
		if err := rows.Scan(&l.ID, &l.CartID, &l.VariantID, &l.Quantity, &seen, &l.Position, &l.AddedAt); err != nil {
			rows.Close()
			return out, fmt.Errorf("read cart lines: %w", err)
		}
		l.PriceSeen = models.Money(seen)
		out.cart.Lines = append(out.cart.Lines, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("read cart lines: %w", err)
	}
	if out.cart.Lines == nil {
		out.cart.Lines = []models.CartLine{}
	}
	if capped {
		if _, err := res.Exec(); err != nil {
			return out, fmt.Errorf("lock the customer's orders: %w", err)
		}
		if err := res.QueryRow().Scan(&out.held.Orders, &out.held.Units); err != nil {
			return out, fmt.Errorf("count pending orders: %w", err)
		}
	}
	if out.stock, err = scanCheckoutStock(res); err != nil {
		return out, err
	}
	if rows, err = res.Query(); err != nil {
		return out, fmt.Errorf("list tax rates: %w", err)
	}
	if out.taxRates, err = scanTaxRates(rows); err != nil {
		return out, err
	}
	if out.codeKey, out.who, out.code, err = scanCode(res.QueryRow()); err != nil {
		return out, err
	}
	return out, nil
}

// scanCheckoutStock reads the products' lock and their variants.
func scanCheckoutStock(res pgx.BatchResults) (map[string]models.ProductStock, error) {
	rows, err := res.Query()
	if err != nil {
		return nil, fmt.Errorf("lock products: %w", err)
	}
	stock := map[string]models.ProductStock{}
	for rows.Next() {
		var ps models.ProductStock
		if err := rows.Scan(&ps.Product.ID, &ps.Product.Active, &ps.Product.CategoryID); err != nil {
			rows.Close()
			return nil, fmt.Errorf("lock products: %w", err)
		}
		stock[ps.Product.ID] = ps
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lock products: %w", err)
	}
	if rows, err = res.Query(); err != nil {
		return nil, fmt.Errorf("read variants: %w", err)
	}
	for rows.Next() {
		var v models.ProductVariant
		var price int64
		var compareAt *int64
		if err := rows.Scan(&v.ID, &v.ProductID, &v.Position, &v.SKU, &v.Title, &price, &compareAt, &v.StockCount, &v.Options, &v.OptionKey,
			&v.ImageURL, &v.WeightGrams, &v.CreatedAt, &v.LastUpdated); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read variants: %w", err)
		}
		v.Price = models.Money(price)
		if compareAt != nil {
			m := models.Money(*compareAt)
			v.CompareAtPrice = &m
		}
		if ps, ok := stock[v.ProductID]; ok {
			ps.Variants = append(ps.Variants, v)
			stock[v.ProductID] = ps
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read variants: %w", err)
	}
	return stock, nil
}

// taxRatesSQL reads the tax rates of country (SQL), in TaxRates' order.
func taxRatesSQL(country string) string {
	return "SELECT tax_rate_id, country, region, name, rate, applies_to_shipping, created_at FROM tax_rates WHERE country = " + country +
		" ORDER BY country, region, name, tax_rate_id"
}

func (s *Store) queryTaxRates(ctx context.Context, c *pgx.Conn, country string, args ...any) ([]models.TaxRate, error) {
	s.statements.Add(1)
	s.roundTrips.Add(1)
	rows, err := c.Query(ctx, taxRatesSQL(country), args...)
	if err != nil {
		return nil, fmt.Errorf("list tax rates: %w", err)
	}
	return scanTaxRates(rows)
}

func scanTaxRates(rows pgx.Rows) ([]models.TaxRate, error) {
	defer rows.Close()
	out := []models.TaxRate{}
	for rows.Next() {
		var t models.TaxRate
		var rate int64
		if err := rows.Scan(&t.ID, &t.Country, &t.Region, &t.Name, &rate, &t.AppliesToShipping, &t.CreatedAt); err != nil {
			return nil, fmt.Errorf("list tax rates: %w", err)
		}
		t.Rate = models.Percent(rate)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tax rates: %w", err)
	}
	return out, nil
}

// codeSQL reads, in one row, the code key and customer key given (SQL)
// and the code of that key, if any, with the customer's unreleased uses
// of it when it has a per-customer limit.
func codeSQL(key, who string) string {
	return "SELECT k.key, k.who, d.discount_code_id, d.code, d.code_key, d.kind, d.percent, d.amount_cents, d.applies_to, d.min_subtotal_cents, " +
		"d.starts_at, d.ends_at, d.usage_limit, d.usage_limit_per_customer, d.usage_count, d.active, d.created_at, d.last_updated, " +
		"CASE WHEN d.usage_limit_per_customer IS NULL THEN 0 ELSE (SELECT count(*) FROM discount_uses u " +
		"WHERE u.discount_code_id = d.discount_code_id AND u.customer_key = k.who AND u.released_at IS NULL) END " +
		"FROM (SELECT CAST(" + key + " AS text) AS key, CAST(" + who + " AS text) AS who) k LEFT JOIN discount_codes d ON d.code_key = k.key"
}

func (s *Store) queryCode(ctx context.Context, c *pgx.Conn, key, who string, args ...any) (*codeWithUses, error) {
	s.statements.Add(1)
	s.roundTrips.Add(1)
	_, _, code, err := scanCode(c.QueryRow(ctx, codeSQL(key, who), args...))
	return code, err
}

func scanCode(row pgx.Row) (key, who string, code *codeWithUses, err error) {
	var (
		k, w, id                                  *string
		r                                         discountCodeRow
		percent, amount, minSubtotal, count, uses *int64
		active                                    *bool
		created, updated                          *time.Time
		codeText, codeKey, kind                   *string
	)
	if err := row.Scan(&k, &w, &id, &codeText, &codeKey, &kind, &percent, &amount, &r.AppliesTo, &minSubtotal,
		&r.StartsAt, &r.EndsAt, &r.UsageLimit, &r.UsageLimitPerCustomer, &count, &active, &created, &updated, &uses); err != nil {
		return "", "", nil, fmt.Errorf("get discount code: %w", err)
	}
	if k != nil {
		key = *k
	}
	if w != nil {
		who = *w
	}
	if id == nil {
		return key, who, nil, nil
	}
	r.ID, r.Code, r.CodeKey, r.Kind = *id, *codeText, *codeKey, *kind
	r.Percent, r.Amount, r.MinSubtotal = models.Percent(*percent), models.Money(*amount), models.Money(*minSubtotal)
	r.UsageCount, r.Active, r.CreatedAt, r.LastUpdated = int(*count), *active, *created, *updated
	return key, who, &codeWithUses{DiscountCode: *r.model(), uses: int(*uses)}, nil
}

// codeGuardSQL fails the transaction, by a cast that can't succeed (of
// text made from the row, so the planner can't fold it at PREPARE), when
// the code's use just counted ($1, the code; its row locked by the UPDATE
// before) is one the code as it is now refuses: the code gone or no longer
// active, its count after this use over its usageLimit as it is now, or
// the customer's ($2) uses, this one among them, over its
// usageLimitPerCustomer as it is now. It runs after the UPDATE
// has the code's row, so it sees every use committed before (the uses of
// a code are written with its row locked) and any change an admin
// committed since the first batch read the code (that change held the row,
// so the checkout's use is counted after it, and is judged as a checkout
// begun after it would be): the rules models.CodeApplies (active) and
// models.CodeExhausted judge, on the same figures.
const codeGuardSQL = "SELECT CASE WHEN d.discount_code_id IS NULL OR NOT d.active" +
	" OR (d.usage_limit IS NOT NULL AND d.usage_count > d.usage_limit)" +
	" OR (d.usage_limit_per_customer IS NOT NULL AND (SELECT count(*) FROM discount_uses u WHERE u.discount_code_id = $1 AND u.customer_key = $2 AND u.released_at IS NULL) > d.usage_limit_per_customer)" +
	" THEN CAST(coalesce(d.code_key, '') || ' past its limits' AS int) ELSE 0 END" +
	" FROM (SELECT 1) one LEFT JOIN discount_codes d ON d.discount_code_id = $1"

// commitCheckout writes the placed checkout and commits in one round
// trip: the stock, the rows, the cart closed, then the code's use counted
// (its row locked, the last lock taken) and judged (codeGuardSQL), and
// COMMIT. The count and the customer's uses are read in the batch too,
// so a checkout refused past a limit is told which.
func (s *Store) commitCheckout(ctx context.Context, c *pgx.Conn, placed models.PlacedCheckout, w rows, code *models.DiscountCode, now time.Time) error {
	b := &pgx.Batch{}
	updates := stockStatements(placed.Stock, now, true)
	for _, st := range updates {
		b.Queue(st.dollars(), st.args...)
	}
	inserts := w.inserts(true)
	for _, st := range inserts {
		b.Queue(st.dollars(), st.args...)
	}
	cart := placed.Cart
	b.Queue(stmt{sql: closeCartSQL}.dollars(), string(cart.Status), cart.OrderID, cart.CheckoutKey, now, cart.ID)
	use := placed.Use
	perCustomer := use != nil && code.UsageLimitPerCustomer != nil
	if use != nil {
		b.Queue("UPDATE discount_codes SET usage_count = usage_count + 1 WHERE discount_code_id = $1 RETURNING usage_count, usage_limit, usage_limit_per_customer, active", use.CodeID)
		if perCustomer {
			b.Queue("SELECT count(*) FROM discount_uses WHERE discount_code_id = $1 AND customer_key = $2 AND released_at IS NULL", use.CodeID, use.CustomerKey)
		}
		b.Queue(codeGuardSQL, use.CodeID, use.CustomerKey)
	}
	b.Queue("COMMIT")
	s.statements.Add(uint64(b.Len()))
	s.roundTrips.Add(1)
	res := c.SendBatch(ctx, b)
	defer res.Close()
	for _, st := range updates {
		tag, err := res.Exec()
		if err != nil {
			return fmt.Errorf("set stock: %w", err)
		}
		if want := len(st.args[len(st.args)-1].([]string)); tag.RowsAffected() != int64(want) {
			return fmt.Errorf("set stock: %d of %d rows updated", tag.RowsAffected(), want)
		}
	}
	for range inserts {
		if _, err := res.Exec(); err != nil {
			return fmt.Errorf("insert order: %w", err)
		}
	}
	if _, err := res.Exec(); err != nil {
		return fmt.Errorf("close cart: %w", err)
	}
	if use != nil {
		var count, uses int
		var limit, perLimit *int
		gone, active := false, true
		if err := res.QueryRow().Scan(&count, &limit, &perLimit, &active); errors.Is(err, pgx.ErrNoRows) {
			gone = true
		} else if err != nil {
			return fmt.Errorf("count the code's use: %w", err)
		}
		if perCustomer {
			if err := res.QueryRow().Scan(&uses); err != nil {
				return fmt.Errorf("count discount uses: %w", err)
			}
		}
		if _, guard := res.Exec(); guard != nil {
			// Judged again in Go on the figures read, for the error.
			if gone {
				return models.CodeInvalid(code.Code) // deleted since it was read
			}
			// The code as the UPDATE found it: an admin may have
			// deactivated it, or changed its limits, since it was read.
			judged := *code
			judged.UsageCount, judged.UsageLimit, judged.UsageLimitPerCustomer, judged.Active = count-1, limit, perLimit, active
			if !active {
				return models.CodeApplies(judged, nil, 0, now) // not active
			}
			customerUses := max(uses-1, 0)
			if !perCustomer && perLimit != nil {
				// A per-customer limit set since the code was read: its
				// uses weren't read, and the guard, which counted them,
				// failed on nothing else.
				customerUses = *perLimit
			}
			if err := models.CodeExhausted(judged, customerUses); err != nil {
				return err
			}
			return fmt.Errorf("count the code's use: %w", guard)
		}
	}
	tag, err := res.Exec()
	if err != nil {
		return fmt.Errorf("commit checkout: %w", err)
	}
	if tag.String() != "COMMIT" {
		return fmt.Errorf("commit checkout: the transaction was rolled back")
	}
	return nil
}
