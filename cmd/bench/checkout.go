package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"shop/models"
)

// Checkout's scenarios (issue 20): a guest completes a cart of 3 variant
// lines with a 10% code, a flat shipping rate and California's tax; and
// reads such a cart, priced. Each checkout closes its cart, so the carts
// are made beforehand, straight into the tables (as load makes the
// catalog): one pool for the service, one for the floor, and a few to read.

const (
	benchCode     = "BENCH10"
	benchEmail    = "guest@shop.test"
	benchShipping = 500  // cents, the flat rate
	benchTax      = 8250 // 8.25% in thousandths of a percent
	benchPercent  = 10_000
)

var benchAddress = models.Address{Name: "Guest", Line1: "1 Market St", City: "San Francisco", PostalCode: "94105", Region: "CA", Country: "US"}

// cartPool is carts made for one consumer, taken once each.
type cartPool struct {
	ids   []string
	lines [][]string // each cart's lines, "product variant", sorted
	next  atomic.Int64
}

func (p *cartPool) take() int {
	i := int(p.next.Add(1) - 1)
	if i >= len(p.ids) {
		// Out of carts: the same cart again, which the service refuses
		// (CART_CLOSED), so the run fails loudly rather than measure it.
		i = len(p.ids) - 1
	}
	return i
}

// checkoutPools are the carts of scenarios 12 and 13.
type checkoutPools struct {
	service, floor, reads *cartPool
	methodID              string
}

const completeQuery = `mutation C($id: String!) { checkoutComplete(cartId: $id) { orderId totalAmount status } }`

const cartQuery = `query C($id: String!) { cart(cartId: $id) { cartId lines { lineId quantity unitPrice lineSubtotal
  discountAllocations { code amount } taxLines { title rate amount } lineTotal variant { variantId title price } }
  subtotal discountTotal shippingTotal taxTotal total currency
  availableShippingMethods { shippingMethodId name price } selectedShippingMethod { shippingMethodId name price }
  discountCode warnings { code message lineId } } }`

func (c *checkoutPools) completeBody() []byte {
	return gql(completeQuery, map[string]any{"id": c.service.ids[c.service.take()]})
}

func (c *checkoutPools) readBody() []byte {
	return gql(cartQuery, map[string]any{"id": c.reads.ids[mrand.IntN(len(c.reads.ids))]})
}

// floorLines is the floor's next cart: its id, then its lines.
func (c *checkoutPools) floorLines() []string {
	i := c.floor.take()
	return append([]string{c.floor.ids[i]}, c.floor.lines[i]...)
}

// setupCheckout makes the shop's shipping zone and rate, tax rate and code
// through the admin API, then the carts: service and floor carts enough
// for the rounds at up to 2,000 and 4,000 checkouts a second, and 1,000 to
// read.
func setupCheckout(ctx context.Context, svc string, asAdmin http.Header, dbURL string, cat catalog, rounds int, d time.Duration) (*checkoutPools, error) {
	var zone struct {
		CreateShippingZone struct{ ZoneID string } `json:"createShippingZone"`
	}
	if err := adminData(svc, asAdmin, `mutation { createShippingZone(name: "United States", countries: ["US"]) { zoneId } }`, nil, &zone); err != nil {
		return nil, err
	}
	var rate struct {
		CreateShippingRate struct{ ShippingMethodID string } `json:"createShippingRate"`
	}
	if err := adminData(svc, asAdmin, `mutation R($z: String!) { createShippingRate(zoneId: $z, input: {name: "Ground", kind: FLAT, price: 5}) { shippingMethodId } }`,
		map[string]any{"z": zone.CreateShippingZone.ZoneID}, &rate); err != nil {
		return nil, err
	}
	if err := adminData(svc, asAdmin, `mutation { createTaxRate(country: "US", region: "CA", rate: 8.25, name: "CA sales tax") { taxRateId } }`, nil, &struct{}{}); err != nil {
		return nil, err
	}
	if err := adminData(svc, asAdmin, `mutation { createDiscountCode(input: {code: "`+benchCode+`", kind: PERCENTAGE, value: 10}) { discountCodeId } }`, nil, &struct{}{}); err != nil {
		return nil, err
	}
	seconds := float64(rounds) * d.Seconds()
	pools := &checkoutPools{methodID: rate.CreateShippingRate.ShippingMethodID}
	pools.service = makeCarts(cat, int(2000*1.5*seconds)+1000)
	pools.floor = makeCarts(cat, int(4000*seconds)+1000)
	pools.reads = makeCarts(cat, 1000)
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	address, _ := json.Marshal(benchAddress)
	price := map[string]int64{}
	for _, v := range cat.variants {
		price[v.id] = v.price
	}
	var carts, lines [][]any
	now := time.Now().UTC()
	for _, p := range []*cartPool{pools.service, pools.floor, pools.reads} {
		for i, id := range p.ids {
			carts = append(carts, []any{id, benchEmail, string(address), pools.methodID, benchCode, string(models.CartOpen), now, now})
			for j, l := range p.lines[i] {
				_, variant, _ := strings.Cut(l, " ")
				lines = append(lines, []any{newID(), id, variant, int64(1), price[variant], int64(j), now})
			}
		}
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"carts"}, []string{"cart_id", "email", "shipping_address", "shipping_method_id", "discount_code", "status", "created_at", "last_updated"}, pgx.CopyFromRows(carts)); err != nil {
		return nil, fmt.Errorf("copy carts: %w", err)
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"cart_lines"}, []string{"line_id", "cart_id", "variant_id", "quantity", "price_seen_cents", "position", "added_at"}, pgx.CopyFromRows(lines)); err != nil {
		return nil, fmt.Errorf("copy cart lines: %w", err)
	}
	return pools, nil
}

