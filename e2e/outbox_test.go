package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The fault test of the outbox (issue 18): a server killed after an
// order's COMMIT and before its cache invalidation. Another instance that
// had the product's old stock cached shows the new stock within a second,
// through the outbox's cache consumer; the at-most-once consumer (metrics)
// counts each of the order's events exactly once across the instances, and
// an instance started afterwards counts none of them again.
func TestOutboxAfterSIGKILL(t *testing.T) {
	bin := mustBuildHooked(t)
	env := PostgresRedisEnv(t)
	b := MustStart(t, env) // the instance that stays
	id := b.MustCreateProduct(t, 5, 10)
	for i := 0; i < 2; i++ { // the second read is served from the cache
		if got := b.MustStock(t, id); got != 10 {
			t.Fatalf("stock before the order: %d", got)
		}
	}
	// b's dispatcher has the product's events before the hooked instance
	// starts, so that one has nothing of them to deliver.
	waitForMetric(t, b, "product.created", 1)
	waitForMetric(t, b, "stock.changed", 1)
	customer, _ := b.MustCustomer(t)

	held := map[string]string{}
	for k, v := range env {
		held[k] = v
	}
	// The hooked instance's dispatcher looks only once, at the start: none
	// of the order's events can be delivered by it.
	held["EVENTS_POLL_INTERVAL"] = "1h"
	a := mustStartProcess(t, bin, held)

	// The order goes to the hooked instance, which commits it and then
	// holds: its client never hears back.
	go func() {
		_, _ = customer.on(a.instance).Send(&http.Client{Timeout: time.Minute}, nil,
			`mutation($id: String!) { createOrder(input: {items: [{productId: $id, quantity: 3}]}) { orderId } }`, map[string]any{"id": id})
	}()
	waitForLog(t, a, "faulthook: holding order")
	a.Kill(t)
	killed := time.Now()

	deadline := killed.Add(time.Second)
	for b.MustStock(t, id) != 7 {
		if time.Now().After(deadline) {
			t.Fatalf("the other instance still shows stock %d a second after the kill", b.MustStock(t, id))
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("new stock shown %s after the kill", time.Since(killed).Round(time.Millisecond))

	// Exactly once across the instances left: b delivered the order's
	// events (one order.placed, one stock.changed) to its metrics.
	waitForMetric(t, b, "order.placed", 1)
	waitForMetric(t, b, "stock.changed", 2) // the product's initial stock, then the order

	// A new instance resumes from the shared positions: it counts its own
	// write's events (or b does, whichever delivers first), never the
	// killed instance's again.
	c := MustStart(t, env)
	c.MustCreateProduct(t, 1, 1)
	waitForSum(t, "product.created", 2, b, c)
	if n := eventsCounted(t, c, "order.placed"); n != 0 {
		t.Errorf("the new instance delivered the order's events again: %v", n)
	}
	if n := eventsCounted(t, b, "order.placed"); n != 1 {
		t.Errorf("order.placed counted %v times", n)
	}
}

// hooked is the binary built with -tags faulthook, once per run.
var hooked struct {
	once sync.Once
	bin  string
	err  error
}

func mustBuildHooked(t *testing.T) string {
	t.Helper()
	dir := filepath.Dir(mustBuild(t)) // the run's build folder, removed at the end
	hooked.once.Do(func() {
		hooked.bin = filepath.Join(dir, "shop-faulthook")
		if out, err := exec.Command("go", "build", "-tags", "faulthook", "-o", hooked.bin, "shop").CombinedOutput(); err != nil {
			hooked.err = fmt.Errorf("go build -tags faulthook: %w\n%s", err, out)
		}
	})
	if hooked.err != nil {
		t.Fatal(hooked.err)
	}
	return hooked.bin
}

// waitForLog waits until the process has logged a line containing s.
func waitForLog(t *testing.T, p *process, s string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(p.logs.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("process never logged %q:\n%s", s, tail(p.logs.String(), 20))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// eventsCounted reads shop_events_total{type=typ}; 0 before any.
func eventsCounted(t *testing.T, in *instance, typ string) float64 {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, in.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+in.metricsToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^shop_events_total\{type="` + regexp.QuoteMeta(typ) + `"\} ([0-9.e+-]+)$`).FindSubmatch(body)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(string(m[1]), 64)
	return v
}

func waitForMetric(t *testing.T, in *instance, typ string, want float64) {
	t.Helper()
	waitForSum(t, typ, want, in)
}

// waitForSum waits until the instances together have counted want events
// of typ, and fails if they count more.
func waitForSum(t *testing.T, typ string, want float64, ins ...*instance) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var sum float64
		for _, in := range ins {
			sum += eventsCounted(t, in, typ)
		}
		if sum > want {
			t.Fatalf("%s counted %v times, want %v", typ, sum, want)
		}
		if sum == want {
			return
		}
		if time.Now().After(deadline) {
			for _, in := range ins {
				t.Logf("%s: %v events delivered, %v deliveries failed", in.URL,
					in.MustMetric(t, "shop_outbox_delivered_total", ""), in.MustMetric(t, "shop_outbox_failures_total", ""))
			}
			t.Fatalf("%s counted %v times in 10 s, want %v", typ, sum, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
