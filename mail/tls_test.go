package mail_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"shop/internal/storetest"
	"shop/internal/testenv"
	shopmail "shop/mail"
	"shop/models"
)

// testCA is a throwaway certificate authority.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t *testing.T, name string) testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return testCA{cert: cert, key: key}
}

func (ca testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// serverCert writes a certificate for 127.0.0.1 signed by ca, and its
// key, as PEM files in a temporary directory.
func (ca testCA) serverCert(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// The login the TLS mailpits accept, and nothing else. The password has
// characters SMTP_URL must carry percent-encoded.
const (
	smtpUser     = "shop-sender"
	smtpPassword = "s3cr@t/pw"
	smtpUserinfo = "shop-sender:s3cr%40t%2Fpw"
)

// tlsMailpit starts a mailpit of the test's own with a certificate for
// 127.0.0.1 signed by ca, that takes only smtpUser's login (so only over
// TLS), with mode (--smtp-require-starttls or --smtp-require-tls).
func tlsMailpit(t *testing.T, ca testCA, mode string) (smtpAddr, apiURL string) {
	t.Helper()
	certFile, keyFile := ca.serverCert(t)
	passwords := filepath.Join(t.TempDir(), "passwords")
	if err := os.WriteFile(passwords, []byte(smtpUser+":"+smtpPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return testenv.OwnMailpit(t, "--smtp-tls-cert", certFile, "--smtp-tls-key", keyFile, mode, "--smtp-auth-file", passwords)
}

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
	ca := newTestCA(t, "shop test CA")
	for _, tc := range []struct{ name, scheme, mode string }{
		{"STARTTLS", "smtp", "--smtp-require-starttls"},
		{"implicit TLS", "smtps", "--smtp-require-tls"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr, api := tlsMailpit(t, ca, tc.mode)
			want := tlsEmail("Über " + tc.name)
			got := sendOne(t, tc.scheme+"://"+smtpUserinfo+"@"+addr, ca.pool(), want)
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
			bad := sendOne(t, tc.scheme+"://"+smtpUser+":wrong@"+addr, ca.pool(), tlsEmail("wrong password"))
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
	trusted, stranger := newTestCA(t, "shop test CA"), newTestCA(t, "someone else's CA")
	for _, tc := range []struct{ name, scheme, mode string }{
		{"STARTTLS", "smtp", "--smtp-require-starttls"},
		{"implicit TLS", "smtps", "--smtp-require-tls"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr, api := tlsMailpit(t, stranger, tc.mode)
			got := sendOne(t, tc.scheme+"://"+smtpUserinfo+"@"+addr, trusted.pool(), tlsEmail("untrusted"))
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
