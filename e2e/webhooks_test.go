package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Outbound webhooks (issue 21), end to end: a real receiver (an HTTP
// server in this process) that checks every signature with its own
// HMAC, not the library the shop signs with.

// receiver is a webhook endpoint's server. It answers 503 while down,
// holds requests while hold is set, and otherwise acknowledges (200).
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	secret string

	mu       sync.Mutex
	down     bool
	hold     chan struct{} // non-nil: requests wait for it to close
	held     chan string   // the webhook-id of each request held
	got      []received    // acknowledged, in arrival order
	acked    map[string]int
	attempts int
	bad      []string // what was wrong with requests
	// first is the first request acknowledged, as sent.
	first     *http.Request
	firstBody []byte
}

type received struct {
	ID, Type, OrderID, ProductID string
	At                           time.Time
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t, acked: map[string]int{}, held: make(chan string, 100)}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(func() {
		r.mu.Lock()
		if r.hold != nil {
			close(r.hold)
			r.hold = nil
		}
		r.mu.Unlock()
		r.srv.Close()
	})
	return r
}

func (r *receiver) set(f func(r *receiver)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(r)
}

// verify checks a Standard Webhooks signature by hand: HMAC-SHA256, keyed
// with the base64 after "whsec_", of "id.timestamp.body", base64, among
// the space-separated "v1,<sig>" of webhook-signature.
func verify(secret string, h http.Header, body []byte) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || len(key) < 24 {
		return fmt.Errorf("secret %q: %v", secret, err)
	}
	id, ts := h.Get("webhook-id"), h.Get("webhook-timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || id == "" {
		return fmt.Errorf("webhook-id %q, webhook-timestamp %q", id, ts)
	}
	if d := time.Since(time.Unix(sec, 0)); d > time.Minute || d < -time.Minute {
		return fmt.Errorf("webhook-timestamp %s is %s off", ts, d)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return fmt.Errorf("webhook-signature %q, want %q", h.Get("webhook-signature"), want)
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.attempts++
	secret, down, hold := r.secret, r.down, r.hold
	r.mu.Unlock()
	if hold != nil {
		r.held <- req.Header.Get("webhook-id")
		<-hold
		return
	}
	if down {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	var msg struct {
		ID, Type, CreatedAt string
		Data                struct{ OrderID, ProductID string }
	}
	var problems []string
	if err := verify(secret, req.Header, body); err != nil {
		problems = append(problems, err.Error())
	}
	if err := json.Unmarshal(body, &msg); err != nil || msg.ID != req.Header.Get("webhook-id") || msg.Type == "" || msg.CreatedAt == "" {
		problems = append(problems, fmt.Sprintf("body %s (webhook-id %s): %v", body, req.Header.Get("webhook-id"), err))
	}
	if req.Header.Get("Content-Type") != "application/json" {
		problems = append(problems, "Content-Type "+req.Header.Get("Content-Type"))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bad = append(r.bad, problems...)
	if r.acked[msg.ID] > 0 {
		r.bad = append(r.bad, "acknowledged twice: "+msg.ID)
	}
	r.acked[msg.ID]++
	if r.first == nil {
		r.first, r.firstBody = req, body
	}
	r.got = append(r.got, received{ID: msg.ID, Type: msg.Type, OrderID: msg.Data.OrderID, ProductID: msg.Data.ProductID, At: time.Now()})
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) snapshot() ([]received, []string, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got), slices.Clone(r.bad), r.attempts
}

// webhookEnv makes instances send fast: private addresses (the receiver
// is on loopback), a quick poll, and retries in milliseconds.
func webhookEnv(env map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		out[k] = v
	}
	out["WEBHOOKS_ALLOW_PRIVATE"] = "true"
	out["WEBHOOKS_POLL_INTERVAL"] = "50ms"
	out["WEBHOOKS_RETRY_BASE"] = "100ms"
	out["WEBHOOKS_RETRY_MAX"] = "300ms"
	out["WEBHOOKS_TIMEOUT"] = "5s"
	out["WEBHOOKS_LEASE"] = "6s"
	out["EVENTS_POLL_INTERVAL"] = "50ms"
	return out
}

