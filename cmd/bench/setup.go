package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"shop/models"
)

type settings struct {
	pgBase, redisURL string
	concurrency      int
	duration         time.Duration
	rounds           int
	products, orders int
	small            int
	orderRate        int // createOrder per second beside scenario 6's reads
	cpuProfile       string
	heapProfile      string
	ownProcess       bool   // the service in a process of its own
	only             string // scenario numbers to run, e.g. "1,4"; empty runs all
}

func loadSettings() (settings, error) {
	s := settings{
		pgBase:      env("BENCH_DATABASE_URL", env("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")),
		redisURL:    env("BENCH_REDIS_URL", env("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")),
		concurrency: 32, duration: 3 * time.Second, rounds: 3,
		products: 100_000, orders: 100_000, small: 1000, orderRate: 200,
		cpuProfile:  os.Getenv("BENCH_CPUPROFILE"),
		heapProfile: os.Getenv("BENCH_HEAPPROFILE"),
		ownProcess:  os.Getenv("BENCH_SERVICE_PROCESS") == "1",
		only:        os.Getenv("BENCH_ONLY"),
	}
	var err error
	for _, v := range []struct {
		name string
		dst  *int
	}{{"BENCH_CONCURRENCY", &s.concurrency}, {"BENCH_ROUNDS", &s.rounds}, {"BENCH_PRODUCTS", &s.products}, {"BENCH_ORDERS", &s.orders}, {"BENCH_ORDER_RATE", &s.orderRate}} {
		if raw := os.Getenv(v.name); raw != "" {
			if *v.dst, err = strconv.Atoi(raw); err != nil || *v.dst < 1 {
				return s, fmt.Errorf("%s: %q is not a positive number", v.name, raw)
			}
		}
	}
	if raw := os.Getenv("BENCH_DURATION"); raw != "" {
		if s.duration, err = time.ParseDuration(raw); err != nil {
			return s, fmt.Errorf("BENCH_DURATION: %w", err)
		}
	}
	return s, nil
}

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func randomName(prefix string) string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// createDB makes a fresh database on the server of base and returns its URL
// and a function that drops it.
func createDB(ctx context.Context, base, prefix string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", nil, fmt.Errorf("connect to %s: %w", base, err)
	}
	defer conn.Close(ctx)
	name := randomName(prefix)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, err
	}
	u, _ := url.Parse(base)
	u.Path = "/" + name
	drop := func() {
		c, err := pgx.Connect(context.Background(), base)
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(context.Background())
		}
	}
	return u.String(), drop, nil
}

// serviceVars is the service's whole configuration.
func serviceVars(dbURL, redisURL, prefix string, conns int) map[string]string {
	return map[string]string{
		"HOST": "127.0.0.1", "PORT": "0", "DATABASE_URL": dbURL, "REDIS_URL": redisURL, "REDIS_KEY_PREFIX": prefix,
		"DB_MAX_OPEN_CONNS": strconv.Itoa(conns), "DB_MAX_IDLE_CONNS": strconv.Itoa(conns),
		// Logs are written (at the production level) and thrown away, so
		// their cost is in the figures.
		"LOG_LEVEL":     "info",
		"SECRET_KEY":    randomName("bench-secret-key-") + randomName("-"),
		"METRICS_TOKEN": benchMetricsToken,
		"ADMIN_EMAIL":   benchAdminEmail, "ADMIN_PASSWORD": benchAdminPassword,
		// The scenarios' tokens are signed in once, at the start of a run
		// that can outlast the default 15 minutes.
		"ACCESS_TOKEN_TTL": "24h",
		// The load comes from one address: limits it never reaches, so
		// their per-request cost is in the figures but no request refused.
		"RATE_LIMIT_REQUESTS": "1000000000", "RATE_LIMIT_USER_REQUESTS": "1000000000",
		"RATE_LIMIT_GUEST_CHECKOUT": "1000000000",
		// Its concurrency is many requests in flight from that address.
		"MAX_IN_FLIGHT_PER_IP": "1000000", "MAX_IN_FLIGHT": "1000000",
		// Scenarios 4 and 6 place thousands of orders a second as one
		// customer, and 7's has 40: what the caps on a customer's unpaid
		// orders exist to refuse. Raised instead, each order would count
		// the thousands before it; off, the orders are measured as they
		// were, as many customers' would be.
		"MAX_PENDING_ORDERS": "0", "MAX_PENDING_UNITS": "0",
	}
}

// catalog is what was loaded, for building requests.
type catalog struct {
	products []loadedProduct
	orders   []models.Cursor // newest last
	variants []loadedVariant // of variantProducts products, 20 each
}

type loadedVariant struct {
	id, product string
	price       int64
}

