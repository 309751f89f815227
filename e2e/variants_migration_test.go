package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"

	"shop/internal/testenv"
	"shop/store"
)

// Issue 19: "Migration: existing products each get one default variant
// with their price, stock and SKU, and ledger rows move to it. It runs at
// start, idempotently. Several instances may start at once. Measure it on
// 100,000 products: its time, and that contract reads return identical
// bytes before and after."
//
// TestVariantMigrationAtScale writes products, orders and a ledger in the
// tables as the shop wrote them before variants (legacy_fixture_test.go's
// frozen structs), then:
//
//  1. runs the program as it was before variants (built from git at
//     SHOP_PREVARIANT_REF, by default main as the variants branch last
//     merged it) on that database and records what contract reads answer:
//     every page of getProducts, as a shopper and as the admin, a sample of
//     getProductsById with the dashboard's fields, and pages of the
//     products connection in each sort;
//  2. starts two processes of today's program at once on the same
//     database: one migrates, the other waits for it; both must answer
//     every read with the same bytes;
//  3. opens the store once more in this process (the migration again):
//     nothing left to do, and the database as the migration left it.
//
// It logs how long each took. Under make test it runs on 2,000 products;
//
//	SHOP_MIGRATION_PRODUCTS=100000 go test ./e2e -run TestVariantMigrationAtScale -count=1 -v
//
// measures the 100,000 (docs/operations.md has the figures).
func TestVariantMigrationAtScale(t *testing.T) {
	t.Parallel()
	n := 2000
	if v := os.Getenv("SHOP_MIGRATION_PRODUCTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 100 {
			t.Fatalf("SHOP_MIGRATION_PRODUCTS=%q: want a number, at least 100", v)
		}
	}
	testenv.SkipShort(t, "PostgreSQL and the programs built")
	// The two programs, built while the database is written.
	var before, after string
	var builds sync.WaitGroup
	builds.Add(1)
	dir := t.TempDir()
	history := hasCommit(prevariantRefOrEnv())
	if history {
		go func() { defer builds.Done(); before = buildPrevariant(t, dir) }()
	} else {
		// A checkout without the history (a shallow clone, an archive):
		// the answers before variants are TestLegacyBytes' recorded ones,
		// and this test compares the migrated instances with each other.
		t.Logf("no commit %s in this checkout: comparing the migrated instances' answers with each other", prevariantRefOrEnv())
		builds.Done()
	}
	t.Cleanup(builds.Wait) // before dir goes, and before the test ends on a failure
	after = mustBuild(t)

	env := PostgresRedisEnv(t)
	env["REQUEST_TIMEOUT"] = "60s"
	start := time.Now()
	legacy := writeLegacyAtScale(t, env["DATABASE_URL"], n)
	t.Logf("wrote %d products, %d ledger rows, %d orders in the pre-variant tables in %s", n, legacy.movements, legacy.orders, time.Since(start).Round(time.Millisecond))
	builds.Wait()
	if history && before == "" {
		t.FailNow() // buildPrevariant said why
	}

	var reads []migrationRead
	var want [][]byte
	if history {
		// Each program caches in Redis under a prefix of its own: the bytes
		// after must come from today's program, not from the old one's cache.
		oldEnv := withEnv(env, "REDIS_KEY_PREFIX", env["REDIS_KEY_PREFIX"]+"before:")
		start = time.Now()
		old := mustStartProcess(t, before, oldEnv)
		t.Logf("the pre-variant program started in %s", time.Since(start).Round(time.Millisecond))
		reads = migrationReads(t, old.instance, legacy)
		start = time.Now()
		want = make([][]byte, len(reads))
		for i, r := range reads {
			want[i] = r.send(t, old.instance)
		}
		t.Logf("%d reads before, %s", len(reads), time.Since(start).Round(time.Millisecond))
		stopProcess(t, old)
		var variantsBefore int
		db := mustSQL(t, env)
		if err := db.QueryRow(`SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'product_variants'`).Scan(&variantsBefore); err != nil {
			t.Fatal(err)
		}
		if variantsBefore != 0 {
			t.Fatal("the pre-variant program made product_variants: SHOP_PREVARIANT_REF is not before variants")
		}
	}

	// Two instances of today's program start at once on the old data.
	newEnv := withEnv(env, "REDIS_KEY_PREFIX", env["REDIS_KEY_PREFIX"]+"after:")
	start = time.Now()
	procs := []*process{startProcess(t, after, newEnv), startProcess(t, after, newEnv)}
	var listened []time.Duration
	for _, p := range procs {
		p.mustListen(t, newEnv)
		listened = append(listened, p.logs.listened.Sub(start).Round(time.Millisecond))
	}
	migrated := 0
	for i, p := range procs {
		if line, ok := variantMigrationLog(p.logs.String()); ok {
			migrated++
			if line.Variants != n || line.LedgerRows != legacy.movements || line.OrderLines != legacy.orders {
				t.Fatalf("process %d migrated %+v; want %d variants, %d ledger rows, %d order lines", i, line, n, legacy.movements, legacy.orders)
			}
			t.Logf("process %d migrated %d products, %d ledger rows and %d order lines in %s (listening after %s; the other after %s)",
				i, line.Variants, line.LedgerRows, line.OrderLines, line.Took, listened[i], listened[1-i])
		}
	}
	if migrated != 1 {
		t.Fatalf("%d of the two processes started together migrated, want exactly one", migrated)
	}
	if !history {
		reads = migrationReads(t, procs[0].instance, legacy)
		want = make([][]byte, len(reads))
		for i, r := range reads {
			want[i] = r.send(t, procs[0].instance)
		}
	}
	for i, p := range procs {
		for pass := 0; pass < 2; pass++ { // the second mostly from the cache
			for j, r := range reads {
				if got := r.send(t, p.instance); !bytes.Equal(got, want[j]) {
					t.Fatalf("process %d, pass %d, %s: the answer changed\nbefore %s\nafter  %s", i, pass, r.name, clip(want[j]), clip(got))
				}
			}
		}
	}
	t.Logf("%d reads answered the same bytes before and after, by both processes, twice", len(reads))
	checkMigrated(t, env, legacy)
	for _, p := range procs {
		stopProcess(t, p)
	}

	// The migration once more, in this process: store.Open has nothing
	// left to do.
	var logged logBuffer
	start = time.Now()
	s, err := store.Open(context.Background(), store.Options{DatabaseURL: env["DATABASE_URL"], MaxOpenConns: 2, MaxIdleConns: 1,
		Logger: slog.New(slog.NewJSONHandler(&logged, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("store.Open again on the migrated database: %s", time.Since(start).Round(time.Millisecond))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if line, ok := variantMigrationLog(logged.String()); ok {
		t.Fatalf("store.Open migrated again: %+v", line)
	}
	checkMigrated(t, env, legacy)
	p := mustStartProcess(t, after, withEnv(newEnv, "REDIS_KEY_PREFIX", env["REDIS_KEY_PREFIX"]+"again:"))
	if line, ok := variantMigrationLog(p.logs.String()); ok {
		t.Fatalf("a third start migrated again: %+v", line)
	}
	for j, r := range reads {
		if got := r.send(t, p.instance); !bytes.Equal(got, want[j]) {
			t.Fatalf("after the migration ran again, %s changed\nbefore %s\nafter  %s", r.name, clip(want[j]), clip(got))
		}
	}
}

func withEnv(env map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(env)+1)
	for key, val := range env {
		out[key] = val
	}
	out[k] = v
	return out
}

func clip(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

// stopProcess stops a process with SIGTERM and waits for it.
func stopProcess(t *testing.T, p *process) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("the process did not stop in 30 s after SIGTERM")
	}
}

// prevariantRef is main as the variants branch last merged it: the
// program as it was before variants.
const prevariantRef = "90118e230bb733282acab63627934a8447f53f71"

func prevariantRefOrEnv() string {
	if ref := os.Getenv("SHOP_PREVARIANT_REF"); ref != "" {
		return ref
	}
	return prevariantRef
}

// hasCommit reports whether this checkout's history holds ref.
func hasCommit(ref string) bool {
	cmd := exec.Command("git", "cat-file", "-e", ref+"^{commit}")
	cmd.Dir = ".."
	return cmd.Run() == nil
}

// buildPrevariant builds the program at SHOP_PREVARIANT_REF (prevariantRef
// when unset) from this repository's history and returns its path ("" when
// it failed, having said why).
func buildPrevariant(t *testing.T, dir string) string {
	ref := prevariantRefOrEnv()
	src := filepath.Join(dir, "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Error(err)
		return ""
	}
	archive := exec.Command("git", "archive", "--format=tar", ref)
	archive.Dir = ".." // the repository's top: in e2e/ it would archive e2e/ alone
	unpack := exec.Command("tar", "-x", "-C", src)
	pipe, err := archive.StdoutPipe()
	if err != nil {
		t.Error(err)
		return ""
	}
	unpack.Stdin = pipe
	var stderr bytes.Buffer
	archive.Stderr = &stderr
	if err := unpack.Start(); err != nil {
		t.Error(err)
		return ""
	}
	if err := archive.Run(); err != nil {
		t.Errorf("git archive %s (the program before variants; set SHOP_PREVARIANT_REF to a commit of it): %v\n%s", ref, err, stderr.String())
		_ = unpack.Wait()
		return ""
	}
	if err := unpack.Wait(); err != nil {
		t.Errorf("unpack %s: %v", ref, err)
		return ""
	}
	bin := filepath.Join(dir, "shop-before")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, ".") // -trimpath: the build cache serves every temporary directory
	build.Dir = src
	start := time.Now()
	if out, err := build.CombinedOutput(); err != nil {
		t.Errorf("go build at %s: %v\n%s", ref, err, out)
		return ""
	}
	t.Logf("built the program at %s in %s", ref[:min(len(ref), 12)], time.Since(start).Round(time.Millisecond))
	return bin
}

