package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"shop/app"
	"shop/internal/pgcluster"
	"shop/internal/testenv"
)

// The fault tests run the real binary as processes of their own and break
// what is under them while orders stream in: the server itself (SIGKILL)
// and PostgreSQL (stopped and started again). Afterwards they read the
// database directly: no order a client saw succeed is lost, none is half
// written, and no unit is sold twice.
//
// The two order streams run alone (no t.Parallel): each keeps a server
// process and PostgreSQL busy on the machine's two cores, which would slow
// the tests beside them past their timeouts, and what they assert about
// answers while PostgreSQL is down should not depend on others' load.

// TestOrdersSurviveSIGKILL kills the server with SIGKILL while several
// customers' orders are in flight, starts a new server on the same
// database, and checks every order and every product's stock.
func TestOrdersSurviveSIGKILL(t *testing.T) {
	bin := mustBuild(t)
	env := PostgresRedisEnv(t)
	roomForOrders(env)
	first := mustStartProcess(t, bin, env)

	shop := mustStockShop(t, first.instance)
	stream := newOrderStream(t, first.instance, shop, 8)
	// Kill once the stream is well under way, while every worker keeps
	// sending: the kill lands in the middle of requests, some of them
	// inside their transaction.
	stream.waitForSuccesses(t, 100)
	inflight := stream.inflight.Load()
	first.Kill(t)
	if inflight == 0 {
		t.Fatal("no order was in flight when the server was killed")
	}
	// Nothing listens any more: the customers' next orders are refused.
	stream.waitForRefusals(t, 8)
	stream.stop()

	second := mustStartProcess(t, bin, env)
	// The new server takes orders at once, from the same customers.
	for _, c := range stream.clients {
		c.URL = second.URL
	}
	stream.placeOne(t, 0)

	r := stream.result()
	// Every answer the clients got was an order or INSUFFICIENT_STOCK; the
	// other requests found the server gone.
	for code, n := range r.codes {
		if code != "INSUFFICIENT_STOCK" && code != "(connection refused)" {
			t.Errorf("%d orders got %s", n, code)
		}
	}
	db := mustConnect(t, env["DATABASE_URL"])
	unanswered := assertOrdersWhole(t, db, r)
	assertStockConsistent(t, db, shop.initial)
	t.Logf("%s; %d in flight at the kill; %d orders committed whose clients never heard", r, inflight, unanswered)
}

