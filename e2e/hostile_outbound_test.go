package e2e

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
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

// The per-email limit of requestPasswordReset can't be dodged by writing
// the address another way (case, surrounding spaces, tabs, a no-break
// space): every variant that reaches the account spends its allowance,
// and the account gets no more links than the limit.
func TestPasswordResetLimitVariants(t *testing.T) {
	t.Parallel()
	env := EmbeddedEnv(t)
	env["RATE_LIMIT_PASSWORD_RESET"] = "2"
	in := MustStart(t, env)
	_, sess := in.MustCustomer(t)
	addr := sess.User.Email
	doc := `mutation($e: String!) { requestPasswordReset(email: $e) }`
	variants := []string{strings.ToUpper(addr), " " + addr + " ", "\t" + strings.ToUpper(addr[:1]) + addr[1:] + "\n", "\u00a0" + addr, addr + "\u3000"}
	codes := []string{}
	for _, v := range variants {
		codes = append(codes, in.Anonymous().MustSend(t, nil, doc, map[string]any{"e": v}).Code())
	}
	if codes[0] != "" || codes[1] != "" {
		t.Errorf("the first two requests: %q", codes[:2])
	}
	for i, c := range codes[2:] {
		if c != "RATE_LIMITED" {
			t.Errorf("variant %q past the limit: %q, want RATE_LIMITED", variants[i+2], c)
		}
	}
	admin := in.MustAdmin(t)
	var out struct {
		EmailOutbox struct {
			Edges []struct {
				Node struct{ To, TextBody *string }
			}
		}
	}
	admin.MustData(t, `{ emailOutbox(kind: "password_reset", first: 20) { edges { node { to textBody } } } }`, nil, &out)
	if n := len(out.EmailOutbox.Edges); n != 2 {
		t.Errorf("%d reset emails for the account, want 2", n)
	}
	for _, e := range out.EmailOutbox.Edges {
		if e.Node.TextBody != nil || e.Node.To == nil || *e.Node.To != addr {
			t.Errorf("outbox row: to %v, textBody %v", e.Node.To, e.Node.TextBody)
		}
	}
}

// Without WEBHOOKS_ALLOW_PRIVATE, URLs that spell an internal address
// some other way are refused at the API (the sender's dialer refuses
// them at connect time anyway): inet_aton's forms, IDNA look-alikes,
// IPv6 that carries IPv4 (mapped, compatible, NAT64, 6to4), 0.0.0.0, [::].
func TestWebhookSSRFSpellings(t *testing.T) {
	t.Parallel()
	in := MustStart(t, EmbeddedEnv(t))
	admin := in.MustAdmin(t)
	for _, u := range []string{"https://2130706433/", "https://0x7f000001/", "https://0177.0.0.1/", "https://127.1/", "https://１２７.０.０.１/",
		"https://[::ffff:127.0.0.1]/", "https://[::7f00:1]/", "https://[64:ff9b::a9fe:a9fe]/", "https://[2002:a00:1::]/", "https://0.0.0.0/",
		"https://[::]/", "https://localhost./", "https://evil.example@127.0.0.1/", "https://198.18.0.1/"} {
		r := admin.MustSend(t, nil, `mutation($u: String!) { createWebhookEndpoint(url: $u, events: ["*"]) { webhookEndpointId } }`, map[string]any{"u": u})
		if r.Code() != "WEBHOOK_URL_INVALID" {
			t.Errorf("%s: %s %s", u, r.Code(), r.Data)
		}
	}
}

// A delivery of an endpoint since deleted can't be replayed: its
// deliveries went with it.
func TestWebhookReplayAfterDelete(t *testing.T) {
	t.Parallel()
	r := newReceiver(t)
	in := MustStart(t, webhookEnv(EmbeddedEnv(t)))
	admin := in.MustAdmin(t)
	endpoint := r.mustEndpoint(t, admin, []string{"product.created"})
	in.MustCreateProduct(t, 2, 1)
	ds := waitDelivered(t, admin, r, endpoint, 1, 15*time.Second)
	admin.MustData(t, `mutation($id: String!) { deleteWebhookEndpoint(webhookEndpointId: $id) }`, map[string]any{"id": endpoint}, &struct{}{})
	res := admin.MustSend(t, nil, `mutation($d: String!) { replayWebhookDelivery(deliveryId: $d) { deliveryId } }`, map[string]any{"d": ds[0].DeliveryID})
	if res.Code() != "NOT_FOUND" {
		t.Errorf("replay of a deleted endpoint's delivery: %s %s", res.Code(), res.Data)
	}
}

