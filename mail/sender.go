package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	gomail "github.com/wneessen/go-mail"

	"shop/models"
)

// SenderStore is what the senders need of the database.
type SenderStore interface {
	ClaimEmails(ctx context.Context, limit int, lease time.Duration) ([]models.EmailMessage, error)
	EmailSent(ctx context.Context, id, file string, blank bool) error
	EmailFailed(ctx context.Context, id, reason string, next time.Time, giveUp, blank bool) error
	// ReleaseEmails hands back claimed emails not tried: due at once, the
	// claim's attempt not counted.
	ReleaseEmails(ctx context.Context, ids []string) error
}

// Transport takes one email out of the shop: file is where it was written
// ("" for SMTP).
type Transport interface {
	Send(ctx context.Context, m models.EmailMessage) (file string, err error)
}

// Sender claims due emails and sends them, on every instance.
type Sender struct {
	Store     SenderStore
	Transport Transport
	// Every is how often it looks for due emails when the last look found
	// none.
	Every  time.Duration
	Logger *slog.Logger

	sent, failed atomic.Uint64
}

// Timeouts: one email's send, and how many a sender claims at once. The
// lease covers them all, with room to record the outcome.
const (
	sendTimeout = 30 * time.Second
	claimBatch  = 10
	lease       = claimBatch*sendTimeout + 30*time.Second
)

// Sent and Failed count attempts that succeeded and failed on this instance.
func (s *Sender) Sent() uint64   { return s.sent.Load() }
func (s *Sender) Failed() uint64 { return s.failed.Load() }

// Run sends until ctx ends.
func (s *Sender) Run(ctx context.Context) {
	t := time.NewTicker(s.Every)
	defer t.Stop()
	for {
		for ctx.Err() == nil && s.Pass(ctx) == claimBatch {
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Pass claims one batch of due emails and sends it, reporting how many it
// claimed.
func (s *Sender) Pass(ctx context.Context) int {
	logger := s.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	msgs, err := s.Store.ClaimEmails(ctx, claimBatch, lease)
	if err != nil {
		if ctx.Err() == nil {
			logger.Warn("mail: cannot claim emails", "err", err)
		}
		return 0
	}
	for i, m := range msgs {
		if ctx.Err() != nil {
			// Shutting down: the emails not yet tried are handed back, due
			// at once for another instance (or the next start), rather
			// than waiting out their lease.
			rest := make([]string, 0, len(msgs)-i)
			for _, r := range msgs[i:] {
				rest = append(rest, r.ID)
			}
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			if err := s.Store.ReleaseEmails(rctx, rest); err != nil {
				logger.Warn("mail: could not hand back claimed emails; they are due again when their lease ends", "count", len(rest), "err", err)
			}
			cancel()
			break
		}
		// Recorded even when ctx ends mid-send: an email that went out
		// must not be sent again after the lease.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
		file, err := s.Transport.Send(sctx, m)
		cancel()
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		secret := models.HoldsSecret(m.Kind)
		if err == nil {
			s.sent.Add(1)
			if err := s.Store.EmailSent(rctx, m.ID, file, secret); err != nil {
				logger.Error("mail: sent, but could not record it (it may be sent again once its lease ends)", "email_id", m.ID, "err", err)
			}
			cancel()
			continue
		}
		s.failed.Add(1)
		giveUp := models.EmailGivesUp(m.Attempts)
		next := time.Now().Add(models.EmailRetryAfter(m.Attempts, nil))
		logger.Warn("mail: send failed", "email_id", m.ID, "kind", m.Kind, "attempt", m.Attempts, "gave_up", giveUp, "err", err)
		if err := s.Store.EmailFailed(rctx, m.ID, models.EmailError(err), next, giveUp, secret); err != nil {
			logger.Error("mail: could not record a failed send", "email_id", m.ID, "err", err)
		}
		cancel()
	}
	return len(msgs)
}

// message builds m as a MIME message: multipart/alternative, text then
// HTML, from from, with a Message-ID of its own id (a retry is the same
// message to the receiving side).
func message(m models.EmailMessage, from *mail.Address) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	msg.FromMailAddress(from)
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("recipient %q: %w", m.To, err)
	}
	msg.Subject(m.Subject)
	domain := "shop.invalid"
	if i := strings.LastIndexByte(from.Address, '@'); i >= 0 {
		domain = from.Address[i+1:]
	}
	msg.SetMessageIDWithValue(m.ID + "@" + domain)
	msg.SetDateWithValue(m.CreatedAt)
	msg.SetGenHeader("X-Shop-Email-Kind", m.Kind)
	msg.SetBodyString(gomail.TypeTextPlain, m.TextBody)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTMLBody)
	return msg, nil
}

