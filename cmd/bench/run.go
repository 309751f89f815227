package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"shop/models"
	"shop/store"
)

func newID() string { return uuid.NewString() }

func gql(query string, vars map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return b
}

// scenario is one workload: a request generator, and the target it is held
// to against its floor.
type scenario struct {
	name string
	// header is jsonHeader, with a bearer token where the operation needs
	// a caller.
	header    http.Header
	body      func() []byte
	floor     string  // "http" (same bytes from memory) or "sql" (pgx)
	target    float64 // minimum ratio to the floor
	p99Target string
	// sql is the "sql" floor's transaction over lines (orderTx unless set).
	sql   func(context.Context, *pgxpool.Pool, []string) error
	lines func() []string
}

func run(ctx context.Context, out io.Writer) error {
	s, err := loadSettings()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	where := "in this process"
	if s.ownProcess {
		where = "in a process of its own"
	}
	fmt.Fprintf(out, "shop benchmark: %s, %d CPUs, Go %s, concurrency %d, %d rounds x %s per measurement, medians\n",
		time.Now().UTC().Format("2006-01-02 15:04"), runtime.NumCPU(), runtime.Version(), s.concurrency, s.rounds, s.duration)
	fmt.Fprintf(out, "then, per scenario, %d rounds of %s open loop at half its req/s (vegeta's constant pacer), medians: the latency a user sees, target p99 < %s\n",
		s.rounds, s.duration, latencyTarget)
	fmt.Fprintf(out, "the service runs %s (BENCH_SERVICE_PROCESS)\n", where)

	large, dropLarge, err := createDB(ctx, s.pgBase, "shop_bench_")
	if err != nil {
		return err
	}
	defer dropLarge()
	small, dropSmall, err := createDB(ctx, s.pgBase, "shop_bench_small_")
	if err != nil {
		return err
	}
	defer dropSmall()
	prefix := randomName("shop_bench_")
	defer dropKeys(s.redisURL, prefix)
	vars := serviceVars(large, s.redisURL, prefix+":l:", s.concurrency)
	if s.ownProcess {
		// The profiles are the service's, written by its process.
		if s.cpuProfile != "" {
			vars["BENCH_CPUPROFILE"] = s.cpuProfile
		}
		if s.heapProfile != "" {
			vars["BENCH_HEAPPROFILE"] = s.heapProfile
		}
	}
	srv, err := start(ctx, s.ownProcess, vars)
	if err != nil {
		return err
	}
	defer srv.stop()
	srvSmall, err := start(ctx, s.ownProcess, serviceVars(small, s.redisURL, prefix+":s:", s.concurrency))
	if err != nil {
		return err
	}
	defer srvSmall.stop()
	svc, svcSmall := srv.url, srvSmall.url
	// Orders need a caller: a customer places them, an admin reads
	// everyone's.
	asAdmin, err := signIn(svc, false)
	if err != nil {
		return err
	}
	asCustomer, err := signIn(svc, true)
	if err != nil {
		return err
	}
	asAdminSmall, err := signIn(svcSmall, false)
	if err != nil {
		return err
	}
	// Scenario 7's customer: one of its own, so that the orders scenarios
	// 4 and 6 place (as asCustomer) leave its orders as they were.
	asReader, err := signIn(svc, true)
	if err != nil {
		return err
	}
	t0 := time.Now()
	cat, err := load(ctx, large, s.products, s.orders)
	if err != nil {
		return err
	}
	catSmall, err := load(ctx, small, s.small, s.small)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "loaded %d products and %d orders (%d items) in %s; a second catalog of %d and %d for comparison\n\n",
		s.products, s.orders, 2*s.orders, time.Since(t0).Round(time.Millisecond), s.small, s.small)

	hot := cat.products[:min(1000, len(cat.products))]
	deep := func(c catalog) string {
		n := len(c.products)
		p := c.products[n/2+mrand.IntN(n/2-51)]
		return models.Cursor{CreatedAt: p.created, ID: p.id}.Encode()
	}
	byID := `query P($id: String!) { getProductsById(id: $id) { productId price stockCount lastUpdated } }`
	list := `{ getProducts(limit: 50) { productId price stockCount lastUpdated } }`
	page := `query Page($after: String) { products(first: 50, after: $after) { edges { cursor node { productId price stockCount } } pageInfo { hasNextPage endCursor } } }`
	search := `query Search($q: String!, $min: Float) { products(first: 20, sort: RELEVANCE, filter: {query: $q, minPrice: $min}) { edges { cursor node { productId name price } } pageInfo { hasNextPage endCursor } } }`
	order := `mutation Order($in: CreateOrderInput!) { createOrder(input: $in) { orderId totalAmount status items { productId quantity priceAtPurchase } } }`
	orders := `{ getOrders(limit: 20) { orderId customerId totalAmount status createdAt items { productId quantity priceAtPurchase product { productId price } } } }`
	// What a mobile client polls: the caller's own newest orders (a
	// customer sees only its own, so no customerId).
	ownOrders := `{ orders(first: 20) { edges { cursor node { orderId status totalAmount createdAt items { productId quantity priceAtPurchase product { productId price stockCount } } } } pageInfo { hasNextPage endCursor } } }`
	linesFrom := func(ps []loadedProduct) func() []string {
		return func() []string {
			ids := make([]string, 0, 3)
			for len(ids) < 3 {
				id := ps[mrand.IntN(len(ps))].id
				if !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
			}
			slices.Sort(ids)
			return ids
		}
	}
	orderLines := linesFrom(cat.products)
	orderBody := func(lines func() []string) func() []byte {
		return func() []byte {
			items := []map[string]any{}
			for _, id := range lines() {
				items = append(items, map[string]any{"productId": id, "quantity": 1})
			}
			return gql(order, map[string]any{"in": map[string]any{"items": items}})
		}
	}
	if len(cat.products) < len(hot)+3 {
		return fmt.Errorf("BENCH_PRODUCTS must be above %d: scenario 6 orders products outside the hot ones", len(hot)+3)
	}
	// Scenario 6's orders: over the products the reads don't ask for.
	coldOrders := orderBody(linesFrom(cat.products[len(hot):]))
	// Scenario 7's customer has a history longer than the page it reads,
	// placed through the service like any other order.
	if err := placeOrders(svc, asReader, orderBody(orderLines), readerOrders); err != nil {
		return fmt.Errorf("scenario 7's orders: %w", err)
	}
	underTarget := "< " + latencyTarget.String()
	withVariants := `query P($id: String!) { getProductsById(id: $id) { productId name price stockCount variants { variantId title sku price stockCount available options { name value } } } }`
	// Three variants of different products, each line "product variant",
	// sorted: by product, the order both the service and the floor lock in.
	variantLines := func() []string {
		lines := make([]string, 0, 3)
		for len(lines) < 3 {
			v := cat.variants[mrand.IntN(len(cat.variants))]
			if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, v.product) }) {
				lines = append(lines, v.product+" "+v.id)
			}
		}
		slices.Sort(lines)
		return lines
	}
	variantOrderBody := func() []byte {
		items := []map[string]any{}
		for _, l := range variantLines() {
			product, variant, _ := strings.Cut(l, " ")
			items = append(items, map[string]any{"productId": product, "variantId": variant, "quantity": 1})
		}
		return gql(order, map[string]any{"in": map[string]any{"items": items}})
	}
	// Checkout's carts, made before any scenario runs.
	ck, err := setupCheckout(ctx, svc, asAdmin, large, cat, s.rounds, s.duration)
	if err != nil {
		return fmt.Errorf("checkout's carts: %w", err)
	}
	scenarios := []scenario{
		{name: "1 getProductsById (warm)", header: jsonHeader, floor: "http", target: 0.40, p99Target: underTarget,
			body: func() []byte { return gql(byID, map[string]any{"id": hot[mrand.IntN(len(hot))].id}) }},
		{name: "2 getProducts(limit: 50) (warm)", header: jsonHeader, floor: "http", target: 0.25, p99Target: underTarget,
			body: func() []byte { return gql(list, nil) }},
		{name: "3 products(first: 50) deep in 100k", header: jsonHeader, floor: "http", p99Target: underTarget,
			body: func() []byte { return gql(page, map[string]any{"after": deep(cat)}) }},
		{name: "4 createOrder, 3 lines (a customer)", header: asCustomer, floor: "sql", target: 0.50, p99Target: "< 2x floor",
			body: orderBody(orderLines), sql: orderTx, lines: orderLines},
		{name: "5 getOrders(limit: 20) + items + products", header: asAdmin, floor: "http", p99Target: underTarget,
			body: func() []byte { return gql(orders, nil) }},
		// The shop reads while it sells: scenario 1's reads beside a
		// steady stream of orders for other products, against the same
		// reads alone (its floor here).
		{name: fmt.Sprintf("6 getProductsById (warm), %d orders/s", s.orderRate), header: jsonHeader, floor: "reads", target: 0.80, p99Target: underTarget,
			body: func() []byte { return gql(byID, map[string]any{"id": hot[mrand.IntN(len(hot))].id}) }},
		{name: "7 orders(first: 20), own, + items (warm)", header: asReader, floor: "http", target: 0.30, p99Target: underTarget,
			body: func() []byte { return gql(ownOrders, nil) }},
		// A shopper's search: a word matching 1% of the catalog, best
		// first. Warm: one of 100 words, cached after the first asks.
		// Cold: each with a price bound of its own, so every request is
		// a new list the database must find and rank.
		{name: "8 search, 1% match, first: 20 (warm)", header: jsonHeader, floor: "http", p99Target: underTarget,
			body: func() []byte {
				return gql(search, map[string]any{"q": searchWords[mrand.IntN(len(searchWords))]})
			}},
		{name: "9 search, 1% match, first: 20 (cold)", header: jsonHeader, floor: "http", p99Target: underTarget,
			body: func() []byte {
				return gql(search, map[string]any{"q": searchWords[mrand.IntN(len(searchWords))], "min": float64(mrand.IntN(10_000)) / 100})
			}},
		// Variants (issue 19): an order of 3 variants of products with 20
		// each, against the same transaction through pgx on the
		// variants; and a product page with its 20 variants, warm.
		{name: "10 createOrder, 3 variant lines (a customer)", header: asCustomer, floor: "sql", target: 0.50, p99Target: "< 2x floor",
			body: variantOrderBody, sql: variantOrderTx, lines: variantLines},
		{name: "11 getProductsById, 20 variants (warm)", header: jsonHeader, floor: "http", target: 0.40, p99Target: underTarget,
			body: func() []byte {
				return gql(withVariants, map[string]any{"id": cat.variants[mrand.IntN(len(cat.variants))].product})
			}},
		// Checkout (issue 20): a guest's cart of 3 variant lines with a
		// 10% code, flat shipping and California's tax, completed,
		// against the same transaction through pgx; and such a cart read,
		// priced, against its bytes from memory.
		{name: "12 checkoutComplete, 3 lines, code, tax", header: jsonHeader, floor: "sql", target: 0.40, p99Target: "< 2x floor",
			body: ck.completeBody, sql: checkoutTx, lines: ck.floorLines},
		{name: "13 cart, 3 lines, priced (warm)", header: jsonHeader, floor: "http", p99Target: underTarget,
			body: ck.readBody},
	}
	// Warm scenario 11's products.
	for i := 0; i < len(cat.variants); i += 20 {
		if _, err := fetch(svc+"/graphql", jsonHeader, gql(withVariants, map[string]any{"id": cat.variants[i].product})); err != nil {
			return err
		}
	}
	// Warm scenario 8's searches.
	for _, w := range searchWords {
		if _, err := fetch(svc+"/graphql", jsonHeader, gql(search, map[string]any{"q": w})); err != nil {
			return err
		}
	}

	// Warm the caches the warm scenarios read, and record each read
	// scenario's response for its floor.
	for _, p := range hot {
		if _, err := fetch(svc+"/graphql", jsonHeader, gql(byID, map[string]any{"id": p.id})); err != nil {
			return err
		}
	}
	for i, sc := range scenarios {
		if sc.floor != "http" {
			continue
		}
		b, err := fetch(svc+"/graphql", sc.header, sc.body())
		if err != nil {
			return fmt.Errorf("%s: %w", sc.name, err)
		}
		if strings.HasPrefix(sc.name, "7 ") {
			if err := checkPage(b, 20, 3); err != nil {
				return fmt.Errorf("%s: %w", sc.name, err)
			}
		}
		if err := putFloor(srv.floor, fmt.Sprint(i), b); err != nil {
			return err
		}
	}
	floorURL := srv.floor
	pool, err := pgxpool.New(ctx, large+"&pool_max_conns="+fmt.Sprint(s.concurrency))
	if err != nil {
		return err
	}
	defer pool.Close()

	if s.cpuProfile != "" && !s.ownProcess {
		stopProfile, err := startCPUProfile(s.cpuProfile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}

	fmt.Fprintf(out, "%-42s %9s %8s %8s | %11s %8s %8s | %6s %6s %s\n", "scenario", "req/s", "p50", "p99", "floor req/s", "p50", "p99", "ratio", "target", "p99 target")
	failed := false
	for i, sc := range scenarios {
		if number, _, _ := strings.Cut(sc.name, " "); s.only != "" && !strings.Contains(","+s.only+",", ","+number+",") {
			continue
		}
		// Each scenario starts from a settled database: the dead rows and
		// dirty pages an earlier scenario's writes left are cleaned up now,
		// not by autovacuum and the checkpointer in the middle of the next
		// measurement, on a machine with two cores.
		if err := settle(ctx, pool); err != nil {
			return err
		}
		var real, floor []figures
		var hits [2][]cacheUse  // scenario 6: the cache without and with orders
		var cpu [2][][3]float64 // scenario 6: cores used by the service, PostgreSQL and Redis, without and with orders
		for r := 0; r < s.rounds; r++ {
			if sc.floor == "reads" {
				c0, t0 := cpuNow(srv), time.Now()
				alone, rate := withHitRate(svc, func() figures { return httpLoad(svc+"/graphql", sc.header, sc.body, s.concurrency, s.duration) })
				c1, t1 := cpuNow(srv), time.Now()
				floor, hits[0] = append(floor, alone), append(hits[0], rate)
				selling, rate := withHitRate(svc, func() figures {
					return beside(svc+"/graphql", asCustomer, coldOrders, s.orderRate, func() figures {
						return httpLoad(svc+"/graphql", sc.header, sc.body, s.concurrency, s.duration)
					})
				})
				c2 := cpuNow(srv)
				cpu[0], cpu[1] = append(cpu[0], cores(c0, c1, t1.Sub(t0))), append(cpu[1], cores(c1, c2, time.Since(t1)))
				real, hits[1] = append(real, selling), append(hits[1], rate)
				continue
			}
			real = append(real, httpLoad(svc+"/graphql", sc.header, sc.body, s.concurrency, s.duration))
			if sc.floor == "http" {
				floor = append(floor, httpLoad(fmt.Sprintf("%s/floor/%d", floorURL, i), sc.header, sc.body, s.concurrency, s.duration))
			} else {
				floor = append(floor, sqlLoad(ctx, pool, sc.sql, sc.lines, s.concurrency, s.duration))
			}
		}
		m, f := median(real), median(floor)
		ratio := m.rps / f.rps
		verdict := ""
		if sc.target > 0 {
			verdict = fmt.Sprintf(">= %.2f", sc.target)
			if ratio < sc.target {
				verdict += " MISSED"
				failed = true
			}
		}
		p99ok := m.p99 < latencyTarget
		if sc.floor == "sql" {
			p99ok = m.p99 <= 2*f.p99
		}
		p99 := sc.p99Target
		if !p99ok {
			p99 += " MISSED"
			failed = true
		}
		fmt.Fprintf(out, "%-42s %9.0f %8s %8s | %11.0f %8s %8s | %6.2f %6s %s\n", sc.name, m.rps, ms(m.p50), ms(m.p99), f.rps, ms(f.p50), ms(f.p99), ratio, verdict, p99)
		if sc.floor == "reads" {
			var use [2]struct{ hit, local, resets []float64 }
			for i := range hits {
				for _, u := range hits[i] {
					use[i].hit, use[i].local, use[i].resets = append(use[i].hit, u.hit), append(use[i].local, u.local), append(use[i].resets, u.resets)
				}
			}
			fmt.Fprintf(out, "    reads %.0f req/s with %.0f createOrder/s beside them, %.0f req/s without: ratio %.2f\n",
				m.rps, m.orders, f.rps, ratio)
			fmt.Fprintf(out, "    cache hit rate %.1f%% with orders (%.1f%% from the local tier, %.0f flushes), %.1f%% without (%.1f%% local, %.0f flushes)\n",
				100*medianOf(use[1].hit), 100*medianOf(use[1].local), medianOf(use[1].resets), 100*medianOf(use[0].hit), 100*medianOf(use[0].local), medianOf(use[0].resets))
			fmt.Fprintf(out, "    CPU (cores: %s, PostgreSQL, Redis) with orders %s, without %s: what the orders take from the reads\n",
				srv.label, coreList(cpu[1]), coreList(cpu[0]))
		}
		if m.failures+f.failures > 0 {
			return fmt.Errorf("%s: %d failed requests", sc.name, m.failures+f.failures)
		}

		// The same requests at half the rate just measured, on time
		// whatever the answers do: createOrder (4) as an open loop of its
		// own, scenario 6's reads beside the same stream of orders.
		// As many rounds as the throughput, and their medians: one round's
		// p99 is its worst 1%, which a single pause can make.
		rate := m.rps / 2
		open := func() figures { return paced(svc+"/graphql", sc.header, sc.body, rate, s.concurrency, s.duration) }
		var lat []figures
		for r := 0; r < s.rounds; r++ {
			if sc.floor == "reads" {
				lat = append(lat, beside(svc+"/graphql", asCustomer, coldOrders, s.orderRate, open))
			} else {
				lat = append(lat, open())
			}
		}
		l := median(lat)
		latency := "p99 < " + latencyTarget.String()
		if l.p99 >= latencyTarget {
			latency += " MISSED"
			failed = true
		}
		extra := ""
		if sc.floor == "reads" {
			extra = fmt.Sprintf(", beside %.0f createOrder/s", l.orders)
		}
		fmt.Fprintf(out, "    half load, open loop: %.0f req/s offered, %.0f served%s: p50 %s p99 %s p99.9 %s (of %d) | %s\n",
			rate, l.rps, extra, ms(l.p50), ms(l.p99), ms(l.p999), l.requests, latency)
		if l.failures > 0 {
			return fmt.Errorf("%s at half load: %d failed requests", sc.name, l.failures)
		}
		if s.heapProfile != "" {
			if err := srv.heapProfile(ctx, fmt.Sprintf("%s.%s", s.heapProfile, sc.name[:1])); err != nil {
				return err
			}
		}
	}

	if s.only != "" {
		return nil
	}
	fmt.Fprintf(out, "\ncost of a page of 50 as the shop grows (%d vs %d rows):\n", s.small, s.products)
	if err := scale(ctx, out, s, [2]http.Header{asAdminSmall, asAdmin}, svc, svcSmall, large, small, cat, catSmall, deep); err != nil {
		return err
	}
	if failed {
		fmt.Fprintln(out, "\nsome targets were missed (see MISSED above)")
	}
	return nil
}

