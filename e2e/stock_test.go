package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Issue 17, broken case 3: one customer reserved the whole stock. A
// hundred aliased createOrders in one request, each of 100 lines of
// 10,000 units, made a hundred unpaid orders holding 1,000,000 units of
// each of 100 products; five plain requests emptied a 50,000-unit
// product. Both are refused now, and nothing is taken; what a customer
// can still hold is bounded by the caps on its unpaid orders.
func TestInventoryDenial(t *testing.T) {
	t.Parallel()
	env := PostgresRedisEnv(t)
	in := MustStart(t, env)
	ctx := context.Background()
	db, err := pgx.Connect(ctx, env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)

	const products, bigStock = 100, 1_000_000
	ids := make([]string, products)
	for i := range ids {
		ids[i] = in.MustCreateProduct(t, 1, bigStock)
	}
	attacker, _ := in.MustCustomer(t)
	mustUntouched := func(when string) {
		t.Helper()
		var stock int64
		var orders int
		if err := db.QueryRow(ctx, `SELECT coalesce(sum(stock_count), 0) FROM products WHERE product_id = ANY($1)`, ids).Scan(&stock); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(ctx, `SELECT count(*) FROM orders WHERE customer_id = $1`, attacker.ID).Scan(&orders); err != nil {
			t.Fatal(err)
		}
		if stock != products*bigStock || orders != 0 {
			t.Fatalf("%s: the products hold %d units (want %d), the attacker has %d orders (want 0)", when, stock, products*bigStock, orders)
		}
	}

	// 100 aliases of createOrder, each of 100 lines of 10,000 units.
	var lines []orderLine
	for _, id := range ids {
		lines = append(lines, orderLine{id, 10_000})
	}
	var doc strings.Builder
	doc.WriteString("mutation($in: CreateOrderInput!) {")
	for i := range 100 {
		fmt.Fprintf(&doc, " o%d: createOrder(input: $in) { orderId }", i)
	}
	doc.WriteString(" }")
	r := attacker.MustPost(t, doc.String(), map[string]any{"in": map[string]any{"items": lines}})
	if r.Status != http.StatusBadRequest || r.Code() != "TOO_MANY_MUTATIONS" || !strings.Contains(r.Errors[0].Message, "100 mutation fields, and at most 1") {
		t.Fatalf("100 aliased createOrders: %d %+v; want 400 TOO_MANY_MUTATIONS", r.Status, r.Errors)
	}
	mustUntouched("after 100 aliased orders")
	// One of them alone: each line is past MAX_LINE_QUANTITY and the
	// order past MAX_ORDER_UNITS.
	r = attacker.MustPost(t, createOrderDoc, map[string]any{"items": lines})
	if r.Code() != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, "at most 100 units of one product (MAX_LINE_QUANTITY), got 10000") ||
		!strings.Contains(r.Errors[0].Message, "at most 1000 units in one order (MAX_ORDER_UNITS), got 1000000") {
		t.Fatalf("100 lines of 10,000: %+v", r.Errors)
	}
	mustUntouched("after one order of 100 lines of 10,000")

	// Five plain requests for 10,000 units of a 50,000-unit product.
	target := in.MustCreateProduct(t, 1, 50_000)
	for i := range 5 {
		if r := attacker.MustPost(t, createOrderDoc, map[string]any{"items": []orderLine{{target, 10_000}}}); r.Code() != "BAD_USER_INPUT" {
			t.Fatalf("request %d for 10,000 units: %+v", i+1, r.Errors)
		}
	}
	if got := in.MustStock(t, target); got != 50_000 {
		t.Fatalf("stock %d after five refused requests, want 50,000", got)
	}
	// Within the line limit, the customer's unpaid orders stop at 10
	// (MAX_PENDING_ORDERS), holding 1,000 units (MAX_PENDING_UNITS).
	placed := 0
	for i := range 15 {
		r := attacker.MustPost(t, createOrderDoc, map[string]any{"items": []orderLine{{target, 100}}})
		switch {
		case r.Code() == "":
			placed++
		case r.Code() == "PENDING_LIMIT" && i >= 10:
			e := r.Errors[0]
			if e.Extensions["limit"] != "MAX_PENDING_ORDERS" || e.Extensions["value"] != float64(10) || e.Extensions["max"] != float64(10) ||
				!strings.Contains(e.Message, "10 unpaid orders, and at most 10") {
				t.Fatalf("order %d refused with %+v", i+1, e)
			}
		default:
			t.Fatalf("order %d of 100 units: %d %+v", i+1, r.Status, r.Errors)
		}
	}
	if got := in.MustStock(t, target); placed != 10 || got != 49_000 {
		t.Fatalf("%d orders placed, stock %d; want 10 and 49,000", placed, got)
	}

	// The units cap on its own: one order of 1,000 units (10 lines of
	// 100), then not one unit more.
	hoarder, _ := in.MustCustomer(t)
	var ten []orderLine
	for _, id := range ids[:10] {
		ten = append(ten, orderLine{id, 100})
	}
	hoarder.MustOrder(t, ten...)
	r = hoarder.MustPost(t, createOrderDoc, map[string]any{"items": []orderLine{{ids[10], 1}}})
	if r.Code() != "PENDING_LIMIT" || r.Errors[0].Extensions["limit"] != "MAX_PENDING_UNITS" || r.Errors[0].Extensions["value"] != float64(1001) ||
		!strings.Contains(r.Errors[0].Message, "1001 held by your unpaid orders, and at most 1000") {
		t.Fatalf("a unit past 1,000 held: %+v", r.Errors)
	}

	// An admin orders for a customer past the caps: the dashboard's
	// telephone orders are the admin's to answer for.
	admin := in.MustAdmin(t)
	var out struct{ CreateOrder struct{ OrderID string } }
	admin.MustData(t, `mutation($items: [OrderItemInput!]!, $c: String) { createOrder(input: {items: $items, customerId: $c}) { orderId } }`,
		map[string]any{"items": []orderLine{{target, 5_000}}, "c": attacker.ID}, &out)
	if got := in.MustStock(t, target); got != 44_000 {
		t.Fatalf("stock %d after the admin's order, want 44,000", got)
	}
}