// makeCarts picks n carts' lines: three variants of different products
// each, sorted as both the service and the floor lock them.
func makeCarts(cat catalog, n int) *cartPool {
	p := &cartPool{ids: make([]string, n), lines: make([][]string, n)}
	for i := range n {
		p.ids[i] = models.NewCartID()
		lines := make([]string, 0, 3)
		for len(lines) < 3 {
			v := cat.variants[mrand.IntN(len(cat.variants))]
			if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, v.product) }) {
				lines = append(lines, v.product+" "+v.id)
			}
		}
		slices.Sort(lines)
		p.lines[i] = lines
	}
	return p
}

// adminData posts an admin's request and decodes its data into out.
func adminData(svc string, asAdmin http.Header, query string, vars map[string]any, out any) error {
	b, err := fetch(svc+"/graphql", asAdmin, gql(query, vars))
	if err != nil {
		return err
	}
	var r struct{ Data json.RawMessage }
	if err := json.Unmarshal(b, &r); err != nil {
		return err
	}
	return json.Unmarshal(r.Data, out)
}

// checkoutTx is the checkout transaction, issued directly through pgx:
// the cart locked, the variants' and products' stock taken, the code's row
// locked and its use counted, the order with its snapshot, its items and
// the code's use written, the cart closed. Its money is worked out here
// as the rules do for these carts (10% off, flat shipping, 8.25% tax on
// the goods). It is the floor for checkoutComplete.
func checkoutTx(ctx context.Context, pool *pgxpool.Pool, lines []string) error {
	cartID, lines := lines[0], lines[1:]
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	now := time.Now().UTC()
	var status string
	if err := tx.QueryRow(ctx, `SELECT status FROM carts WHERE cart_id = $1 FOR UPDATE`, cartID).Scan(&status); err != nil {
		return err
	}
	if status != string(models.CartOpen) {
		return fmt.Errorf("cart %s is %s", cartID, status)
	}
	prices := make([]int64, len(lines))
	for i, line := range lines {
		product, variant, _ := strings.Cut(line, " ")
		if _, err := tx.Exec(ctx, `UPDATE products SET stock_count = stock_count - 1, last_updated = $1 WHERE product_id = $2`, now, product); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `UPDATE product_variants SET stock_count = stock_count - 1, last_updated = $1
			WHERE variant_id = $2 AND stock_count >= 1 RETURNING price_cents`, now, variant).Scan(&prices[i]); err != nil {
			return err
		}
	}
	var codeID string
	if err := tx.QueryRow(ctx, `UPDATE discount_codes SET usage_count = usage_count + 1 WHERE code_key = $1 RETURNING discount_code_id`, benchCode).Scan(&codeID); err != nil {
		return err
	}
	var subtotal, discount, tax int64
	for _, p := range prices {
		subtotal += p
	}
	discount = int64(math.Round(float64(subtotal) * benchPercent / 100_000))
	for _, p := range prices {
		share := p * discount / subtotal
		tax += int64(math.Round(float64(p-share) * benchTax / 100_000))
	}
	total := subtotal - discount + benchShipping + tax
	snapshot, _ := json.Marshal(map[string]any{"cartId": cartID, "email": benchEmail, "shippingAddress": benchAddress,
		"priced": map[string]any{"subtotal": subtotal, "discountTotal": discount, "shippingTotal": benchShipping, "taxTotal": tax, "total": total}})
	orderID := newID()
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO orders (order_id, customer_id, total_amount_cents, status, created_at, last_updated, checkout)
		VALUES ($1, $2, $3, 'pending', $4, $4, $5)`, orderID, "guest:bench", total, now, string(snapshot))
	sql := `INSERT INTO order_items (id, order_id, product_id, variant_id, title, quantity, price_at_purchase_cents, position) VALUES `
	args := []any{}
	for i, line := range lines {
		if i > 0 {
			sql += ","
		}
		product, variant, _ := strings.Cut(line, " ")
		n := len(args)
		sql += fmt.Sprintf("($%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8)
		args = append(args, newID(), orderID, product, variant, "M / Red", 1, prices[i], i)
	}
	b.Queue(sql, args...)
	b.Queue(`INSERT INTO discount_uses (order_id, discount_code_id, customer_key, created_at) VALUES ($1, $2, $3, $4)`, orderID, codeID, benchEmail, now)
	b.Queue(`UPDATE carts SET status = 'closed', order_id = $1, last_updated = $2 WHERE cart_id = $3`, orderID, now, cartID)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
