package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestSubscriptionsHostileClient: what a hostile client sends over the
// socket ends in the protocol's close codes or an error message, never in
// work the HTTP API's allowances would have refused.
func TestSubscriptionsHostileClient(t *testing.T) {
	t.Parallel()
	env := EmbeddedEnv(t)
	env["RATE_LIMIT_REQUESTS"] = "60"
	in := MustStart(t, env)
	pid := in.MustCreateProduct(t, 10, 50)
	vars := map[string]any{"p": pid}

	t.Run("frames", func(t *testing.T) {
		for _, tc := range []struct {
			name  string
			typ   websocket.MessageType
			frame string
			code  websocket.StatusCode
		}{
			{"binary", websocket.MessageBinary, `{"type":"connection_init"}`, 4400},
			{"not JSON", websocket.MessageText, `{{{`, 4400},
			{"no type", websocket.MessageText, `{"id":"1"}`, 4400},
			{"unknown type", websocket.MessageText, `{"type":"start","id":"1"}`, 4400},
			{"id not a string", websocket.MessageText, `{"type":"subscribe","id":1}`, 4400},
			{"subscribe before connection_init", websocket.MessageText, `{"type":"subscribe","id":"1","payload":{"query":"subscription { myOrders { orderId } }"}}`, 4401},
			{"over the read limit", websocket.MessageText, `{"type":"ping","x":"` + strings.Repeat("a", 2<<20) + `"}`, websocket.StatusMessageTooBig},
		} {
			w := MustDialWS(t, in)
			if err := w.c.Write(context.Background(), tc.typ, []byte(tc.frame)); err != nil {
				t.Fatalf("%s: write: %v", tc.name, err)
			}
			if got := w.MustClosed(5 * time.Second); got != tc.code {
				t.Errorf("%s: closed with %d %q, want %d", tc.name, got, w.reason, tc.code)
			}
		}
	})

	t.Run("operations other than subscriptions are refused", func(t *testing.T) {
		w := MustDialWS(t, in).MustInit("")
		mustSubscribeError(t, w, "q", `{ __typename }`, nil, "BAD_REQUEST")
		mustSubscribeError(t, w, "m", updatePriceDoc, map[string]any{"p": pid, "price": 1.0}, "BAD_REQUEST")
		mustSubscribeError(t, w, "t", `subscription { __typename }`, nil, "GRAPHQL_VALIDATION_FAILED")
		mustSubscribeError(t, w, "two", `subscription($p: String!) { a: productUpdated(productId: $p) { price } b: productUpdated(productId: $p) { price } }`, vars, "GRAPHQL_VALIDATION_FAILED")
		mustSubscribeError(t, w, "v", subProductDoc, map[string]any{"p": map[string]any{"$ne": ""}}, "BAD_USER_INPUT")
		w.MustSubscribe("ok", subProductDoc, vars)
		w.MustSend(map[string]any{"id": "ok", "type": "subscribe", "payload": map[string]any{"query": subProductDoc, "variables": vars}})
		if got := w.MustClosed(5 * time.Second); got != 4409 {
			t.Fatalf("a second subscribe with a running id: closed with %d %q, want 4409", got, w.reason)
		}
	})

	// myOrders carries the caller's orders only; another's order is
	// refused by orderUpdated and never shows in myOrders.
	t.Run("another customer's orders", func(t *testing.T) {
		ann, _ := in.MustCustomer(t)
		bob, _ := in.MustCustomer(t)
		bobWS := MustDialWS(t, in).MustInit(bob.Token).MustSubscribe("mine", subMyOrdersDoc, nil)
		annOrder := ann.MustOrder(t, orderLine{ProductID: pid, Quantity: 1})
		mustSubscribeError(t, bobWS, "hers", subOrderDoc, map[string]any{"o": annOrder}, "NOT_FOUND")
		bobOrder := bob.MustOrder(t, orderLine{ProductID: pid, Quantity: 1})
		var mine struct{ MyOrders liveOrder }
		bobWS.MustNext("mine", subscriptionWait, &mine)
		if mine.MyOrders.OrderID != bobOrder || mine.MyOrders.CustomerID != bob.ID {
			t.Fatalf("Bob's myOrders after Ann's order and then his: %+v (Ann's is %s)", mine.MyOrders, annOrder)
		}
	})

	// The send buffer is for events a client is slow to take: the replies
	// to its own messages are its own pace, and a burst of them from a
	// client that reads is no slow reader.
	t.Run("a burst of pings from a client that reads", func(t *testing.T) {
		w := MustDialWS(t, in).MustInit("")
		for range 200 {
			w.MustSend(map[string]any{"type": "ping"})
		}
		for i := range 200 {
			m, ok := w.Read(5 * time.Second)
			if !ok {
				t.Fatalf("pong %d of 200: connection closed with %d %q", i+1, w.status, w.reason)
			}
			if m.Type != "pong" {
				t.Fatalf("pong %d of 200: %+v", i+1, m)
			}
		}
	})

	t.Run("keep-alive unanswered", func(t *testing.T) {
		// An instance of its own: its pings would come between the other
		// cases' replies.
		env := EmbeddedEnv(t)
		env["SUBSCRIPTION_KEEPALIVE"] = "300ms"
		w := MustDialWS(t, MustStart(t, env))
		w.MustSend(map[string]any{"type": "connection_init"})
		// This client never answers the server's pings.
		select {
		case <-w.done:
		case <-time.After(5 * time.Second):
			t.Fatal("a client that never answers pings is still connected after 5 s")
		}
		if w.status != 4408 {
			t.Fatalf("closed with %d %q, want 4408", w.status, w.reason)
		}
	})

	// Each subscribe reads the database (the subject, and the outbox's head
	// when it is the instance's first): it counts against the per-IP
	// allowance as a request does, or one connection looping subscribe and
	// complete would read without limit.
	t.Run("subscribe and complete in a loop meet the rate limit", func(t *testing.T) {
		w := MustDialWS(t, in).MustInit("")
		for range 120 {
			w.MustSend(map[string]any{"id": "c", "type": "subscribe", "payload": map[string]any{"query": subProductDoc, "variables": vars}})
			w.MustSend(map[string]any{"id": "c", "type": "complete"})
		}
		w.MustSend(map[string]any{"type": "ping"})
		limited := 0
		for {
			m := w.MustRead(10 * time.Second)
			if m.Type == "pong" {
				break
			}
			var errs []gqlError
			_ = json.Unmarshal(m.Payload, &errs)
			if m.Type != "error" || len(errs) == 0 || errs[0].Extensions["code"] != "RATE_LIMITED" || errs[0].Extensions["retryAfter"] == nil {
				t.Fatalf("read %+v (%s), want RATE_LIMITED errors", m, m.Payload)
			}
			limited++
		}
		if limited == 0 {
			t.Fatal("120 subscribes in a row under RATE_LIMIT_REQUESTS=60: none refused")
		}
		// The connection stays open for the client to retry later.
		w.MustSend(map[string]any{"type": "ping"})
		if m := w.MustRead(5 * time.Second); m.Type != "pong" {
			t.Fatalf("after the refusals: %+v", m)
		}
	})
}