// legacyScale is what writeLegacyAtScale wrote.
type legacyScale struct {
	products           int
	movements, orders  int
	ids                []string // by creation
	inactive, withSKUs int
}

// writeLegacyAtScale creates the pre-variant tables and writes n
// products (every 50th inactive, every 3rd with a SKU, every 7th out of
// stock, prices from 0 to 999.99), each with its initial stock in the
// ledger, and an order of one line for every 10th, with its movement.
func writeLegacyAtScale(tb testing.TB, dsn string, n int) legacyScale {
	tb.Helper()
	db, err := gorm.Open(postgres.Open(dsn), &gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: true, CreateBatchSize: 1000})
	if err != nil {
		tb.Fatal(err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		tb.Fatal(err)
	}
	defer sqlDB.Close()
	if err := db.AutoMigrate(&legacyProduct{}, &legacyOrder{}, &legacyOrderItem{}, &legacyUser{},
		&legacyOrderEvent{}, &legacyStockMovement{}, &legacyCategory{}); err != nil {
		tb.Fatalf("create the legacy tables: %v", err)
	}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	out := legacyScale{products: n}
	products := make([]legacyProduct, 0, n)
	var moves []legacyStockMovement
	var orders []legacyOrder
	var items []legacyOrderItem
	var inactive []string
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("60000000-0000-4000-8000-%012d", i)
		stock := (i * 37) % 500
		if i%7 == 0 {
			stock = 0
		}
		created := base.Add(time.Duration(i) * time.Second)
		p := legacyProduct{ID: id, Price: int64((i * 7919) % 100000), StockCount: stock, CreatedAt: created, LastUpdated: created.Add(time.Hour),
			Name: fmt.Sprintf("Product %06d", i), Description: "A product from before variants", ImageURLs: "[]", Active: true}
		if i%3 == 0 {
			sku := fmt.Sprintf("OLD-%06d", i)
			p.SKU = &sku
			out.withSKUs++
		}
		if i%50 == 0 {
			inactive = append(inactive, id)
		}
		initial := stock
		if i%10 == 0 && stock > 0 {
			initial = stock + 1
			oid := fmt.Sprintf("70000000-0000-4000-8000-%012d", i)
			orders = append(orders, legacyOrder{ID: oid, CustomerID: "walk-in", TotalAmount: p.Price, Status: "paid", CreatedAt: created.Add(time.Minute), LastUpdated: created.Add(time.Minute)})
			items = append(items, legacyOrderItem{ID: fmt.Sprintf("80000000-0000-4000-8000-%012d", i), OrderID: oid, ProductID: id, Quantity: 1, PriceAtPurchase: p.Price})
		}
		if initial > 0 {
			moves = append(moves, legacyStockMovement{ProductID: id, Delta: initial, Kind: "initial", Actor: "admin", At: created, StockAfter: initial})
		}
		if initial != stock {
			oid := orders[len(orders)-1].ID
			moves = append(moves, legacyStockMovement{ProductID: id, Delta: -1, Kind: "order", OrderID: &oid, Actor: "walk-in", At: created.Add(time.Minute), StockAfter: stock})
		}
		products = append(products, p)
		out.ids = append(out.ids, id)
	}
	err = db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&products).Error; err != nil {
			return err
		}
		// GORM writes active's default (true) for false: inactive ones
		// after.
		if err := tx.Model(&legacyProduct{}).Where("product_id IN ?", inactive).Update("active", false).Error; err != nil {
			return err
		}
		if len(orders) > 0 {
			if err := tx.Omit(clause.Associations).Create(&orders).Error; err != nil {
				return err
			}
			if err := tx.Create(&items).Error; err != nil {
				return err
			}
		}
		return tx.Omit("id").Create(&moves).Error
	})
	if err != nil {
		tb.Fatalf("write the legacy rows: %v", err)
	}
	out.movements, out.orders, out.inactive = len(moves), len(orders), len(inactive)
	return out
}