// SMTP sends through an SMTP server.
type SMTP struct {
	from    *mail.Address
	options []gomail.Option
	host    string
	// tls is go-mail's own default, spelled out so that the tests can
	// trust their throwaway CA (RootCAs) and nothing else changes: the
	// server's certificate is checked against the system's roots.
	tls *tls.Config
}

// NewSMTP reads rawURL: smtp://[user:pass@]host[:port] (port 587 by
// default) upgrades with STARTTLS when the server offers it and stays
// plain otherwise (a local relay); smtps://…[:port] (465) is TLS from the
// first byte. A user and password sign in with the best mechanism the
// server offers; go-mail never sends them in PLAIN or LOGIN over a
// connection without TLS, so such a server fails each send, saying why.
func NewSMTP(rawURL string, from *mail.Address) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil, errors.New("SMTP_URL: must look like smtp://user:pass@host:587 or smtps://host:465")
	}
	host, portText, err := net.SplitHostPort(u.Host)
	if err != nil {
		host, portText = u.Host, ""
	}
	tlsConfig := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	opts := []gomail.Option{gomail.WithTimeout(sendTimeout), gomail.WithTLSConfig(tlsConfig)}
	port := 587
	switch u.Scheme {
	case "smtp":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case "smtps":
		port = 465
		opts = append(opts, gomail.WithSSL())
	default:
		return nil, fmt.Errorf("SMTP_URL: scheme %q is not smtp or smtps", u.Scheme)
	}
	if portText != "" {
		if port, err = strconv.Atoi(portText); err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("SMTP_URL: %q is not a port", portText)
		}
	}
	opts = append(opts, gomail.WithPort(port))
	if u.User != nil && u.User.Username() != "" {
		pass, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pass))
	}
	return &SMTP{from: from, options: opts, host: host, tls: tlsConfig}, nil
}

// Send delivers m over one connection of its own: emails are few, and a
// connection per email means no connection left half-broken by the last.
func (s *SMTP) Send(ctx context.Context, m models.EmailMessage) (string, error) {
	msg, err := message(m, s.from)
	if err != nil {
		return "", err
	}
	c, err := gomail.NewClient(s.host, s.options...)
	if err != nil {
		return "", fmt.Errorf("smtp client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		if errors.Is(err, gomail.ErrNoSupportedAuthDiscovered) {
			// go-mail sends a password in PLAIN or LOGIN only inside TLS.
			return "", fmt.Errorf("smtp: SMTP_URL has a user and password, but the server offers no way to sign in that keeps them secret on this connection (PLAIN and LOGIN are sent only over TLS: use smtps://, a server that offers STARTTLS, or no user for a local relay): %w", err)
		}
		var unknown x509.UnknownAuthorityError
		if errors.As(err, &unknown) {
			return "", fmt.Errorf("smtp: the server's TLS certificate is not signed by an authority this machine trusts (add a private CA to the system's store, or name it in SSL_CERT_FILE: docs/emails.md): %w", err)
		}
		return "", fmt.Errorf("smtp: %w", err)
	}
	return "", nil
}

// Files writes each email as an .eml file under Dir, for a shop without
// an SMTP server: the newcomer opens the receipt in a mail program.
type Files struct {
	Dir  string
	from *mail.Address
}

// NewFiles writes under dir, which it creates (owner only: receipts and
// reset links are in there).
func NewFiles(dir string, from *mail.Address) (*Files, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("mail: create %s: %w", dir, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	return &Files{Dir: abs, from: from}, nil
}

// Send writes m as <created>-<kind>-<id>.eml (sorted by time in a
// listing), through a temporary file so no reader sees half of one.
func (f *Files) Send(_ context.Context, m models.EmailMessage) (string, error) {
	msg, err := message(m, f.from)
	if err != nil {
		return "", err
	}
	name := filepath.Join(f.Dir, m.CreatedAt.UTC().Format("20060102T150405Z")+"-"+m.Kind+"-"+m.ID+".eml")
	tmp, err := os.CreateTemp(f.Dir, ".writing-*")
	if err != nil {
		return "", fmt.Errorf("mail: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := msg.WriteTo(tmp); err != nil {
		tmp.Close()
		return "", fmt.Errorf("mail: write %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("mail: write %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return "", fmt.Errorf("mail: %w", err)
	}
	return name, nil
}