// TestSubscriptionConnectionsPerIPv6Network: the connections' per-address
// allowance counts an IPv6 client by its /64, as the rate limits do (a
// client holds the whole /64), and a /48 holds MAX_IN_FLIGHT_IPV6_48_FACTOR
// times as many.
func TestSubscriptionConnectionsPerIPv6Network(t *testing.T) {
	t.Parallel()
	env := EmbeddedEnv(t)
	env["TRUSTED_PROXIES"] = "127.0.0.1/32"
	env["SUBSCRIPTION_CONNECTIONS_PER_IP"] = "2"
	env["MAX_IN_FLIGHT_IPV6_48_FACTOR"] = "2"
	in := MustStart(t, env)
	dial := func(from string) *wsClient {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, _, err := websocket.Dial(ctx, wsURL(in), &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"},
			HTTPHeader: http.Header{"X-Forwarded-For": {from}}})
		if err != nil {
			t.Fatalf("dial from %s: %v", from, err)
		}
		w := &wsClient{tb: t, c: c, msgs: make(chan wsMessage, 16), done: make(chan struct{}), cancel: func() {}}
		go func() {
			defer close(w.done)
			for {
				_, data, err := c.Read(context.Background())
				if err != nil {
					w.status, w.reason = websocket.CloseStatus(err), closeReason(err)
					return
				}
				var m wsMessage
				if json.Unmarshal(data, &m) == nil {
					w.msgs <- m
				}
			}
		}()
		t.Cleanup(w.Close)
		w.MustSend(map[string]any{"type": "connection_init"})
		return w
	}
	open := func(w *wsClient) bool {
		m, ok := w.Read(5 * time.Second)
		return ok && m.Type == "connection_ack"
	}
	// Three addresses of one /64.
	for i, from := range []string{"2001:db8:1:1::1", "2001:db8:1:1::2", "2001:db8:1:1::3"} {
		if got, want := open(dial(from)), i < 2; got != want {
			t.Fatalf("connection %d from the /64: open %v, want %v", i+1, got, want)
		}
	}
	// Three more /64s of that /48: it holds 2 x 2 = 4 connections in all.
	if !open(dial("2001:db8:1:2::1")) || !open(dial("2001:db8:1:2::2")) {
		t.Fatal("another /64 of the /48 refused below the /48's allowance")
	}
	w := dial("2001:db8:1:3::1")
	if open(w) || w.MustClosed(5*time.Second) != 4429 {
		t.Fatalf("a fifth connection from the /48: %d %q, want 4429", w.status, w.reason)
	}
	// Another /48 has its own.
	if !open(dial("2001:db8:2:1::1")) {
		t.Fatal("another /48 refused")
	}
}

