package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/glebarez/go-sqlite"  // database/sql's "sqlite", to read the embedded file
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql's "pgx"

	"shop/internal/testenv"
)

// The order lifecycle, the stock ledger, idempotent orders and expiry,
// through the API of real servers: on PostgreSQL and Redis with several
// instances, and on the embedded default.

const (
	invalidTransition = "INVALID_TRANSITION"
	keyInUse          = "IDEMPOTENCY_KEY_IN_USE"
	keyReused         = "IDEMPOTENCY_KEY_REUSED"
	badUserInput      = "BAD_USER_INPUT"
	insufficientStock = "INSUFFICIENT_STOCK"
)

// statuses is every order status, in lifecycle order.
var statuses = []string{"pending", "paid", "shipped", "delivered", "cancelled"}

// allowedMoves is the lifecycle, written out again so that the tests do
// not take it from the code they test.
var allowedMoves = map[[2]string]bool{
	{"pending", "paid"}: true, {"pending", "cancelled"}: true,
	{"paid", "shipped"}: true, {"paid", "cancelled"}: true,
	{"shipped", "delivered"}: true,
}

type orderLine struct {
	ProductID string `json:"productId"`
	Quantity  int    `json:"quantity"`
}

// orderView is an order as the lifecycle's fields show it.
type orderView struct {
	OrderID, CustomerID, Status string
	TrackingNumber, Carrier     *string
	Events                      []eventView
}

type eventView struct {
	Status, Actor string
	Message, Note *string
	At            time.Time
}

const orderFields = `orderId customerId status trackingNumber carrier events { status actor message note at }`

const (
	createOrderDoc = `mutation($items: [OrderItemInput!]!, $key: String) { createOrder(input: {items: $items, idempotencyKey: $key}) { orderId customerId totalAmount items { productId quantity } } }`
	transitionDoc  = `mutation($o: String!, $s: String!, $n: String, $t: String, $c: String) { updateOrderStatus(orderId: $o, status: $s, note: $n, trackingNumber: $t, carrier: $c) { ` + orderFields + ` } }`
	cancelDoc      = `mutation($o: String!, $r: String) { cancelOrder(orderId: $o, reason: $r) { ` + orderFields + ` } }`
	adjustDoc      = `mutation($p: String!, $d: Int!, $r: String!) { adjustStock(productId: $p, delta: $d, reason: $r) { stockCount } }`
	setStockDoc    = `mutation($p: String!, $s: Int!) { updateProduct(input: {productId: $p, stockCount: $s}) { stockCount } }`
)

// orNull is s, or null when empty, as a variable.
func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// MustOrder places an order as c and returns its id.
func (c *client) MustOrder(tb testing.TB, lines ...orderLine) string {
	tb.Helper()
	var out struct{ CreateOrder struct{ OrderID string } }
	c.MustData(tb, createOrderDoc, map[string]any{"items": lines}, &out)
	return out.CreateOrder.OrderID
}

// Transition asks, as c, to move an order to status.
func (c *client) Transition(tb testing.TB, id, status, note, tracking, carrier string) gqlResponse {
	tb.Helper()
	return c.MustPost(tb, transitionDoc, map[string]any{"o": id, "s": status, "n": orNull(note), "t": orNull(tracking), "c": orNull(carrier)})
}

// MustTransition moves an order to status as c and returns it.
func (c *client) MustTransition(tb testing.TB, id, status, note, tracking, carrier string) orderView {
	tb.Helper()
	return mustOrderIn(tb, c.Transition(tb, id, status, note, tracking, carrier), "updateOrderStatus")
}

// Cancel asks, as c, to cancel an order.
func (c *client) Cancel(tb testing.TB, id, reason string) gqlResponse {
	tb.Helper()
	return c.MustPost(tb, cancelDoc, map[string]any{"o": id, "r": orNull(reason)})
}

// MustCancel cancels an order as c and returns it.
func (c *client) MustCancel(tb testing.TB, id, reason string) orderView {
	tb.Helper()
	return mustOrderIn(tb, c.Cancel(tb, id, reason), "cancelOrder")
}

// MustOrderView reads an order as c, which must see it.
func (c *client) MustOrderView(tb testing.TB, id string) orderView {
	tb.Helper()
	var out struct{ GetOrderByID *orderView }
	c.MustData(tb, `query($o: String!) { getOrderById(orderId: $o) { `+orderFields+` } }`, map[string]any{"o": id}, &out)
	if out.GetOrderByID == nil {
		tb.Fatalf("order %s is not visible", id)
	}
	return *out.GetOrderByID
}

func mustOrderIn(tb testing.TB, r gqlResponse, field string) orderView {
	tb.Helper()
	if len(r.Errors) > 0 || r.Status != http.StatusOK {
		tb.Fatalf("%s failed (%d): %+v", field, r.Status, r.Errors)
	}
	var out map[string]orderView
	if err := json.Unmarshal(r.Data, &out); err != nil {
		tb.Fatalf("decode %s: %v\n%s", field, err, r.Data)
	}
	return out[field]
}

// MustRefuse fails unless r is refused with code and its data is null.
func MustRefuse(tb testing.TB, r gqlResponse, code string) {
	tb.Helper()
	if r.Code() != code || len(r.Errors) != 1 || r.Status != http.StatusOK || len(r.Data) != 0 && string(r.Data) != "null" {
		tb.Fatalf("got %d %s %+v, want %s", r.Status, r.Data, r.Errors, code)
	}
}

// MustRefuseMove fails unless r refuses the move from → to as the
// lifecycle forbids, naming both states in the message and extensions.
func MustRefuseMove(tb testing.TB, r gqlResponse, from, to string) {
	tb.Helper()
	MustRefuse(tb, r, invalidTransition)
	e := r.Errors[0]
	if !strings.Contains(e.Message, from) || !strings.Contains(e.Message, to) || e.Extensions["from"] != from || e.Extensions["to"] != to {
		tb.Fatalf("%s → %s refused with %q %v: the message and extensions must name both states", from, to, e.Message, e.Extensions)
	}
}

