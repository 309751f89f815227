package mail_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"shop/internal/storetest"
	"shop/internal/testenv"
	shopmail "shop/mail"
	"shop/models"
)

// The login the TLS mailpits accept, and nothing else. The password has
// characters SMTP_URL must carry percent-encoded.
const (
	smtpUser     = "shop-sender"
	smtpPassword = "s3cr@t/pw"
	smtpUserinfo = "shop-sender:s3cr%40t%2Fpw"
)

// mailpitMessage is what a mailpit recorded of a message.
type mailpitMessage struct {
	ID, MessageID, Subject, Username, Text, HTML string
	From                                         struct{ Name, Address string }
	To                                           []struct{ Address string }
}

// onlyMessage reads the one message a mailpit holds through its API.
func onlyMessage(t *testing.T, apiURL string) mailpitMessage {
	t.Helper()
	get := func(path string, into any) {
		t.Helper()
		resp, err := http.Get(apiURL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	var list struct {
		Total    int
		Messages []struct{ ID string }
	}
	get("/api/v1/messages", &list)
	if list.Total != 1 || len(list.Messages) != 1 {
		t.Fatalf("mailpit holds %d messages, want 1", list.Total)
	}
	var m mailpitMessage
	get("/api/v1/message/"+list.Messages[0].ID, &m)
	return m
}

// sendOne queues m and has a Sender send it through rawURL, trusting
// roots; it returns what the outbox recorded.
func sendOne(t *testing.T, rawURL string, roots *x509.CertPool, m models.EmailMessage) models.EmailMessage {
	t.Helper()
	s := storetest.MustSQLite(t)
	tr, err := shopmail.NewSMTP(rawURL, from)
	if err != nil {
		t.Fatal(err)
	}
	tr.TrustOnly(roots)
	now := time.Now().UTC().Truncate(time.Microsecond)
	m.ID, m.DedupeKey, m.Status, m.NextAttemptAt, m.CreatedAt = uuid.NewString(), uuid.NewString(), models.EmailPending, now, now
	if err := s.EnqueueEmails(context.Background(), []models.EmailMessage{m}); err != nil {
		t.Fatal(err)
	}
	sender := &shopmail.Sender{Store: s, Transport: tr, Every: time.Hour}
	if n := sender.Pass(context.Background()); n != 1 {
		t.Fatalf("claimed %d", n)
	}
	return outbox(t, s)[m.ID]
}

func tlsEmail(subject string) models.EmailMessage {
	return models.EmailMessage{Kind: models.EmailOrderPlaced, To: "ann@example.com", Subject: subject,
		TextBody: "Your order: 2 × Blue mug @ 12.50 USD\n\n-- \nTest Shop\n", HTMLBody: "<p>Your order: 2 &times; <b>Blue mug</b></p>"}
}

// SMTP_URL with a login, against mailpits that require TLS and that
// password: smtp:// upgrades with STARTTLS, smtps:// speaks TLS from the
// first byte, each checks the server's certificate against the trusted
// CA, signs in, and the message arrives whole.
func TestSMTPOverTLSWithLogin(t *testing.T) {
	t.Parallel()
	ca := testenv.NewCA(t, "shop test CA")
	for _, tc := range []struct{ name, scheme, mode string }{
		{"STARTTLS", "smtp", "--smtp-require-starttls"},
		{"implicit TLS", "smtps", "--smtp-require-tls"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr, api := testenv.OwnTLSMailpit(t, ca, tc.mode, smtpUser, smtpPassword)
			want := tlsEmail("Über " + tc.name)
			got := sendOne(t, tc.scheme+"://"+smtpUserinfo+"@"+addr, ca.Pool(), want)
			if got.Status != models.EmailSent || got.LastError != "" || got.Attempts != 1 {
				t.Fatalf("not sent: status %s, attempts %d, lastError %q", got.Status, got.Attempts, got.LastError)
			}
			m := onlyMessage(t, api)
			if m.Username != smtpUser {
				t.Errorf("signed in as %q, want %q", m.Username, smtpUser)
			}
			if m.Subject != want.Subject || m.From.Address != from.Address || m.From.Name != from.Name ||
				len(m.To) != 1 || m.To[0].Address != want.To || m.MessageID != got.ID+"@shop.test" {
				t.Errorf("headers: %+v", m)
			}
			if strings.ReplaceAll(m.Text, "\r\n", "\n") != want.TextBody || !strings.Contains(m.HTML, want.HTMLBody) {
				t.Errorf("bodies:\n%q\n%q", m.Text, m.HTML)
			}

			// The same server with a wrong password: refused, and said so.
			bad := sendOne(t, tc.scheme+"://"+smtpUser+":wrong@"+addr, ca.Pool(), tlsEmail("wrong password"))
			if bad.Status != models.EmailPending || !strings.Contains(bad.LastError, "535") {
				t.Errorf("a wrong password: status %s, lastError %q", bad.Status, bad.LastError)
			}
		})
	}
}

// A server whose certificate no trusted CA signed is refused before
// anything is sent, over STARTTLS and implicit TLS alike, and lastError
// says why.
func TestSMTPRefusesAnUntrustedCertificate(t *testing.T) {
	t.Parallel()
	trusted, stranger := testenv.NewCA(t, "shop test CA"), testenv.NewCA(t, "someone else's CA")
	for _, tc := range []struct{ name, scheme, mode string }{
		{"STARTTLS", "smtp", "--smtp-require-starttls"},
		{"implicit TLS", "smtps", "--smtp-require-tls"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr, api := testenv.OwnTLSMailpit(t, stranger, tc.mode, smtpUser, smtpPassword)
			got := sendOne(t, tc.scheme+"://"+smtpUserinfo+"@"+addr, trusted.Pool(), tlsEmail("untrusted"))
			if got.Status != models.EmailPending || got.Attempts != 1 || !strings.Contains(got.LastError, "not signed by an authority this machine trusts") || !strings.Contains(got.LastError, "certificate signed by unknown authority") {
				t.Errorf("status %s, attempts %d, lastError %q", got.Status, got.Attempts, got.LastError)
			}
			t.Logf("lastError: %s", got.LastError)
			var list struct{ Total int }
			resp, err := http.Get(api + "/api/v1/messages")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || list.Total != 0 {
				t.Errorf("mailpit holds %d messages (%v)", list.Total, err)
			}
		})
	}
}