type webhookDelivery struct {
	DeliveryID, EventID, EventType, Status, Payload string
	Attempts                                        int
	ResponseStatus                                  *int
	LastError                                       *string
}

// deliveries is every delivery of the endpoint, newest first.
func deliveries(t *testing.T, admin *client, endpoint string) []webhookDelivery {
	t.Helper()
	var out []webhookDelivery
	after := ""
	for {
		var page struct {
			WebhookDeliveries struct {
				Edges    []struct{ Node webhookDelivery }
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
			}
		}
		admin.MustData(t, `query($e: String!, $after: String) { webhookDeliveries(endpointId: $e, first: 100, after: $after) {
			edges { node { deliveryId eventId eventType status payload attempts responseStatus lastError } } pageInfo { hasNextPage endCursor } } }`,
			map[string]any{"e": endpoint, "after": after}, &page)
		for _, e := range page.WebhookDeliveries.Edges {
			out = append(out, e.Node)
		}
		if !page.WebhookDeliveries.PageInfo.HasNextPage {
			return out
		}
		after = page.WebhookDeliveries.PageInfo.EndCursor
	}
}

// mustEndpoint creates an endpoint for the receiver and gives it the secret.
func (r *receiver) mustEndpoint(t *testing.T, admin *client, events []string) string {
	t.Helper()
	var out struct {
		CreateWebhookEndpoint struct {
			WebhookEndpointID, URL, Secret string
			Events                         []string
			Enabled                        bool
		}
	}
	admin.MustData(t, `mutation($u: String!, $e: [String!]!) { createWebhookEndpoint(url: $u, events: $e, description: "e2e") {
		webhookEndpointId url secret events enabled } }`, map[string]any{"u": r.srv.URL + "/hooks", "e": events}, &out)
	ep := out.CreateWebhookEndpoint
	if !strings.HasPrefix(ep.Secret, "whsec_") || !ep.Enabled || !slices.Equal(ep.Events, events) {
		t.Fatalf("createWebhookEndpoint: %+v", ep)
	}
	r.set(func(r *receiver) { r.secret = ep.Secret })
	var list struct {
		WebhookEndpoints []struct {
			WebhookEndpointID string
			Secret            *string
		}
	}
	admin.MustData(t, `{ webhookEndpoints { webhookEndpointId secret } }`, nil, &list)
	for _, e := range list.WebhookEndpoints {
		if e.Secret != nil {
			t.Fatalf("webhookEndpoints shows a secret: %+v", list)
		}
	}
	return ep.WebhookEndpointID
}

// shopActivity makes events of every webhook type: products created,
// updated, deleted; orders placed, paid, cancelled (a cancellation is also
// order.cancelled); stock. It returns the orders' ids.
func shopActivity(t *testing.T, admin, customer *client, orders int) []string {
	t.Helper()
	var p struct{ CreateProduct struct{ ProductID string } }
	admin.MustData(t, `mutation { createProduct(input: {name: "Hooked", price: 5, stockCount: 100}) { productId } }`, nil, &p)
	product := p.CreateProduct.ProductID
	admin.MustData(t, `mutation($p: String!) { updateProduct(input: {productId: $p, price: 6}) { price } }`, map[string]any{"p": product}, &struct{}{})
	var ids []string
	for i := 0; i < orders; i++ {
		var o struct{ CreateOrder struct{ OrderID string } }
		customer.MustData(t, `mutation($p: String!) { createOrder(input: {items: [{productId: $p, quantity: 1}]}) { orderId } }`, map[string]any{"p": product}, &o)
		id := o.CreateOrder.OrderID
		ids = append(ids, id)
		status := "paid"
		if i%2 == 1 {
			status = "cancelled"
		}
		admin.MustData(t, `mutation($o: String!, $s: String!) { updateOrderStatus(orderId: $o, status: $s) { status } }`, map[string]any{"o": id, "s": status}, &struct{}{})
		if status == "paid" {
			admin.MustData(t, `mutation($o: String!) { updateOrderStatus(orderId: $o, status: "shipped") { status } }`, map[string]any{"o": id}, &struct{}{})
		}
	}
	var doomed struct{ CreateProduct struct{ ProductID string } }
	admin.MustData(t, `mutation { createProduct(input: {name: "Doomed", price: 1, stockCount: 1}) { productId } }`, nil, &doomed)
	admin.MustData(t, `mutation($p: String!) { deleteProduct(productId: $p) }`, map[string]any{"p": doomed.CreateProduct.ProductID}, &struct{}{})
	return ids
}