type wantEvent struct{ status, actor, message, note string }

// MustEvents fails unless the order's events are want, oldest first.
func MustEvents(tb testing.TB, o orderView, want ...wantEvent) {
	tb.Helper()
	ok := len(o.Events) == len(want)
	for i := 0; ok && i < len(want); i++ {
		e := o.Events[i]
		message, note := "", ""
		if e.Message != nil {
			message = *e.Message
		}
		if e.Note != nil {
			note = *e.Note
		}
		ok = e.Status == want[i].status && e.Actor == want[i].actor && message == want[i].message && note == want[i].note &&
			!e.At.IsZero() && (i == 0 || !e.At.Before(o.Events[i-1].At))
	}
	if !ok {
		tb.Fatalf("order %s has events %+v\nwant %+v, oldest first", o.OrderID, o.Events, want)
	}
}

// race runs the requests at the same moment, each in its own goroutine
// released by one close, and returns what each got.
func race(reqs ...func() (gqlResponse, error)) ([]gqlResponse, []error) {
	rs, errs := make([]gqlResponse, len(reqs)), make([]error, len(reqs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, req := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			rs[i], errs[i] = req()
		}()
	}
	close(start)
	wg.Wait()
	return rs, errs
}

// TestOrderLifecycle drives orders through the lifecycle on two instances
// on PostgreSQL and Redis.
func TestOrderLifecycle(t *testing.T) {
	t.Parallel()
	env := PostgresRedisEnv(t)
	withoutRequestLimits(env)
	a, b := MustStart(t, env), MustStart(t, env)
	checkLifecycle(t, a, b)
	checkRacingTransitions(t, a, b, 6)

	// The ledger is an admin's read under a catalog field: the admin's
	// answer must never be kept for, and served to, anyone else.
	p := a.MustCreateProduct(t, 1, 3)
	doc := `query($p: String!) { getProductsById(id: $p) { stockCount stockMovements { edges { node { delta } } } } }`
	for i := 0; i < 2; i++ {
		var out struct {
			GetProductsById struct{ StockMovements *struct{ Edges []any } }
		}
		a.MustAdmin(t).MustData(t, doc, map[string]any{"p": p}, &out)
		if out.GetProductsById.StockMovements == nil || len(out.GetProductsById.StockMovements.Edges) != 1 {
			t.Fatalf("the admin's ledger read: %+v", out)
		}
	}
	customer, _ := a.MustCustomer(t)
	for _, c := range []*client{a.Anonymous(), customer, customer.on(b)} {
		r := c.MustPost(t, doc, map[string]any{"p": p})
		if v, _ := valueAt(r.Data, []any{"getProductsById", "stockMovements"}); v != nil || r.Code() == "" {
			t.Fatalf("a non-admin read the ledger: %s %+v", r.Data, r.Errors)
		}
	}
	// A list of products asking for the ledger is refused once, not once
	// per product (each error costs graphql-go a scan of the document).
	a.MustCreateProduct(t, 1, 3)
	r := a.Anonymous().MustPost(t, `{ getProducts(limit: 50) { productId stockMovements(first: 1) { edges { cursor } } } }`, nil)
	var listed struct {
		GetProducts []struct{ StockMovements any }
	}
	if err := json.Unmarshal(r.Data, &listed); err != nil || len(listed.GetProducts) < 2 {
		t.Fatalf("products listed with the ledger refused: %s, %v", r.Data, err)
	}
	if len(r.Errors) != 1 || r.Code() != "UNAUTHENTICATED" {
		t.Fatalf("%d errors (%s) for %d products, want one UNAUTHENTICATED", len(r.Errors), r.Code(), len(listed.GetProducts))
	}
}