// TestOrdersSurvivePostgresRestart stops PostgreSQL (a cluster of the
// test's own) while orders stream in and starts it again, without
// restarting the server. While it is down every request is answered within
// seconds with SERVICE_UNAVAILABLE and /health says the database is down;
// once it is back, orders succeed again and /health is healthy.
func TestOrdersSurvivePostgresRestart(t *testing.T) {
	bin := mustBuild(t)
	cluster := pgcluster.MustStart(t)
	redisURL, prefix := testenv.MustRedis(t)
	env := map[string]string{"DATABASE_URL": cluster.URL(), "REDIS_URL": redisURL, "REDIS_KEY_PREFIX": prefix,
		"SECRET_KEY":    testenv.RandomName("secret-") + testenv.RandomName("-key-"),
		"METRICS_TOKEN": testenv.RandomName("metrics-"),
		"ADMIN_EMAIL":   testAdminEmail, "ADMIN_PASSWORD": testAdminPassword, "BCRYPT_COST": testBcryptCost}
	roomForOrders(env)
	srv := mustStartProcess(t, bin, env)

	shop := mustStockShop(t, srv.instance)
	stream := newOrderStream(t, srv.instance, shop, 8)
	stream.waitForSuccesses(t, 100)

	if err := cluster.Stop(); err != nil {
		t.Fatal(err)
	}
	down := time.Now()
	mustHealth(t, srv.instance, http.StatusServiceUnavailable, "unhealthy", "disconnected")
	// Clients keep ordering; each is told to retry, at once.
	stream.waitForCode(t, "SERVICE_UNAVAILABLE", down, 30)
	mustHealth(t, srv.instance, http.StatusServiceUnavailable, "unhealthy", "disconnected")

	// Orders sent from here on may find it up again.
	restarting := time.Now()
	if err := cluster.Start(); err != nil {
		t.Fatal(err)
	}
	up := time.Now()
	// The same server process recovers by itself.
	testenv.WaitFor(t, func() bool { code, _ := MustHealth(t, srv.instance); return code == http.StatusOK })
	mustHealth(t, srv.instance, http.StatusOK, "healthy", "connected")
	stream.waitForSuccessesSince(t, up, 50)
	stream.stop()

	r := stream.result()
	select {
	case <-srv.exited:
		t.Fatalf("the server process exited: %v", srv.cmd.ProcessState)
	default:
	}
	// Every request was answered, with an order or a clear error.
	if r.unknown > 0 {
		t.Errorf("%d orders got no answer", r.unknown)
	}
	for code, n := range r.codes {
		if code != "INSUFFICIENT_STOCK" && code != "SERVICE_UNAVAILABLE" {
			t.Errorf("%d orders got %s", n, code)
		}
	}
	// Answers while the database was down: every one a clear error, none
	// slow. A hang would show here as a long wait or a TIMEOUT.
	var whileDown int
	for _, o := range r.outcomes {
		if o.sent.Before(down) || !o.sent.Before(restarting) {
			continue
		}
		whileDown++
		if o.order != nil || o.transport != nil || o.code != "SERVICE_UNAVAILABLE" ||
			strings.Contains(o.msg, "127.0.0.1") || strings.Contains(o.msg, "SQLSTATE") {
			t.Errorf("while PostgreSQL was down, an order got %s", o)
		}
		if o.took > 3*time.Second {
			t.Errorf("while PostgreSQL was down, an order waited %v for %s", o.took, o)
		}
	}
	if whileDown == 0 {
		t.Error("no order was sent while PostgreSQL was down")
	}
	db := mustConnect(t, cluster.URL())
	assertOrdersWhole(t, db, r)
	assertStockConsistent(t, db, shop.initial)
	// An order whose COMMIT was cut off may have taken stock: the cache
	// shows what the database holds all the same.
	for _, id := range shop.ids {
		var stock int
		if err := db.QueryRow(context.Background(), `SELECT stock_count FROM products WHERE product_id = $1`, id).Scan(&stock); err != nil {
			t.Fatal(err)
		}
		if got := srv.MustStock(t, id); got != stock {
			t.Errorf("product %s: the API shows %d in stock, the database holds %d", id, got, stock)
		}
	}
	t.Logf("%s; %d answered while PostgreSQL was down", r, whileDown)
}

// TestSilentDatabaseFailsTheStartQuickly: a database that takes the
// connection and never answers (a host cut off by the network, rather than
// one refusing) fails the start within DB_CONNECT_TIMEOUT, instead of
// after the operating system's TCP timeout.
func TestSilentDatabaseFailsTheStartQuickly(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never answered
			mu.Unlock()
		}
	}()
	env := map[string]string{"HOST": "127.0.0.1", "PORT": "0", "DB_CONNECT_TIMEOUT": "1s",
		"DATABASE_URL": "postgres://postgres@" + ln.Addr().String() + "/shop?sslmode=disable",
		"SECRET_KEY":   testenv.RandomName("secret-") + testenv.RandomName("-key-"), "METRICS_TOKEN": "metrics"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	err = app.Run(ctx, func(k string) string { return env[k] }, io.Discard, nil)
	if took := time.Since(start); err == nil || took > 5*time.Second {
		t.Fatalf("run against a silent database returned %v after %v; want an error within seconds", err, took)
	}
	if !strings.Contains(err.Error(), "timeout") {
		t.Fatalf("run: %v; want a connection timeout", err)
	}
}

// shopStock is the catalog a fault test sells from: its products' ids,
// prices in cents and starting stock.
type shopStock struct {
	ids     []string
	cents   map[string]int64
	initial map[string]int
}

// mustStockShop creates the products orders are taken from: most with
// plenty of stock, one that sells out during the stream, so that "no unit
// sold twice" is tested at zero too.
func mustStockShop(t *testing.T, in *instance) shopStock {
	t.Helper()
	s := shopStock{cents: map[string]int64{}, initial: map[string]int{}}
	for _, p := range []struct {
		price float64
		stock int
	}{{2.50, 100_000}, {19.99, 100_000}, {0.10, 100_000}, {1234.56, 100_000}, {7.00, 100}} {
		id := in.MustCreateProduct(t, p.price, p.stock)
		s.ids = append(s.ids, id)
		s.cents[id] = int64(math.Round(p.price * 100))
		s.initial[id] = p.stock
	}
	return s
}