// waitDelivered waits until the endpoint has no pending delivery and the
// receiver has acknowledged each delivered one, and returns them.
func waitDelivered(t *testing.T, admin *client, r *receiver, endpoint string, atLeast int, within time.Duration) []webhookDelivery {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ds := deliveries(t, admin, endpoint)
		got, _, _ := r.snapshot()
		pending := 0
		for _, d := range ds {
			if d.Status != "delivered" {
				pending++
			}
		}
		if pending == 0 && len(ds) >= atLeast && len(got) >= len(ds) {
			return ds
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %d deliveries, %d not delivered, %d acknowledged", within, len(ds), pending, len(got))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkOrder checks that every order's (and product's) webhooks came in
// the order of their events: by id, which grows with the outbox's order.
func checkOrder(t *testing.T, got []received) {
	t.Helper()
	seq := func(id string) int64 {
		n, _ := strconv.ParseInt(strings.SplitN(strings.TrimPrefix(id, "evt_"), "_", 2)[0], 10, 64)
		return n
	}
	last := map[string]received{}
	for _, g := range got {
		key := "order " + g.OrderID
		if strings.HasPrefix(g.Type, "product.") || g.Type == "stock.changed" {
			key = "product " + g.ProductID
		}
		if prev, ok := last[key]; ok && seq(prev.ID) > seq(g.ID) {
			t.Errorf("%s: %s (%s) came after %s (%s)", key, g.ID, g.Type, prev.ID, prev.Type)
		}
		last[key] = g
	}
}

// TestWebhooksDelivered: on PostgreSQL with two server processes and on
// SQLite, every event of the shop's activity reaches the receiver, signed
// (checked by hand), once, in order per order and per product; the
// receiver is down for a while first (503s, retried with backoff), then
// comes back.
func TestWebhooksDelivered(t *testing.T) {
	t.Parallel()
	bin := mustBuild(t)
	for _, backend := range []string{"PostgreSQL", "SQLite"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			r := newReceiver(t)
			var admin, customer *client
			var sqlite *instance
			if backend == "PostgreSQL" {
				env := webhookEnv(PostgresRedisEnv(t))
				a, b := mustStartProcess(t, bin, env), mustStartProcess(t, bin, env)
				admin = a.MustAdmin(t)
				c, _ := b.MustCustomer(t)
				customer = c
			} else {
				in := MustStart(t, webhookEnv(EmbeddedEnv(t)))
				sqlite = in
				admin = in.MustAdmin(t)
				customer, _ = in.MustCustomer(t)
			}
			endpoint := r.mustEndpoint(t, admin, []string{"*"})
			r.set(func(r *receiver) { r.down = true })
			orders := shopActivity(t, admin, customer, 6)

			// Down: deliveries are tried, fail, and wait their turn.
			deadline := time.Now().Add(15 * time.Second)
			for {
				_, _, attempts := r.snapshot()
				if attempts >= 10 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d attempts in 15 s while the receiver was down", attempts)
				}
				time.Sleep(20 * time.Millisecond)
			}
			var failed *webhookDelivery
			for _, d := range deliveries(t, admin, endpoint) {
				if d.Status != "pending" {
					t.Fatalf("while the receiver is down: %+v", d)
				}
				if d.Attempts > 0 {
					failed = &d
				}
			}
			if failed == nil || failed.ResponseStatus == nil || *failed.ResponseStatus != 503 || failed.LastError == nil || !strings.Contains(*failed.LastError, "503") {
				t.Fatalf("no delivery shows its failed attempt: %+v", failed)
			}
			r.set(func(r *receiver) { r.down = false })
			back := time.Now()

			// 1 product created + 1 updated + its stock; per order placed,
			// stock, and paid+shipped or cancelled (+order.cancelled, +stock
			// back); the doomed product created, stock, deleted.
			ds := waitDelivered(t, admin, r, endpoint, 20, 30*time.Second)
			got, bad, _ := r.snapshot()
			t.Logf("%s: %d webhooks delivered %s after the receiver came back", backend, len(got), time.Since(back).Round(time.Millisecond))
			if len(bad) > 0 {
				t.Fatalf("bad requests: %q", bad)
			}
			if len(got) != len(ds) {
				t.Errorf("%d acknowledged, %d deliveries", len(got), len(ds))
			}
			checkOrder(t, got)
			verifyInNode(t, r)
			if sqlite != nil {
				if ok, failed := sqlite.MustMetric(t, "shop_webhook_deliveries_total", ""), sqlite.MustMetric(t, "shop_webhook_failures_total", ""); int(ok) != len(got) || failed < 10 {
					t.Errorf("metrics: %v delivered, %v failed; %d received", ok, failed, len(got))
				}
			}
			types := map[string]int{}
			for _, g := range got {
				types[g.Type]++
			}
			for typ, want := range map[string]int{"order.placed": len(orders), "order.cancelled": len(orders) / 2, "order.status_changed": len(orders) * 3 / 2,
				"product.created": 2, "product.updated": 1, "product.deleted": 1} {
				if types[typ] < want {
					t.Errorf("%d %s, want %d (%v)", types[typ], typ, want, types)
				}
			}
			if types["stock.changed"] == 0 {
				t.Errorf("no stock.changed: %v", types)
			}
			// The payload sent is the payload kept.
			var sample struct{ ID, Type, CreatedAt string }
			if err := json.Unmarshal([]byte(ds[0].Payload), &sample); err != nil || sample.ID != ds[0].EventID || sample.Type != ds[0].EventType {
				t.Errorf("payload %s of %+v", ds[0].Payload, ds[0])
			}

			// A replay is a new delivery of the same payload and id.
			var replay struct{ ReplayWebhookDelivery webhookDelivery }
			admin.MustData(t, `mutation($d: String!) { replayWebhookDelivery(deliveryId: $d) { deliveryId eventId status payload attempts } }`,
				map[string]any{"d": ds[0].DeliveryID}, &replay)
			if rd := replay.ReplayWebhookDelivery; rd.EventID != ds[0].EventID || rd.Payload != ds[0].Payload || rd.DeliveryID == ds[0].DeliveryID || rd.Status != "pending" {
				t.Fatalf("replay: %+v of %+v", rd, ds[0])
			}
			// (The receiver counts a second acknowledgement of one id as a
			// fault: it is told to expect this one.)
			r.set(func(r *receiver) { delete(r.acked, ds[0].EventID) })
			waitDelivered(t, admin, r, endpoint, len(ds)+1, 10*time.Second)
		})
	}
}

