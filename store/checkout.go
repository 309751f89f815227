package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"gorm.io/gorm"

	"shop/models"
)

// CompleteCart turns a cart into an order in one transaction (on
// PostgreSQL in two round trips: completeCartPG). The cart's
// row is locked first, so of two checkouts of one cart the second sees
// the first's result (its order, for a retry under the same key; else
// CART_CLOSED). Then its products are locked as createOrder locks them
// (lockStock, in id order). Under those locks models.PlaceCheckout judges
// and prices the cart from the locked prices, and everything is written:
// the order with its checkout snapshot, its items, the ledger and events,
// the new stock, the code's use, and the cart closed.
//
// The code's row is locked last, by the statement that counts the use,
// just before COMMIT: every checkout with a code takes that one row, so
// the time it is held is the time checkouts with the code wait for each
// other (held from the pricing on, it made them run one at a time,
// round trips and all). Its limits are judged again on the count that
// statement returns and this customer's uses read under the lock
// (codeUsed); a checkout past them rolls back. The shop's zones, rates,
// tax rates and categories are read before the transaction: settings, not
// stock, and an admin's change a moment earlier or later is the same.
func (s *Store) CompleteCart(ctx context.Context, req models.CheckoutRequest) (*models.Order, error) {
	var order *models.Order
	var replay string
	settings, err := s.pricingSettings(ctx)
	if err != nil {
		return nil, mapError(err, "complete checkout")
	}
	if s.dialect.serverSide() {
		return s.completeCartPG(ctx, req, settings)
	}
	err = s.write(ctx, func(tx *gorm.DB) error {
		now := tx.NowFunc()
		cart, err := s.lockCart(tx, req.CartID)
		if err != nil {
			return err
		}
		if replay, err = models.CheckoutReplay(req.Caller, *cart, req.IdempotencyKey); err != nil || replay != "" {
			return err
		}
		if err := s.checkPending(tx, req, *cart); err != nil {
			return err
		}
		stock, err := s.lockStock(tx, nil, cart.VariantIDs())
		if err != nil {
			return err
		}
		in := models.CheckoutInput{Stock: stock, Caller: req.Caller, Limits: req.Limits,
			Pricing: models.CartPricing{Cart: *cart, PricesIncludeTax: req.PricesIncludeTax, Now: now, Parents: settings.parents}}
		if err := s.checkoutPricing(ctx, tx, settings, &in.Pricing); err != nil {
			return err
		}
		placed, err := models.PlaceCheckout(in, req.IdempotencyKey, newID)
		if err != nil {
			return err
		}
		if err := s.writeCheckout(tx, placed, now); err != nil {
			return err
		}
		if placed.Use != nil {
			if err := codeUsed(tx, *in.Pricing.Code, *placed.Use); err != nil {
				return err
			}
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

// checkPending holds a customer's checkout to the caps on unpaid orders,
// as createOrder does (models.CheckPending): on PostgreSQL under the same
// transaction-scoped advisory lock on the customer, taken before the
// products' rows, so a customer's orders and checkouts are placed one at
// a time on every instance; on SQLite under the write lock. A guest's
// checkout has no account to count against: guests are bounded by
// RATE_LIMIT_GUEST_CHECKOUT per address instead (checkout.Service).
func (s *Store) checkPending(tx *gorm.DB, req models.CheckoutRequest, cart models.Cart) error {
	caps, on := pendingCaps(req, cart)
	if !on {
		return nil
	}
	customer := *cart.CustomerID
	if s.dialect.serverSide() {
		if err := tx.Exec("SELECT pg_advisory_xact_lock(hashtextextended(?, ?))", customer, customerLockSpace).Error; err != nil {
			return fmt.Errorf("lock the customer's orders: %w", err)
		}
	}
	var held models.Holdings
	if err := tx.Raw(holdingsSQL("?", "?"), customer, models.OrderStatusPending).Row().Scan(&held.Orders, &held.Units); err != nil {
		return fmt.Errorf("count pending orders: %w", err)
	}
	return models.CheckPending(held, cartUnits(cart), caps)
}

// pendingCaps are the caps on unpaid orders a checkout of cart is held
// to, and whether it is held to any: a customer's cart, capped, placed by
// a caller not exempt.
func pendingCaps(req models.CheckoutRequest, cart models.Cart) (models.PendingCaps, bool) {
	caps := req.Limits.Pending()
	return caps, cart.CustomerID != nil && caps.On() && !models.ExemptFromOrderLimits(req.Caller)
}

func cartUnits(cart models.Cart) int {
	units := 0
	for _, l := range cart.Lines {
		units += l.Quantity
	}
	return units
}

// inTx is the store's reads run inside tx (the pricing tables' reads
// take the store's db).
func (s *Store) inTx(tx *gorm.DB) *Store {
	return &Store{db: tx, dialect: s.dialect, logger: s.logger, sink: s.sink, fewMatchLimit: s.fewMatchLimit}
}

// pricingSettings are the shop's settings a cart is priced by.
type pricingSettings struct {
	parents map[string]string
	zones   []models.ShippingZone
}

func (s *Store) pricingSettings(ctx context.Context) (pricingSettings, error) {
	var out pricingSettings
	var err error
	if out.parents, err = categoryParents(s.db.WithContext(ctx)); err != nil {
		return out, err
	}
	out.zones, err = s.ShippingZones(ctx)
	return out, err
}

// checkoutPricing reads, in tx, what the cart is priced from beyond the
// settings: its country's tax rates, and its code with this customer's
// uses as they are now (judged again under the code's lock, codeUsed).
func (s *Store) checkoutPricing(ctx context.Context, tx *gorm.DB, settings pricingSettings, p *models.CartPricing) error {
	in := s.inTx(tx)
	var err error
	if a := p.Cart.ShippingAddress; a != nil {
		p.Zones = settings.zones
		if p.TaxRates, err = in.TaxRates(ctx, a.Country); err != nil {
			return err
		}
	}
	if p.Cart.DiscountCode == "" {
		return nil
	}
	if p.Code, err = in.DiscountCodeByKey(ctx, models.CodeKey(p.Cart.DiscountCode)); err != nil || p.Code == nil {
		return err
	}
	if who := models.CustomerKey(p.Cart.CustomerID, p.Cart.Email); who != "" && p.Code.UsageLimitPerCustomer != nil {
		p.CodeUses, err = discountUses(tx, p.Code.ID, who)
	}
	return err
}

// codeUsed counts the checkout's use of code, locking the code's row, and
// judges the code's limits again on what the lock shows: the count after
// this use, and the customer's uses (this one, inserted already, among
// them). Past a limit, the transaction is refused and rolls back.
func codeUsed(tx *gorm.DB, code models.DiscountCode, use models.DiscountUse) error {
	var count []int
	if err := tx.Raw("UPDATE discount_codes SET usage_count = usage_count + 1 WHERE discount_code_id = ? RETURNING usage_count", use.CodeID).Scan(&count).Error; err != nil {
		return fmt.Errorf("count the code's use: %w", err)
	}
	if len(count) == 0 {
		return models.CodeInvalid(code.Code) // deleted since it was read
	}
	code.UsageCount = count[0] - 1
	uses := 0
	if code.UsageLimitPerCustomer != nil {
		n, err := discountUses(tx, use.CodeID, use.CustomerKey)
		if err != nil {
			return err
		}
		uses = n - 1
	}
	return models.CodeExhausted(code, uses)
}

// writeCheckout writes a placed checkout in tx.
func (s *Store) writeCheckout(tx *gorm.DB, placed models.PlacedCheckout, now time.Time) error {
	w, err := checkoutRows(placed, now)
	if err != nil {
		return err
	}
	if err := writeStock(tx, placed.Stock, now); err != nil {
		return err
	}
	if err := s.insert(tx, w); err != nil {
		return fmt.Errorf("insert order: %w", err)
	}
	// The cart is closed; its lines stay as they were.
	cart := placed.Cart
	if err := tx.Exec(closeCartSQL, string(cart.Status), cart.OrderID, cart.CheckoutKey, now, cart.ID).Error; err != nil {
		return fmt.Errorf("close cart: %w", err)
	}
	return nil
}

// closeCartSQL closes a checked-out cart; its lines stay as they were.
const closeCartSQL = "UPDATE carts SET status = ?, order_id = ?, checkout_key = ?, last_updated = ? WHERE cart_id = ?"

// checkoutRows are the new rows of a placed checkout: the order with its
// snapshot, its items, the ledger, its first event and the code's use,
// with their events pending.
func checkoutRows(placed models.PlacedCheckout, now time.Time) (rows, error) {
	o := placed.Order
	snap, err := jsonText(o.Checkout)
	if err != nil {
		return rows{}, err
	}
	w := rows{}
	w.add("orders", "order_id, customer_id, total_amount_cents, status, created_at, last_updated, tracking_number, carrier, checkout",
		o.ID, o.CustomerID, o.TotalAmount, o.Status, o.CreatedAt, o.LastUpdated, "", "", snap)
	for _, it := range o.Items {
		w.add("order_items", "id, order_id, product_id, quantity, price_at_purchase_cents, position, variant_id, sku, title, options",
			it.ID, it.OrderID, it.ProductID, it.Quantity, it.PriceAtPurchase, it.Position, it.VariantID, it.SKU, it.Title, it.Options)
	}
	w.record(placed.Events...)
	w.movements(placed.Moves)
	w.add("order_events", eventColumns, o.ID, o.Status, "", "", placed.Actor, now)
	if u := placed.Use; u != nil {
		w.add("discount_uses", "order_id, discount_code_id, customer_key, created_at", u.OrderID, u.CodeID, u.CustomerKey, now)
	}
	return w, nil
}

// DiscountUses counts a customer's unreleased uses of a code.
func (s *Store) DiscountUses(ctx context.Context, codeID, customerKey string) (int, error) {
	n, err := discountUses(s.db.WithContext(ctx), codeID, customerKey)
	return n, mapError(err, "count discount uses")
}

func discountUses(db *gorm.DB, codeID, customerKey string) (int, error) {
	var n int64
	if err := db.Raw("SELECT count(*) FROM discount_uses WHERE discount_code_id = ? AND customer_key = ? AND released_at IS NULL",
		codeID, customerKey).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("count discount uses: %w", err)
	}
	return int(n), nil
}

// releaseCodeUses releases the code uses of cancelled orders, in their
// transaction: each use no longer counts (released_at), and its code's
// usage_count goes down by one. The codes' rows are updated in id order,
// after the products the restock locked, as checkout locks them.
func releaseCodeUses(tx *gorm.DB, orderIDs []string, now time.Time) error {
	var uses []struct {
		OrderID string `gorm:"column:order_id"`
		CodeID  string `gorm:"column:discount_code_id"`
	}
	for start := 0; start < len(orderIDs); start += maxParams {
		batch := orderIDs[start:min(start+maxParams, len(orderIDs))]
		var got []struct {
			OrderID string `gorm:"column:order_id"`
			CodeID  string `gorm:"column:discount_code_id"`
		}
		if err := tx.Raw("SELECT order_id, discount_code_id FROM discount_uses WHERE order_id IN ? AND released_at IS NULL", batch).Scan(&got).Error; err != nil {
			return fmt.Errorf("read code uses: %w", err)
		}
		uses = append(uses, got...)
	}
	if len(uses) == 0 {
		return nil
	}
	per := map[string]int{}
	var released []string
	for _, u := range uses {
		per[u.CodeID]++
		released = append(released, u.OrderID)
	}
	codes := make([]string, 0, len(per))
	for id := range per {
		codes = append(codes, id)
	}
	sort.Strings(codes)
	for _, id := range codes {
		if err := tx.Exec("UPDATE discount_codes SET usage_count = usage_count - ? WHERE discount_code_id = ?", per[id], id).Error; err != nil {
			return fmt.Errorf("release code uses: %w", err)
		}
	}
	if err := tx.Exec("UPDATE discount_uses SET released_at = ? WHERE order_id IN ? AND released_at IS NULL", now, released).Error; err != nil {
		return fmt.Errorf("release code uses: %w", err)
	}
	return nil
}

// jsonText is v as JSON text, nil for a nil v.
func jsonText[T any](v *T) (*string, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %T: %w", v, err)
	}
	out := string(b)
	return &out, nil
}
