package e2e

import (
	"context"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// wsRecorder is a script every page of the tab runs first: it wraps the
// browser's WebSocket so the test sees what the page's graphql-ws client
// sends and receives (window.__ws), and can send a ping of its own.
const wsRecorder = `(() => {
  const Native = window.WebSocket;
  const log = (window.__ws = { sockets: [], sent: [], received: [], closes: [] });
  window.WebSocket = class extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      log.sockets.push(this);
      this.addEventListener("message", (e) => log.received.push(String(e.data)));
      this.addEventListener("close", (e) => log.closes.push(e.code));
    }
    send(data) {
      log.sent.push(String(data));
      return super.send(data);
    }
  };
})();`

// recordWebSockets installs wsRecorder in the tab of ctx, for the pages
// opened from now on.
func recordWebSockets(t *testing.T, ctx context.Context) {
	t.Helper()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: wsRecorder}); err != nil {
		t.Fatalf("install the WebSocket recorder: %v", err)
	}
}

// evalIn evaluates expr in the tab and returns its value as text.
func evalIn(t *testing.T, ctx context.Context, expr string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`String(`+expr+`)`))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// pollIn waits (up to 20 s) for expr to be true in the tab.
func pollIn(ctx context.Context, expr string) error {
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`!!(`+expr+`)`, chromedp.WithPollingTimeout(20*time.Second)))
	return err
}

// mustPageSubscribed waits until the page's newest socket has sent a subscribe
// whose query holds field, then pings on that socket and waits for the
// pong: the server reads a connection's messages in order, so by then the
// subscription is registered, and a write from now on must reach it.
func mustPageSubscribed(t *testing.T, ctx context.Context, field string, problems func() []string) {
	t.Helper()
	f, _ := json.Marshal(field)
	last := `window.__ws.sockets[window.__ws.sockets.length - 1]`
	err := pollIn(ctx, `window.__ws && window.__ws.sockets.length > 0 && `+last+`.readyState === 1 && window.__ws.sent.some((m) => { const o = JSON.parse(m); return o.type === "subscribe" && o.payload.query.includes(`+string(f)+`); })`)
	if err != nil {
		t.Fatalf("the page never subscribed to %s: %v\nsent: %s\nreceived: %s\nclosed: %s\nbrowser problems: %v", field, err,
			evalIn(t, ctx, `JSON.stringify(window.__ws && window.__ws.sent)`), evalIn(t, ctx, `JSON.stringify(window.__ws && window.__ws.received)`),
			evalIn(t, ctx, `JSON.stringify(window.__ws && window.__ws.closes)`), problems())
	}
	pongs := `window.__ws.received.filter((m) => JSON.parse(m).type === "pong").length`
	before := evalIn(t, ctx, `(() => { const n = `+pongs+`; `+last+`.send('{"type":"ping"}'); return n; })()`)
	if err := pollIn(ctx, pongs+` > `+before); err != nil {
		t.Fatalf("no pong to the test's ping: %v\nreceived: %s", err, evalIn(t, ctx, `JSON.stringify(window.__ws.received)`))
	}
}

// nextHas is a JS test: the page received a next message whose payload
// holds text.
func nextHas(text string) string {
	q, _ := json.Marshal(text)
	return `window.__ws.received.some((m) => { const o = JSON.parse(m); return o.type === "next" && JSON.stringify(o.payload).includes(` + string(q) + `); })`
}