// One customer fires many createOrders at once at three server processes
// on one PostgreSQL: its unpaid orders and units never pass the caps,
// counted in the database afterwards, and a retry under an idempotency key
// still gets its order.
func TestPendingCapsAcrossProcesses(t *testing.T) {
	t.Parallel()
	bin := mustBuild(t)
	env := PostgresRedisEnv(t)
	var urls []string
	var procs []*process
	for range 3 {
		p := mustStartProcess(t, bin, env)
		procs, urls = append(procs, p), append(urls, p.URL)
	}
	ctx := context.Background()
	db, err := pgx.Connect(ctx, env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	a, b := procs[0].MustCreateProduct(t, 1, 100_000), procs[0].MustCreateProduct(t, 1, 100_000)
	held := func(customer string) (orders, units int) {
		t.Helper()
		if err := db.QueryRow(ctx, `SELECT count(DISTINCT o.order_id), coalesce(sum(i.quantity), 0) FROM orders o JOIN order_items i ON i.order_id = o.order_id
			WHERE o.customer_id = $1 AND o.status = 'pending'`, customer).Scan(&orders, &units); err != nil {
			t.Fatal(err)
		}
		return orders, units
	}

	// Orders of one unit: the orders cap (10) binds. The first is placed
	// under an idempotency key.
	ann, _ := procs[1].MustCustomer(t)
	first := ann.MustSend(t, map[string]string{"Idempotency-Key": "ann-first"}, createOrderDoc, map[string]any{"items": []orderLine{{a, 1}}})
	if first.Code() != "" {
		t.Fatalf("first order: %+v", first.Errors)
	}
	placed, refused := fireOrders(t, urls, ann.Token, 60, []orderLine{{a, 1}})
	if orders, units := held(ann.ID); placed != 9 || refused != 51 || orders != 10 || units != 10 {
		t.Fatalf("60 orders of 1 unit at once: %d placed, %d refused; the database holds %d pending orders of %d units; want 9, 51, 10, 10",
			placed, refused, orders, units)
	}
	for _, url := range urls {
		r := (&client{URL: url, Token: ann.Token}).MustSend(t, map[string]string{"Idempotency-Key": "ann-first"}, createOrderDoc, map[string]any{"items": []orderLine{{a, 1}}})
		if r.Code() != "" || !bytes.Equal(r.Data, first.Data) {
			t.Fatalf("replay at the cap on %s: %s %+v; want %s", url, r.Data, r.Errors, first.Data)
		}
	}

	// Orders of 150 units (75 of each product): the units cap (1,000)
	// binds after 6.
	bob, _ := procs[2].MustCustomer(t)
	placed, refused = fireOrders(t, urls, bob.Token, 30, []orderLine{{a, 75}, {b, 75}})
	if orders, units := held(bob.ID); placed != 6 || refused != 24 || orders != 6 || units != 900 {
		t.Fatalf("30 orders of 150 units at once: %d placed, %d refused; the database holds %d pending orders of %d units; want 6, 24, 6, 900",
			placed, refused, orders, units)
	}
	var stockA, stockB int
	if err := db.QueryRow(ctx, `SELECT (SELECT stock_count FROM products WHERE product_id = $1), (SELECT stock_count FROM products WHERE product_id = $2)`, a, b).Scan(&stockA, &stockB); err != nil {
		t.Fatal(err)
	}
	if stockA != 100_000-10-6*75 || stockB != 100_000-6*75 {
		t.Fatalf("stock %d and %d, want %d and %d", stockA, stockB, 100_000-10-6*75, 100_000-6*75)
	}
}

// fireOrders releases n createOrders of lines at once, by the customer
// whose token is token, spread over urls, and returns how many were placed
// and how many refused with PENDING_LIMIT; any other answer fails the test.
func fireOrders(t *testing.T, urls []string, token string, n int, lines []orderLine) (placed, refused int) {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	defer hc.CloseIdleConnections()
	start := make(chan struct{})
	outcomes := make(chan string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r, err := (&client{URL: urls[i%len(urls)], Token: token}).Send(hc, nil, createOrderDoc, map[string]any{"items": lines})
			switch {
			case err != nil:
				outcomes <- "transport: " + err.Error()
			case r.Code() == "" && r.Status == http.StatusOK:
				outcomes <- "placed"
			case r.Code() == "PENDING_LIMIT":
				outcomes <- "refused"
			default:
				outcomes <- fmt.Sprintf("%d %+v", r.Status, r.Errors)
			}
		}()
	}
	close(start)
	wg.Wait()
	close(outcomes)
	for o := range outcomes {
		switch o {
		case "placed":
			placed++
		case "refused":
			refused++
		default:
			t.Errorf("an order: %s", o)
		}
	}
	return placed, refused
}
