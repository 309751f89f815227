package e2e

import (
	"strings"
	"testing"

	"shop/internal/testenv"
)

// A relay whose certificate a private CA signed (mailpit requiring
// STARTTLS and a login, with a throwaway CA): the server process trusts
// that CA the way every Go program does, through SSL_CERT_FILE in its
// environment, and sends over TLS, signed in; without it, the system's
// roots alone, the email stays pending and lastError says why.
func TestEmailsThroughARelayWithAPrivateCA(t *testing.T) {
	t.Parallel()
	ca := testenv.NewCA(t, "the relay's private CA")
	smtpAddr, api := testenv.OwnTLSMailpit(t, ca, "--smtp-require-starttls", "relay-user", "relay-pw")
	bin := mustBuild(t)
	for _, tc := range []struct {
		name  string
		trust bool
	}{{"SSL_CERT_FILE names the CA", true}, {"the system's roots only", false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := EmbeddedEnv(t)
			env["SMTP_URL"] = "smtp://relay-user:relay-pw@" + smtpAddr
			env["MAIL_FROM"], env["SHOP_NAME"], env["MAIL_POLL_INTERVAL"] = "orders@shop.test", "Relay Shop", "50ms"
			env["SSL_CERT_FILE"] = "" // unset: Go's default files
			if tc.trust {
				env["SSL_CERT_FILE"] = ca.WriteCert(t)
			}
			p := mustStartProcess(t, bin, env)
			admin := p.MustAdmin(t)
			_, sess := p.MustCustomer(t)
			var ok struct{ RequestPasswordReset bool }
			p.Anonymous().MustData(t, `mutation($e: String!) { requestPasswordReset(email: $e) }`, map[string]any{"e": sess.User.Email}, &ok)

			if tc.trust {
				sent := mustSentTo(t, admin, sess.User.Email, 1)
				var msgs []mailpitMessage
				testenv.WaitFor(t, func() bool { msgs = mailpitTo(t, api, sess.User.Email); return len(msgs) > 0 })
				if len(msgs) != 1 || msgs[0].Username != "relay-user" || msgs[0].Subject != sent[0].Subject ||
					msgs[0].From.Address != "orders@shop.test" || resetLink.FindStringSubmatch(msgs[0].Text) == nil {
					t.Fatalf("mailpit holds %+v", msgs)
				}
				return
			}
			var failed emailNode
			testenv.WaitFor(t, func() bool {
				for _, m := range admin.MustOutbox(t, "password_reset", "") {
					if m.To == sess.User.Email && m.LastError != nil { // attempts counts the claim, before the send
						failed = m
						return true
					}
				}
				return false
			})
			if failed.Status != "pending" || failed.LastError == nil ||
				!strings.Contains(*failed.LastError, "not signed by an authority this machine trusts") {
				t.Errorf("without the CA: %+v (lastError %v)", failed, failed.LastError)
			}
			if msgs := mailpitTo(t, api, sess.User.Email); len(msgs) != 0 {
				t.Errorf("mailpit holds %d messages for %s", len(msgs), sess.User.Email)
			}
		})
	}
}