type loadedProduct struct {
	id      string
	created time.Time
}

// newIDs makes n uuids as slices of one string. The service runs in this
// process, so what the load generator keeps is marked by the same GC: as
// 200,000 strings of their own, the catalog's ids were two thirds of the
// heap's objects while the scenarios ran.
func newIDs(n int) func(i int) string {
	var b strings.Builder
	b.Grow(36 * n)
	for range n {
		b.WriteString(uuid.NewString())
	}
	all := b.String()
	return func(i int) string { return all[36*i : 36*(i+1)] }
}

// load fills the database with n products (ample stock, so orders never
// run short) and m orders of two items each, through COPY.
func load(ctx context.Context, dbURL string, n, m int) (catalog, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return catalog{}, err
	}
	defer conn.Close(ctx)
	base := time.Now().UTC().Add(-time.Duration(n+m) * time.Millisecond).Truncate(time.Microsecond)
	var cat catalog
	productIDs, orderIDs := newIDs(n), newIDs(m)
	rows := make([][]any, n)
	for i := range rows {
		id := productIDs(i)
		created := base.Add(time.Duration(i) * time.Millisecond)
		cat.products = append(cat.products, loadedProduct{id: id, created: created})
		rows[i] = []any{id, int64(100 + mrand.IntN(100_000)), int64(math.MaxInt32), created, created, productName(i), "A product of the benchmark's catalog."}
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"products"}, []string{"product_id", "price_cents", "stock_count", "created_at", "last_updated", "name", "description"}, pgx.CopyFromRows(rows)); err != nil {
		return catalog{}, fmt.Errorf("copy products: %w", err)
	}
	// Each its default variant, as the service gives a product created
	// without options (whose id is the product's).
	variants := make([][]any, n)
	for i, r := range rows {
		variants[i] = []any{r[0], r[0], int64(0), models.DefaultVariantTitle, r[1], r[2], "[]", "", r[3], r[4]}
	}
	if err := copyVariants(ctx, conn, variants); err != nil {
		return catalog{}, err
	}
	orders := make([][]any, m)
	items := make([][]any, 0, 2*m)
	for i := range orders {
		id := orderIDs(i)
		created := base.Add(time.Duration(n+i) * time.Millisecond)
		var total int64
		for pos := 0; pos < 2; pos++ {
			p := cat.products[mrand.IntN(n)]
			price := int64(100 + mrand.IntN(1000))
			total += price
			items = append(items, []any{uuid.NewString(), id, p.id, int64(1), price, int64(pos), p.id, models.DefaultVariantTitle})
		}
		orders[i] = []any{id, "customer-" + strconv.Itoa(i%1000), total, models.OrderStatusPending, created, created}
		cat.orders = append(cat.orders, models.Cursor{CreatedAt: created, ID: id})
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"orders"}, []string{"order_id", "customer_id", "total_amount_cents", "status", "created_at", "last_updated"}, pgx.CopyFromRows(orders)); err != nil {
		return catalog{}, fmt.Errorf("copy orders: %w", err)
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"order_items"}, []string{"id", "order_id", "product_id", "quantity", "price_at_purchase_cents", "position", "variant_id", "title"}, pgx.CopyFromRows(items)); err != nil {
		return catalog{}, fmt.Errorf("copy order items: %w", err)
	}
	if cat.variants, err = loadVariants(ctx, conn, base.Add(-time.Hour)); err != nil {
		return catalog{}, err
	}
	if _, err := conn.Exec(ctx, "ANALYZE"); err != nil {
		return catalog{}, err
	}
	return cat, nil
}

func copyVariants(ctx context.Context, conn *pgx.Conn, rows [][]any) error {
	_, err := conn.CopyFrom(ctx, pgx.Identifier{"product_variants"},
		[]string{"variant_id", "product_id", "position", "title", "price_cents", "stock_count", "options", "option_key", "created_at", "last_updated"}, pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("copy variants: %w", err)
	}
	return nil
}

// variantProducts and their sizes and colours: each product sells every
// combination, 20 variants.
const variantProducts = 200

var (
	benchSizes   = []string{"XS", "S", "M", "L"}
	benchColours = []string{"Red", "Blue", "Green", "Black", "White"}
)

