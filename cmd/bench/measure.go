package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// figures are one measurement: successful requests per second and the
// latency quantiles.
type figures struct {
	rps      float64
	p50, p99 time.Duration
	failures int
	orders   float64 // scenario 6: createOrder per second that succeeded beside the reads
	// Open loop only (paced): the 99.9th percentile, and how many requests
	// it was taken from, so a reader can tell how far to trust it.
	p999     time.Duration
	requests int
}

var jsonHeader = http.Header{
	"Content-Type": {"application/json"},
	// Compare like with like: the floor serves the bytes uncompressed.
	"Accept-Encoding": {"identity"},
}

// httpLoad posts body() with header to url from c closed-loop workers for
// d (vegeta at an unbounded rate with c workers), counting GraphQL errors
// as failures.
func httpLoad(url string, header http.Header, body func() []byte, c int, d time.Duration) figures {
	targeter := func(t *vegeta.Target) error {
		t.Method, t.URL, t.Body, t.Header = http.MethodPost, url, body(), header
		return nil
	}
	atk := vegeta.NewAttacker(vegeta.Workers(uint64(c)), vegeta.MaxWorkers(uint64(c)),
		vegeta.Connections(c), vegeta.KeepAlive(true), vegeta.Timeout(30*time.Second))
	var m vegeta.Metrics
	failures := 0
	for res := range atk.Attack(targeter, vegeta.ConstantPacer{}, d, url) {
		if res.Code != http.StatusOK || res.Error != "" || bytes.Contains(res.Body, []byte(`"errors"`)) {
			if failures == 0 {
				fmt.Printf("    first failure at %s: %d %s %.200s\n", url, res.Code, res.Error, res.Body)
			}
			failures++
		}
		m.Add(res)
	}
	m.Close()
	f := figures{p50: m.Latencies.P50, p99: m.Latencies.P99, failures: failures}
	if elapsed := m.Duration + m.Wait; elapsed > 0 {
		f.rps = (float64(m.Requests) - float64(failures)) / elapsed.Seconds()
	}
	return f
}

// paced posts body() with header to url at rate requests per second for d,
// each request due at its place in an even schedule whatever the answers do
// (vegeta's constant pacer: an open loop), and returns the exact latency
// quantiles. A closed loop of c workers only measures its own queue
// (latency = c / throughput); this is the latency a user arriving at that
// rate sees.
//
// At most c requests are in flight, over c connections as in the closed
// loop: letting vegeta add a worker and a connection whenever all are busy
// feeds on itself on a machine the generator shares (dials and goroutines
// take the CPU the requests need) until nothing is served. A request that
// waits for a free worker is still late, so its latency counts from when it
// was due, not from when it was sent: the generator's queue is counted as
// the user's (no coordinated omission).
func paced(url string, header http.Header, body func() []byte, rate float64, c int, d time.Duration) figures {
	targeter := func(t *vegeta.Target) error {
		t.Method, t.URL, t.Body, t.Header = http.MethodPost, url, body(), header
		return nil
	}
	atk := vegeta.NewAttacker(vegeta.Workers(uint64(c)), vegeta.MaxWorkers(uint64(c)),
		vegeta.Connections(c), vegeta.KeepAlive(true), vegeta.Timeout(30*time.Second))
	pacer := vegeta.ConstantPacer{Freq: max(1, int(rate+0.5)), Per: time.Second}
	// The pacer sends hit n (from 0) at (n+1) intervals after the start.
	interval := time.Duration(pacer.Per.Nanoseconds() / int64(pacer.Freq))
	var lat []time.Duration
	failures := 0
	var last time.Time
	began := time.Now()
	for res := range atk.Attack(targeter, pacer, d, url) {
		if res.Code != http.StatusOK || res.Error != "" || bytes.Contains(res.Body, []byte(`"errors"`)) {
			if failures == 0 {
				fmt.Printf("    first failure at %s: %d %s %.200s\n", url, res.Code, res.Error, res.Body)
			}
			failures++
			continue
		}
		due := began.Add(time.Duration(res.Seq+1) * interval)
		lat = append(lat, max(res.Latency, res.End().Sub(due)))
		if end := res.End(); end.After(last) {
			last = end
		}
	}
	f := figures{failures: failures, requests: len(lat)}
	if len(lat) == 0 {
		return f
	}
	slices.Sort(lat)
	at := func(q float64) time.Duration { return lat[min(len(lat)-1, int(q*float64(len(lat))))] }
	f.p50, f.p99, f.p999 = at(0.50), at(0.99), at(0.999)
	f.rps = float64(len(lat)) / last.Sub(began).Seconds()
	return f
}

