package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"shop/internal/testenv"
)

// mustCloseUnanswered waits for the server to close w, answering no ping,
// and returns the close code.
func (w *wsClient) mustCloseUnanswered(d time.Duration) websocket.StatusCode {
	w.tb.Helper()
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-w.done:
			return w.status
		case <-w.msgs:
		case <-t.C:
			w.tb.Fatalf("the connection is still open after %s", d)
		}
	}
}

// TestSubscriptionProtocol: what graphql-transport-ws asks of a server,
// and the limits and close codes of docs/subscriptions.md, on the embedded
// default.
func TestSubscriptionProtocol(t *testing.T) {
	t.Parallel()
	env := EmbeddedEnv(t)
	env["SECRET_KEY"] = testenv.RandomName("secret-") + testenv.RandomName("-key-for-tokens-")
	env["SUBSCRIPTION_INIT_TIMEOUT"] = "300ms"
	env["SUBSCRIPTIONS_PER_CONNECTION"] = "2"
	env["SUBSCRIPTION_CONNECTIONS_PER_USER"] = "2"
	env["SUBSCRIPTION_KEEPALIVE"] = "250ms"
	env["MAX_BODY_BYTES"] = "4096"
	in := MustStart(t, env)
	ann, _ := in.MustCustomer(t)
	pid := in.MustCreateProduct(t, 3, 10)
	vars := map[string]any{"p": pid}

	t.Run("connection_init late: 4408", func(t *testing.T) {
		w := MustDialWS(t, in)
		if code := w.mustCloseUnanswered(5 * time.Second); code != 4408 {
			t.Fatalf("closed with %d %q, want 4408", code, w.reason)
		}
	})
	t.Run("subscribe before connection_ack: 4401", func(t *testing.T) {
		w := MustDialWS(t, in)
		w.MustSend(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": subProductDoc, "variables": vars}})
		if code := w.MustClosed(5 * time.Second); code != 4401 {
			t.Fatalf("closed with %d %q, want 4401", code, w.reason)
		}
	})
	t.Run("a second connection_init: 4429", func(t *testing.T) {
		w := MustDialWS(t, in).MustInit("")
		w.MustSend(map[string]any{"type": "connection_init"})
		if code := w.MustClosed(5 * time.Second); code != 4429 {
			t.Fatalf("closed with %d %q, want 4429", code, w.reason)
		}
	})
	t.Run("not a message: 4400", func(t *testing.T) {
		w := MustDialWS(t, in).MustInit("")
		w.MustSend("hello")
		if code := w.MustClosed(5 * time.Second); code != 4400 {
			t.Fatalf("closed with %d %q, want 4400", code, w.reason)
		}
	})
	t.Run("a message over MAX_BODY_BYTES: 1009", func(t *testing.T) {
		w := MustDialWS(t, in).MustInit("")
		w.MustSend(map[string]any{"id": "big", "type": "subscribe", "payload": map[string]any{"query": subProductDoc + strings.Repeat(" ", 5000), "variables": vars}})
		if code := w.MustClosed(5 * time.Second); code != websocket.StatusMessageTooBig {
			t.Fatalf("closed with %d %q, want 1009", code, w.reason)
		}
	})
	t.Run("a bad token: 4401", func(t *testing.T) {
		w := MustDialWS(t, in)
		w.MustSend(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer nope"}})
		if code := w.MustClosed(5 * time.Second); code != 4401 {
			t.Fatalf("closed with %d %q, want 4401", code, w.reason)
		}
	})
	t.Run("an id in use: 4409; completed, it may be used again", func(t *testing.T) {
		w := MustDialWS(t, in).MustInit("").MustSubscribe("a", subProductDoc, vars)
		w.MustSend(map[string]any{"id": "a", "type": "complete"})
		w.MustSubscribe("a", subProductDoc, vars)
		w.MustSend(map[string]any{"id": "a", "type": "subscribe", "payload": map[string]any{"query": subProductDoc, "variables": vars}})
		if code := w.MustClosed(5 * time.Second); code != 4409 {
			t.Fatalf("closed with %d %q, want 4409", code, w.reason)
		}
	})
	t.Run("SUBSCRIPTIONS_PER_CONNECTION: the next is refused, the others go on", func(t *testing.T) {
		w := MustDialWS(t, in).MustInit("").MustSubscribe("a", subProductDoc, vars).MustSubscribe("b", subProductDoc, vars)
		mustSubscribeError(t, w, "c", subProductDoc, vars, "TOO_MANY_SUBSCRIPTIONS")
		in.MustAdmin(t).MustData(t, updatePriceDoc, map[string]any{"p": pid, "price": 3.5}, &struct{}{})
		seen := map[string]bool{}
		for len(seen) < 2 {
			var p liveProduct
			m := w.MustRead(subscriptionWait)
			if m.Type == "ping" {
				continue
			}
			var res struct{ Data json.RawMessage }
			if m.Type != "next" || json.Unmarshal(m.Payload, &res) != nil || json.Unmarshal(res.Data, &p) != nil || p.ProductUpdated.Price != 3.5 {
				t.Fatalf("got %+v (%s)", m, m.Payload)
			}
			seen[m.ID] = true
		}
		if !seen["a"] || !seen["b"] {
			t.Fatalf("payloads for %v", seen)
		}
	})
	t.Run("queries and mutations go over HTTP", func(t *testing.T) {
		w := MustDialWS(t, in).MustInit("")
		mustSubscribeError(t, w, "q", `{ getProductsById(id: "`+pid+`") { price } }`, nil, "BAD_REQUEST")
		mustSubscribeError(t, w, "v", `subscription { productUpdated(productId: "`+pid+`") { nope } }`, nil, "GRAPHQL_VALIDATION_FAILED")
		mustSubscribeError(t, w, "two", `subscription { a: productUpdated(productId: "`+pid+`") { price } b: productUpdated(productId: "`+pid+`") { price } }`, nil, "GRAPHQL_VALIDATION_FAILED")
		if r := in.MustPost(t, subProductDoc, vars); r.Status != http.StatusBadRequest || r.Code() != "BAD_REQUEST" {
			t.Fatalf("a subscription over HTTP: %d %+v", r.Status, r.Errors)
		}
	})
	t.Run("the protocol is offered, or no upgrade", func(t *testing.T) {
		mustNoUpgrade(t, in, nil, http.StatusBadRequest)
		mustNoUpgrade(t, in, []string{"graphql-ws"}, http.StatusBadRequest)
	})
	t.Run("keep-alive: pings answered keep it open, silence closes it with 4408", func(t *testing.T) {
		alive := MustDialWS(t, in).MustInit("")
		silent := MustDialWS(t, in).MustInit("")
		pings := 0
		for pings < 4 {
			if m := alive.MustRead(5 * time.Second); m.Type == "ping" {
				pings++
				alive.MustSend(map[string]any{"type": "pong"})
			}
		}
		if code := silent.mustCloseUnanswered(5 * time.Second); code != 4408 {
			t.Fatalf("the silent client: closed with %d %q, want 4408", code, silent.reason)
		}
	})
	t.Run("the token expires: 4401", func(t *testing.T) {
		token := MustSignAccessToken(t, env["SECRET_KEY"], ann.ID, "customer", 2*time.Second)
		w := MustDialWS(t, in).MustInit(token).MustSubscribe("m", subMyOrdersDoc, nil)
		start := time.Now()
		if code := w.MustClosed(10 * time.Second); code != 4401 {
			t.Fatalf("closed with %d %q, want 4401", code, w.reason)
		}
		if time.Since(start) < 500*time.Millisecond {
			t.Fatalf("closed after %s, before the token expired", time.Since(start))
		}
	})
	t.Run("SUBSCRIPTION_CONNECTIONS_PER_USER: 4429", func(t *testing.T) {
		// A customer of its own: the server gives a closed connection's
		// place back after the client has seen the close, so Ann's
		// connections closed above may still count for a moment.
		bob, _ := in.MustCustomer(t)
		MustDialWS(t, in).MustInit(bob.Token)
		MustDialWS(t, in).MustInit(bob.Token)
		w := MustDialWS(t, in)
		w.MustSend(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + bob.Token}})
		if code := w.MustClosed(5 * time.Second); code != 4429 {
			t.Fatalf("closed with %d %q, want 4429", code, w.reason)
		}
	})
}