// placedOrder is an order as the client that placed it was told.
type placedOrder struct {
	OrderID     string
	CustomerID  string
	TotalAmount float64
	Items       []struct {
		ProductID       string
		Quantity        int
		PriceAtPurchase float64
	}
}

// orderOutcome is what one createOrder request came to.
type orderOutcome struct {
	order     *placedOrder // the client saw it succeed
	code, msg string       // the client saw it fail, with this error
	transport error        // no answer: the order may or may not exist
	refused   bool         // the connection was refused: it was never sent
	sent      time.Time
	took      time.Duration
}

func (o orderOutcome) String() string {
	switch {
	case o.order != nil:
		return "success " + o.order.OrderID
	case o.transport != nil:
		return fmt.Sprintf("no answer (%v)", o.transport)
	}
	return fmt.Sprintf("%s %q", o.code, o.msg)
}

// orderStream is several customers, one goroutine each, placing orders of
// one to three lines one after another until stopped.
type orderStream struct {
	shop     shopStock
	clients  []*client
	http     *http.Client
	inflight atomic.Int64
	done     chan struct{}
	wg       sync.WaitGroup

	mu       sync.Mutex
	outcomes []orderOutcome
}

const streamOrderDoc = `mutation($items: [OrderItemInput!]!) { createOrder(input: {items: $items}) {
	orderId customerId totalAmount items { productId quantity priceAtPurchase } } }`

func newOrderStream(t *testing.T, in *instance, shop shopStock, workers int) *orderStream {
	t.Helper()
	s := &orderStream{shop: shop, done: make(chan struct{}),
		// Far above what any answer should take, so that a hang is
		// measured rather than cut short.
		http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}}
	for i := 0; i < workers; i++ {
		c, _ := in.MustCustomer(t)
		s.clients = append(s.clients, c)
	}
	t.Cleanup(s.stop)
	for i := range s.clients {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for {
				select {
				case <-s.done:
					return
				default:
				}
				o := s.place(i, s.randomLines())
				s.record(o)
				if o.refused || o.code == "SERVICE_UNAVAILABLE" {
					// A client told to retry waits a moment, as real
					// ones do, rather than spin.
					time.Sleep(5 * time.Millisecond)
				}
			}
		}()
	}
	return s
}

// stop ends the stream and waits for its requests; it is safe to call
// twice.
func (s *orderStream) stop() {
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	s.wg.Wait()
	s.http.CloseIdleConnections()
}

// randomLines are one to three lines of different products, one to three
// units each.
func (s *orderStream) randomLines() []map[string]any {
	var items []map[string]any
	for _, k := range rand.Perm(len(s.shop.ids))[:1+rand.IntN(3)] {
		items = append(items, map[string]any{"productId": s.shop.ids[k], "quantity": 1 + rand.IntN(3)})
	}
	return items
}

// place sends one order as the i-th customer.
func (s *orderStream) place(i int, items []map[string]any) orderOutcome {
	c := s.clients[i]
	body, _ := json.Marshal(map[string]any{"query": streamOrderDoc, "variables": map[string]any{"items": items}})
	req, _ := http.NewRequest(http.MethodPost, c.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.Token)
	o := orderOutcome{sent: time.Now()}
	s.inflight.Add(1)
	resp, err := s.http.Do(req)
	s.inflight.Add(-1)
	if err != nil {
		o.took = time.Since(o.sent)
		o.transport, o.refused = err, errors.Is(err, syscall.ECONNREFUSED)
		return o
	}
	defer resp.Body.Close()
	var r struct {
		Data   struct{ CreateOrder *placedOrder }
		Errors []gqlError
	}
	err = json.NewDecoder(resp.Body).Decode(&r)
	o.took = time.Since(o.sent)
	switch {
	case err != nil:
		// The server died while writing the answer.
		o.transport = fmt.Errorf("status %d, body cut short: %w", resp.StatusCode, err)
	case len(r.Errors) > 0:
		o.code, _ = r.Errors[0].Extensions["code"].(string)
		o.msg = r.Errors[0].Message
	case r.Data.CreateOrder == nil:
		o.code, o.msg = "(none)", "no order and no error"
	default:
		o.order = r.Data.CreateOrder
	}
	return o
}