// verifyInNode checks the receiver's first request with the JavaScript
// of docs/webhooks.md, in Node (e2e/testdata/verify_webhook.mjs), and
// that a body changed by one byte fails it.
func verifyInNode(t *testing.T, r *receiver) {
	t.Helper()
	r.mu.Lock()
	req, body, secret := r.first, r.firstBody, r.secret
	r.mu.Unlock()
	if req == nil {
		t.Fatal("no request acknowledged")
	}
	headers := map[string]string{}
	for _, h := range []string{"webhook-id", "webhook-timestamp", "webhook-signature"} {
		headers[h] = req.Header.Get(h)
	}
	run := func(b string) (string, error) {
		in, _ := json.Marshal(map[string]any{"secret": secret, "headers": headers, "body": b})
		cmd := exec.Command("node", filepath.Join("testdata", "verify_webhook.mjs"))
		cmd.Stdin = bytes.NewReader(in)
		out, err := cmd.CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	if out, err := run(string(body)); err != nil || out != headers["webhook-id"] {
		t.Errorf("node verify: %q %v, want %s", out, err, headers["webhook-id"])
	}
	if out, err := run(strings.Replace(string(body), "{", " {", 1)); err == nil || !strings.Contains(out, "bad signature") {
		t.Errorf("node verify of a changed body: %q %v", out, err)
	}
}

// TestWebhooksResumeAfterSIGKILL: an instance killed while its request
// to the receiver is under way never records it; another instance takes
// the delivery over once the claim's lease has run out, and delivers it.
func TestWebhooksResumeAfterSIGKILL(t *testing.T) {
	t.Parallel()
	bin := mustBuild(t)
	env := webhookEnv(PostgresRedisEnv(t))
	r := newReceiver(t)
	a := mustStartProcess(t, bin, env)
	admin := a.MustAdmin(t)
	endpoint := r.mustEndpoint(t, admin, []string{"product.created"})
	hold := make(chan struct{})
	r.set(func(r *receiver) { r.hold = hold })
	// Alone, a claims the delivery, and its request is held.
	admin.MustData(t, `mutation { createProduct(input: {name: "Killed mid-delivery", price: 1, stockCount: 1}) { productId } }`, nil, &struct{}{})
	var id string
	select {
	case id = <-r.held:
	case <-time.After(15 * time.Second):
		t.Fatal("no request reached the receiver")
	}
	b := mustStartProcess(t, bin, env)
	a.Kill(t)
	killed := time.Now()
	r.set(func(r *receiver) { close(r.hold); r.hold = nil })
	admin = admin.on(b.instance)
	ds := waitDelivered(t, admin, r, endpoint, 1, 30*time.Second)
	got, bad, _ := r.snapshot()
	t.Logf("delivered by the other instance %s after the kill", time.Since(killed).Round(time.Millisecond))
	if len(bad) > 0 {
		t.Fatalf("bad requests: %q", bad)
	}
	if len(ds) != 1 || len(got) != 1 || got[0].ID != id || ds[0].EventID != id {
		t.Fatalf("deliveries %+v, received %+v, held %s", ds, got, id)
	}
	// The killed instance's attempt was never recorded; the lease held
	// the delivery from b until it ran out.
	if ds[0].Attempts != 1 {
		t.Errorf("attempts %d, want 1 (b's)", ds[0].Attempts)
	}
}

// TestWebhookEndpointsRefused: the URL and event-type rules at the API,
// without WEBHOOKS_ALLOW_PRIVATE.
func TestWebhookEndpointsRefused(t *testing.T) {
	t.Parallel()
	in := MustStart(t, EmbeddedEnv(t))
	admin := in.MustAdmin(t)
	for _, c := range []struct {
		url    string
		events []string
		code   string
	}{
		{"http://203.0.113.5/hook", []string{"*"}, "WEBHOOK_URL_INVALID"},        // https only
		{"https://127.0.0.1/hook", []string{"*"}, "WEBHOOK_URL_INVALID"},         // loopback
		{"https://localhost:8443/hook", []string{"*"}, "WEBHOOK_URL_INVALID"},    // resolves to 127.0.0.1
		{"https://169.254.169.254/latest", []string{"*"}, "WEBHOOK_URL_INVALID"}, // metadata
		{"https://10.1.2.3/hook", []string{"*"}, "WEBHOOK_URL_INVALID"},
		{"https://[::1]/hook", []string{"*"}, "WEBHOOK_URL_INVALID"},
		{"https://100.64.0.1/hook", []string{"*"}, "WEBHOOK_URL_INVALID"},
		{"https://user:pw@203.0.113.5/hook", []string{"*"}, "WEBHOOK_URL_INVALID"},
		{"https://203.0.113.5/hook", []string{"order.placed", "order.exploded"}, "WEBHOOK_EVENT_TYPE_UNKNOWN"},
		{"https://203.0.113.5/hook", []string{}, "WEBHOOK_EVENT_TYPE_UNKNOWN"},
		{"https://203.0.113.5/hook", []string{"*", "order.placed"}, "WEBHOOK_EVENT_TYPE_UNKNOWN"},
	} {
		r := admin.MustSend(t, nil, `mutation($u: String!, $e: [String!]!) { createWebhookEndpoint(url: $u, events: $e) { webhookEndpointId } }`,
			map[string]any{"u": c.url, "e": c.events})
		if r.Code() != c.code {
			t.Errorf("%s %v: %s %+v, want %s", c.url, c.events, r.Data, r.Errors, c.code)
		}
	}
	r := admin.MustSend(t, nil, `mutation { updateWebhookEndpoint(webhookEndpointId: "00000000-0000-0000-0000-000000000000", enabled: false) { enabled } }`, nil)
	if r.Code() != "NOT_FOUND" {
		t.Errorf("update of no endpoint: %s %+v", r.Data, r.Errors)
	}
	r = admin.MustSend(t, nil, `mutation { replayWebhookDelivery(deliveryId: "999999") { deliveryId } }`, nil)
	if r.Code() != "NOT_FOUND" {
		t.Errorf("replay of no delivery: %s %+v", r.Data, r.Errors)
	}
	var ok struct {
		CreateWebhookEndpoint struct {
			WebhookEndpointID string
			Events            []string
		}
	}
	admin.MustData(t, `mutation { createWebhookEndpoint(url: "https://203.0.113.5/hook", events: ["stock.changed", "order.placed", "stock.changed"]) { webhookEndpointId events } }`, nil, &ok)
	if got := ok.CreateWebhookEndpoint.Events; !slices.Equal(got, []string{"stock.changed", "order.placed"}) {
		t.Errorf("events %v", got)
	}
	var up struct {
		UpdateWebhookEndpoint struct {
			Enabled        bool
			DisabledReason *string
			Description    *string
		}
	}
	admin.MustData(t, `mutation($id: String!) { updateWebhookEndpoint(webhookEndpointId: $id, enabled: false, description: "off") { enabled disabledReason description } }`,
		map[string]any{"id": ok.CreateWebhookEndpoint.WebhookEndpointID}, &up)
	if u := up.UpdateWebhookEndpoint; u.Enabled || u.DisabledReason == nil || u.Description == nil || *u.Description != "off" {
		t.Errorf("disabled: %+v", u)
	}
	var del, again struct{ DeleteWebhookEndpoint bool }
	admin.MustData(t, `mutation($id: String!) { deleteWebhookEndpoint(webhookEndpointId: $id) }`, map[string]any{"id": ok.CreateWebhookEndpoint.WebhookEndpointID}, &del)
	admin.MustData(t, `mutation($id: String!) { deleteWebhookEndpoint(webhookEndpointId: $id) }`, map[string]any{"id": ok.CreateWebhookEndpoint.WebhookEndpointID}, &again)
	if !del.DeleteWebhookEndpoint || again.DeleteWebhookEndpoint {
		t.Errorf("deleteWebhookEndpoint: %v, then %v", del.DeleteWebhookEndpoint, again.DeleteWebhookEndpoint)
	}
}
