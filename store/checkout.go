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

// CompleteCart turns a cart into an order in one transaction. The cart's
// row is locked first, so of two checkouts of one cart the second sees
// the first's result (its order, for a retry under the same key; else
// CART_CLOSED). Then its products are locked as createOrder locks them
// (lockStock, in id order), and the cart's discount code's row, after the
// products: a cancellation locks them in that order too. Under those
// locks models.PlaceCheckout judges and prices the cart from the locked
// prices, the code's usage_count and this customer's unreleased uses, and
// everything is written: the order with its checkout snapshot, its items,
// the ledger and events, the new stock, the code's use, and the cart
// closed.
func (s *Store) CompleteCart(ctx context.Context, req models.CheckoutRequest) (*models.Order, error) {
	var order *models.Order
	var replay string
	err := s.write(ctx, func(tx *gorm.DB) error {
		now := tx.NowFunc()
		cart, err := s.lockCart(tx, req.CartID)
		if err != nil {
			return err
		}
		if replay, err = models.CheckoutReplay(req.Caller, *cart, req.IdempotencyKey); err != nil || replay != "" {
			return err
		}
		stock, err := s.lockStock(tx, nil, cart.VariantIDs())
		if err != nil {
			return err
		}
		in := models.CheckoutInput{Stock: stock, Caller: req.Caller, Limits: req.Limits,
			Pricing: models.CartPricing{Cart: *cart, PricesIncludeTax: req.PricesIncludeTax, Now: now}}
		if err := s.checkoutPricing(ctx, tx, &in.Pricing); err != nil {
			return err
		}
		placed, err := models.PlaceCheckout(in, req.IdempotencyKey, newID)
		if err != nil {
			return err
		}
		if err := s.writeCheckout(tx, placed, now); err != nil {
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

// inTx is the store's reads run inside tx (the pricing tables' reads
// take the store's db).
func (s *Store) inTx(tx *gorm.DB) *Store {
	return &Store{db: tx, dialect: s.dialect, logger: s.logger, sink: s.sink, fewMatchLimit: s.fewMatchLimit}
}

// checkoutPricing reads, in tx, what the cart is priced from; the cart's
// code's row is locked, so its usage_count and this customer's uses are
// as the last checkout with it left them.
func (s *Store) checkoutPricing(ctx context.Context, tx *gorm.DB, p *models.CartPricing) error {
	in := s.inTx(tx)
	var err error
	if p.Parents, err = categoryParents(tx); err != nil {
		return err
	}
	if a := p.Cart.ShippingAddress; a != nil {
		if p.Zones, err = in.ShippingZones(ctx); err != nil {
			return err
		}
		if p.TaxRates, err = in.TaxRates(ctx, a.Country); err != nil {
			return err
		}
	}
	if p.Cart.DiscountCode == "" {
		return nil
	}
	key := models.CodeKey(p.Cart.DiscountCode)
	var ids []string
	if err := tx.Raw("SELECT discount_code_id FROM discount_codes WHERE code_key = ?"+s.dialect.lockRows(false), key).Scan(&ids).Error; err != nil {
		return fmt.Errorf("lock discount code: %w", err)
	}
	if len(ids) == 0 {
		return nil
	}
	if p.Code, err = in.DiscountCodeByID(ctx, ids[0]); err != nil || p.Code == nil {
		return err
	}
	if who := models.CustomerKey(p.Cart.CustomerID, p.Cart.Email); who != "" {
		p.CodeUses, err = discountUses(tx, p.Code.ID, who)
	}
	return err
}

// writeCheckout writes a placed checkout in tx.
func (s *Store) writeCheckout(tx *gorm.DB, placed models.PlacedCheckout, now time.Time) error {
	o := placed.Order
	snap, err := jsonText(o.Checkout)
	if err != nil {
		return err
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
	if err := writeStock(tx, placed.Stock, now); err != nil {
		return err
	}
	if err := s.insert(tx, w); err != nil {
		return fmt.Errorf("insert order: %w", err)
	}
	if u := placed.Use; u != nil {
		if err := tx.Exec("UPDATE discount_codes SET usage_count = usage_count + 1 WHERE discount_code_id = ?", u.CodeID).Error; err != nil {
			return fmt.Errorf("count the code's use: %w", err)
		}
	}
	cart := placed.Cart
	return saveCart(tx, &cart, now)
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