func (s *orderStream) record(o orderOutcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outcomes = append(s.outcomes, o)
}

// count counts the outcomes that match.
func (s *orderStream) count(match func(orderOutcome) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, o := range s.outcomes {
		if match(o) {
			n++
		}
	}
	return n
}

func (s *orderStream) waitForSuccesses(t *testing.T, n int) {
	t.Helper()
	s.waitForSuccessesSince(t, time.Time{}, n)
}

// waitForSuccessesSince waits until n orders sent after since succeeded.
func (s *orderStream) waitForSuccessesSince(t *testing.T, since time.Time, n int) {
	t.Helper()
	testenv.WaitFor(t, func() bool {
		return s.count(func(o orderOutcome) bool { return o.order != nil && !o.sent.Before(since) }) >= n
	})
}

// waitForCode waits until n orders sent after since failed with code.
func (s *orderStream) waitForCode(t *testing.T, code string, since time.Time, n int) {
	t.Helper()
	testenv.WaitFor(t, func() bool {
		return s.count(func(o orderOutcome) bool { return o.code == code && !o.sent.Before(since) }) >= n
	})
}

// waitForRefusals waits until n requests found nothing listening.
func (s *orderStream) waitForRefusals(t *testing.T, n int) {
	t.Helper()
	testenv.WaitFor(t, func() bool { return s.count(func(o orderOutcome) bool { return o.refused }) >= n })
}

// placeOne places one order of a unit of the first product as the i-th
// customer, which must succeed.
func (s *orderStream) placeOne(t *testing.T, i int) {
	t.Helper()
	o := s.place(i, []map[string]any{{"productId": s.shop.ids[0], "quantity": 1}})
	if o.order == nil {
		t.Fatalf("an order to the new server: %s", o)
	}
	s.record(o)
}

// streamResult is what the clients of a stream were told.
type streamResult struct {
	outcomes []orderOutcome
	// succeeded are the orders clients saw succeed; unknown counts the
	// requests that got no answer, whose orders may exist or not.
	succeeded []placedOrder
	unknown   int
	codes     map[string]int
}

func (r streamResult) String() string {
	return fmt.Sprintf("%d orders sent: %d succeeded, %d unanswered, errors %v", len(r.outcomes), len(r.succeeded), r.unknown, r.codes)
}

func (s *orderStream) result() streamResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := streamResult{outcomes: append([]orderOutcome(nil), s.outcomes...), codes: map[string]int{}}
	for _, o := range r.outcomes {
		switch {
		case o.order != nil:
			r.succeeded = append(r.succeeded, *o.order)
		case o.refused:
			r.codes["(connection refused)"]++
		case o.transport != nil:
			r.unknown++
		default:
			r.codes[o.code]++
		}
	}
	return r
}

func mustConnect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(context.Background()) })
	return db
}

// storedItem is one order line as the database holds it.
type storedItem struct {
	productID         string
	quantity          int
	priceAtPurchase   int64
	customerID, order string
	total             int64
}

