package e2e

import (
	"database/sql"
	"fmt"
	"maps"
	"net/http"
	"testing"

	"shop/internal/testenv"
)

// Issue 20's limits under concurrency, through the API of real servers:
// a discount code's usageLimit and usageLimitPerCustomer, and a variant's
// stock, hammered by checkouts spread over several instances sharing one
// database; a cancelled or expired order releasing its use of the code.

// codeShop is instances set up for carts that check out: products of
// 10.00, each with the same stock, and Standard shipping (5.00) in the
// US. The i-th cart buys the i-th product (round the list), so that the
// checkouts of a race wait on the code's row, not on one product's.
type codeShop struct {
	ins      []*instance
	admin    *client
	db       *sql.DB
	products []string
	stock    int
	standard string
}

func newCodeShop(t *testing.T, ins []*instance, db *sql.DB, products, stock int) *codeShop {
	admin := ins[0].MustAdmin(t)
	zone := mustZone(t, admin, "United States", []string{"US"}, nil)
	s := &codeShop{ins: ins, admin: admin, db: db, stock: stock, standard: mustRate(t, admin, zone, flatRate("Standard", "5"))}
	for range products {
		s.products = append(s.products, ins[0].MustCreateProduct(t, 10, stock))
	}
	return s
}

// on is the instance the i-th cart or request goes to.
func (s *codeShop) on(i int) *instance { return s.ins[i%len(s.ins)] }

// product is the product the i-th cart buys.
func (s *codeShop) product(i int) string { return s.products[i%len(s.products)] }

// guestCarts prepares n guests' carts of one unit, spread over the
// instances, with code applied; email names the i-th guest's email.
func (s *codeShop) guestCarts(t *testing.T, n int, code string, email func(i int) string) []preparedCart {
	t.Helper()
	return prepareCarts(t, n, func(hc *http.Client, i int) (preparedCart, error) {
		return readyCart(hc, s.on(i).Anonymous(), s.product(i), 1, email(i), s.standard, code)
	})
}

// customerCarts prepares n carts of one unit of customer c, spread over
// the instances, with code applied.
func (s *codeShop) customerCarts(t *testing.T, c *client, n int, code string) []preparedCart {
	t.Helper()
	return prepareCarts(t, n, func(hc *http.Client, i int) (preparedCart, error) {
		return readyCart(hc, c.on(s.on(i)), s.product(i), 1, "", s.standard, code)
	})
}

// mustRace completes every cart at once and fails unless exactly want of
// them make an order and every other one is refused with refusal (whose
// extensions.reason, when given, is reason). It returns the orders made,
// and the carts refused, still open.
func mustRace(t *testing.T, carts []preparedCart, want int, refusal, reason string) (orders []string, refused []preparedCart) {
	t.Helper()
	outs := raceCheckouts(t, carts)
	n := countOutcomes(outs)
	if n["ok"] != want || n[refusal] != len(carts)-want || len(n) > 2 {
		for _, o := range outs {
			if o.Code != "ok" && o.Code != refusal {
				t.Errorf("an unexpected outcome: %s %v %v", o.Code, o.Extensions, o.Err)
				break
			}
		}
		t.Fatalf("%d checkouts at once: %v; want %d ok and %d %s", len(carts), n, want, len(carts)-want, refusal)
	}
	for i, o := range outs {
		if o.Code == "ok" {
			orders = append(orders, o.OrderID)
			continue
		}
		if reason != "" && o.Extensions["reason"] != reason {
			t.Fatalf("refused with %s %v; want reason %s", o.Code, o.Extensions, reason)
		}
		refused = append(refused, carts[i])
	}
	return orders, refused
}