// beside runs load while body() is posted to url at rate requests per
// second, evenly paced (an open loop: the writes arrive on time whatever the
// reads do), and adds the writes' successful rate and failures to load's
// figures.
func beside(url string, header http.Header, body func() []byte, rate int, load func() figures) figures {
	done := make(chan [2]float64)
	stop := make(chan struct{})
	go func() {
		targeter := func(t *vegeta.Target) error {
			t.Method, t.URL, t.Body, t.Header = http.MethodPost, url, body(), header
			return nil
		}
		atk := vegeta.NewAttacker(vegeta.KeepAlive(true), vegeta.Timeout(30*time.Second))
		ok, failed := 0, 0
		start := time.Now()
		for res := range atk.Attack(targeter, vegeta.ConstantPacer{Freq: rate, Per: time.Second}, 0, "writes") {
			if res.Code != http.StatusOK || res.Error != "" || bytes.Contains(res.Body, []byte(`"errors"`)) {
				if failed == 0 {
					fmt.Printf("    first failed write: %d %s %.200s\n", res.Code, res.Error, res.Body)
				}
				failed++
			} else {
				ok++
			}
			select {
			case <-stop:
				atk.Stop()
			default:
			}
		}
		done <- [2]float64{float64(ok) / time.Since(start).Seconds(), float64(failed)}
	}()
	f := load()
	close(stop)
	w := <-done
	f.orders = w[0]
	f.failures += int(w[1])
	return f
}

// cacheUse is what the catalog cache did while a load ran (from /metrics):
// the share of reads it answered, the share the in-process tier answered
// without a round trip to Redis, and how often that tier was flushed.
type cacheUse struct{ hit, local, resets float64 }

// withHitRate runs load and returns its figures and the cache's use
// meanwhile.
func withHitRate(svc string, load func() figures) (figures, cacheUse) {
	a := cacheCounters(svc)
	f := load()
	b := cacheCounters(svc)
	reads := b["shop_cache_hits_total"] + b["shop_cache_misses_total"] - a["shop_cache_hits_total"] - a["shop_cache_misses_total"]
	if reads == 0 {
		return f, cacheUse{}
	}
	return f, cacheUse{
		hit:    (b["shop_cache_hits_total"] - a["shop_cache_hits_total"]) / reads,
		local:  (b["shop_cache_local_hits_total"] - a["shop_cache_local_hits_total"]) / reads,
		resets: b["shop_cache_local_resets_total"] - a["shop_cache_local_resets_total"],
	}
}

func cacheCounters(svc string) map[string]float64 {
	out := map[string]float64{}
	req, err := http.NewRequest(http.MethodGet, svc+"/metrics", nil)
	if err != nil {
		return out
	}
	req.Header.Set("Authorization", "Bearer "+benchMetricsToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		name, value, _ := strings.Cut(line, " ")
		if strings.HasPrefix(name, "shop_cache_") {
			out[name], _ = strconv.ParseFloat(value, 64)
		}
	}
	return out
}

func medianOf(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	return v[len(v)/2]
}

// floorServer serves fixed response bytes by name from memory through a
// bare chi router: the most an HTTP handler in this binary can do. The
// bench puts each response there (PUT /floor/{name}) before any load; it
// runs in the service's process, so that both sides of a ratio cross the
// same process boundary and share one heap and one scheduler.
func floorServer() (string, func(), error) {
	var responses atomic.Pointer[map[string][]byte]
	responses.Store(&map[string][]byte{})
	var mu sync.Mutex // serializes the PUTs' copy-on-write
	r := chi.NewRouter()
	r.Post("/floor/{name}", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write((*responses.Load())[chi.URLParam(r, "name")])
	})
	r.Put("/floor/{name}", func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		m := maps.Clone(*responses.Load())
		m[chi.URLParam(r, "name")] = b
		responses.Store(&m)
		w.WriteHeader(http.StatusNoContent)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

// putFloor gives the floor at url the response it serves as name.
func putFloor(url, name string, b []byte) error {
	req, _ := http.NewRequest(http.MethodPut, url+"/floor/"+name, bytes.NewReader(b))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("floor %s: %s", name, resp.Status)
	}
	return nil
}

// fetch posts body with header once and returns the response bytes.
func fetch(url string, header http.Header, body []byte) ([]byte, error) {
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header = header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && (resp.StatusCode != 200 || bytes.Contains(b, []byte(`"errors"`))) {
		err = fmt.Errorf("%d %.300s", resp.StatusCode, b)
	}
	return b, err
}

