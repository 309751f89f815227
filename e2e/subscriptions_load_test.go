package e2e

import (
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestSubscriptionsLeakNoGoroutines: 1,000 subscribe/complete cycles on
// one connection, 200 connections that subscribe and vanish without a
// close (a client that stops reading without cancelling, what leaks a
// goroutine per subscriber in graphql-go's own Subscribe): once they are
// gone the process runs as many goroutines as before them, and the hub
// holds no subscription.
func TestSubscriptionsLeakNoGoroutines(t *testing.T) {
	// Not parallel: it counts the goroutines of the whole test process.
	env := EmbeddedEnv(t)
	env["SUBSCRIPTION_CONNECTIONS_PER_IP"] = "0"
	in := MustStart(t, env)
	pid := in.MustCreateProduct(t, 1, 1000)
	vars := map[string]any{"p": pid}
	settle := func() int {
		http.DefaultClient.CloseIdleConnections()
		runtime.GC()
		return runtime.NumGoroutine()
	}
	// One connection through the whole path first, so that what is
	// started once (the hub's first read, pools) is in the baseline.
	warm := MustDialWS(t, in).MustInit("").MustSubscribe("w", subProductDoc, vars)
	in.MustAdmin(t).MustData(t, updatePriceDoc, map[string]any{"p": pid, "price": 1.5}, &struct{}{})
	var p liveProduct
	warm.MustNext("w", subscriptionWait, &p)
	warm.Close()
	baseline := settle()
	deadline := time.Now().Add(10 * time.Second)
	for {
		// The warm-up's own goroutines end asynchronously: the lowest
		// count seen over a moment is the baseline.
		if n := settle(); n < baseline {
			baseline = n
		} else if time.Now().After(deadline) || n == baseline && in.MustMetric(t, "shop_subscription_connections", "") == 0 {
			break
		}
	}

	start := time.Now()
	w := MustDialWS(t, in).MustInit("")
	for i := range 1000 {
		id := fmt.Sprint(i)
		w.MustSubscribe(id, subProductDoc, vars)
		w.MustSend(map[string]any{"id": id, "type": "complete"})
	}
	// The connection's own goroutines (its reader and writer, the
	// client's): the count does move.
	if n := runtime.NumGoroutine(); n <= baseline {
		t.Fatalf("%d goroutines with a connection open, baseline %d: the count does not see the server", n, baseline)
	}
	w.Close()
	var wg sync.WaitGroup
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := dialWS(in)
			if err != nil {
				t.Error(err)
				return
			}
			c.tb = t
			c.MustInit("").MustSubscribe("x", subProductDoc, vars)
			_ = c.c.CloseNow() // no close handshake, no complete
			c.cancel()
		}()
	}
	wg.Wait()
	t.Logf("1,000 subscribe/complete cycles and 200 abandoned connections in %s", time.Since(start).Round(time.Millisecond))

	deadline = time.Now().Add(20 * time.Second)
	for {
		n := settle()
		subs := in.MustMetric(t, "shop_subscriptions", "")
		if n <= baseline && subs == 0 {
			t.Logf("goroutines back to %d (baseline %d)", n, baseline)
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines, baseline %d; %v subscriptions held\n%s", n, baseline, subs, buf)
		}
		time.Sleep(50 * time.Millisecond) // polling for the count, not a synchronisation
	}
}