// assertOrdersWhole reads every order and order line in the database and
// checks that no order was lost or half written: each order a client saw
// succeed is there with exactly the lines, prices and total it was told;
// every order has lines and its total is theirs; no line lacks its order;
// and no more orders exist than clients saw succeed or got no answer for.
// It returns how many orders exist that no client saw succeed.
func assertOrdersWhole(t *testing.T, db *pgx.Conn, r streamResult) int {
	t.Helper()
	ctx := context.Background()
	type storedOrder struct {
		customerID string
		total      int64
		items      []storedItem
	}
	orders := map[string]*storedOrder{}
	rows, err := db.Query(ctx, `SELECT order_id, customer_id, total_amount_cents FROM orders`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		o := &storedOrder{}
		if err := rows.Scan(&id, &o.customerID, &o.total); err != nil {
			t.Fatal(err)
		}
		orders[id] = o
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows, err = db.Query(ctx, `SELECT order_id, product_id, quantity, price_at_purchase_cents FROM order_items ORDER BY order_id, position`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var it storedItem
		if err := rows.Scan(&it.order, &it.productID, &it.quantity, &it.priceAtPurchase); err != nil {
			t.Fatal(err)
		}
		o, ok := orders[it.order]
		if !ok {
			t.Errorf("order line %+v has no order", it)
			continue
		}
		o.items = append(o.items, it)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for id, o := range orders {
		var sum int64
		for _, it := range o.items {
			sum += int64(it.quantity) * it.priceAtPurchase
		}
		if len(o.items) == 0 || sum != o.total {
			t.Errorf("order %s is half written: total %d cents, lines %+v", id, o.total, o.items)
		}
	}
	for _, p := range r.succeeded {
		o, ok := orders[p.OrderID]
		if !ok {
			t.Errorf("order %s, which its client saw succeed, is lost", p.OrderID)
			continue
		}
		if o.customerID != p.CustomerID || o.total != cents(p.TotalAmount) || len(o.items) != len(p.Items) {
			t.Errorf("order %s: the client was told %+v; the database holds %+v", p.OrderID, p, *o)
			continue
		}
		for i, it := range p.Items {
			got := o.items[i]
			if got.productID != it.ProductID || got.quantity != it.Quantity || got.priceAtPurchase != cents(it.PriceAtPurchase) {
				t.Errorf("order %s line %d: the client was told %+v; the database holds %+v", p.OrderID, i, it, got)
			}
		}
	}
	// An order whose client got no answer may have been committed; any
	// other order in the database came from nowhere.
	extra := len(orders) - len(r.succeeded)
	if extra < 0 || extra > r.unknown {
		t.Errorf("%d orders in the database, %d seen to succeed and %d unanswered", len(orders), len(r.succeeded), r.unknown)
	}
	return extra
}

// assertStockConsistent checks that no unit was sold twice or lost: for
// every product, its starting stock less the quantities of the order lines
// in the database is its stock_count now.
//
// Once stock has a ledger (stock_movements), this is also where each
// product's stock_count is checked against the sum of its movements.
func assertStockConsistent(t *testing.T, db *pgx.Conn, initial map[string]int) {
	t.Helper()
	ctx := context.Background()
	rows, err := db.Query(ctx, `SELECT p.product_id, p.stock_count, COALESCE(SUM(i.quantity), 0)
		FROM products p LEFT JOIN order_items i ON i.product_id = p.product_id GROUP BY p.product_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var id string
		var stock, sold int
		if err := rows.Scan(&id, &stock, &sold); err != nil {
			t.Fatal(err)
		}
		start, ok := initial[id]
		if !ok {
			t.Errorf("product %s was not created by the test", id)
			continue
		}
		seen++
		if start-sold != stock {
			t.Errorf("product %s: %d in stock at the start, %d sold, %d in stock now (want %d)", id, start, sold, stock, start-sold)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if seen != len(initial) {
		t.Errorf("%d of the test's %d products are in the database", seen, len(initial))
	}
	// Stock equals the ledger: every product's stock is the sum of its
	// movements, and no movement names an order that does not exist (a
	// half-written order would leave one).
	ledger, err := db.Query(ctx, `SELECT p.product_id, p.stock_count, COALESCE(SUM(m.delta), 0)
		FROM products p LEFT JOIN stock_movements m ON m.product_id = p.product_id GROUP BY p.product_id, p.stock_count`)
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	for ledger.Next() {
		var id string
		var stock, sum int
		if err := ledger.Scan(&id, &stock, &sum); err != nil {
			t.Fatal(err)
		}
		if stock != sum {
			t.Errorf("product %s: %d in stock, its movements sum to %d", id, stock, sum)
		}
	}
	if err := ledger.Err(); err != nil {
		t.Fatal(err)
	}
	var orphans int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM stock_movements m WHERE m.order_id IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.order_id = m.order_id)`).Scan(&orphans); err != nil {
		t.Fatal(err)
	}
	if orphans != 0 {
		t.Errorf("%d movements name an order that does not exist", orphans)
	}
}

func cents(f float64) int64 { return int64(math.Round(f * 100)) }

// mustHealth checks /health's status, its overall word and the
// database's, and that it answers within seconds.
func mustHealth(t *testing.T, in *instance, wantCode int, wantStatus, wantDB string) {
	t.Helper()
	start := time.Now()
	code, h := MustHealth(t, in)
	if code != wantCode || h.Status != wantStatus || h.Services["database"].Status != wantDB {
		t.Fatalf("/health: %d %+v; want %d, %q with the database %q", code, h, wantCode, wantStatus, wantDB)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("/health took %v", took)
	}
}