// TestGraphiQLSubscriptionInBrowser runs a subscription in GraphiQL, in
// headless Chromium: the token pasted in the Headers tab goes in
// connection_init's payload over graphql-transport-ws (the npm graphql-ws
// client, from the binary); a refused one shows the socket's 4401 in the
// result pane; with the customer's, when the test cancels the order through
// the API, the result pane shows the order cancelled, pushed as a next
// message.
func TestGraphiQLSubscriptionInBrowser(t *testing.T) {
	t.Parallel()
	in := MustStart(t, EmbeddedEnv(t))
	admin := in.MustAdmin(t)
	product := mustProduct(t, admin, map[string]any{"name": "Tin Whistle", "price": 9.0, "stockCount": 5})
	cust, _ := in.MustCustomer(t)
	order := mustOrder(t, cust, product, 1)

	ctx, console := startBrowser(t, 90*time.Second)
	recordWebSockets(t, ctx)
	doc := "subscription Watch($id: String!) {\n  orderUpdated(orderId: $id) {\n    orderId\n    status\n  }\n}\n"
	vars := `{"id": "` + order.OrderID + `"}`
	fail := func(format string, args ...any) {
		t.Helper()
		shown, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('.result-window')?.innerText || ""`))
		t.Fatalf(format+"\nresult pane: %s\nbrowser problems: %v", append(args, shown, console.Problems())...)
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(in.URL+"/graphql?query="+url.QueryEscape(doc)+"&variables="+url.QueryEscape(vars)),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-execute-button")),
	)
	if err != nil {
		fail("GraphiQL did not start: %v", err)
	}

	// A token in the Headers tab, as a person pastes it, and a run.
	run := func(token string) {
		t.Helper()
		headers, _ := json.Marshal(`{"Authorization": "Bearer ` + token + `"}`)
		err := pollIn(ctx, `(() => {
			const tab = [...document.querySelectorAll(".graphiql-editor-tools button")].find((b) => b.textContent.trim() === "Headers");
			if (!tab) return false;
			if (!tab.classList.contains("active")) { tab.click(); return false; }
			const cm = document.querySelector(".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror");
			if (!cm) return false;
			cm.CodeMirror.setValue(`+string(headers)+`);
			return true;
		})()`)
		if err != nil {
			fail("could not fill the Headers tab: %v", err)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".graphiql-execute-button"))); err != nil {
			fail("run: %v", err)
		}
	}

	// A token the server refuses: the socket's close, 4401, in the result
	// pane (and nothing uncaught in the console).
	run("not-a-token")
	if err := pollIn(ctx, `(document.querySelector(".result-window")?.innerText || "").includes("The socket closed (4401)")`); err != nil {
		fail("the refused token's 4401 not shown: %v", err)
	}

	// The customer's token: a new socket, carrying it.
	run(cust.Token)
	mustPageSubscribed(t, ctx, "orderUpdated", console.Problems)
	inits := evalIn(t, ctx, `JSON.stringify(window.__ws.sent.filter((m) => JSON.parse(m).type === "connection_init").map((m) => JSON.parse(m).payload))`)
	if want := `[{"Authorization":"Bearer not-a-token"},{"Authorization":"Bearer ` + cust.Token + `"}]`; inits != want {
		t.Fatalf("the sockets' connection_init payloads: %s, want %s", inits, want)
	}

	// The customer cancels the order: the subscription pushes it.
	cust.MustData(t, `mutation($id: String!) { cancelOrder(orderId: $id, reason: "Ordered twice") { status } }`, map[string]any{"id": order.OrderID}, &struct{}{})
	if err := pollIn(ctx, nextHas(`"status":"cancelled"`)); err != nil {
		fail("no next message with the cancelled order: %v\nreceived: %s", err, evalIn(t, ctx, `JSON.stringify(window.__ws.received)`))
	}
	if err := pollIn(ctx, `(() => { const r = document.querySelector(".result-window")?.innerText || ""; return r.includes('"orderUpdated"') && r.includes('"cancelled"') && r.includes('`+order.OrderID+`'); })()`); err != nil {
		fail("the result pane does not show the pushed order: %v", err)
	}
	for _, p := range console.Problems() {
		t.Errorf("browser reported: %s", p)
	}
}

// TestAdminOrdersLiveInBrowser: the dashboard's Orders screen, open in
// headless Chromium, says it is live and lists an order a customer places
// through the API without a reload (pushed by orderEvents), tinted and
// announced; the order's cancellation then changes its row in place. On
// the embedded default, and on PostgreSQL and Redis with the page on one
// instance and the writes sent to another. The screen passes axe-core with
// its live indicator at 375 and 1280 px.
func TestAdminOrdersLiveInBrowser(t *testing.T) {
	t.Parallel()
	t.Run("embedded", func(t *testing.T) {
		t.Parallel()
		in := MustStart(t, EmbeddedEnv(t))
		l := adminOrdersLive(t, in, in, true)
		l.mustCleanConsole(nil)
	})
	t.Run("PostgreSQL across instances", func(t *testing.T) {
		t.Parallel()
		env := PostgresRedisEnv(t)
		page := MustStart(t, env)
		l := adminOrdersLive(t, page, MustStart(t, env), false)

		// The page's server stops (closing the socket with 1001), and an
		// order is placed meanwhile: once the server is back on its
		// address, the page is live again and lists the order, which no
		// subscription carried, without a reload.
		sent := l.p.requestCount()
		if err := page.Stop(); err != nil {
			t.Fatalf("stop the page's instance: %v", err)
		}
		l.p.waitJS(`window.__ws.closes.includes(1001) && document.querySelector('[data-testid="live-state"]')?.dataset.state === "offline"`, "Offline after the server's 1001")
		l.p.waitText("Offline, reconnecting…")
		missed := mustOrder(t, l.cust, l.product, 1)
		if n := l.p.requestCount(); n != sent {
			t.Errorf("the page sent %d HTTP requests while its server was down, want none", n-sent)
		}
		restarted := map[string]string{"PORT": strings.TrimPrefix(page.URL, "http://127.0.0.1:")}
		for k, v := range env {
			restarted[k] = v
		}
		MustStart(t, restarted)
		l.p.waitJS(`document.querySelector('[data-testid="live-state"]')?.dataset.state === "live"`, "Live again after the restart")
		l.p.waitJS(`!!document.querySelector('tr[data-order-id="`+missed.OrderID+`"]')`, "the order placed during the outage listed")
		l.p.waitText("New order " + missed.OrderID[len(missed.OrderID)-8:] + " listed.")
		if l.p.eval(`window.__sameDocument`) != "yes" {
			t.Fatalf("the page was reloaded")
		}
		// The socket's attempts to connect while the server was down (the
		// page sent no HTTP request then) are the only errors allowed;
		// Chromium words them either way.
		l.mustCleanConsole(regexp.MustCompile(`^error: (WebSocket connection to 'ws://127\.0\.0\.1:\d+/graphql' failed|Failed to load resource: net::ERR_CONNECTION_REFUSED$)`))
	})
}

// liveOrders is the Orders screen open live in a browser, and who writes.
type liveOrders struct {
	p       *adminPage
	cust    *client
	product string
}

// mustCleanConsole fails the test for any error the page reported, but
// those allowed matches.
func (l *liveOrders) mustCleanConsole(allowed *regexp.Regexp) {
	l.p.t.Helper()
	l.p.mustStayOnOrigin()
	for _, problem := range l.p.console.Problems() {
		if allowed == nil || !allowed.MatchString(problem) {
			l.p.t.Errorf("browser reported: %s", problem)
		}
	}
}

// adminOrdersLive shows Orders from page's instance while the customer and
// the admin write through writes'.
func adminOrdersLive(t *testing.T, page, writes *instance, axe bool) *liveOrders {
	admin := writes.MustAdmin(t)
	product := mustProduct(t, admin, map[string]any{"name": "Oak Stool", "price": 40.0, "stockCount": 10})
	cust, _ := writes.MustCustomer(t)
	earlier := mustOrder(t, cust, product, 1)

	ctx, console := startBrowser(t, 90*time.Second, chromedp.WindowSize(1280, 900))
	recordWebSockets(t, ctx)
	p := &adminPage{t: t, ctx: ctx, base: page.URL, console: console, shots: screenshotDir(t)}
	p.watchNetwork()
	p.signIn()
	p.clickLink("Orders")
	p.waitJS(`!!document.querySelector('tr[data-order-id="`+earlier.OrderID+`"]')`, "the earlier order listed")
	p.waitJS(`document.querySelector('[data-testid="live-state"]')?.dataset.state === "live"`, "the live indicator saying Live")
	if got := p.eval(`document.querySelector('[data-testid="live-state"]').textContent`); got != "Live updates of the orders: Live" {
		t.Errorf("the live indicator reads %q", got)
	}
	mustPageSubscribed(t, ctx, "orderEvents", console.Problems)
	p.eval(`window.__sameDocument = "yes"`)

	// A customer places an order: it appears at the top, without a reload.
	placed := mustOrder(t, cust, product, 2)
	row := `document.querySelector('tr[data-order-id="` + placed.OrderID + `"]')`
	p.waitJS(nextHas(placed.OrderID), "the new order pushed to the page")
	p.waitJS(row, "the new order listed without a reload")
	p.waitJS(`document.querySelector('tbody tr')?.dataset.orderId === "`+placed.OrderID+`"`, "the new order first")
	p.waitJS(row+`.classList.contains("row--new") && !document.querySelector('tr[data-order-id="`+earlier.OrderID+`"]').classList.contains("row--new")`, "the new order tinted, the earlier not")
	p.waitText("New order " + placed.OrderID[len(placed.OrderID)-8:] + " listed.")
	if p.eval(`window.__sameDocument`) != "yes" {
		t.Fatalf("the page was reloaded")
	}
	if axe {
		p.checkScreen("orders-live")
	}

	// The admin cancels it elsewhere: its row follows, and the first page
	// is read again.
	reads := p.requestsHolding("orders(")
	admin.MustData(t, `mutation($id: String!) { cancelOrder(orderId: $id, reason: "Out of oak") { status } }`, map[string]any{"id": placed.OrderID}, &struct{}{})
	p.waitJS(row+`?.querySelector(".badge")?.textContent === "cancelled"`, "the new order's row showing cancelled")
	p.waitFor(func() bool { return p.requestsHolding("orders(") > reads }, "the list read again after the event")
	if p.eval(`window.__sameDocument`) != "yes" {
		t.Fatalf("the page was reloaded")
	}
	return &liveOrders{p: p, cust: cust, product: product}
}

// TestAdminOrdersLiveReconnectsInBrowser: with access tokens that last 3
// seconds, the server closes the Orders screen's socket with 4401 when its
// token expires; the dashboard refreshes the session, connects again with
// the new token, and the next order placed is pushed to it.
func TestAdminOrdersLiveReconnectsInBrowser(t *testing.T) {
	t.Parallel()
	env := EmbeddedEnv(t)
	env["ACCESS_TOKEN_TTL"] = "3s"
	in := MustStart(t, env)
	product := mustProduct(t, in.MustAdmin(t), map[string]any{"name": "Pine Bench", "price": 60.0, "stockCount": 10})

	ctx, console := startBrowser(t, 90*time.Second, chromedp.WindowSize(1280, 900))
	recordWebSockets(t, ctx)
	p := &adminPage{t: t, ctx: ctx, base: in.URL, console: console, shots: screenshotDir(t)}
	p.signIn()
	p.clickLink("Orders")
	p.waitJS(`document.querySelector('[data-testid="live-state"]')?.dataset.state === "live"`, "the live indicator saying Live")
	// What the indicator says from now on.
	p.eval(`(() => {
		const el = document.querySelector('[data-testid="live-state"]');
		window.__said = [el.textContent];
		new MutationObserver(() => { if (window.__said.at(-1) !== el.textContent) window.__said.push(el.textContent); })
			.observe(el, { subtree: true, childList: true, characterData: true, attributes: true });
	})()`)
	p.waitJS(`window.__ws.closes.includes(4401) && window.__ws.sockets.length >= 2 && window.__ws.sockets[window.__ws.sockets.length - 1].readyState === 1`, "the socket closed with 4401 and opened again")
	p.waitJS(`document.querySelector('[data-testid="live-state"]')?.dataset.state === "live"`, "Live again")
	said := p.eval(`window.__said.join(" | ")`)
	if !strings.Contains(said, "Live updates of the orders: Offline, reconnecting… | ") || !strings.HasSuffix(said, " | Live updates of the orders: Live") {
		t.Errorf("the indicator said %q across the 4401, want Offline, reconnecting… then Live", said)
	}
	inits := p.eval(`JSON.stringify(window.__ws.sent.filter((m) => JSON.parse(m).type === "connection_init").map((m) => JSON.parse(m).payload.Authorization))`)
	var tokens []string
	if err := json.Unmarshal([]byte(inits), &tokens); err != nil || len(tokens) < 2 || tokens[0] == tokens[len(tokens)-1] || !strings.HasPrefix(tokens[0], "Bearer ") {
		t.Fatalf("the connections' tokens: %s (%v), want a new token after 4401", inits, err)
	}

	cust, _ := in.MustCustomer(t)
	mustPageSubscribed(t, ctx, "orderEvents", console.Problems)
	placed := mustOrder(t, cust, product, 1)
	p.waitJS(nextHas(placed.OrderID), "the order pushed over the new connection")
	p.waitJS(`!!document.querySelector('tr[data-order-id="`+placed.OrderID+`"]')`, "the order listed")
	p.mustNotSee("Could not load", "Could not refresh", "Sign in with the shop's admin account")
	// Tokens this short expire before the session's timer refreshes them
	// (5 s at the soonest): a read sent with one is refused, 401, and sent
	// again after a refresh (session.js's gql), as the list above shows.
	// Chromium reports each refusal; nothing else may be reported.
	refused := regexp.MustCompile(`^error: Failed to load resource: the server responded with a status of 401 \(Unauthorized\)$`)
	for _, problem := range console.Problems() {
		if !refused.MatchString(problem) {
			t.Errorf("browser reported: %s", problem)
		}
	}
}

// requestCount is how many requests the tab has sent so far.
func (p *adminPage) requestCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.requests)
}
