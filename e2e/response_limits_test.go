package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/redis/go-redis/v9"

	"shop/store"
)

// Issue 17's costly requests, against the binary as a process of its own on
// PostgreSQL and Redis, with the Docker image's memory settings.

// imageEnv is PostgresRedisEnv with the image's GOGC and GOMEMLIMIT.
func imageEnv(t *testing.T) map[string]string {
	env := PostgresRedisEnv(t)
	env["GOGC"], env["GOMEMLIMIT"] = "400", "384MiB"
	return env
}

// mustSeed writes orders of lines items (a product each) beside the
// running server, then runs the statements, before anything is read.
func mustSeed(t *testing.T, env map[string]string, orders, lines int, statements ...string) {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, store.Options{DatabaseURL: env["DATABASE_URL"], MaxOpenConns: 2, MaxIdleConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.SeedForTest(ctx, orders, lines); err != nil {
		t.Fatal(err)
	}
	db, err := s.DB()
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range statements {
		if _, err := db.ExecContext(ctx, st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
}

// sized is a response with its body's length.
type sized struct {
	gqlResponse
	bytes int
}

func mustPostSized(t *testing.T, c *client, query string) sized {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, c.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("POST /graphql: %v", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := sized{gqlResponse: gqlResponse{Status: resp.StatusCode, Header: resp.Header}, bytes: len(raw)}
	if err := json.Unmarshal(raw, &out.gqlResponse); err != nil {
		t.Fatalf("response %d is not JSON: %v", resp.StatusCode, err)
	}
	return out
}

// aliases repeats a field n times under aliases a0, a1…; %[1]d in field
// is the alias's number.
func aliases(n int, field string) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, " a%d: "+field, i)
	}
	return b.String() + " }"
}

// peakRSS is a process's peak resident memory.
func peakRSS(t *testing.T, pid int) int64 {
	_, peak := memoryOf(t, pid)
	return peak
}

// Broken 1: 100 aliases of a page of 100 descriptions of 10,000 characters
// returned 100 MB to an anonymous caller. Now such a page costs what it can
// return (refused by GRAPHQL_MAX_COST), what passes the cost is stopped at
// MAX_RESPONSE_BYTES while it executes (admins have more), and a response
// larger than CACHE_MAX_ENTRY_BYTES is served but stored in neither tier.
func TestLargeResponsesAreStopped(t *testing.T) {
	t.Parallel()
	env := imageEnv(t)
	p := mustStartProcess(t, mustBuild(t), env)
	mustSeed(t, env, 1, 100, "UPDATE products SET description = repeat('x', 10000)")
	anonymous := p.Anonymous()
	page := `products(first: 100) { edges { node { description } } }`

	// The request: about 5 KB of query for 100 MB of answer.
	attack := aliases(100, page)
	pid := p.cmd.Process.Pid
	cpu := processCPU(t, pid)
	r := mustPostSized(t, anonymous, attack)
	t.Logf("the attack (%d bytes): %d %s, %d bytes back, %v of CPU, peak RSS %d MiB", len(attack), r.Status, r.Code(), r.bytes, processCPU(t, pid)-cpu, peakRSS(t, pid)>>20)
	if r.Status != http.StatusBadRequest || r.Code() != "QUERY_TOO_COMPLEX" || r.bytes > 2000 {
		t.Fatalf("100 pages of descriptions: %d %+v, %d bytes", r.Status, r.Errors, r.bytes)
	}

	// 30 pages cost 306,030, within GRAPHQL_MAX_COST, and would be 30 MB:
	// stopped at 4 MiB, answered with one error.
	cpu = processCPU(t, pid)
	r = mustPostSized(t, anonymous, aliases(30, page))
	t.Logf("30 pages: %d %s, %d bytes back, %v of CPU, peak RSS %d MiB", r.Status, r.Code(), r.bytes, processCPU(t, pid)-cpu, peakRSS(t, pid)>>20)
	if r.Status != http.StatusBadRequest || r.Code() != "RESPONSE_TOO_LARGE" || len(r.Errors) != 1 || r.bytes > 2000 || (len(r.Data) > 0 && string(r.Data) != "null") {
		t.Fatalf("30 pages of descriptions: %d %+v, %d bytes, data %.100s", r.Status, r.Errors, r.bytes, r.Data)
	}
	if msg := r.Errors[0].Message; !strings.Contains(msg, "the maximum is 4,194,304") || !strings.Contains(msg, "reached 4,") {
		t.Fatalf("message %q does not give the value and the maximum", msg)
	}

	// One page of descriptions, 1 MB, is an honest read.
	var one struct {
		Products struct {
			Edges []struct{ Node struct{ Description string } }
		}
	}
	anonymous.MustData(t, `{ products(first: 100) { edges { node { description } } } }`, nil, &one)
	if len(one.Products.Edges) != 100 || len(one.Products.Edges[99].Node.Description) != 10_000 {
		t.Fatalf("one page: %d products", len(one.Products.Edges))
	}

	// Admins get MAX_RESPONSE_BYTES_ADMIN: 5 pages (5 MB) are theirs.
	five := aliases(5, page)
	if r := mustPostSized(t, p.MustAdmin(t), five); r.Status != http.StatusOK || len(r.Errors) > 0 || r.bytes < 5_000_000 {
		t.Fatalf("the admin's 5 pages: %d %+v, %d bytes", r.Status, r.Errors, r.bytes)
	}
	if r := mustPostSized(t, anonymous, five); r.Code() != "RESPONSE_TOO_LARGE" {
		t.Fatalf("an anonymous caller's 5 pages: %d %+v", r.Status, r.Errors)
	}

	// Two pages (2 MB) are served twice, and stored neither time.
	two := aliases(2, page)
	for i := range 2 {
		if r := mustPostSized(t, anonymous, two); r.Status != http.StatusOK || len(r.Errors) > 0 || r.bytes < 2_000_000 {
			t.Fatalf("two pages, request %d: %d %+v, %d bytes", i+1, r.Status, r.Errors, r.bytes)
		}
	}
	if n := p.MustMetric(t, "shop_cache_too_large_total", ""); n < 2 {
		t.Fatalf("shop_cache_too_large_total = %v after two responses of 2 MB", n)
	}
	opt, err := redis.ParseURL(env["REDIS_URL"])
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx := context.Background()
	keys, largest := 0, int64(0)
	for iter := rdb.Scan(ctx, 0, env["REDIS_KEY_PREFIX"]+"*", 1000).Iterator(); iter.Next(ctx); {
		keys++
		if typ, _ := rdb.Type(ctx, iter.Val()).Result(); typ == "string" {
			largest = max(largest, rdb.StrLen(ctx, iter.Val()).Val())
		}
	}
	t.Logf("Redis: %d keys, the largest %d bytes", keys, largest)
	if keys == 0 || largest > 1<<20 {
		t.Fatalf("Redis holds an entry of %d bytes, over CACHE_MAX_ENTRY_BYTES", largest)
	}
	if peak := peakRSS(t, p.cmd.Process.Pid); peak > 512<<20 {
		t.Fatalf("peak RSS %d MiB: a 512 MiB instance would have died", peak>>20)
	}
}

// Order history: a customer's getOrders(limit: 1000) over 1,000 orders of
// 100 lines (100,000 items) costs 302,001, within GRAPHQL_MAX_COST, and
// took 1.28 s of CPU for 6 MB. It is stopped at MAX_RESPONSE_BYTES; with
// the products' names and descriptions it costs what they can return and
// is refused before it runs; a page of 20 orders is served.
func TestOrderHistoryIsBounded(t *testing.T) {
	t.Parallel()
	env := imageEnv(t)
	p := mustStartProcess(t, mustBuild(t), env)
	customer, _ := p.MustCustomer(t)
	mustSeed(t, env, 1000, 100, "UPDATE orders SET customer_id = '"+customer.ID+"'")

	cpu := processCPU(t, p.cmd.Process.Pid)
	r := mustPostSized(t, customer, `{ getOrders(limit: 1000) { orderId items { productId quantity priceAtPurchase } } }`)
	t.Logf("1,000 orders of 100 items: %d %s, %d bytes back, %v of CPU, peak RSS %d MiB", r.Status, r.Code(), r.bytes,
		processCPU(t, p.cmd.Process.Pid)-cpu, peakRSS(t, p.cmd.Process.Pid)>>20)
	if r.Status != http.StatusBadRequest || r.Code() != "RESPONSE_TOO_LARGE" || len(r.Errors) != 1 || r.bytes > 2000 {
		t.Fatalf("the whole history: %d %+v, %d bytes", r.Status, r.Errors, r.bytes)
	}
	r = mustPostSized(t, customer, `{ getOrders(limit: 1000) { orderId items { productId quantity product { name description } } } }`)
	if r.Status != http.StatusBadRequest || r.Code() != "QUERY_TOO_COMPLEX" {
		t.Fatalf("the whole history with descriptions: %d %+v", r.Status, r.Errors)
	}
	var page struct {
		GetOrders []struct {
			OrderID string
			Items   []struct{ ProductID string }
		}
	}
	customer.MustData(t, `{ getOrders(limit: 20) { orderId items { productId } } }`, nil, &page)
	if len(page.GetOrders) != 20 || len(page.GetOrders[19].Items) != 100 {
		t.Fatalf("a page of 20 orders: %d", len(page.GetOrders))
	}
}

// processCPU is the CPU time a process has used (user and system).
func processCPU(t *testing.T, pid int) time.Duration {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+k) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// backendCPU is the CPU time each PostgreSQL backend serving the
// database has used, by pid, when /proc shows them (for the log only: the
// machine's PostgreSQL serves other tests too).
func backendCPU(t *testing.T, db *sql.DB) map[int]time.Duration {
	t.Helper()
	rows, err := db.Query("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int]time.Duration{}
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		s := string(raw)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		k, _ := strconv.ParseInt(f[12], 10, 64)
		out[pid] = time.Duration(u+k) * 10 * time.Millisecond // USER_HZ is 100 on Linux
	}
	return out
}

// cpuSince is the CPU the backends used since before.
func cpuSince(t *testing.T, db *sql.DB, before map[int]time.Duration) time.Duration {
	var d time.Duration
	for pid, cpu := range backendCPU(t, db) {
		d += cpu - before[pid]
	}
	return d
}

// Broken 2: 100 aliased RELEVANCE searches, each with a different price
// filter (so that none is in the cache), were 100 full-text searches in
// one request. GRAPHQL_MAX_DB_FIELDS (10) refuses them before a statement
// is sent; 10 are served.
func TestAliasedSearchesAreCounted(t *testing.T) {
	t.Parallel()
	env := imageEnv(t)
	p := mustStartProcess(t, mustBuild(t), env)
	// 1,000 products whose descriptions all match, each 200 words.
	mustSeed(t, env, 10, 100, "UPDATE products SET description = repeat('ceramic mug with a handle ', 40)")
	db, err := sql.Open("pgx", env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	search := `products(first: 5, sort: RELEVANCE, filter: {query: "ceramic mug", minPrice: 0.%02[1]d}) { edges { node { productId } } }`

	statements := p.MustMetric(t, "shop_sql_statements_total", "")
	cpu, start := backendCPU(t, db), time.Now()
	r := mustPostSized(t, p.Anonymous(), aliases(100, search))
	t.Logf("100 searches: %d %s in %v, PostgreSQL CPU %v, %v statements", r.Status, r.Code(), time.Since(start).Round(time.Millisecond),
		cpuSince(t, db, cpu), p.MustMetric(t, "shop_sql_statements_total", "")-statements)
	if r.Status != http.StatusBadRequest || r.Code() != "TOO_MANY_DATABASE_FIELDS" || !strings.Contains(r.Errors[0].Message, "100 fields") ||
		!strings.Contains(r.Errors[0].Message, "the maximum is 10") {
		t.Fatalf("100 aliased searches: %d %+v", r.Status, r.Errors)
	}
	if n := p.MustMetric(t, "shop_sql_statements_total", "") - statements; n > 0 {
		t.Fatalf("the refused request sent %v statements", n)
	}

	cpu, start = backendCPU(t, db), time.Now()
	r = mustPostSized(t, p.Anonymous(), aliases(10, search))
	t.Logf("10 searches: %d in %v, PostgreSQL CPU %v", r.Status, time.Since(start).Round(time.Millisecond), cpuSince(t, db, cpu))
	if r.Status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("10 searches: %d %+v", r.Status, r.Errors)
	}
	var data map[string]struct{ Edges []struct{} }
	if err := json.Unmarshal(r.Data, &data); err != nil || len(data) != 10 || len(data["a9"].Edges) != 5 {
		t.Fatalf("10 searches: %v %s", err, r.Data)
	}
}