// checkLifecycle: every step of the lifecycle, who may cancel what, the
// restocking of a cancellation (visible at once on the instance that made
// it, and on the other within the cross-instance bound) and every move the
// lifecycle forbids. a and b may be one instance.
func checkLifecycle(t *testing.T, a, b *instance) {
	admin := a.MustAdmin(t)
	cust, _ := a.MustCustomer(t)
	p := a.MustCreateProduct(t, 2.5, 20)
	stock := 20
	mustStock := func(t *testing.T, in *instance, once bool) {
		t.Helper()
		if once {
			if got := in.MustStock(t, p); got != stock {
				t.Fatalf("stock %d straight after the write, want %d", got, stock)
			}
			return
		}
		MustSeeWithin(t, crossInstanceBound, func() bool { return in.MustStock(t, p) == stock })
	}
	// Both instances hold p in their caches from here on, so every read
	// below checks an invalidation.
	mustStock(t, a, true)
	mustStock(t, b, true)
	// The steps share the stock: a failed one stops the rest.
	step := func(name string, f func(t *testing.T)) {
		t.Helper()
		if !t.Run(name, f) {
			t.FailNow()
		}
	}

	step("pending, paid, shipped, delivered", func(t *testing.T) {
		o := cust.MustOrder(t, orderLine{p, 3})
		stock -= 3
		mustStock(t, a, true)
		v := cust.MustOrderView(t, o)
		if v.Status != "pending" || v.TrackingNumber != nil || v.Carrier != nil {
			t.Fatalf("new order: %+v", v)
		}
		MustEvents(t, v, wantEvent{"pending", cust.ID, "", ""})
		// Tracking belongs to a shipment only.
		MustRefuse(t, admin.Transition(t, o, "paid", "", "1Z999", "UPS"), badUserInput)
		v = admin.MustTransition(t, o, "paid", "payment received", "", "")
		if v.Status != "paid" || v.TrackingNumber != nil {
			t.Fatalf("paid: %+v", v)
		}
		v = admin.on(b).MustTransition(t, o, "shipped", "", " 1Z999AA10123456784 ", "UPS")
		if v.Status != "shipped" || v.TrackingNumber == nil || *v.TrackingNumber != "1Z999AA10123456784" || v.Carrier == nil || *v.Carrier != "UPS" {
			t.Fatalf("shipped: %+v", v)
		}
		admin.MustTransition(t, o, "delivered", "left at the door", "", "")
		v = cust.on(b).MustOrderView(t, o)
		if v.Status != "delivered" || v.TrackingNumber == nil || *v.TrackingNumber != "1Z999AA10123456784" || *v.Carrier != "UPS" {
			t.Fatalf("delivered, as its customer sees it: %+v", v)
		}
		// The admins' notes are theirs, and so are their ids.
		MustEvents(t, v, wantEvent{"pending", cust.ID, "", ""}, wantEvent{"paid", "the shop", "", ""},
			wantEvent{"shipped", "the shop", "", ""}, wantEvent{"delivered", "the shop", "", ""})
		MustEvents(t, admin.on(b).MustOrderView(t, o), wantEvent{"pending", cust.ID, "", ""}, wantEvent{"paid", admin.ID, "", "payment received"},
			wantEvent{"shipped", admin.ID, "", ""}, wantEvent{"delivered", admin.ID, "", "left at the door"})
		mustStock(t, a, true)
	})

	step("a customer cancels its pending order: restocked", func(t *testing.T) {
		o := cust.MustOrder(t, orderLine{p, 2})
		stock -= 2
		mustStock(t, a, true)
		mustStock(t, b, false)
		v := cust.MustCancel(t, o, "changed my mind")
		stock += 2
		if v.Status != "cancelled" {
			t.Fatalf("cancelled: %+v", v)
		}
		mustStock(t, a, true)
		mustStock(t, b, false)
		MustEvents(t, cust.on(b).MustOrderView(t, o), wantEvent{"pending", cust.ID, "", ""}, wantEvent{"cancelled", cust.ID, "changed my mind", ""})
		// Again (a second tap, a retry): its customer and an admin are both
		// told the lifecycle's reason. Nothing is restocked twice.
		MustRefuseMove(t, cust.Cancel(t, o, ""), "cancelled", "cancelled")
		MustRefuseMove(t, admin.Cancel(t, o, ""), "cancelled", "cancelled")
		mustStock(t, a, true)
	})

	step("a paid order: the admin may cancel it, its customer may not", func(t *testing.T) {
		o := cust.MustOrder(t, orderLine{p, 1})
		stock--
		admin.MustTransition(t, o, "paid", "", "", "")
		r := cust.Cancel(t, o, "too late")
		MustRefuse(t, r, forbidden)
		if !strings.Contains(r.Errors[0].Message, "paid") {
			t.Fatalf("the refusal does not say why: %q", r.Errors[0].Message)
		}
		mustStock(t, a, true)
		if v := cust.MustOrderView(t, o); v.Status != "paid" || len(v.Events) != 2 {
			t.Fatalf("the refused cancellation changed the order: %+v", v)
		}
		mustStock(t, b, false) // b holds the stock before the cancellation
		v := admin.on(b).MustCancel(t, o, "refunded")
		stock++
		if v.Status != "cancelled" {
			t.Fatalf("cancelled: %+v", v)
		}
		mustStock(t, b, true)
		mustStock(t, a, false)
		MustEvents(t, cust.MustOrderView(t, o), wantEvent{"pending", cust.ID, "", ""}, wantEvent{"paid", "the shop", "", ""}, wantEvent{"cancelled", "the shop", "refunded", ""})
	})

	step("nobody cancels a shipped order", func(t *testing.T) {
		o := cust.MustOrder(t, orderLine{p, 1})
		stock--
		admin.MustTransition(t, o, "paid", "", "", "")
		admin.MustTransition(t, o, "shipped", "", "", "")
		MustRefuseMove(t, cust.Cancel(t, o, ""), "shipped", "cancelled")
		MustRefuseMove(t, admin.Cancel(t, o, ""), "shipped", "cancelled")
		MustRefuseMove(t, admin.on(b).Transition(t, o, "cancelled", "", "", ""), "shipped", "cancelled")
		if v := cust.MustOrderView(t, o); v.Status != "shipped" || len(v.Events) != 3 {
			t.Fatalf("the refused cancellations changed the order: %+v", v)
		}
		mustStock(t, a, true)
		mustStock(t, b, false)
	})

	step("every move the lifecycle forbids", func(t *testing.T) {
		q := a.MustCreateProduct(t, 1, 10)
		reach := map[string][]string{"paid": {"paid"}, "shipped": {"paid", "shipped"}, "delivered": {"paid", "shipped", "delivered"}, "cancelled": {"cancelled"}}
		refused := 0
		for _, from := range statuses {
			o := cust.MustOrder(t, orderLine{q, 1})
			for _, step := range reach[from] {
				admin.MustTransition(t, o, step, "", "", "")
			}
			before := admin.MustOrderView(t, o)
			for _, to := range statuses {
				if !allowedMoves[[2]string{from, to}] {
					MustRefuseMove(t, admin.Transition(t, o, to, "", "", ""), from, to)
					refused++
				}
			}
			if from == "shipped" || from == "delivered" || from == "cancelled" {
				MustRefuseMove(t, admin.Cancel(t, o, ""), from, "cancelled")
			}
			MustRefuse(t, admin.Transition(t, o, "returned", "", "", ""), badUserInput)
			MustRefuse(t, admin.Transition(t, o, "PAID", "", "", ""), badUserInput)
			if after := admin.MustOrderView(t, o); after.Status != from || len(after.Events) != len(before.Events) {
				t.Fatalf("refused moves changed a %s order: %+v", from, after)
			}
		}
		if refused != len(statuses)*len(statuses)-len(allowedMoves) {
			t.Fatalf("%d moves refused", refused)
		}
		// Five orders of one unit, one of them cancelled.
		if got := a.MustStock(t, q); got != 6 {
			t.Fatalf("stock %d after the refused moves, want 6", got)
		}
		MustRefuse(t, admin.Transition(t, unknownID, "paid", "", "", ""), notFound)
	})
}

