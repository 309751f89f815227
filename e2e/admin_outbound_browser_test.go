package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestAdminDashboardWebhooksInBrowser manages outbound webhooks through the
// dashboard (issue 21), in headless Chromium against the real server and a
// receiver of its own: a bad URL and an empty list of events refused with
// the API's message beside the field; an endpoint created, its signing
// secret shown once (and the deliveries it signs check out with it), gone
// once dismissed and from the API; the receiver fails the first delivery
// (retried for 1 ms: failed at once), whose details show the answer and
// the error, then the admin replays it and the receiver gets the same
// payload again; the status tabs; the endpoint
// edited (all events, disabled) and deleted. Every screen passes axe-core
// at 375 and 1280 px.
func TestAdminDashboardWebhooksInBrowser(t *testing.T) {
	t.Parallel()
	rcv := newHookReceiver(t)
	env := EmbeddedEnv(t)
	// The receiver is on loopback; a delivery is retried for 1 ms, so its
	// first failure is its last.
	env["WEBHOOKS_ALLOW_PRIVATE"] = "true"
	env["WEBHOOKS_POLL_INTERVAL"] = "100ms"
	env["WEBHOOKS_RETRY_WINDOW"] = "1ms"
	in := MustStart(t, env)
	admin := in.MustAdmin(t)

	ctx, console := startBrowser(t, 3*time.Minute, chromedp.WindowSize(1280, 900))
	p := &adminPage{t: t, ctx: ctx, base: in.URL, console: console, shots: screenshotDir(t)}
	p.watchNetwork()
	p.signIn()

	p.clickLink("Webhooks")
	p.waitText("No webhook endpoints yet")
	p.checkScreen("webhooks-empty")

	// Refused: a URL that isn't one, then no events; each beside its field.
	p.set("URL", "ftp://warehouse.example/hook")
	p.tick("product.created")
	p.click("Create endpoint")
	p.waitJS(`fieldError("URL").includes("Invalid webhook URL")`, "the URL's error beside the field")
	p.set("URL", rcv.URL+"/hook")
	p.tick("product.created") // unticked: no events
	p.click("Create endpoint")
	p.waitJS(`document.querySelector("fieldset.events .field__error")?.textContent.includes("at least one type")`, "the events' error beside them")
	p.waitJS(`!H.field("URL").getAttribute("aria-invalid")`, "the URL no longer marked")
	p.checkScreen("webhooks-error")

	// Created: the secret, once.
	p.tick("product.created")
	p.tick("order.placed")
	p.set("Description (optional)", "Warehouse")
	p.click("Create endpoint")
	p.waitJS(`H.field("Signing secret")?.value.startsWith("whsec_")`, "the new endpoint's secret")
	secret := p.eval(`H.field("Signing secret").value`)
	p.waitText("it will not be shown again")
	p.waitJS(`document.activeElement?.dataset.testid === "new-secret"`, "focus on the secret's panel")
	p.waitJS(endpointRow(rcv.URL+"/hook")+`?.innerText.includes("order.placed, product.created")`, "the endpoint listed with its events")
	p.checkScreen("webhooks-secret")
	p.click("Copy secret")
	p.waitJS(`/Copied to the clipboard\.|select the secret and copy it/.test(document.querySelector('[data-testid="new-secret"]').innerText)`, "the copy's result")
	if got := p.eval(`localStorage.length + sessionStorage.length + (location.href.includes("whsec_") ? 100 : 0)`); got != "0" {
		t.Errorf("the secret (or something) is kept in storage or the URL: %s", got)
	}
	var eps struct {
		WebhookEndpoints []struct {
			WebhookEndpointID, URL string
			Events                 []string
			Description, Secret    *string
			Enabled                bool
		}
	}
	admin.MustData(t, `{ webhookEndpoints { webhookEndpointId url events description secret enabled } }`, nil, &eps)
	if len(eps.WebhookEndpoints) != 1 {
		t.Fatalf("endpoints after the form: %+v", eps.WebhookEndpoints)
	}
	ep := eps.WebhookEndpoints[0]
	if ep.URL != rcv.URL+"/hook" || strings.Join(ep.Events, ",") != "order.placed,product.created" || ep.Description == nil || *ep.Description != "Warehouse" || !ep.Enabled || ep.Secret != nil {
		t.Fatalf("the endpoint as the API reads it: %+v", ep)
	}
	p.click("I have saved it")
	p.waitJS(`!document.querySelector('[data-testid="new-secret"]')`, "the secret dismissed")
	p.mustNotSeeHTML(secret)
	p.open("/admin/webhooks")
	p.waitJS(`!!`+endpointRow(rcv.URL+"/hook"), "the endpoint after a reload")
	p.mustNotSeeHTML(secret)

	// An event: the receiver refuses its first delivery.
	rcv.status.Store(http.StatusServiceUnavailable)
	mustProduct(t, admin, map[string]any{"name": "Hook Lamp", "price": 10.0, "stockCount": 2})
	first := rcv.wait(t, 1)[0]
	if err := verifyStandardWebhook(secret, first); err != nil {
		t.Fatalf("the delivery's signature does not check out with the secret the screen showed: %v", err)
	}
	var payload struct{ ID, Type string }
	if err := json.Unmarshal(first.body, &payload); err != nil || payload.Type != "product.created" || payload.ID == "" {
		t.Fatalf("the delivery's payload: %s (%v)", first.body, err)
	}
	failed := waitDelivery(t, admin, ep.WebhookEndpointID, func(d hookDelivery) bool { return d.Status == "failed" })

	// Its details, from the endpoint's deliveries.
	p.clickIn(endpointRow(rcv.URL+"/hook"), "Deliveries")
	row := deliveryRow(failed.DeliveryID)
	p.waitJS(`!!`+row, "the failed delivery listed")
	p.clickJS(row + `.querySelector("button")`)
	p.waitJS(`document.querySelector('[data-testid="delivery-response"]')?.textContent === "503"`, "the receiver's 503 in the details")
	p.waitJS(`document.querySelector('[data-testid="delivery-attempts"]')?.textContent === "1"`, "one attempt")
	p.waitJS(`document.querySelector('[data-testid="delivery-status"]')?.textContent === "failed"`, "failed")
	p.waitJS(`document.querySelector('[data-testid="delivery-error"]')?.textContent.includes("503")`, "the last error naming the 503")
	p.waitJS(`JSON.parse(document.querySelector('[data-testid="delivery-payload"]').textContent).id === `+jsString(payload.ID), "the payload sent")
	p.waitJS(`document.activeElement?.dataset.testid === "delivery-detail"`, "focus on the details")
	p.checkScreen("webhook-deliveries")

	// Replayed once the receiver is back: the same payload, delivered.
	rcv.status.Store(http.StatusOK)
	p.click("Replay")
	p.waitText("Replayed: a new delivery of product.created is pending.")
	again := rcv.wait(t, 2)[1]
	if string(again.body) != string(first.body) || again.header.Get("webhook-id") != first.header.Get("webhook-id") {
		t.Fatalf("the replay sent %s (id %s), want the first payload again %s (id %s)", again.body, again.header.Get("webhook-id"), first.body, first.header.Get("webhook-id"))
	}
	if err := verifyStandardWebhook(secret, again); err != nil {
		t.Fatalf("the replay's signature: %v", err)
	}
	replay := waitDelivery(t, admin, ep.WebhookEndpointID, func(d hookDelivery) bool { return d.DeliveryID != failed.DeliveryID && d.Status == "delivered" })
	p.clickLink("Delivered")
	p.waitJS(`location.search === "?status=delivered" && !!`+deliveryRow(replay.DeliveryID)+` && document.querySelectorAll("#deliveries tbody tr").length === 1`, "only the replay under Delivered")
	p.clickJS(deliveryRow(replay.DeliveryID) + `.querySelector("button")`)
	p.waitJS(`document.querySelector('[data-testid="delivery-response"]')?.textContent === "200"`, "the replay's 200")
	p.clickLink("Failed")
	p.waitJS(`!!`+deliveryRow(failed.DeliveryID)+` && document.querySelectorAll("#deliveries tbody tr").length === 1`, "only the first under Failed")

	// The endpoint edited: a bad URL refused beside the field, then every
	// event, disabled.
	p.clickLink("← Endpoint")
	p.waitJS(`H.field("URL")?.value === `+jsString(rcv.URL+"/hook"), "the endpoint's form")
	p.set("URL", "warehouse")
	p.click("Save endpoint")
	p.waitJS(`fieldError("URL").includes("Invalid webhook URL")`, "the URL's error beside the field")
	p.set("URL", rcv.URL+"/v2")
	p.tick("All events (*)")
	p.waitJS(`H.field("order.placed").disabled`, "the types disabled under All events")
	p.tick("Enabled")
	p.click("Save endpoint")
	p.waitText("Saved the endpoint " + rcv.URL + "/v2.")
	p.waitJS(`document.querySelector(".heading .badge")?.textContent === "Disabled"`, "the endpoint disabled")
	p.checkScreen("webhook-endpoint")
	admin.MustData(t, `{ webhookEndpoints { webhookEndpointId url events description secret enabled } }`, nil, &eps)
	if got := eps.WebhookEndpoints[0]; got.URL != rcv.URL+"/v2" || strings.Join(got.Events, ",") != "*" || got.Enabled || got.Description == nil || *got.Description != "Warehouse" {
		t.Fatalf("the endpoint after its form: %+v", got)
	}

	// Deleted, after a confirmation.
	p.click("Delete endpoint")
	p.click("Yes, delete")
	p.waitText("Deleted the endpoint " + rcv.URL + "/v2.")
	p.waitText("No webhook endpoints yet")
	admin.MustData(t, `{ webhookEndpoints { webhookEndpointId url events description secret enabled } }`, nil, &eps)
	if len(eps.WebhookEndpoints) != 0 {
		t.Fatalf("endpoints after the deletion: %+v", eps.WebhookEndpoints)
	}

	p.mustStayOnOrigin()
	for _, problem := range console.Problems() {
		t.Errorf("browser reported: %s", problem)
	}
}