// mustResetToken waits for the reset email to addr under dir (.eml files,
// no SMTP_URL) and returns its link's token, read from the text part.
func mustResetToken(t *testing.T, dir, addr string) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*-password_reset-*.eml"))
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				continue
			}
			msg, err := mail.ReadMessage(bytes.NewReader(raw))
			if err != nil || !strings.Contains(msg.Header.Get("To"), addr) {
				continue
			}
			_, params, _ := mime.ParseMediaType(msg.Header.Get("Content-Type"))
			mr := multipart.NewReader(msg.Body, params["boundary"])
			for {
				p, err := mr.NextPart()
				if err != nil {
					break
				}
				body, _ := io.ReadAll(p) // quoted-printable decoded by the reader
				if m := regexp.MustCompile(`/reset-password\?token=([A-Za-z0-9_-]{43})`).FindSubmatch(body); m != nil {
					return string(m[1])
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no reset email to %s under %s", addr, dir)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// One reset token sent to two server processes at once (PostgreSQL):
// exactly one request wins, the others say RESET_TOKEN_USED; the session
// from before the reset can't refresh; another account keeps its
// password and sessions.
func TestPasswordResetRaceAcrossProcesses(t *testing.T) {
	t.Parallel()
	env := PostgresRedisEnv(t)
	a, b := MustStart(t, env), MustStart(t, env)
	_, victim := a.MustCustomer(t)
	_, other := a.MustCustomer(t)
	ask := `mutation($e: String!) { requestPasswordReset(email: $e) }`
	a.Anonymous().MustData(t, ask, map[string]any{"e": victim.User.Email}, &struct{}{})
	token := mustResetToken(t, env["MAIL_DIR"], victim.User.Email)

	reset := `mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }`
	const n = 12
	codes := make(chan string, n)
	var wg sync.WaitGroup
	for i := range n {
		in := a
		if i%2 == 1 {
			in = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- in.Anonymous().MustSend(t, nil, reset, map[string]any{"t": token, "p": fmt.Sprintf("new passw0rd %d", i)}).Code()
		}()
	}
	wg.Wait()
	close(codes)
	won := 0
	for c := range codes {
		switch c {
		case "":
			won++
		case "RESET_TOKEN_USED":
		default:
			t.Errorf("a racing reset: %q", c)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d resets with one token won, want exactly 1", won, n)
	}
	if r := b.Anonymous().MustPost(t, `mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }`, map[string]any{"t": victim.RefreshToken}); r.Code() != "UNAUTHENTICATED" {
		t.Errorf("the session from before the reset refreshed: %s", r.Code())
	}
	if r := a.Anonymous().MustPost(t, `mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }`, map[string]any{"t": other.RefreshToken}); r.Code() != "" {
		t.Errorf("another account's session was ended by the reset: %s", r.Code())
	}
	if r := a.Anonymous().MustPost(t, `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`,
		map[string]any{"e": other.User.Email, "p": testCustomerPassword}); r.Code() != "" {
		t.Errorf("another account's password changed: %s", r.Code())
	}
	// The token is nowhere but in the email: not in either instance's
	// logs, not in anything the outbox shows an admin.
	outbox := a.MustAdmin(t).MustSend(t, nil, `{ emailOutbox(first: 50) { edges { node { emailId kind to subject status lastError file textBody htmlBody } } } }`, nil)
	for what, text := range map[string]string{"logs of a": a.logs.String(), "logs of b": b.logs.String(), "emailOutbox": string(outbox.Data)} {
		if strings.Contains(text, token) {
			t.Errorf("the reset token is in the %s", what)
		}
	}
	if !strings.Contains(string(outbox.Data), "password_reset") {
		t.Errorf("emailOutbox: %s", outbox.Data)
	}
}
