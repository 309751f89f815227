package mail_test

import (
	"context"
	"errors"
	"net/mail"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"shop/internal/storetest"
	"shop/internal/testenv"
	shopmail "shop/mail"
	"shop/models"
	"shop/store"
)

var from = &mail.Address{Name: "Test Shop", Address: "shop@shop.test"}

// flaky fails the first send of each email, then hands it to next.
type flaky struct {
	mu   sync.Mutex
	seen map[string]bool
	next shopmail.Transport
}

func (f *flaky) Send(ctx context.Context, m models.EmailMessage) (string, error) {
	f.mu.Lock()
	first := !f.seen[m.ID]
	f.seen[m.ID] = true
	f.mu.Unlock()
	if first {
		return "", errors.New("421 4.3.2 try again later\r\n")
	}
	return f.next.Send(ctx, m)
}

func enqueue(t *testing.T, s *store.Store, kind string) models.EmailMessage {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	m := models.EmailMessage{ID: uuid.NewString(), Kind: kind, To: "ann@example.com", Subject: "Hello", TextBody: "text with a token", HTMLBody: "<p>html</p>",
		DedupeKey: uuid.NewString(), Status: models.EmailPending, NextAttemptAt: now, CreatedAt: now}
	if err := s.EnqueueEmails(context.Background(), []models.EmailMessage{m}); err != nil {
		t.Fatal(err)
	}
	return m
}

func outbox(t *testing.T, s *store.Store) map[string]models.EmailMessage {
	t.Helper()
	page, err := s.EmailOutboxPage(context.Background(), models.EmailFilter{Connection: models.Connection{First: 100}})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]models.EmailMessage{}
	for _, m := range page.Emails {
		out[m.ID] = m
	}
	return out
}

// A failed send is recorded (one line, due again later, after backoff);
// a send that works writes the .eml and records its file; a reset's
// bodies are blanked in the database once sent, and the file keeps them.
func TestSenderRecordsEachAttempt(t *testing.T) {
	t.Parallel()
	s := storetest.MustSQLite(t)
	files, err := shopmail.NewFiles(t.TempDir()+"/mail", from)
	if err != nil {
		t.Fatal(err)
	}
	tr := &flaky{seen: map[string]bool{}, next: files}
	sender := &shopmail.Sender{Store: s, Transport: tr, Every: time.Hour}
	receipt, reset := enqueue(t, s, models.EmailOrderPlaced), enqueue(t, s, models.EmailPasswordReset)
	if n := sender.Pass(context.Background()); n != 2 {
		t.Fatalf("claimed %d", n)
	}
	got := outbox(t, s)
	for _, id := range []string{receipt.ID, reset.ID} {
		m := got[id]
		if m.Status != models.EmailPending || m.Attempts != 1 || m.LastError != "421 4.3.2 try again later  " || !m.NextAttemptAt.After(time.Now().Add(25*time.Second)) {
			t.Errorf("after a failed attempt: %+v", m)
		}
	}
	// Not due before its backoff: nothing to claim now.
	if n := sender.Pass(context.Background()); n != 0 {
		t.Fatalf("claimed %d before the backoff ended", n)
	}
	if sender.Failed() != 2 || sender.Sent() != 0 {
		t.Errorf("counted %d failed, %d sent", sender.Failed(), sender.Sent())
	}
	// Sent through the files, straight (the transport itself).
	for _, m := range []models.EmailMessage{receipt, reset} {
		file, err := tr.Send(context.Background(), m)
		if err != nil || !strings.HasSuffix(file, "-"+m.Kind+"-"+m.ID+".eml") {
			t.Fatalf("%q %v", file, err)
		}
		raw, err := os.ReadFile(file)
		if err != nil || !strings.Contains(string(raw), "text with a token") || !strings.Contains(string(raw), "Message-ID: <"+m.ID+"@shop.test>") {
			t.Errorf("the .eml: %v\n%s", err, raw)
		}
		if err := s.EmailSent(context.Background(), m.ID, file, models.HoldsSecret(m.Kind)); err != nil {
			t.Fatal(err)
		}
	}
	got = outbox(t, s)
	if m := got[reset.ID]; m.Status != models.EmailSent || m.TextBody != "" || m.HTMLBody != "" || m.SentAt == nil || m.File == "" {
		t.Errorf("a sent reset keeps its bodies: %+v", m)
	}
	if m := got[receipt.ID]; m.Status != models.EmailSent || m.TextBody == "" || m.LastError != "" {
		t.Errorf("a sent receipt: %+v", m)
	}
}