// scale shows that keyset pages cost the same in a small and a large shop:
// the products page through the store (no cache in the way), and the
// orders connection through the service (orders are never cached).
func scale(ctx context.Context, out io.Writer, s settings, admin [2]http.Header, svc, svcSmall, large, small string, cat, catSmall catalog, deep func(catalog) string) error {
	storeCost := func(dbURL string, c catalog) (time.Duration, error) {
		st, err := store.Open(ctx, store.Options{DatabaseURL: dbURL, MaxOpenConns: 2, MaxIdleConns: 2})
		if err != nil {
			return 0, err
		}
		defer st.Close()
		var lat []time.Duration
		for i := 0; i < 2000; i++ {
			n := len(c.products)
			p := c.products[n/2+mrand.IntN(n/2-51)]
			t := time.Now()
			pg, err := st.ProductsPage(ctx, models.Connection{First: 50, After: &models.Cursor{CreatedAt: p.created, ID: p.id}}, models.ProductFilter{})
			if err != nil || len(pg.Products) != 50 {
				return 0, fmt.Errorf("page: %v (%d products)", err, len(pg.Products))
			}
			lat = append(lat, time.Since(t))
		}
		slices.Sort(lat)
		return lat[len(lat)/2], nil
	}
	a, err := storeCost(small, catSmall)
	if err != nil {
		return err
	}
	b, err := storeCost(large, cat)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  products page, store call, median of 2000: %s with %d, %s with %d: ratio %.2f\n", us(a), s.small, us(b), s.products, float64(b)/float64(a))

	q := `query O($after: String) { orders(first: 50, after: $after) { edges { node { orderId totalAmount items { productId quantity } } } pageInfo { hasNextPage } } }`
	body := func(c catalog) func() []byte {
		return func() []byte {
			n := len(c.orders)
			return gql(q, map[string]any{"after": c.orders[n/2+mrand.IntN(n/2-51)].Encode()})
		}
	}
	var rs, rl []figures
	for r := 0; r < s.rounds; r++ {
		rs = append(rs, httpLoad(svcSmall+"/graphql", admin[0], body(catSmall), s.concurrency, s.duration))
		rl = append(rl, httpLoad(svc+"/graphql", admin[1], body(cat), s.concurrency, s.duration))
	}
	ms1, ml := median(rs), median(rl)
	fmt.Fprintf(out, "  orders(first: 50) deep, through the service: %.0f req/s (p50 %s) with %d, %.0f req/s (p50 %s) with %d: ratio %.2f\n",
		ms1.rps, ms(ms1.p50), s.small, ml.rps, ms(ml.p50), s.orders, ml.rps/ms1.rps)
	if ms1.failures+ml.failures > 0 {
		return fmt.Errorf("orders pages: %d failed requests", ms1.failures+ml.failures)
	}
	return nil
}

