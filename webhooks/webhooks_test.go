package webhooks_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"shop/errcode"
	"shop/models"
	"shop/webhooks"
)

var admin = models.Caller{UserID: "admin", Role: models.RoleAdmin}

// memStore keeps endpoints for the service's use cases.
type memStore struct {
	webhooks.Store
	created []models.WebhookEndpoint
}

func (m *memStore) CreateWebhookEndpoint(_ context.Context, ep models.WebhookEndpoint) (*models.WebhookEndpoint, error) {
	ep.ID, ep.Enabled = "e1", true
	m.created = append(m.created, ep)
	return &ep, nil
}

// TestCreateChecksResolvedAddresses: a name resolving to a forbidden
// address is refused at create time (unless private addresses are
// allowed); one that does not resolve is accepted (the dialer checks).
func TestCreateChecksResolvedAddresses(t *testing.T) {
	t.Parallel()
	resolve := func(_ context.Context, host string) ([]netip.Addr, error) {
		switch host {
		case "rebind.test":
			return []netip.Addr{netip.MustParseAddr("203.0.113.1"), netip.MustParseAddr("127.0.0.1")}, nil
		case "metadata.test":
			return []netip.Addr{netip.MustParseAddr("169.254.169.254")}, nil
		case "public.test":
			return []netip.Addr{netip.MustParseAddr("203.0.113.1")}, nil
		}
		return nil, errors.New("no such host")
	}
	for _, c := range []struct {
		url     string
		private bool
		code    errcode.Code
	}{
		{"https://rebind.test/hook", false, errcode.WebhookURLInvalid},
		{"https://metadata.test/hook", false, errcode.WebhookURLInvalid},
		{"https://public.test/hook", false, ""},
		{"https://not-yet.test/hook", false, ""},
		{"https://rebind.test/hook", true, ""},
		{"https://127.0.0.1/hook", false, errcode.WebhookURLInvalid},
	} {
		s := webhooks.New(&memStore{}, c.private, resolve)
		ep, err := s.CreateWebhookEndpoint(context.Background(), admin, c.url, []string{"*"}, nil)
		if models.ErrorCode(err) != c.code {
			t.Errorf("%s (private %v): %v, want %s", c.url, c.private, err, c.code)
		}
		if err == nil && (!ep.ShowSecret || !strings.HasPrefix(ep.Secret, "whsec_")) {
			t.Errorf("%s: the answer shows no secret: %+v", c.url, ep)
		}
		if c.code == errcode.WebhookURLInvalid && strings.Contains(c.url, "rebind") && !strings.Contains(err.Error(), "127.0.0.1") {
			t.Errorf("the refusal names the address: %v", err)
		}
	}
	s := webhooks.New(&memStore{}, false, resolve)
	if _, err := s.CreateWebhookEndpoint(context.Background(), models.Caller{UserID: "c", Role: models.RoleCustomer}, "https://public.test/", []string{"*"}, nil); models.ErrorCode(err) != errcode.Forbidden {
		t.Errorf("a customer: %v", err)
	}
}