// orderTx is the order transaction shop runs, issued directly through pgx:
// conditional stock updates in product-id order, then the order and its
// items. It is the floor for createOrder.
func orderTx(ctx context.Context, pool *pgxpool.Pool, ids []string) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	now := time.Now().UTC()
	prices := make([]int64, len(ids))
	for i, id := range ids {
		if err := tx.QueryRow(ctx, `UPDATE products SET stock_count = stock_count - $1, last_updated = $2
			WHERE product_id = $3 AND stock_count >= $1 RETURNING price_cents`, 1, now, id).Scan(&prices[i]); err != nil {
			return err
		}
	}
	orderID := newID()
	var total int64
	for _, p := range prices {
		total += p
	}
	if _, err := tx.Exec(ctx, `INSERT INTO orders (order_id, customer_id, total_amount_cents, status, created_at, last_updated)
		VALUES ($1, $2, $3, 'pending', $4, $4)`, orderID, "bench", total, now); err != nil {
		return err
	}
	b := &pgx.Batch{}
	args := []any{}
	sql := `INSERT INTO order_items (id, order_id, product_id, quantity, price_at_purchase_cents, position) VALUES `
	for i, id := range ids {
		if i > 0 {
			sql += ","
		}
		n := len(args)
		sql += fmt.Sprintf("($%d,$%d,$%d,$%d,$%d,$%d)", n+1, n+2, n+3, n+4, n+5, n+6)
		args = append(args, newID(), orderID, id, 1, prices[i], i)
	}
	b.Queue(sql, args...)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// variantOrderTx is orderTx for lines of variants ("product variant",
// sorted by product, so transactions lock in one order): each variant's stock taken
// conditionally, its product's stock with it, then the order and its
// items. It is the floor for createOrder of variants.
func variantOrderTx(ctx context.Context, pool *pgxpool.Pool, lines []string) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	now := time.Now().UTC()
	prices := make([]int64, len(lines))
	products := make([]string, len(lines))
	for i, line := range lines {
		product, variant, _ := strings.Cut(line, " ")
		products[i] = product
		if _, err := tx.Exec(ctx, `UPDATE products SET stock_count = stock_count - $1, last_updated = $2 WHERE product_id = $3`, 1, now, product); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `UPDATE product_variants SET stock_count = stock_count - $1, last_updated = $2
			WHERE variant_id = $3 AND stock_count >= $1 RETURNING price_cents`, 1, now, variant).Scan(&prices[i]); err != nil {
			return err
		}
	}
	orderID := newID()
	var total int64
	for _, p := range prices {
		total += p
	}
	if _, err := tx.Exec(ctx, `INSERT INTO orders (order_id, customer_id, total_amount_cents, status, created_at, last_updated)
		VALUES ($1, $2, $3, 'pending', $4, $4)`, orderID, "bench", total, now); err != nil {
		return err
	}
	b := &pgx.Batch{}
	args := []any{}
	sql := `INSERT INTO order_items (id, order_id, product_id, variant_id, title, quantity, price_at_purchase_cents, position) VALUES `
	for i, line := range lines {
		if i > 0 {
			sql += ","
		}
		_, variant, _ := strings.Cut(line, " ")
		n := len(args)
		sql += fmt.Sprintf("($%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8)
		args = append(args, newID(), orderID, products[i], variant, "M / Red", 1, prices[i], i)
	}
	b.Queue(sql, args...)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// sqlLoad runs tx (orderTx or variantOrderTx) over lines from c goroutines
// for d.
func sqlLoad(ctx context.Context, pool *pgxpool.Pool, tx func(context.Context, *pgxpool.Pool, []string) error, lines func() []string, c int, d time.Duration) figures {
	var mu sync.Mutex
	var lat []time.Duration
	failures := 0
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < c; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			for time.Since(start) < d {
				t := time.Now()
				if err := tx(ctx, pool, lines()); err != nil {
					bad++
					continue
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			lat = append(lat, mine...)
			failures += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(lat)
	f := figures{failures: failures}
	if len(lat) > 0 {
		f.rps = float64(len(lat)) / elapsed.Seconds()
		f.p50, f.p99 = lat[len(lat)/2], lat[len(lat)*99/100]
	}
	return f
}

// median of the rounds: requests per second and each quantile separately.
func median(rounds []figures) figures {
	pick := func(get func(figures) float64) float64 {
		v := make([]float64, len(rounds))
		for i, r := range rounds {
			v[i] = get(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	out := figures{
		rps:    pick(func(f figures) float64 { return f.rps }),
		p50:    time.Duration(pick(func(f figures) float64 { return float64(f.p50) })),
		p99:    time.Duration(pick(func(f figures) float64 { return float64(f.p99) })),
		p999:   time.Duration(pick(func(f figures) float64 { return float64(f.p999) })),
		orders: pick(func(f figures) float64 { return f.orders }),
	}
	for _, r := range rounds {
		out.failures += r.failures
		out.requests += r.requests
	}
	return out
}