// startCPUProfile profiles this process into the file name until stop.
func startCPUProfile(name string) (stop func(), err error) {
	f, err := os.Create(name)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// writeHeapProfile writes what is live on the heap now.
func writeHeapProfile(name string) error {
	runtime.GC() // the profile shows the heap as of the last GC
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// settle vacuums and analyses the database and writes its dirty pages out.
func settle(ctx context.Context, pool *pgxpool.Pool) error {
	for _, stmt := range []string{"VACUUM (ANALYZE)", "CHECKPOINT"} {
		if _, err := pool.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("settle the database (%s): %w", stmt, err)
		}
	}
	return nil
}

// latencyTarget is the p99 every scenario must keep at half its
// closed-loop throughput.
const latencyTarget = 20 * time.Millisecond

// readerOrders is how many orders scenario 7's customer has: more than the
// page of 20 it reads, so the page is full and has a next one.
const readerOrders = 40

// checkPage fails unless b is an orders connection of n orders of lines
// items each, each item with its product: the response scenario 7 is
// meant to measure.
func checkPage(b []byte, n, lines int) error {
	var resp struct {
		Data struct {
			Orders struct {
				Edges []struct {
					Node struct {
						Items []struct{ Product *struct{ ProductID string } }
					}
				}
				PageInfo struct{ HasNextPage bool }
			}
		}
	}
	if err := json.Unmarshal(b, &resp); err != nil {
		return fmt.Errorf("orders page: %w", err)
	}
	page := resp.Data.Orders
	if len(page.Edges) != n || !page.PageInfo.HasNextPage {
		return fmt.Errorf("orders page: %d orders (next page %t), want %d and more: %.300s", len(page.Edges), page.PageInfo.HasNextPage, n, b)
	}
	for _, e := range page.Edges {
		if len(e.Node.Items) != lines {
			return fmt.Errorf("orders page: an order of %d lines, want %d", len(e.Node.Items), lines)
		}
		for _, it := range e.Node.Items {
			if it.Product == nil || it.Product.ProductID == "" {
				return fmt.Errorf("orders page: an item without its product")
			}
		}
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }
func us(d time.Duration) string { return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond)) }

// coreList shows the median of each kind of CPU use over rounds.
func coreList(rounds [][3]float64) string {
	var parts []string
	for k := 0; k < 3; k++ {
		var v []float64
		for _, r := range rounds {
			v = append(v, r[k])
		}
		parts = append(parts, strconv.FormatFloat(medianOf(v), 'f', 2, 64))
	}
	return strings.Join(parts, " / ")
}
