package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"shop/errcode"
	"shop/internal/storetest"
	"shop/internal/testenv"
	"shop/models"
	"shop/store"
)

func email(kind, order string, seq int64, key string) models.EmailMessage {
	now := time.Now().UTC().Truncate(time.Microsecond)
	m := models.EmailMessage{ID: uuid.NewString(), Kind: kind, To: "ann@example.com", Subject: "s", TextBody: "t", HTMLBody: "h",
		Seq: seq, DedupeKey: key, Status: models.EmailPending, NextAttemptAt: now, CreatedAt: now}
	if order != "" {
		m.OrderID = &order
	}
	return m
}

// Enqueueing twice adds nothing twice; claims go in an order's sequence
// (a receipt before its "shipped"), lease the rows (claimed again only
// once the lease ends), and the outcome is recorded: sent (a reset's
// bodies blanked) or due again later, then failed for good.
func TestEmailOutboxClaims(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		placed, shipped := email(models.EmailOrderPlaced, "o1", 1, "placed:o1"), email(models.EmailOrderShipped, "o1", 5, "shipped:o1")
		other := email(models.EmailOrderPlaced, "o2", 3, "placed:o2")
		if err := s.EnqueueEmails(ctx, []models.EmailMessage{shipped, placed, other}); err != nil {
			t.Fatal(err)
		}
		again := email(models.EmailOrderPlaced, "o1", 1, "placed:o1")
		if err := s.EnqueueEmails(ctx, []models.EmailMessage{again}); err != nil {
			t.Fatal(err)
		}
		got, err := s.ClaimEmails(ctx, 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]int{}
		for _, m := range got {
			ids[m.ID] = m.Attempts
		}
		if len(got) != 2 || ids[placed.ID] != 1 || ids[other.ID] != 1 {
			t.Fatalf("first claim: %+v (the shipped email must wait for the receipt)", got)
		}
		// Leased: nothing due now.
		if more, err := s.ClaimEmails(ctx, 10, time.Minute); err != nil || len(more) != 0 {
			t.Fatalf("claimed leased rows: %+v %v", more, err)
		}
		if err := s.EmailSent(ctx, placed.ID, "", false); err != nil {
			t.Fatal(err)
		}
		if err := s.EmailFailed(ctx, other.ID, "421 try later", time.Now().Add(-time.Second), false, false); err != nil {
			t.Fatal(err)
		}
		got, err = s.ClaimEmails(ctx, 10, time.Minute)
		if err != nil || len(got) != 2 {
			t.Fatalf("second claim: %+v %v", got, err)
		}
		for _, m := range got {
			if m.ID == other.ID && (m.Attempts != 2 || m.LastError != "421 try later") {
				t.Errorf("retried email: %+v", m)
			}
		}
		if err := s.EmailFailed(ctx, other.ID, "550 no such user", time.Now(), true, false); err != nil {
			t.Fatal(err)
		}
		page, err := s.EmailOutboxPage(ctx, models.EmailFilter{Connection: models.Connection{First: 10}, Status: models.EmailFailed})
		if err != nil || len(page.Emails) != 1 || page.Emails[0].ID != other.ID || page.Emails[0].LastError != "550 no such user" {
			t.Fatalf("failed page: %+v %v", page, err)
		}
		all, err := s.EmailOutboxPage(ctx, models.EmailFilter{Connection: models.Connection{First: 2}})
		if err != nil || len(all.Emails) != 2 || !all.HasNext {
			t.Fatalf("page of 2 of 3: %+v %v", all, err)
		}
		cur := models.EmailCursor(all.Emails[1])
		rest, err := s.EmailOutboxPage(ctx, models.EmailFilter{Connection: models.Connection{First: 2, After: &cur}})
		if err != nil || len(rest.Emails) != 1 || rest.HasNext {
			t.Fatalf("next page: %+v %v", rest, err)
		}
		// Sent and failed rows go with the retention; pending ones stay.
		if n, err := s.PurgeEmails(ctx, time.Now().Add(time.Hour)); err != nil || n != 2 {
			t.Fatalf("purged %d, %v", n, err)
		}
	})
}