// mustCount runs a query of one integer.
func mustCount(t *testing.T, db *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// mustUses checks a code's counts, in the database and through the API
// on every instance: usage_count, its unreleased uses, and the orders
// that are not cancelled whose checkout kept the code.
func (s *codeShop) mustUses(t *testing.T, when string, code codeView, want int) {
	t.Helper()
	stored := mustCount(t, s.db, `SELECT usage_count FROM discount_codes WHERE discount_code_id = $1`, code.DiscountCodeID)
	uses := mustCount(t, s.db, `SELECT COUNT(*) FROM discount_uses WHERE discount_code_id = $1 AND released_at IS NULL`, code.DiscountCodeID)
	live := mustCount(t, s.db, `SELECT COUNT(*) FROM orders o JOIN discount_uses u ON u.order_id = o.order_id
		WHERE u.discount_code_id = $1 AND u.released_at IS NULL AND o.status <> 'cancelled' AND o.checkout LIKE $2`,
		code.DiscountCodeID, `%"discountCodeId":"`+code.DiscountCodeID+`"%`)
	kept := mustCount(t, s.db, `SELECT COUNT(*) FROM orders WHERE status <> 'cancelled' AND checkout LIKE $1`, `%"discountCodeId":"`+code.DiscountCodeID+`"%`)
	if stored != want || uses != want || live != want || kept != want {
		t.Fatalf("%s: code %s has usage_count %d, %d unreleased uses, %d live orders with a use, %d live orders keeping it; want %d",
			when, code.Code, stored, uses, live, kept, want)
	}
	for _, in := range s.ins {
		if got := mustCodeView(t, s.admin.on(in), code.DiscountCodeID).UsageCount; got != want {
			t.Fatalf("%s: %s shows usageCount %d, want %d", when, in.URL, got, want)
		}
	}
}

// mustStockAdds checks the products' stock against their orders: what is
// in stock is what was there less the units of every order not cancelled;
// every order's cart is closed, and its stock movements match it.
func (s *codeShop) mustStockAdds(t *testing.T) {
	t.Helper()
	for _, p := range s.products {
		sold := mustCount(t, s.db, `SELECT COALESCE(SUM(i.quantity), 0) FROM order_items i JOIN orders o ON o.order_id = i.order_id
			WHERE i.product_id = $1 AND o.status <> 'cancelled'`, p)
		if got := mustCount(t, s.db, `SELECT stock_count FROM products WHERE product_id = $1`, p); got != s.stock-sold {
			t.Fatalf("product %s holds %d; %d were sold of %d", p, got, sold, s.stock)
		}
	}
	orders := mustCount(t, s.db, `SELECT COUNT(*) FROM orders`)
	closed := mustCount(t, s.db, `SELECT COUNT(*) FROM carts WHERE status <> 'open' AND order_id IS NOT NULL`)
	if orders != closed {
		t.Fatalf("%d orders, %d carts closed with an order", orders, closed)
	}
	checkOrderMovements(t, s.db)
}

// TestDiscountCodeUsageAcrossInstances hammers codes with checkouts on
// three instances of one PostgreSQL and Redis: usageLimit 100 against 300
// guests, usageLimitPerCustomer 2 against one customer's 30 carts (and 10
// guests' of one email in several cases); then a cancellation and an
// expiry each release their order's use.
func TestDiscountCodeUsageAcrossInstances(t *testing.T) {
	t.Parallel()
	env := PostgresRedisEnv(t)
	withoutRequestLimits(env)
	ins := []*instance{MustStart(t, env), MustStart(t, env), MustStart(t, env)}
	s := newCodeShop(t, ins, mustSQL(t, env), 30, 100)
	admin := s.admin
	hundred := mustCode(t, admin, map[string]any{"code": "Hundred", "kind": "PERCENTAGE", "value": 10, "usageLimit": 100})
	twice := mustCode(t, admin, map[string]any{"code": "Twice", "kind": "FIXED_AMOUNT", "value": 1, "usageLimitPerCustomer": 2})

	// usageLimit: exactly 100 orders of 300, the others refused with no
	// order and no stock taken.
	carts := s.guestCarts(t, 300, "hundred", func(i int) string { return fmt.Sprintf("guest-%d@shop.test", i) })
	hundredOrders, hundredRefused := mustRace(t, carts, 100, codeExhausted, "usageLimit")
	s.mustUses(t, "after 300 checkouts with a usageLimit of 100", hundred, 100)
	if n := mustCount(t, s.db, `SELECT COUNT(*) FROM orders`); n != 100 {
		t.Fatalf("%d orders, want 100", n)
	}
	s.mustStockAdds(t)
	// Every instance shows the stock the checkouts left, within the bound
	// on cross-instance invalidation.
	for _, p := range s.products {
		left := s.stock - mustCount(t, s.db, `SELECT COALESCE(SUM(quantity), 0) FROM order_items WHERE product_id = $1`, p)
		for _, in := range ins {
			MustSeeWithin(t, crossInstanceBound, func() bool { return in.MustStock(t, p) == left })
		}
	}
	for _, c := range hundredRefused[:5] {
		if got := c.client.MustCart(t, "cart", map[string]any{"c": c.cartID}); got.Closed || got.OrderID != nil ||
			len(got.Warnings) != 1 || got.Warnings[0].Code != codeExhausted {
			t.Fatalf("a refused cart: closed %v, order %v, warnings %+v; want it open, warning %s", got.Closed, got.OrderID, got.Warnings, codeExhausted)
		}
	}

	// usageLimitPerCustomer: one customer's 30 carts, then 10 guests'
	// of one email written in several cases.
	bob, _ := ins[0].MustCustomer(t)
	bobOrders, bobRefused := mustRace(t, s.customerCarts(t, bob, 30, "TWICE"), 2, codeExhausted, "usageLimitPerCustomer")
	emails := []string{"same@shop.test", "Same@Shop.test", "SAME@SHOP.TEST"}
	_, _ = mustRace(t, s.guestCarts(t, 10, "twice", func(i int) string { return emails[i%len(emails)] }), 2, codeExhausted, "usageLimitPerCustomer")
	s.mustUses(t, "after one customer's 30 and one email's 10 checkouts with a usageLimitPerCustomer of 2", twice, 4)
	if n := mustCount(t, s.db, `SELECT COUNT(*) FROM discount_uses WHERE discount_code_id = $1 AND customer_key = $2`, twice.DiscountCodeID, bob.ID); n != 2 {
		t.Fatalf("bob's uses: %d, want 2", n)
	}
	if n := mustCount(t, s.db, `SELECT COUNT(*) FROM discount_uses WHERE discount_code_id = $1 AND customer_key = 'same@shop.test'`, twice.DiscountCodeID); n != 2 {
		t.Fatalf("the email's uses: %d, want 2", n)
	}
	s.mustStockAdds(t)

	// A cancellation releases its use: one more checkout makes an order,
	// the next is refused again.
	bob.on(ins[1]).MustCancel(t, bobOrders[0], "changed my mind")
	s.mustUses(t, "after bob cancelled one of his orders", twice, 3)
	bob.on(ins[2]).MustCheckout(t, bobRefused[0].cartID, bobRefused[0].key)
	MustRefuse(t, bob.on(ins[0]).Checkout(t, bobRefused[1].cartID, bobRefused[1].key), codeExhausted)
	s.mustUses(t, "after bob used it again", twice, 4)

	admin.on(ins[2]).MustCancel(t, hundredOrders[0], "out of stock after all")
	s.mustUses(t, "after an admin cancelled one of the 100", hundred, 99)
	c := hundredRefused[0]
	c.client.on(ins[1]).MustCheckout(t, c.cartID, c.key)
	c = hundredRefused[1]
	MustRefuse(t, c.client.on(ins[2]).Checkout(t, c.cartID, c.key), codeExhausted)
	s.mustUses(t, "after another guest took the use released", hundred, 100)

	// An expiry releases its use too. One order of each code is paid;
	// a fourth instance, whose orders expire after a second, cancels
	// every other one.
	admin.MustTransition(t, hundredOrders[1], "paid", "", "", "")
	admin.MustTransition(t, bobOrders[1], "paid", "", "", "")
	expiring := maps.Clone(env)
	expiring["ORDER_PENDING_TTL"], expiring["ORDER_EXPIRY_INTERVAL"] = "1s", "50ms"
	ex := MustStart(t, expiring)
	testenv.WaitFor(t, func() bool { return mustCount(t, s.db, `SELECT COUNT(*) FROM orders WHERE status = 'pending'`) == 0 })
	if err := ex.Stop(); err != nil {
		t.Fatal(err)
	}
	// 101 orders with Hundred and 5 with Twice: all but the 2 paid are
	// cancelled, 2 of them by hand.
	if all, n := mustCount(t, s.db, `SELECT COUNT(*) FROM orders`), mustCount(t, s.db, `SELECT COUNT(*) FROM orders WHERE status = 'cancelled'`); all != 106 || n != 104 {
		t.Fatalf("%d orders, %d cancelled; want 106, every one unpaid (104)", all, n)
	}
	s.mustUses(t, "after the unpaid orders expired", hundred, 1)
	s.mustUses(t, "after the unpaid orders expired", twice, 1)
	s.mustStockAdds(t)
	// Bob may use Twice once more, and no more.
	bob.on(ins[1]).MustCheckout(t, bobRefused[2].cartID, bobRefused[2].key)
	MustRefuse(t, bob.on(ins[2]).Checkout(t, bobRefused[3].cartID, bobRefused[3].key), codeExhausted)
	c = hundredRefused[2]
	c.client.MustCheckout(t, c.cartID, c.key)
	s.mustUses(t, "after the uses the expiry released were taken again", hundred, 2)
	s.mustUses(t, "after the uses the expiry released were taken again", twice, 2)
	s.mustStockAdds(t)
}

// TestCheckoutStockAcrossInstances releases 300 checkouts of one unit of a
// variant with 50 in stock, over three instances of one PostgreSQL and
// Redis: exactly 50 orders, the rest INSUFFICIENT_STOCK naming their
// line, and the product's other variant untouched; then one cart
// completed 20 times at once makes one order. The embedded SQLite runs
// the same with 60 checkouts of 20.
func TestCheckoutStockAcrossInstances(t *testing.T) {
	t.Parallel()
	t.Run("PostgreSQL, 3 instances", func(t *testing.T) {
		t.Parallel()
		env := PostgresRedisEnv(t)
		withoutRequestLimits(env)
		checkCheckoutStock(t, env, []*instance{MustStart(t, env), MustStart(t, env), MustStart(t, env)}, 300, 50)
	})
	t.Run("SQLite", func(t *testing.T) {
		t.Parallel()
		env := EmbeddedEnv(t)
		withoutRequestLimits(env)
		checkCheckoutStock(t, env, []*instance{MustStart(t, env)}, 60, 20)
	})
}

func checkCheckoutStock(t *testing.T, env map[string]string, ins []*instance, n, stock int) {
	admin := ins[0].MustAdmin(t)
	tee := mustProductIn(t, admin, map[string]any{"name": "Tee", "price": 20, "stockCount": stock, "options": []any{opt("Size", "S", "M")}})
	small, medium := tee.variant(t, "S").VariantID, tee.variant(t, "M").VariantID
	mustUpdateVariant(t, admin, medium, map[string]any{"stockCount": 7})
	s := &codeShop{ins: ins, admin: admin, db: mustSQL(t, env)}
	zone := mustZone(t, admin, "United States", []string{"US"}, nil)
	s.standard = mustRate(t, admin, zone, flatRate("Standard", "5"))
	carts := prepareCarts(t, n, func(hc *http.Client, i int) (preparedCart, error) {
		return readyCart(hc, s.on(i).Anonymous(), small, 1, fmt.Sprintf("guest-%d@shop.test", i), s.standard, "")
	})
	outs := raceCheckouts(t, carts)
	count := countOutcomes(outs)
	if count["ok"] != stock || count[insufficientStock] != n-stock || len(count) != 2 {
		for _, o := range outs {
			if o.Code != "ok" && o.Code != insufficientStock {
				t.Errorf("an unexpected outcome: %s %v %v", o.Code, o.Extensions, o.Err)
				break
			}
		}
		t.Fatalf("%d checkouts at once of %d in stock: %v", n, stock, count)
	}
	// Each refusal names its cart's line, the variant, none available and
	// one requested.
	for i, o := range outs {
		if o.Code == "ok" {
			continue
		}
		lines, _ := o.Extensions["lines"].([]any)
		want := map[string]any{"lineId": carts[i].lineID, "variantId": small, "available": float64(0), "requested": float64(1)}
		if len(lines) != 1 || !maps.Equal(asMap(lines[0]), want) {
			t.Fatalf("INSUFFICIENT_STOCK's lines: %v; want [%v]", o.Extensions["lines"], want)
		}
	}
	for _, in := range ins {
		MustSeeWithin(t, crossInstanceBound, func() bool {
			return mustVariantStock(t, in.Anonymous(), small) == 0 && mustVariantStock(t, in.Anonymous(), medium) == 7
		})
	}
	sold := mustCount(t, s.db, `SELECT COALESCE(SUM(quantity), 0) FROM order_items WHERE variant_id = $1`, small)
	orders := mustCount(t, s.db, `SELECT COUNT(*) FROM orders`)
	left := mustCount(t, s.db, `SELECT stock_count FROM product_variants WHERE variant_id = $1`, small)
	if sold != stock || orders != stock || left != 0 {
		t.Fatalf("database: %d units sold in %d orders, %d left; want %d, %d, 0", sold, orders, left, stock, stock)
	}
	if open := mustCount(t, s.db, `SELECT COUNT(*) FROM carts WHERE status = 'open'`); open != n-stock {
		t.Fatalf("%d carts open, want the %d refused", open, n-stock)
	}

	// One cart completed 20 times at once over the instances makes one
	// order: with one key, every call returns it; with a key each, one
	// call does and the others find the cart closed.
	for _, sameKey := range []bool{true, false} {
		one := prepareCarts(t, 1, func(hc *http.Client, i int) (preparedCart, error) {
			return readyCart(hc, s.on(i).Anonymous(), medium, 1, "twice@shop.test", s.standard, "")
		})[0]
		var calls []preparedCart
		for i := 0; i < 20; i++ {
			c := one
			c.client = one.client.on(s.on(i))
			if !sameKey {
				c.key = fmt.Sprintf("%s-%d", one.key, i)
			}
			calls = append(calls, c)
		}
		outs := raceCheckouts(t, calls)
		count, orderIDs := countOutcomes(outs), map[string]bool{}
		for _, o := range outs {
			if o.Code == "ok" {
				orderIDs[o.OrderID] = true
			}
		}
		want := map[string]int{"ok": 20}
		if !sameKey {
			want = map[string]int{"ok": 1, cartClosed: 19}
		}
		if !maps.Equal(count, want) || len(orderIDs) != 1 {
			t.Fatalf("20 checkouts of one cart at once (one key: %v): %v, %d orders; want %v and 1 order", sameKey, count, len(orderIDs), want)
		}
	}
	if got := mustCount(t, s.db, `SELECT stock_count FROM product_variants WHERE variant_id = $1`, medium); got != 5 {
		t.Fatalf("the other variant holds %d after two carts of one unit, want 5", got)
	}
	if orders := mustCount(t, s.db, `SELECT COUNT(*) FROM orders`); orders != stock+2 {
		t.Fatalf("%d orders, want %d", orders, stock+2)
	}
	checkOrderMovements(t, s.db)
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