// TestSubscriptionBurstIsNoSlowReader: orders placed at once by many
// customers reach an admin's orderEvents one by one, more than the send
// buffer in one read of the outbox; a connection whose client keeps
// reading is no slow reader and stays open, with every event.
func TestSubscriptionBurstIsNoSlowReader(t *testing.T) {
	t.Parallel()
	env := PostgresRedisEnv(t)
	env["SUBSCRIPTION_SEND_BUFFER"] = "4"
	in := MustStart(t, env)
	admin := in.MustAdmin(t)
	pid := in.MustCreateProduct(t, 1, 1000)
	var customers []*client
	for range 8 {
		c, _ := in.MustCustomer(t)
		customers = append(customers, c)
	}
	w := MustDialWS(t, in).MustInit(admin.Token).MustSubscribe("all", subOrderEventsDoc, nil)
	var wg sync.WaitGroup
	for _, c := range customers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				c.MustOrder(t, orderLine{ProductID: pid, Quantity: 1})
			}
		}()
	}
	wg.Wait()
	for i := 0; i < 40; {
		var ev struct {
			OrderEvents struct{ OrderID, Status string }
		}
		m, ok := w.Read(subscriptionWait)
		if !ok {
			t.Fatalf("event %d of 40: connection closed with %d %q", i+1, w.status, w.reason)
		}
		if m.Type == "ping" {
			_ = w.Send(map[string]any{"type": "pong"})
			continue
		}
		var res struct{ Data json.RawMessage }
		if m.Type != "next" || json.Unmarshal(m.Payload, &res) != nil || json.Unmarshal(res.Data, &ev) != nil || ev.OrderEvents.Status != "pending" {
			t.Fatalf("event %d of 40: %+v (%s)", i+1, m, m.Payload)
		}
		i++
	}
}