// checkRacingTransitions releases two transitions of one order at once, on
// a and on b, rounds times: exactly one wins, and the other is judged
// against the winner's result. Even rounds pay a pending order twice; odd
// rounds ship a paid order while an admin cancels it.
func checkRacingTransitions(t *testing.T, a, b *instance, rounds int) {
	admin := a.MustAdmin(t)
	cust, _ := a.MustCustomer(t)
	p := a.MustCreateProduct(t, 1, 100)
	held := 0
	hc := &http.Client{}
	defer hc.CloseIdleConnections()
	wins := map[string]int{}
	for round := 0; round < rounds; round++ {
		o := cust.MustOrder(t, orderLine{p, 1})
		held++
		var moves [2]string
		var reqs [2]func() (gqlResponse, error)
		if round%2 == 0 {
			moves = [2]string{"paid", "paid"}
			for i, in := range []*instance{a, b} {
				reqs[i] = func() (gqlResponse, error) {
					return admin.on(in).Send(hc, nil, transitionDoc, map[string]any{"o": o, "s": "paid"})
				}
			}
		} else {
			admin.MustTransition(t, o, "paid", "", "", "")
			moves = [2]string{"shipped", "cancelled"}
			reqs[0] = func() (gqlResponse, error) {
				return admin.on(a).Send(hc, nil, transitionDoc, map[string]any{"o": o, "s": "shipped"})
			}
			reqs[1] = func() (gqlResponse, error) {
				return admin.on(b).Send(hc, nil, cancelDoc, map[string]any{"o": o})
			}
		}
		rs, errs := race(reqs[0], reqs[1])
		winner := -1
		for i := range rs {
			if errs[i] != nil {
				t.Fatalf("round %d, request %d: %v", round, i, errs[i])
			}
			if len(rs[i].Errors) == 0 {
				if winner >= 0 {
					t.Fatalf("round %d: both %s and %s won", round, moves[0], moves[1])
				}
				winner = i
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: neither won: %+v / %+v", round, rs[0].Errors, rs[1].Errors)
		}
		loser := 1 - winner
		from := moves[winner]
		MustRefuseMove(t, rs[loser], from, moves[loser])
		v := cust.MustOrderView(t, o)
		if v.Status != moves[winner] || len(v.Events) != 2+round%2 {
			t.Fatalf("round %d: %s won, yet the order is %+v", round, moves[winner], v)
		}
		if moves[winner] == "cancelled" {
			held--
		}
		wins[fmt.Sprintf("%s on %s", moves[winner], []string{"a", "b"}[winner])]++
	}
	t.Logf("winners: %v", wins)
	for _, in := range []*instance{a, b} {
		MustSeeWithin(t, crossInstanceBound, func() bool { return in.MustStock(t, p) == 100-held })
	}
}

// TestStockLedgerAcrossInstances runs a mix of orders, cancellations,
// payments, adjustments and stock updates from several goroutines over
// three instances, then checks the ledger of every product.
func TestStockLedgerAcrossInstances(t *testing.T) {
	t.Parallel()
	env := PostgresRedisEnv(t)
	withoutRequestLimits(env)
	roomForOrders(env)
	ins := []*instance{MustStart(t, env), MustStart(t, env), MustStart(t, env)}
	db := mustSQL(t, env)
	runLedgerMix(t, ins, 6, 8, 3*time.Second)
	checkLedger(t, ins, db)
}

// runLedgerMix creates products and customers, then runs workers
// goroutines for d, each sending a random mix of writes to random
// instances; it fails on any answer but success or an expected refusal.
func runLedgerMix(t *testing.T, ins []*instance, workers, products int, d time.Duration) {
	admin := ins[0].MustAdmin(t)
	var ids []string
	for i := 0; i < products; i++ {
		ids = append(ids, ins[0].MustCreateProduct(t, float64(i+1), 10))
	}
	var customers []*client
	for i := 0; i < 3; i++ {
		c, _ := ins[i%len(ins)].MustCustomer(t)
		customers = append(customers, c)
	}
	type placed struct {
		id    string
		owner *client
	}
	var (
		mu       sync.Mutex
		pool     []placed
		counts   = map[string]int{}
		failures []string
	)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	defer hc.CloseIdleConnections()
	// The mix runs for d, and on until every kind of write has succeeded
	// at least once (the race detector slows it many times), within a
	// bound.
	kinds := []string{"createOrder", "cancelOrder by its customer", "cancelOrder by the admin", "updateOrderStatus paid", "adjustStock +", "adjustStock -", "updateProduct stockCount"}
	deadline, bound := time.Now().Add(d), time.Now().Add(d+20*time.Second)
	more := func() bool {
		now := time.Now()
		if now.Before(deadline) {
			return true
		}
		mu.Lock()
		defer mu.Unlock()
		for _, k := range kinds {
			if counts[k+": ok"] == 0 {
				return now.Before(bound)
			}
		}
		return false
	}
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for more() {
				in := ins[rng.IntN(len(ins))]
				product := ids[rng.IntN(len(ids))]
				var (
					op      string
					r       gqlResponse
					err     error
					allowed []string
					done    func()
				)
				switch n := rng.IntN(100); {
				case n < 40:
					op, allowed = "createOrder", []string{insufficientStock}
					c := customers[rng.IntN(len(customers))]
					var lines []orderLine
					for _, i := range rng.Perm(len(ids))[:1+rng.IntN(3)] {
						lines = append(lines, orderLine{ids[i], 1 + rng.IntN(3)})
					}
					r, err = c.on(in).Send(hc, nil, createOrderDoc, map[string]any{"items": lines})
					done = func() {
						var out struct{ CreateOrder struct{ OrderID string } }
						if json.Unmarshal(r.Data, &out) == nil && out.CreateOrder.OrderID != "" {
							pool = append(pool, placed{out.CreateOrder.OrderID, c})
						}
					}
				case n < 70:
					mu.Lock()
					if len(pool) == 0 {
						mu.Unlock()
						continue
					}
					o := pool[rng.IntN(len(pool))]
					mu.Unlock()
					if n < 50 {
						op, allowed = "cancelOrder by its customer", []string{invalidTransition, forbidden}
						r, err = o.owner.on(in).Send(hc, nil, cancelDoc, map[string]any{"o": o.id, "r": "mix"})
					} else if n < 60 {
						op, allowed = "cancelOrder by the admin", []string{invalidTransition}
						r, err = admin.on(in).Send(hc, nil, cancelDoc, map[string]any{"o": o.id})
					} else {
						op, allowed = "updateOrderStatus paid", []string{invalidTransition}
						r, err = admin.on(in).Send(hc, nil, transitionDoc, map[string]any{"o": o.id, "s": "paid"})
					}
				case n < 85:
					delta := 1 + rng.IntN(5)
					op = "adjustStock +"
					if rng.IntN(2) == 0 {
						delta, op, allowed = -delta, "adjustStock -", []string{insufficientStock}
					}
					r, err = admin.on(in).Send(hc, nil, adjustDoc, map[string]any{"p": product, "d": delta, "r": "mix"})
				case n < 95:
					op = "updateProduct stockCount"
					r, err = admin.on(in).Send(hc, nil, setStockDoc, map[string]any{"p": product, "s": rng.IntN(15)})
				default:
					op = "getProductsById"
					r, err = in.Anonymous().Send(hc, nil, `query($p: String!) { getProductsById(id: $p) { stockCount } }`, map[string]any{"p": product})
				}
				mu.Lock()
				switch {
				case err != nil:
					failures = append(failures, fmt.Sprintf("%s: %v", op, err))
				case len(r.Errors) == 0 && r.Status == http.StatusOK:
					counts[op+": ok"]++
					if done != nil {
						done()
					}
				case r.Status == http.StatusOK && len(r.Errors) == 1 && contains(allowed, r.Code()):
					counts[op+": "+r.Code()]++
				default:
					failures = append(failures, fmt.Sprintf("%s: %d %+v", op, r.Status, r.Errors))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var summary []string
	for _, k := range keys {
		summary = append(summary, fmt.Sprintf("%s %d", k, counts[k]))
	}
	t.Logf("the mix, over %s on %d instances: %s", time.Since(start).Round(time.Millisecond), len(ins), strings.Join(summary, ", "))
	if len(failures) > 0 {
		t.Fatalf("%d unexpected answers, the first: %s", len(failures), strings.Join(failures[:min(5, len(failures))], "\n"))
	}
	for _, op := range kinds {
		if counts[op+": ok"] == 0 {
			t.Fatalf("no %s succeeded: the mix did not test it (%v)", op, counts)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// withoutRequestLimits turns off the per-address and per-user request
// limits: these tests send thousands of requests from one address, and
// polls (MustSeeWithin) that fail would otherwise end as RATE_LIMITED
// instead of showing what they saw.
func withoutRequestLimits(env map[string]string) {
	env["RATE_LIMIT_REQUESTS"], env["RATE_LIMIT_USER_REQUESTS"] = "0", "0"
}

// roomForOrders raises the caps on a customer's unpaid orders and units
// far above what these tests place: they sell whole stocks to one buyer,
// or stream orders, to test the stock, not the caps (TestInventoryDenial
// and TestPendingCapsAcrossProcesses do). The caps are still counted.
func roomForOrders(env map[string]string) {
	env["MAX_PENDING_ORDERS"], env["MAX_PENDING_UNITS"] = "1000000", "1000000000"
}

// mustSQL opens the instances' database for reading, as database/sql: the
// PostgreSQL database of env, or its SQLite file.
func mustSQL(tb testing.TB, env map[string]string) *sql.DB {
	tb.Helper()
	driver, dsn := "pgx", env["DATABASE_URL"]
	if dsn == "" {
		driver, dsn = "sqlite", "file:"+env["SQLITE_PATH"]+"?_pragma=busy_timeout(10000)"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		tb.Fatalf("open %s: %v", driver, err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

type movement struct {
	Delta      int
	Kind       string
	StockAfter int
}

// checkLedger checks, for every product in the database: in SQL, that the
// ledger adds up, movement by movement, to its stockCount; through the
// API on each instance, that stockCount and the ledger paged as the admin
// say the same; then lowStock, and that every order's movements match its
// lines and status.
func checkLedger(t *testing.T, ins []*instance, db *sql.DB) {
	t.Helper()
	ctx := context.Background()
	stock := map[string]int{}
	var ids []string
	rows, err := db.QueryContext(ctx, `SELECT product_id, stock_count FROM products ORDER BY created_at, product_id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		stock[id] = n
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	ledger := map[string][]movement{}
	rows, err = db.QueryContext(ctx, `SELECT product_id, delta, kind, stock_after FROM stock_movements ORDER BY product_id, id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		var m movement
		if err := rows.Scan(&id, &m.Delta, &m.Kind, &m.StockAfter); err != nil {
			t.Fatal(err)
		}
		ledger[id] = append(ledger[id], m)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for id, ms := range ledger {
		if _, ok := stock[id]; !ok {
			t.Errorf("movements of product %s, which does not exist", id)
		}
		sum := 0
		for i, m := range ms {
			sum += m.Delta
			if m.StockAfter != sum || m.StockAfter < 0 || m.Delta == 0 {
				t.Fatalf("product %s, movement %d of %d (%+v): the ledger adds up to %d there", id, i+1, len(ms), m, sum)
			}
		}
	}
	for _, id := range ids {
		ms, sum := ledger[id], 0
		for _, m := range ms {
			sum += m.Delta
		}
		if sum != stock[id] || len(ms) > 0 && ms[len(ms)-1].StockAfter != stock[id] {
			t.Fatalf("product %s holds %d; its %d movements add up to %d", id, stock[id], len(ms), sum)
		}
	}

	admin := ins[0].MustAdmin(t)
	const page = `query($p: String!, $after: String) { getProductsById(id: $p) { stockCount stockMovements(first: 100, after: $after) {
		edges { cursor node { delta kind stockAfter } } pageInfo { hasNextPage endCursor } } } }`
	for i, id := range ids {
		for _, in := range ins {
			MustSeeWithin(t, crossInstanceBound, func() bool { return in.MustStock(t, id) == stock[id] })
		}
		in := ins[i%len(ins)]
		var got []movement
		var after any
		for {
			var out struct {
				GetProductsById struct {
					StockCount     int
					StockMovements struct {
						Edges []struct {
							Cursor string
							Node   movement
						}
						PageInfo struct {
							HasNextPage bool
							EndCursor   *string
						}
					}
				}
			}
			admin.on(in).MustData(t, page, map[string]any{"p": id, "after": after}, &out)
			conn := out.GetProductsById.StockMovements
			for _, e := range conn.Edges {
				got = append(got, e.Node)
			}
			if n := len(conn.Edges); n > 0 && (conn.PageInfo.EndCursor == nil || *conn.PageInfo.EndCursor != conn.Edges[n-1].Cursor) {
				t.Fatalf("endCursor %v is not the last edge's cursor", conn.PageInfo.EndCursor)
			}
			if !conn.PageInfo.HasNextPage {
				break
			}
			after = *conn.PageInfo.EndCursor
		}
		want := ledger[id]
		if len(got) != len(want) {
			t.Fatalf("product %s: the API pages %d movements, the database holds %d", id, len(got), len(want))
		}
		for j := range want {
			if got[j] != want[j] {
				t.Fatalf("product %s, movement %d: the API shows %+v, the database %+v", id, j+1, got[j], want[j])
			}
		}
	}

	// lowStock, at thresholds from none to all of the products.
	levels := make([]int, 0, len(ids))
	for _, id := range ids {
		levels = append(levels, stock[id])
	}
	sort.Ints(levels)
	for _, threshold := range []int{levels[0] - 1, levels[0], levels[len(levels)/2], levels[len(levels)-1]} {
		if threshold < 0 {
			continue
		}
		var want []string
		rows, err := db.QueryContext(ctx, fmt.Sprintf(`SELECT product_id FROM products WHERE stock_count <= %d ORDER BY stock_count, created_at, product_id`, threshold))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			want = append(want, id)
		}
		var out struct {
			LowStock []struct {
				ProductID  string
				StockCount int
			}
		}
		admin.MustData(t, `query($t: Int) { lowStock(threshold: $t) { productId stockCount } }`, map[string]any{"t": threshold}, &out)
		var got []string
		for i, p := range out.LowStock {
			got = append(got, p.ProductID)
			if p.StockCount != stock[p.ProductID] || p.StockCount > threshold || i > 0 && p.StockCount < out.LowStock[i-1].StockCount {
				t.Fatalf("lowStock(%d): %+v", threshold, out.LowStock)
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("lowStock(%d) = %v, want %v", threshold, got, want)
		}
	}
	checkOrderMovements(t, db)
}

// checkOrderMovements: every order took exactly its lines from the stock,
// and a cancelled one put each line back exactly once; no other order
// put anything back.
func checkOrderMovements(t *testing.T, db *sql.DB) {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), `SELECT o.order_id, o.status,
		(SELECT COUNT(*) FROM order_items i WHERE i.order_id = o.order_id),
		(SELECT COALESCE(SUM(i.quantity), 0) FROM order_items i WHERE i.order_id = o.order_id),
		(SELECT COUNT(*) FROM stock_movements m WHERE m.order_id = o.order_id AND m.kind = 'order'),
		(SELECT COALESCE(-SUM(m.delta), 0) FROM stock_movements m WHERE m.order_id = o.order_id AND m.kind = 'order'),
		(SELECT COUNT(*) FROM stock_movements m WHERE m.order_id = o.order_id AND m.kind = 'cancellation'),
		(SELECT COALESCE(SUM(m.delta), 0) FROM stock_movements m WHERE m.order_id = o.order_id AND m.kind = 'cancellation'),
		(SELECT COUNT(*) FROM stock_movements m WHERE m.order_id = o.order_id AND m.kind NOT IN ('order', 'cancellation'))
		FROM orders o`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	orders, cancelled := 0, 0
	for rows.Next() {
		var id, status string
		var lines, units, taken, takenUnits, returned, returnedUnits, other int
		if err := rows.Scan(&id, &status, &lines, &units, &taken, &takenUnits, &returned, &returnedUnits, &other); err != nil {
			t.Fatal(err)
		}
		orders++
		wantLines, wantUnits := 0, 0
		if status == "cancelled" {
			cancelled++
			wantLines, wantUnits = lines, units
		}
		if lines == 0 || taken != lines || takenUnits != units || returned != wantLines || returnedUnits != wantUnits || other != 0 {
			t.Fatalf("%s order %s: %d lines of %d units; took %d movements of %d units, returned %d of %d, %d others",
				status, id, lines, units, taken, takenUnits, returned, returnedUnits, other)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d orders, %d cancelled, each moved stock exactly as its lines say", orders, cancelled)
}

// TestIdempotentOrdersAcrossInstances sends copies of one order under one
// key to two instances at once, and the other uses of a key.
func TestIdempotentOrdersAcrossInstances(t *testing.T) {
	t.Parallel()
	env := PostgresRedisEnv(t)
	withoutRequestLimits(env)
	roomForOrders(env)
	checkIdempotency(t, []*instance{MustStart(t, env), MustStart(t, env)}, 10)
}

// checkIdempotency: rounds pairs of the same order under a fresh key, sent
// at once to two instances (the first by the Idempotency-Key header, the
// second by the header or the input field); then a key reused for other
// items, by another customer, and header and field that disagree.
func checkIdempotency(t *testing.T, ins []*instance, rounds int) {
	a, b := ins[0], ins[len(ins)-1]
	cust, _ := a.MustCustomer(t)
	other, _ := a.MustCustomer(t)
	p := a.MustCreateProduct(t, 4.25, 1000)
	stock := 1000
	items := []orderLine{{p, 2}}
	hc := &http.Client{}
	defer hc.CloseIdleConnections()
	// place sends createOrder as c to in, with key in the header, the input
	// field, or both.
	place := func(c *client, in *instance, header, field string, items []orderLine) (gqlResponse, error) {
		var h map[string]string
		if header != "" {
			h = map[string]string{"Idempotency-Key": header}
		}
		return c.on(in).Send(hc, h, createOrderDoc, map[string]any{"items": items, "key": orNull(field)})
	}
	type created struct {
		OrderID, CustomerID string
		TotalAmount         float64
		Items               []orderLine
	}
	orderOf := func(r gqlResponse) created {
		t.Helper()
		var out struct{ CreateOrder created }
		if len(r.Errors) > 0 || json.Unmarshal(r.Data, &out) != nil || out.CreateOrder.OrderID == "" {
			t.Fatalf("createOrder: %d %s %+v", r.Status, r.Data, r.Errors)
		}
		return out.CreateOrder
	}
	// settle retries a request refused as in use until it is answered, as
	// a client would, and returns the answer.
	inUse := 0
	settle := func(r gqlResponse, err error, retry func() (gqlResponse, error)) gqlResponse {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for err == nil && r.Code() == keyInUse && time.Now().Before(deadline) {
			inUse++
			MustRefuse(t, r, keyInUse)
			r, err = retry()
		}
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	mustPlace := func(c *client, in *instance, header, field string, items []orderLine) created {
		t.Helper()
		req := func() (gqlResponse, error) { return place(c, in, header, field, items) }
		r, err := req()
		return orderOf(settle(r, err, req))
	}

	orders := map[string]bool{}
	for round := 0; round < rounds; round++ {
		key := testenv.RandomName("key-")
		header, field := key, ""
		if round%2 == 1 {
			header, field = "", key
		}
		copies := []func() (gqlResponse, error){
			func() (gqlResponse, error) { return place(cust, a, key, "", items) },
			func() (gqlResponse, error) { return place(cust, b, header, field, items) },
		}
		rs, errs := race(copies...)
		var first created
		for i := range rs {
			got := orderOf(settle(rs[i], errs[i], copies[i]))
			if i == 0 {
				first = got
			} else if got.OrderID != first.OrderID || got.TotalAmount != first.TotalAmount || len(got.Items) != 1 || got.Items[0] != items[0] {
				t.Fatalf("round %d: the copies got %+v and %+v", round, first, got)
			}
		}
		orders[first.OrderID] = true
		stock -= 2
		// A retry long after returns the same order too.
		if again := mustPlace(cust, b, key, "", items); again.OrderID != first.OrderID {
			t.Fatalf("round %d: a later retry placed %s, not %s", round, again.OrderID, first.OrderID)
		}
	}
	t.Logf("%d keys, each sent twice at once: %d answers were %s and retried", rounds, inUse, keyInUse)
	if len(orders) != rounds {
		t.Fatalf("%d orders for %d keys", len(orders), rounds)
	}
	var mine struct{ Orders struct{ Edges []any } }
	cust.MustData(t, `{ orders(first: 100) { edges { node { orderId } } } }`, nil, &mine)
	if len(mine.Orders.Edges) != rounds {
		t.Fatalf("the customer has %d orders for %d keys", len(mine.Orders.Edges), rounds)
	}
	mustStock := func() {
		t.Helper()
		for _, in := range ins {
			MustSeeWithin(t, crossInstanceBound, func() bool { return in.MustStock(t, p) == stock })
		}
	}
	mustStock()

	key := testenv.RandomName("key-")
	mine1 := mustPlace(cust, a, key, "", items)
	stock -= 2
	r, err := place(cust, b, key, "", []orderLine{{p, 3}})
	if err != nil {
		t.Fatal(err)
	}
	MustRefuse(t, r, keyReused)
	r, err = place(cust, a, "", key, []orderLine{{p, 2}, {a.MustCreateProduct(t, 1, 5), 1}})
	if err != nil {
		t.Fatal(err)
	}
	MustRefuse(t, r, keyReused)
	// The same key is another customer's own.
	theirs := mustPlace(other, b, key, "", items)
	stock -= 2
	if theirs.OrderID == mine1.OrderID || theirs.CustomerID != other.ID {
		t.Fatalf("another customer's order under the same key: %+v (the first customer's: %+v)", theirs, mine1)
	}
	if again := mustPlace(other, a, "", key, items); again.OrderID != theirs.OrderID {
		t.Fatalf("the other customer's retry by the input field placed %s, not %s", again.OrderID, theirs.OrderID)
	}
	// Header and field: the same is one key, different is refused.
	if again := mustPlace(cust, a, key, key, items); again.OrderID != mine1.OrderID {
		t.Fatalf("header and field the same: %s, not %s", again.OrderID, mine1.OrderID)
	}
	r, err = place(cust, a, key, testenv.RandomName("key-"), items)
	if err != nil {
		t.Fatal(err)
	}
	MustRefuse(t, r, badUserInput)
	mustStock()
}

// TestPendingOrdersExpire runs three instances whose expiry workers share
// one database, with a short time to pay.
func TestPendingOrdersExpire(t *testing.T) {
	t.Parallel()
	env := PostgresRedisEnv(t)
	env["ORDER_PENDING_TTL"], env["ORDER_EXPIRY_INTERVAL"] = "2s", "50ms"
	withoutRequestLimits(env)
	ins := []*instance{MustStart(t, env), MustStart(t, env), MustStart(t, env)}
	checkExpiry(t, ins, mustSQL(t, env), 2*time.Second, 12)
}

// checkExpiry places n orders of two products across the instances and
// pays every third at once: the others must be cancelled by the service
// after ttl, restocked exactly once each, with an event saying why; the
// paid ones are left alone.
func checkExpiry(t *testing.T, ins []*instance, db *sql.DB, ttl time.Duration, n int) {
	admin := ins[0].MustAdmin(t)
	p, q := ins[0].MustCreateProduct(t, 1, 100), ins[0].MustCreateProduct(t, 2, 100)
	var customers []*client
	for i := 0; i < 2; i++ {
		c, _ := ins[0].MustCustomer(t)
		customers = append(customers, c)
	}
	type placed struct {
		id    string
		owner *client
		paid  bool
	}
	var orders []placed
	wantP, wantQ := 100, 100 // once the unpaid orders are restocked
	placedP, placedQ := 100, 100
	for i := 0; i < n; i++ {
		in := ins[i%len(ins)]
		c := customers[i%len(customers)].on(in)
		lines := []orderLine{{p, 1 + i%3}}
		if i%2 == 1 {
			lines = append(lines, orderLine{q, 1})
		}
		o := placed{id: c.MustOrder(t, lines...), owner: c, paid: i%3 == 0}
		placedP -= 1 + i%3
		if i%2 == 1 {
			placedQ--
		}
		if o.paid {
			if r := admin.on(in).Transition(t, o.id, "paid", "", "", ""); len(r.Errors) > 0 {
				t.Fatalf("paying order %d straight after placing it: %+v (did the machine stall for %s?)", i, r.Errors, ttl)
			}
			wantP -= 1 + i%3
			if i%2 == 1 {
				wantQ--
			}
		}
		orders = append(orders, o)
	}
	// Every cache holds the stock as it is now, so the stock shown after
	// the expiry proves the worker invalidated it. (On a machine slow
	// enough to expire orders already, some caches hold a later value:
	// the test then proves less, and says so.)
	stale := 0
	for _, in := range ins {
		if in.MustStock(t, p) == placedP {
			stale++
		}
		in.MustStock(t, q)
	}
	t.Logf("%d of %d instances cached the stock from before the expiry", stale, len(ins))
	testenv.WaitFor(t, func() bool {
		var pending int
		if err := db.QueryRow(`SELECT COUNT(*) FROM orders WHERE status = 'pending'`).Scan(&pending); err != nil {
			t.Fatal(err)
		}
		return pending == 0
	})
	note := "not paid within " + ttl.String()
	for _, o := range orders {
		v := o.owner.MustOrderView(t, o.id)
		if o.paid {
			if v.Status != "paid" || len(v.Events) != 2 {
				t.Fatalf("a paid order was touched: %+v", v)
			}
			continue
		}
		if v.Status != "cancelled" || len(v.Events) != 2 || v.Events[1].Actor != "system" || v.Events[1].Message == nil || !strings.Contains(*v.Events[1].Message, note) {
			t.Fatalf("an unpaid order after %s: %+v; want cancelled by \"system\" with a message saying %q", ttl, v, note)
		}
		MustEvents(t, v, wantEvent{"pending", o.owner.ID, "", ""}, wantEvent{"cancelled", "system", *v.Events[1].Message, ""})
		MustRefuseMove(t, admin.Transition(t, o.id, "paid", "", "", ""), "cancelled", "paid")
	}
	// Every instance shows the stock put back: the worker that restocked
	// invalidated the caches like any write.
	for _, in := range ins {
		MustSeeWithin(t, crossInstanceBound, func() bool { return in.MustStock(t, p) == wantP && in.MustStock(t, q) == wantQ })
	}
	checkOrderMovements(t, db)
	var cancellations int
	if err := db.QueryRow(`SELECT COUNT(*) FROM stock_movements WHERE kind = 'cancellation' AND actor = 'system'`).Scan(&cancellations); err != nil {
		t.Fatal(err)
	}
	lines := 0
	for i, o := range orders {
		if !o.paid {
			lines += 1 + i%2
		}
	}
	if cancellations != lines {
		t.Fatalf("%d cancellation movements by the service, want one for each of the %d lines of the unpaid orders", cancellations, lines)
	}
}

// TestLifecycleOnTheEmbeddedDefault: the lifecycle, idempotency, the
// ledger under a concurrent mix, and expiry on SQLite with the in-process
// cache.
func TestLifecycleOnTheEmbeddedDefault(t *testing.T) {
	t.Parallel()
	t.Run("lifecycle, idempotency and the ledger", func(t *testing.T) {
		t.Parallel()
		env := EmbeddedEnv(t)
		withoutRequestLimits(env)
		roomForOrders(env)
		in := MustStart(t, env)
		checkLifecycle(t, in, in)
		checkRacingTransitions(t, in, in, 2)
		checkIdempotency(t, []*instance{in}, 3)
		runLedgerMix(t, []*instance{in}, 4, 4, time.Second)
		checkLedger(t, []*instance{in}, mustSQL(t, env))
	})
	t.Run("expiry", func(t *testing.T) {
		t.Parallel()
		env := EmbeddedEnv(t)
		env["ORDER_PENDING_TTL"], env["ORDER_EXPIRY_INTERVAL"] = "1s", "50ms"
		withoutRequestLimits(env)
		checkExpiry(t, []*instance{MustStart(t, env)}, mustSQL(t, env), time.Second, 4)
	})
}