// TestSubscriptionConnectionsPerIP: an address past
// SUBSCRIPTION_CONNECTIONS_PER_IP is closed with 4429 at once; a closed
// connection gives its place back.
func TestSubscriptionConnectionsPerIP(t *testing.T) {
	t.Parallel()
	env := EmbeddedEnv(t)
	env["SUBSCRIPTION_CONNECTIONS_PER_IP"] = "2"
	in := MustStart(t, env)
	first := MustDialWS(t, in).MustInit("")
	MustDialWS(t, in).MustInit("")
	w := MustDialWS(t, in)
	if code := w.MustClosed(5 * time.Second); code != 4429 {
		t.Fatalf("the third: closed with %d %q, want 4429", code, w.reason)
	}
	first.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		w, err := dialWS(in)
		if err != nil {
			t.Fatal(err)
		}
		w.tb = t
		if err := w.Send(map[string]any{"type": "connection_init"}); err == nil {
			if m, ok := w.Read(time.Second); ok && m.Type == "connection_ack" {
				w.Close()
				return
			}
		}
		w.Close()
		if time.Now().After(deadline) {
			t.Fatal("the place of a closed connection was not given back")
		}
	}
}

// TestSubscriptionShutdown: stopping the server closes its sockets with
// 1001 (going away), and app.Run returns cleanly.
func TestSubscriptionShutdown(t *testing.T) {
	t.Parallel()
	in := MustStart(t, EmbeddedEnv(t))
	pid := in.MustCreateProduct(t, 1, 1)
	w := MustDialWS(t, in).MustInit("").MustSubscribe("p", subProductDoc, map[string]any{"p": pid})
	if err := in.Stop(); err != nil {
		t.Fatalf("app.Run: %v", err)
	}
	if code := w.MustClosed(5 * time.Second); code != 1001 {
		t.Fatalf("closed with %d %q, want 1001", code, w.reason)
	}
}