// endpointRow is the row of the webhook endpoint of that URL.
func endpointRow(url string) string {
	return `document.querySelector('#webhook-endpoints tr[data-endpoint=' + JSON.stringify(` + jsString(url) + `) + ']')`
}

// deliveryRow is the row of the delivery of that id.
func deliveryRow(id string) string {
	return `document.querySelector('#deliveries tr[data-delivery-id=' + JSON.stringify(` + jsString(id) + `) + ']')`
}

func jsString(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// tick clicks the checkbox labelled label.
func (p *adminPage) tick(label string) {
	p.t.Helper()
	p.waitJS(`H.field(`+jsString(label)+`)?.type === "checkbox" && !H.field(`+jsString(label)+`).disabled`, "a checkbox labelled "+jsString(label))
	p.eval(`H.field(` + jsString(label) + `).click()`)
}

// mustNotSeeHTML fails when the page's markup (input values included)
// holds s anywhere.
func (p *adminPage) mustNotSeeHTML(s string) {
	p.t.Helper()
	if p.eval(`document.documentElement.outerHTML.includes(`+jsString(s)+`) || [...document.querySelectorAll("input, textarea")].some((e) => e.value.includes(`+jsString(s)+`))`) != "false" {
		p.fail("the page still holds %q", s)
	}
}

type hookDelivery struct {
	DeliveryID, Status string
	Attempts           int
	ResponseStatus     *int
}

// waitDelivery polls the endpoint's deliveries (up to 20 s) for one that ok accepts.
func waitDelivery(t *testing.T, admin *client, endpointID string, ok func(hookDelivery) bool) hookDelivery {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var out struct {
			WebhookDeliveries struct{ Edges []struct{ Node hookDelivery } }
		}
		admin.MustData(t, `query($e: String) { webhookDeliveries(endpointId: $e, first: 50) { edges { node { deliveryId status attempts responseStatus } } } }`,
			map[string]any{"e": endpointID}, &out)
		for _, e := range out.WebhookDeliveries.Edges {
			if ok(e.Node) {
				return e.Node
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no delivery as wanted came: %+v", out.WebhookDeliveries.Edges)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// hookReceiver is a webhook receiver answering status (200 unless set)
// and keeping every request it got.
type hookReceiver struct {
	*httptest.Server
	status atomic.Int32
	mu     sync.Mutex
	got    []hookRequest
}

type hookRequest struct {
	header http.Header
	body   []byte
}

func newHookReceiver(t *testing.T) *hookReceiver {
	r := &hookReceiver{}
	r.status.Store(http.StatusOK)
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, hookRequest{header: req.Header.Clone(), body: body})
		r.mu.Unlock()
		w.WriteHeader(int(r.status.Load()))
	}))
	t.Cleanup(r.Close)
	return r
}

// wait returns the requests once there are n (up to 20 s).
func (r *hookReceiver) wait(t *testing.T, n int) []hookRequest {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r.mu.Lock()
		got := append([]hookRequest(nil), r.got...)
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver got %d requests, want %d", len(got), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// verifyStandardWebhook checks a request's signature as the Standard
// Webhooks spec says, written out here rather than with shop's library:
// HMAC-SHA256 of "id.timestamp.body" with the secret's base64 key.
func verifyStandardWebhook(secret string, r hookRequest) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(r.header.Get("webhook-id") + "." + r.header.Get("webhook-timestamp") + "." + string(r.body)))
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(r.header.Get("webhook-signature")) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return &signatureError{got: r.header.Get("webhook-signature")}
}

type signatureError struct{ got string }

func (e *signatureError) Error() string { return "no signature matches: " + e.got }
