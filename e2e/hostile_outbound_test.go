package e2e

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Hostile checks of issue 21's outbound side (webhooks, emails, password
// reset): what a hostile receiver, customer or stranger can do.

// A receiver that answers an error with a body PostgreSQL cannot store as
// text (a NUL, bytes that are not UTF-8) still has its attempt recorded:
// counted, retried on its schedule, failed after the window. Before, the
// attempt's record failed, so the delivery came back after every lease
// uncounted and never failed (nor disabled its endpoint), holding up its
// order's later webhooks for good.
func TestWebhookHostileResponseRecorded(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("boom\x00\xff\xfe\x01 <script>"))
	}))
	t.Cleanup(srv.Close)
	env := webhookEnv(PostgresRedisEnv(t))
	env["WEBHOOKS_LEASE"] = "1s"
	env["WEBHOOKS_TIMEOUT"] = "800ms"
	in := MustStart(t, env)
	admin := in.MustAdmin(t)
	var ep struct {
		CreateWebhookEndpoint struct{ WebhookEndpointID string }
	}
	admin.MustData(t, `mutation($u: String!) { createWebhookEndpoint(url: $u, events: ["product.created"]) { webhookEndpointId } }`,
		map[string]any{"u": srv.URL + "/hook"}, &ep)
	in.MustCreateProduct(t, 3, 1)
	deadline := time.Now().Add(15 * time.Second)
	for {
		ds := deliveries(t, admin, ep.CreateWebhookEndpoint.WebhookEndpointID)
		if len(ds) == 1 && ds[0].Attempts >= 2 && ds[0].LastError != nil {
			if e := *ds[0].LastError; !strings.Contains(e, "HTTP 500") || strings.ContainsRune(e, 0) {
				t.Errorf("lastError %q", e)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the hostile answer's attempts were never recorded: %+v", ds)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