// Senders on two instances (two stores on one database) claiming at once
// never take the same email.
func TestEmailClaimsAcrossInstances(t *testing.T) {
	t.Parallel()
	url := testenv.MustPostgres(t)
	a := storetest.MustOpen(t, store.Options{DatabaseURL: url, MaxOpenConns: 8, MaxIdleConns: 4})
	b := storetest.MustOpen(t, store.Options{DatabaseURL: url, MaxOpenConns: 8, MaxIdleConns: 4})
	ctx := context.Background()
	const n = 200
	var msgs []models.EmailMessage
	for i := range n {
		msgs = append(msgs, email(models.EmailOrderPlaced, "", int64(i), uuid.NewString()))
	}
	if err := a.EnqueueEmails(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, s := range []*store.Store{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for {
				got, err := s.ClaimEmails(ctx, 7, time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, m := range got {
					seen[m.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(seen) != n {
		t.Errorf("claimed %d of %d", len(seen), n)
	}
	for id, k := range seen {
		if k != 1 {
			t.Errorf("email %s claimed %d times", id, k)
		}
	}
}

// A token is stored and its email enqueued only for an account that
// exists, by the same statements either way; it resets the password once,
// revoking the account's sessions, and then says it was used.
func TestAccountTokens(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := models.User{ID: uuid.NewString(), Email: "reset@example.com", Name: "R", Role: models.RoleCustomer, PasswordHash: "old", CreatedAt: time.Now().UTC()}
		if err := s.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		rt := models.RefreshToken{ID: uuid.NewString(), UserID: u.ID, FamilyID: uuid.NewString(), TokenHash: "rt-hash", ExpiresAt: time.Now().Add(time.Hour), CreatedAt: time.Now()}
		if err := s.CreateRefreshToken(ctx, &rt); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		issue := func(addr, hash string, ttl time.Duration) uint64 {
			before := s.Statements()
			msg := email(models.EmailPasswordReset, "", 0, "reset:"+hash)
			msg.To = addr
			if err := s.IssueAccountToken(ctx, addr, models.PasswordReset{TokenHash: hash, Purpose: models.TokenReset, ExpiresAt: now.Add(ttl), CreatedAt: now}, msg); err != nil {
				t.Fatal(err)
			}
			return s.Statements() - before
		}
		known, unknown := issue(u.Email, "h-known", time.Hour), issue("nobody@example.com", "h-unknown", time.Hour)
		if known != unknown {
			t.Errorf("an existing account took %d statements, a missing one %d", known, unknown)
		}
		page, err := s.EmailOutboxPage(ctx, models.EmailFilter{Connection: models.Connection{First: 10}})
		if err != nil || len(page.Emails) != 1 || page.Emails[0].To != u.Email {
			t.Fatalf("enqueued: %+v %v", page.Emails, err)
		}
		if _, err := s.ResetPassword(ctx, "h-unknown", "new"); models.ErrorCode(err) != errcode.ResetTokenInvalid {
			t.Errorf("a token for no account: %v", err)
		}
		id, err := s.ResetPassword(ctx, "h-known", "new")
		if err != nil || id != u.ID {
			t.Fatalf("reset: %q %v", id, err)
		}
		got, _ := s.UserByID(ctx, u.ID)
		if got.PasswordHash != "new" || got.EmailVerifiedAt == nil {
			t.Errorf("after the reset: %+v", got)
		}
		if err := s.RotateRefreshToken(ctx, "rt-hash", &models.RefreshToken{ID: uuid.NewString(), TokenHash: "rt-next", ExpiresAt: time.Now().Add(time.Hour), CreatedAt: time.Now()}); err == nil {
			t.Error("a session outlived the reset")
		}
		if _, err := s.ResetPassword(ctx, "h-known", "newer"); models.ErrorCode(err) != errcode.ResetTokenUsed {
			t.Errorf("second use: %v", err)
		}
		issue(u.Email, "h-old", -time.Second)
		if _, err := s.ResetPassword(ctx, "h-old", "newer"); models.ErrorCode(err) != errcode.ResetTokenExpired {
			t.Errorf("expired: %v", err)
		}
	})
}

// Of many resets with one token at once, exactly one succeeds.
func TestResetTokenRace(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := models.User{ID: uuid.NewString(), Email: "race@example.com", Name: "R", Role: models.RoleCustomer, PasswordHash: "old", CreatedAt: time.Now().UTC()}
		if err := s.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		if err := s.IssueAccountToken(ctx, u.Email, models.PasswordReset{TokenHash: "race", Purpose: models.TokenReset, ExpiresAt: now.Add(time.Hour), CreatedAt: now},
			email(models.EmailPasswordReset, "", 0, "reset:race")); err != nil {
			t.Fatal(err)
		}
		const n = 20
		var wg sync.WaitGroup
		start := make(chan struct{})
		results := make(chan error, n)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := s.ResetPassword(ctx, "race", "pw")
				results <- err
			}()
		}
		close(start)
		wg.Wait()
		close(results)
		won := 0
		for err := range results {
			switch models.ErrorCode(err) {
			case "":
				won++
			case errcode.ResetTokenUsed:
			default:
				t.Errorf("unexpected: %v", err)
			}
		}
		if won != 1 {
			t.Errorf("%d resets won", won)
		}
	})
}