func TestNewSMTPReadsItsURL(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"http://mail.example", "smtp://", "smtp://host:0", "smtp://host:x", "smtps://host:70000"} {
		if _, err := shopmail.NewSMTP(bad, from); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	for _, good := range []string{"smtp://relay", "smtp://user:p%40ss@smtp.example:587", "smtps://smtp.example", "smtps://u:p@smtp.example:2465"} {
		if _, err := shopmail.NewSMTP(good, from); err != nil {
			t.Errorf("%q: %v", good, err)
		}
	}
}

// Against a real SMTP server without TLS (mailpit): opportunistic TLS
// sends in the clear, as to a local relay; a password is never sent in
// the clear, and the error says why.
func TestSMTPAgainstMailpit(t *testing.T) {
	t.Parallel()
	addr, _ := testenv.MustMailpit(t)
	m := models.EmailMessage{ID: uuid.NewString(), Kind: models.EmailOrderPlaced, To: testenv.RandomName("smtp-") + "@shop.test", Subject: "Über", TextBody: "t", HTMLBody: "<p>h</p>", CreatedAt: time.Now()}
	plain, err := shopmail.NewSMTP("smtp://"+addr, from)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plain.Send(context.Background(), m); err != nil {
		t.Fatalf("plain relay: %v", err)
	}
	withLogin, err := shopmail.NewSMTP("smtp://user:secret@"+addr, from)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := withLogin.Send(context.Background(), m); err == nil || !strings.Contains(err.Error(), "PLAIN and LOGIN are sent only over TLS") {
		t.Errorf("a password over a plain connection: %v", err)
	}
	implicit, err := shopmail.NewSMTP("smtps://"+addr, from)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := implicit.Send(ctx, m); err == nil {
		t.Error("smtps:// spoke to a server without TLS")
	}
}

// stopping stops its sender (cancels the context) during its first send,
// which succeeds.
type stopping struct {
	cancel context.CancelFunc
	sent   []string
}

func (s *stopping) Send(_ context.Context, m models.EmailMessage) (string, error) {
	s.cancel()
	s.sent = append(s.sent, m.ID)
	return "", nil
}

// A sender that stops mid-batch finishes the send under way and hands the
// rest back, due at once with their attempt uncounted, instead of
// leaving them leased for minutes.
func TestSenderHandsBackWhenStopping(t *testing.T) {
	t.Parallel()
	s := storetest.MustSQLite(t)
	a, b := enqueue(t, s, models.EmailOrderPlaced), enqueue(t, s, models.EmailOrderPlaced)
	ctx, cancel := context.WithCancel(context.Background())
	tr := &stopping{cancel: cancel}
	sender := &shopmail.Sender{Store: s, Transport: tr, Every: time.Hour}
	if n := sender.Pass(ctx); n != 2 {
		t.Fatalf("claimed %d", n)
	}
	if len(tr.sent) != 1 {
		t.Fatalf("sent %d after stopping", len(tr.sent))
	}
	got := outbox(t, s)
	sentID, restID := a.ID, b.ID
	if tr.sent[0] == b.ID {
		sentID, restID = b.ID, a.ID
	}
	if m := got[sentID]; m.Status != models.EmailSent {
		t.Errorf("the send under way was not recorded: %+v", m)
	}
	if m := got[restID]; m.Status != models.EmailPending || m.Attempts != 0 || m.NextAttemptAt.After(time.Now()) {
		t.Errorf("the email not tried: %+v", m)
	}
	// Due at once for the next sender.
	again, err := s.ClaimEmails(context.Background(), 10, time.Minute)
	if err != nil || len(again) != 1 || again[0].ID != restID || again[0].Attempts != 1 {
		t.Errorf("claimed again: %+v %v", again, err)
	}
}