// migrationRead is one request whose answer must keep its bytes.
type migrationRead struct {
	name, query string
	vars        map[string]any
	admin       bool
}

// send posts the read (as the admin when it says so) and returns the
// response's body as it came.
func (r migrationRead) send(tb testing.TB, in *instance) []byte {
	tb.Helper()
	body, _ := json.Marshal(map[string]any{"query": r.query, "variables": r.vars})
	req, _ := http.NewRequest(http.MethodPost, in.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if r.admin {
		req.Header.Set("Authorization", "Bearer "+in.MustAdmin(tb).Token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s: %v", r.name, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || bytes.Contains(raw, []byte(`"errors"`)) {
		tb.Fatalf("%s: %d %v %s", r.name, resp.StatusCode, err, clip(raw))
	}
	return raw
}

// migrationReads are the reads compared: every page of getProducts as a
// shopper and as the admin (the contract's fields), every 50th product
// (and one never made) by getProductsById with the dashboard's fields, and
// three pages of the products connection in each sort, the later pages
// after the cursors the program before variants gave.
func migrationReads(tb testing.TB, old *instance, legacy legacyScale) []migrationRead {
	tb.Helper()
	var reads []migrationRead
	for _, admin := range []bool{false, true} {
		for off := 0; off < legacy.products; off += 1000 {
			reads = append(reads, migrationRead{name: fmt.Sprintf("getProducts(limit: 1000, offset: %d) admin %v", off, admin), admin: admin,
				query: `query($o: Int) { getProducts(limit: 1000, offset: $o) { ` + lgProduct + ` } }`, vars: map[string]any{"o": off}})
		}
	}
	var byID []string
	for i := 0; i < len(legacy.ids); i += 50 {
		byID = append(byID, legacy.ids[i], legacy.ids[min(i+49, len(legacy.ids)-1)]) // the 50th is inactive
	}
	byID = append(byID, unknownID)
	for start := 0; start < len(byID); start += 20 {
		var b strings.Builder
		b.WriteString("{")
		for k, id := range byID[start:min(start+20, len(byID))] {
			fmt.Fprintf(&b, " p%d: getProductsById(id: %q) { %s }", k, id, lgDashProduct)
		}
		b.WriteString(" }")
		for _, admin := range []bool{false, true} {
			reads = append(reads, migrationRead{name: fmt.Sprintf("getProductsById ×20 from %d admin %v", start, admin), admin: admin, query: b.String()})
		}
	}
	for _, sort := range []string{"NEWEST", "PRICE_ASC", "PRICE_DESC", "NAME"} {
		after := any(nil)
		for page := 0; page < 3; page++ {
			r := migrationRead{name: fmt.Sprintf("products(sort: %s) page %d", sort, page),
				query: `query($a: String) { products(first: 100, after: $a, sort: ` + sort + `) { ` + lgProductsPage + ` } }`, vars: map[string]any{"a": after}}
			reads = append(reads, r)
			var out struct {
				Data struct {
					Products struct{ PageInfo struct{ EndCursor string } }
				}
			}
			if err := json.Unmarshal(r.send(tb, old), &out); err != nil || out.Data.Products.PageInfo.EndCursor == "" {
				tb.Fatalf("%s: no cursor (%v)", r.name, err)
			}
			after = out.Data.Products.PageInfo.EndCursor
		}
	}
	return reads
}

// variantMigrationLine is the migration's log line.
type variantMigrationLine struct {
	Msg                              string
	Variants, LedgerRows, OrderLines int
	Took                             string
}

// variantMigrationLog finds the line the variants' migration logs when it
// did something.
func variantMigrationLog(logs string) (variantMigrationLine, bool) {
	for _, line := range strings.Split(logs, "\n") {
		var l variantMigrationLine
		if json.Unmarshal([]byte(line), &l) == nil && strings.HasPrefix(l.Msg, "variants: ") {
			return l, true
		}
	}
	return variantMigrationLine{}, false
}

// checkMigrated checks the database as the migration must leave it: each
// product one variant with the product's id, price, stock and SKU, titled
// Default, without options; every ledger row and order line naming it.
func checkMigrated(tb testing.TB, env map[string]string, legacy legacyScale) {
	tb.Helper()
	db := mustSQL(tb, env)
	var variants, same, withSKU, ledgerLeft, linesLeft, linesRight int
	if err := db.QueryRow(`SELECT COUNT(*), COUNT(*) FILTER (WHERE v.variant_id = p.product_id AND v.price_cents = p.price_cents AND v.stock_count = p.stock_count
		AND v.sku IS NOT DISTINCT FROM p.sku AND v.title = 'Default' AND v.options = '[]' AND v.option_key = '' AND v.position = 0 AND p.options = '[]'),
		COUNT(v.sku) FROM product_variants v JOIN products p ON p.product_id = v.product_id`).Scan(&variants, &same, &withSKU); err != nil {
		tb.Fatal(err)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM stock_movements WHERE variant_id <> product_id`).Scan(&ledgerLeft); err != nil {
		tb.Fatal(err)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FILTER (WHERE variant_id <> product_id OR title <> 'Default'), COUNT(*) FROM order_items`).Scan(&linesLeft, &linesRight); err != nil {
		tb.Fatal(err)
	}
	if variants != legacy.products || same != legacy.products || withSKU != legacy.withSKUs || ledgerLeft != 0 || linesLeft != 0 || linesRight != legacy.orders {
		tb.Fatalf("after the migration: %d variants (%d as their products), %d with a SKU, %d ledger rows and %d of %d order lines not on them; want %d, %d, %d, 0, 0 of %d",
			variants, same, withSKU, ledgerLeft, linesLeft, linesRight, legacy.products, legacy.products, legacy.withSKUs, legacy.orders)
	}
}