// A sender that dies after claiming (SIGKILL: nothing recorded, nothing
// released) holds its emails only for its lease: then another instance
// claims them, the attempt counted.
func TestEmailLeaseEnds(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		m := email(models.EmailOrderPlaced, "o9", 1, "placed:o9")
		if err := s.EnqueueEmails(ctx, []models.EmailMessage{m}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.ClaimEmails(ctx, 10, 300*time.Millisecond); err != nil || len(got) != 1 {
			t.Fatalf("first claim: %+v %v", got, err)
		}
		claimed := time.Now()
		var again []models.EmailMessage
		testenv.WaitFor(t, func() bool {
			var err error
			if again, err = s.ClaimEmails(ctx, 10, time.Minute); err != nil {
				t.Fatal(err)
			}
			return len(again) > 0
		})
		if since := time.Since(claimed); since < 250*time.Millisecond {
			t.Errorf("claimed again %s after a 300 ms lease", since)
		}
		if again[0].ID != m.ID || again[0].Attempts != 2 {
			t.Errorf("claimed again: %+v", again[0])
		}
	})
}

// Two of an account's reset links used at once: one resets, the other is
// told it was used (every link of the account is spent by a reset), and
// neither deadlocks the other.
func TestTwoResetLinksAtOnce(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		u := models.User{ID: uuid.NewString(), Email: "two@example.com", Name: "T", Role: models.RoleCustomer, PasswordHash: "old", CreatedAt: time.Now().UTC()}
		if err := s.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		const n = 10
		for i := range n {
			hash := fmt.Sprintf("link-%d", i)
			if err := s.IssueAccountToken(ctx, u.Email, models.PasswordReset{TokenHash: hash, Purpose: models.TokenReset, ExpiresAt: now.Add(time.Hour), CreatedAt: now},
				email(models.EmailPasswordReset, "", 0, "reset:"+hash)); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		results := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := s.ResetPassword(ctx, fmt.Sprintf("link-%d", i), "pw")
				results <- err
			}()
		}
		close(start)
		wg.Wait()
		close(results)
		won := 0
		for err := range results {
			switch models.ErrorCode(err) {
			case "":
				won++
			case errcode.ResetTokenUsed:
			default:
				t.Errorf("unexpected: %v", err)
			}
		}
		if won != 1 {
			t.Errorf("%d of the account's links reset it", won)
		}
	})
}