// TestSlowSubscriberIsClosed: a subscriber that stops reading fills its
// socket's buffers, then its send buffer (SUBSCRIPTION_SEND_BUFFER), and is closed
// with 4408, which it reads once it reads again; meanwhile another
// subscriber of the same product gets every payload at once, and the
// writer's mutations take no longer.
func TestSlowSubscriberIsClosed(t *testing.T) {
	t.Parallel()
	env := EmbeddedEnv(t)
	env["SUBSCRIPTION_SEND_BUFFER"] = "2"
	in := MustStart(t, env)
	admin := in.MustAdmin(t)
	pid := in.MustCreateProduct(t, 1, 1)
	admin.MustData(t, `mutation($p: String!, $d: String!) { updateProduct(input: {productId: $p, description: $d}) { productId } }`,
		map[string]any{"p": pid, "d": strings.Repeat("slow ", 2000)}, &struct{}{})
	// 20 descriptions a payload: 200 KB each.
	var aliases strings.Builder
	for i := range 20 {
		aliases.WriteString(" d" + string(rune('a'+i)) + ": description")
	}
	bigDoc := `subscription($p: String!) { productUpdated(productId: $p) { price` + aliases.String() + ` } }`

	// The slow one: never read until the end (its socket's buffers fill
	// first, megabytes of them).
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	slow, _, err := websocket.Dial(ctx, wsURL(in), &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer slow.CloseNow()
	slow.SetReadLimit(16 << 20)
	write := func(v any) {
		b, _ := json.Marshal(v)
		if err := slow.Write(ctx, websocket.MessageText, b); err != nil {
			t.Fatal(err)
		}
	}
	write(map[string]any{"type": "connection_init"})
	if _, b, err := slow.Read(ctx); err != nil || !strings.Contains(string(b), "connection_ack") {
		t.Fatalf("connection_init: %s %v", b, err)
	}
	write(map[string]any{"id": "s", "type": "subscribe", "payload": map[string]any{"query": bigDoc, "variables": map[string]any{"p": pid}}})
	write(map[string]any{"type": "ping"})
	if _, b, err := slow.Read(ctx); err != nil || !strings.Contains(string(b), "pong") {
		t.Fatalf("after subscribe: %s %v", b, err)
	}

	fast := MustDialWS(t, in).MustInit("").MustSubscribe("f", subProductDoc, map[string]any{"p": pid})
	closedSlow := func() bool {
		return in.MustMetric(t, "shop_subscription_slow_readers_total", "") > 0
	}
	var worstWrite, worstFast time.Duration
	for i := 0; !closedSlow(); i++ {
		if i == 200 {
			t.Fatal("200 payloads of 200 KB, and the slow subscriber is still open")
		}
		price := float64(100+i) / 100
		start := time.Now()
		admin.MustData(t, updatePriceDoc, map[string]any{"p": pid, "price": price}, &struct{}{})
		worstWrite = max(worstWrite, time.Since(start))
		var p liveProduct
		fast.MustNext("f", subscriptionWait, &p)
		worstFast = max(worstFast, time.Since(start))
		if p.ProductUpdated.Price != price {
			t.Fatalf("the fast subscriber got %v, want %v", p.ProductUpdated.Price, price)
		}
	}
	t.Logf("beside the slow subscriber: writes took at most %s, the other subscriber's payloads at most %s after the write began", worstWrite, worstFast)
	if worstFast > 2*time.Second || worstWrite > 2*time.Second {
		t.Errorf("the slow subscriber held others back: write %s, payload %s", worstWrite, worstFast)
	}
	// Reading again, it finds what was queued, then the close.
	for {
		_, _, err := slow.Read(ctx)
		if err != nil {
			if code := websocket.CloseStatus(err); code != 4408 {
				t.Fatalf("the slow subscriber: %v, want close 4408", err)
			}
			return
		}
	}
}