// loadVariants adds products with 20 variants each (sizes by colours), as
// the service would write them: the options on the product, its totals
// (lowest price, the sum of stock) kept from the variants'. They are
// created before the rest of the catalog, so pages of it start after them.
func loadVariants(ctx context.Context, conn *pgx.Conn, created time.Time) ([]loadedVariant, error) {
	options, _ := json.Marshal([]models.ProductOption{{Name: "Size", Values: benchSizes}, {Name: "Colour", Values: benchColours}})
	var products, variants [][]any
	var out []loadedVariant
	for i := 0; i < variantProducts; i++ {
		pid := uuid.NewString()
		at := created.Add(time.Duration(i) * time.Millisecond)
		lowest, highest := int64(math.MaxInt64), int64(0)
		for s, size := range benchSizes {
			for c, colour := range benchColours {
				vid := uuid.NewString()
				price := int64(1000 + 100*s + c)
				lowest, highest = min(lowest, price), max(highest, price)
				opts := models.SelectedOptions{{Name: "Size", Value: size}, {Name: "Colour", Value: colour}}
				sel, _ := json.Marshal(opts)
				variants = append(variants, []any{vid, pid, int64(s*len(benchColours) + c), opts.Title(), price, int64(math.MaxInt32 / 32), string(sel), opts.Key(), at, at})
				out = append(out, loadedVariant{id: vid, product: pid, price: price})
			}
		}
		stock := int64(math.MaxInt32/32) * int64(len(benchSizes)*len(benchColours))
		products = append(products, []any{pid, lowest, stock, at, at, fmt.Sprintf("Tee %d", i), "A T-shirt of the benchmark's catalog.", string(options), lowest, highest})
	}
	// The price span (price_min_cents, price_max_cents) is what the store
	// keeps on a product with several variants, for price filters.
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"products"}, []string{"product_id", "price_cents", "stock_count", "created_at", "last_updated", "name", "description", "options", "price_min_cents", "price_max_cents"}, pgx.CopyFromRows(products)); err != nil {
		return nil, fmt.Errorf("copy products with variants: %w", err)
	}
	return out, copyVariants(ctx, conn, variants)
}

// dropKeys deletes the benchmark's Redis keys rather than wait for them to expire.
func dropKeys(redisURL, prefix string) {
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		return
	}
	client := redis.NewClient(opt)
	defer client.Close()
	ctx := context.Background()
	iter := client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var batch []string
	for iter.Next(ctx) {
		if batch = append(batch, iter.Val()); len(batch) == 1000 {
			client.Unlink(ctx, batch...)
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		client.Unlink(ctx, batch...)
	}
}

// The admin the benchmark's services start with.
const benchAdminEmail, benchAdminPassword = "bench-admin@shop.test", "bench admin password"

// benchMetricsToken reads the services' /metrics (required with
// DATABASE_URL).
const benchMetricsToken = "bench-metrics-token"

// signIn returns the headers of requests to the service at svc made as
// its admin (customer false) or as a newly registered customer: the JSON
// headers and the access token. Order scenarios need one or the other.
func signIn(svc string, customer bool) (http.Header, error) {
	q, field := `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`, "login"
	vars := map[string]any{"e": benchAdminEmail, "p": benchAdminPassword}
	if customer {
		q, field = `mutation($e: String!, $p: String!) { register(input: {email: $e, password: $p, name: "Bench"}) { accessToken } }`, "register"
		vars = map[string]any{"e": randomName("bench-") + "@shop.test", "p": benchAdminPassword}
	}
	b, err := fetch(svc+"/graphql", jsonHeader, gql(q, vars))
	if err != nil {
		return nil, fmt.Errorf("sign in: %w", err)
	}
	var out struct {
		Data map[string]struct{ AccessToken string }
	}
	if err := json.Unmarshal(b, &out); err != nil || out.Data[field].AccessToken == "" {
		return nil, fmt.Errorf("sign in: %.300s", b)
	}
	h := jsonHeader.Clone()
	h.Set("Authorization", "Bearer "+out.Data[field].AccessToken)
	return h, nil
}

// placeOrders has the caller of header place n orders through the service,
// each from body(), so they are whole orders of that customer as the
// service itself writes them (whatever it records beside an order).
func placeOrders(svc string, header http.Header, body func() []byte, n int) error {
	for i := 0; i < n; i++ {
		if _, err := fetch(svc+"/graphql", header, body()); err != nil {
			return fmt.Errorf("place order %d of %d: %w", i+1, n, err)
		}
	}
	return nil
}

// searchWords are the words of the catalog's names: product i's name has
// searchWords[i%100], so each word matches 1% of the products, what the
// search scenarios look for.
var searchWords = func() []string {
	var out []string
	for _, a := range []string{"amber", "blue", "coral", "denim", "ebony", "fern", "gold", "hazel", "ivory", "jade"} {
		for _, b := range []string{"mug", "lamp", "chair", "rug", "vase", "bowl", "stool", "clock", "shelf", "tray"} {
			out = append(out, a+b)
		}
	}
	return out
}()

func productName(i int) string {
	return fmt.Sprintf("Item %d %s", i, searchWords[i%len(searchWords)])
}