// TestDialerRefusesAtConnect: the client refuses forbidden addresses when
// it connects, whatever the URL says: a literal, and a name resolved at
// connect time (localhost), which is what DNS rebinding would switch.
func TestDialerRefusesAtConnect(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	strict := webhooks.NewClient(2*time.Second, false)
	for _, u := range []string{srv.URL, "http://localhost:" + port, "http://[::ffff:127.0.0.1]:" + port} {
		resp, err := strict.Get(u)
		if err == nil {
			resp.Body.Close()
			t.Errorf("%s: connected", u)
			continue
		}
		if !errors.Is(err, webhooks.ErrForbiddenAddress) {
			t.Errorf("%s: %v, want the dialer's refusal", u, err)
		}
	}
	// WEBHOOKS_ALLOW_PRIVATE lifts it.
	resp, err := webhooks.NewClient(2*time.Second, true).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// claimStore hands out claims and keeps the attempts recorded.
type claimStore struct {
	mu       sync.Mutex
	claims   []models.WebhookClaim
	attempts []models.WebhookAttempt
	endpoint models.WebhookEndpoint
	disabled bool
}

func (c *claimStore) ClaimWebhookDeliveries(context.Context, time.Duration, int) ([]models.WebhookClaim, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.claims
	c.claims = nil
	return out, nil
}

func (c *claimStore) RecordWebhookAttempt(_ context.Context, a models.WebhookAttempt, onFailure func(models.WebhookEndpoint) (models.WebhookEndpoint, bool)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.attempts = append(c.attempts, a)
	if !a.Delivered {
		var off bool
		c.endpoint, off = onFailure(c.endpoint)
		c.disabled = c.disabled || off
	}
	return nil
}

// TestSenderSignsAndJudges: the signature checks with a hand-written
// HMAC; 2xx is delivered; a redirect is not followed (a failure); a huge
// error body is read up to 64 KB; a failing endpoint past DisableAfter is
// disabled.
func TestSenderSignsAndJudges(t *testing.T) {
	t.Parallel()
	secret := models.NewWebhookSecret()
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	var mu sync.Mutex
	var sigOK []bool
	followed := false
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(r.Header.Get("webhook-id") + "." + r.Header.Get("webhook-timestamp") + "." + string(body)))
		mu.Lock()
		sigOK = append(sigOK, r.Header.Get("webhook-signature") == "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)) && r.Header.Get("webhook-id") == "evt_7")
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusTemporaryRedirect) })
	mux.HandleFunc("/huge", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(strings.Repeat("x", 1<<20)))
	})
	mux.HandleFunc("/followed", func(http.ResponseWriter, *http.Request) { followed = true })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	claim := func(path string) models.WebhookClaim {
		return models.WebhookClaim{WebhookDelivery: models.WebhookDelivery{ID: 1, EndpointID: "e", EventID: "evt_7", Payload: `{"id":"evt_7"}`, CreatedAt: time.Now()},
			URL: srv.URL + path, Secret: secret, Token: "t"}
	}
	since := time.Now().Add(-73 * time.Hour)
	st := &claimStore{claims: []models.WebhookClaim{claim("/ok"), claim("/redirect"), claim("/huge")},
		endpoint: models.WebhookEndpoint{ID: "e", Enabled: true, FailingSince: &since}}
	s := &webhooks.Sender{Store: st, Client: webhooks.NewClient(5*time.Second, true), Retry: models.WebhookRetry{Base: time.Second, MaxDelay: time.Minute, Window: time.Hour},
		DisableAfter: 72 * time.Hour, Lease: time.Minute, Every: time.Hour, Concurrency: 3, Logger: discard()}
	if n := s.Pass(context.Background()); n != 3 {
		t.Fatalf("claimed %d", n)
	}
	byURL := map[string]models.WebhookAttempt{}
	for _, a := range st.attempts {
		byURL[a.Claim.URL[len(srv.URL):]] = a
	}
	if a := byURL["/ok"]; !a.Delivered || a.ResponseStatus == nil || *a.ResponseStatus != 202 || len(sigOK) != 1 || !sigOK[0] {
		t.Errorf("/ok: %+v, signature checked %v", a, sigOK)
	}
	if a := byURL["/redirect"]; a.Delivered || followed || *a.ResponseStatus != 307 || a.NextAttemptAt == nil || !strings.Contains(a.Error, "redirects are not followed") {
		t.Errorf("/redirect: %+v", a)
	}
	if a := byURL["/huge"]; a.Delivered || *a.ResponseStatus != 500 || len(a.Error) > 400 || a.NextAttemptAt == nil {
		t.Errorf("/huge: %d bytes of error, %+v", len(a.Error), a.ResponseStatus)
	}
	if !st.disabled || st.endpoint.Enabled {
		t.Errorf("failing for 73 h, not disabled: %+v", st.endpoint)
	}
	if s.Delivered() != 1 || s.Failed() != 2 {
		t.Errorf("counted %d delivered, %d failed", s.Delivered(), s.Failed())
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
