package e2e

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"
)

// TestSubscriptionsAcrossProcesses: three server processes on one
// PostgreSQL and one Redis; subscribers of a product on the second and
// third, its price changed on the first, 150 times, one change at a time.
// Every change reaches both subscribers, in order, and an order placed on
// the first reaches its customer's myOrders and the admin's orderEvents on
// the others; the time from sending
// the write to reading its payload on another instance is logged (p50,
// p99: docs/subscriptions.md) and bounded generously here (the target is
// p99 under 250 ms).
func TestSubscriptionsAcrossProcesses(t *testing.T) {
	t.Parallel()
	bin := mustBuild(t)
	env := PostgresRedisEnv(t)
	// No server pings between the payloads this test reads in turn (a slow
	// run outlasts the 15 s keep-alive).
	env["SUBSCRIPTION_KEEPALIVE"] = "0"
	var procs []*process
	for range 3 {
		procs = append(procs, startProcess(t, bin, env))
	}
	for _, p := range procs {
		p.mustListen(t, env)
	}
	admin := procs[0].MustAdmin(t)
	pid := procs[0].MustCreateProduct(t, 1, 10)
	subs := []*wsClient{
		MustDialWS(t, procs[1].instance).MustInit("").MustSubscribe("p", subProductDoc, map[string]any{"p": pid}),
		MustDialWS(t, procs[2].instance).MustInit("").MustSubscribe("p", subProductDoc, map[string]any{"p": pid}),
	}
	const writes = 150
	hc := &http.Client{}
	var lags []time.Duration
	for i := range writes {
		price := float64(200+i) / 100
		sent := time.Now()
		r, err := admin.Send(hc, nil, updatePriceDoc, map[string]any{"p": pid, "price": price})
		if err != nil || len(r.Errors) > 0 {
			t.Fatalf("write %d: %v %+v", i, err, r.Errors)
		}
		for _, w := range subs {
			m := w.MustRead(5 * time.Second)
			var got struct {
				Data liveProduct
			}
			if m.Type != "next" || json.Unmarshal(m.Payload, &got) != nil || got.Data.ProductUpdated.Price != price {
				t.Fatalf("write %d (price %v): got %+v (%s)", i, price, m, m.Payload)
			}
			lags = append(lags, m.at.Sub(sent))
		}
	}
	// Orders too: a customer's on the third instance and the admin's
	// timeline on the second hear of an order placed on the first.
	buyer, _ := procs[0].MustCustomer(t)
	mine := MustDialWS(t, procs[2].instance).MustInit(buyer.Token).MustSubscribe("m", subMyOrdersDoc, nil)
	all := MustDialWS(t, procs[1].instance).MustInit(admin.Token).MustSubscribe("a", subOrderEventsDoc, nil)
	oid := buyer.MustOrder(t, orderLine{ProductID: pid, Quantity: 1})
	var m struct{ MyOrders liveOrder }
	mine.MustNext("m", 5*time.Second, &m)
	var e struct {
		OrderEvents struct {
			OrderID, Status string
			Order           struct{ OrderID string }
		}
	}
	all.MustNext("a", 5*time.Second, &e)
	if m.MyOrders.OrderID != oid || e.OrderEvents.OrderID != oid || e.OrderEvents.Status != "pending" || e.OrderEvents.Order.OrderID != oid {
		t.Fatalf("the order placed on another instance: myOrders %+v, orderEvents %+v", m.MyOrders, e.OrderEvents)
	}

	slices.Sort(lags)
	p50, p99, worst := lags[len(lags)/2], lags[len(lags)*99/100], lags[len(lags)-1]
	t.Logf("write on one instance → payload on another, %d payloads: p50 %s, p99 %s, max %s", len(lags), p50.Round(time.Millisecond/10), p99.Round(time.Millisecond/10), worst.Round(time.Millisecond/10))
	if p99 > time.Second {
		t.Errorf("p99 %s: far over the 250 ms target", p99)
	}
}
