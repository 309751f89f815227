package auth_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"shop/auth"
	"shop/clientip"
	"shop/errcode"
	"shop/internal/storetest"
	"shop/models"
	"shop/store"
)

const password = "correct horse battery staple"

var testKey = []byte("0123456789abcdef0123456789abcdef")

// MustService is the accounts service on s at bcrypt's lowest cost (real
// bcrypt, just fast), logging into a buffer when logs is not nil.
func MustService(tb testing.TB, s auth.Store, o auth.Options) *auth.Service {
	tb.Helper()
	o.Store, o.SecretKey = s, testKey
	if o.BcryptCost == 0 {
		o.BcryptCost = bcrypt.MinCost
	}
	svc, err := auth.New(o)
	if err != nil {
		tb.Fatal(err)
	}
	return svc
}

func MustRegister(tb testing.TB, svc *auth.Service, email string) models.Session {
	tb.Helper()
	sess, err := svc.Register(context.Background(), email, password, "Ann")
	if err != nil {
		tb.Fatalf("register %s: %v", email, err)
	}
	return sess
}

func wantCode(tb testing.TB, err error, code models.Code) {
	tb.Helper()
	if models.ErrorCode(err) != code {
		tb.Fatalf("error %v (code %s), want %s", err, models.ErrorCode(err), code)
	}
}

func TestRegisterLoginAndVerify(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		svc := MustService(t, s, auth.Options{})
		reg := MustRegister(t, svc, " Ann@Example.com ")
		if reg.User.Email != "ann@example.com" || reg.User.Role != models.RoleCustomer || reg.User.Name != "Ann" ||
			reg.AccessToken == "" || reg.RefreshToken == "" || time.Until(reg.ExpiresAt) < 14*time.Minute {
			t.Fatalf("register = %+v", reg)
		}
		c, err := svc.Verify(reg.AccessToken)
		if err != nil || c.UserID != reg.User.ID || c.Role != models.RoleCustomer {
			t.Fatalf("verify = %+v, %v", c, err)
		}
		// The email matches whatever its case.
		login, err := svc.Login(ctx, "ANN@example.COM", password, "")
		if err != nil || login.User.ID != reg.User.ID || login.RefreshToken == reg.RefreshToken {
			t.Fatalf("login = %+v, %v", login, err)
		}
		u, err := svc.User(ctx, reg.User.ID)
		if err != nil || u.Email != "ann@example.com" {
			t.Fatalf("user = %+v, %v", u, err)
		}
		if _, err := svc.User(ctx, "00000000-0000-4000-8000-000000000000"); !models.IsNotFound(err) {
			t.Fatalf("unknown user: %v", err)
		}
		// me: the caller's account; none for an anonymous caller or an
		// account deleted since its token was issued.
		if me, err := svc.Me(ctx, c); err != nil || me == nil || me.ID != reg.User.ID {
			t.Fatalf("me = %+v, %v", me, err)
		}
		for _, who := range []models.Caller{{}, {UserID: "00000000-0000-4000-8000-000000000000", Role: models.RoleCustomer}} {
			if me, err := svc.Me(ctx, who); me != nil || err != nil {
				t.Fatalf("me for %+v = %+v, %v, want nil and no error", who, me, err)
			}
		}
		// Registering the address again, in another case, is a conflict
		// with a message for people, not a constraint's name.
		_, err = svc.Register(ctx, "ANN@EXAMPLE.COM", password, "Other Ann")
		wantCode(t, err, errcode.Conflict)
		if msg := err.Error(); !strings.Contains(msg, "already exists") || strings.Contains(msg, "idx_") || strings.Contains(strings.ToLower(msg), "constraint") {
			t.Fatalf("conflict message %q", msg)
		}
		_, err = svc.Register(ctx, "bad", "short", "")
		wantCode(t, err, errcode.BadUserInput)
	})
}

func TestLoginFailuresLookAlike(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		svc := MustService(t, s, auth.Options{})
		MustRegister(t, svc, "ann@example.com")
		var msgs []string
		for _, tc := range []struct{ email, password string }{
			{"ann@example.com", "wrong password"},
			{"nobody@example.com", password},
			{"ann@example.com", password + strings.Repeat("x", 80)}, // right prefix, past bcrypt's 72 bytes
			{"ann@example.com", ""},
			{strings.Repeat("a", 300) + "@example.com", password},
		} {
			_, err := svc.Login(ctx, tc.email, tc.password, "")
			wantCode(t, err, errcode.Unauthenticated)
			msgs = append(msgs, err.Error())
		}
		for _, m := range msgs {
			if m != "Wrong email or password." {
				t.Fatalf("messages %q differ", msgs)
			}
		}
	})
}

// TestLoginTimeUnknownEmailVsWrongPassword: an unknown email costs a bcrypt
// comparison like a wrong password does. At cost 7 one comparison takes
// about 8 ms (100 ms under the race detector), many times the lookup;
// without the dummy comparison an unknown email would answer in a small
// fraction of it. The three are measured in turn, and each one's fastest
// run is kept: load on a shared machine only ever adds time, so the
// minimum is the cost itself.
func TestLoginTimeUnknownEmailVsWrongPassword(t *testing.T) {
	t.Parallel()
	const cost, runs = 7, 9
	s := storetest.MustOpen(t, store.Options{SQLitePath: filepath.Join(t.TempDir(), "shop.db"), MaxOpenConns: 4, MaxIdleConns: 4})
	svc := MustService(t, s, auth.Options{BcryptCost: cost})
	MustRegister(t, svc, "ann@example.com")
	hash, _ := bcrypt.GenerateFromPassword([]byte(password), cost)
	ctx := context.Background()
	measures := []func(){
		func() { _ = bcrypt.CompareHashAndPassword(hash, []byte("wrong password")) },
		func() { _, _ = svc.Login(ctx, "ann@example.com", "wrong password", "") },
		func() { _, _ = svc.Login(ctx, "nobody@example.com", "wrong password", "") },
	}
	fastest := make([]time.Duration, len(measures))
	for i := 0; i < runs; i++ {
		for j, f := range measures {
			start := time.Now()
			f()
			if d := time.Since(start); i == 0 || d < fastest[j] {
				fastest[j] = d
			}
		}
	}
	compare, wrong, unknown := fastest[0], fastest[1], fastest[2]
	t.Logf("fastest of %d: bcrypt compare %s, wrong password %s, unknown email %s", runs, compare, wrong, unknown)
	if wrong < compare/2 || unknown < compare/2 {
		t.Fatalf("a failed login skipped the bcrypt comparison (compare %s, wrong %s, unknown %s)", compare, wrong, unknown)
	}
	if ratio := float64(unknown) / float64(wrong); ratio < 0.5 || ratio > 2 {
		t.Fatalf("unknown email takes %.2fx the time of a wrong password", ratio)
	}
}

func TestRefreshRotatesAndReuseRevokesTheFamily(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		var logs bytes.Buffer
		svc := MustService(t, s, auth.Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
		first := MustRegister(t, svc, "ann@example.com")
		second, err := svc.Refresh(ctx, first.RefreshToken)
		if err != nil || second.RefreshToken == first.RefreshToken || second.User.ID != first.User.ID || second.AccessToken == "" {
			t.Fatalf("refresh = %+v, %v", second, err)
		}
		if c, err := svc.Verify(second.AccessToken); err != nil || c.UserID != first.User.ID {
			t.Fatalf("new access token: %+v, %v", c, err)
		}
		third, err := svc.Refresh(ctx, second.RefreshToken)
		if err != nil {
			t.Fatal(err)
		}
		// Another sign-in is another family, untouched by what follows.
		other, err := svc.Login(ctx, "ann@example.com", password, "")
		if err != nil {
			t.Fatal(err)
		}
		// The first token again: theft. It fails, and so does the newest
		// token of its family.
		_, err = svc.Refresh(ctx, first.RefreshToken)
		wantCode(t, err, errcode.Unauthenticated)
		if !errors.Is(err, models.ErrRefreshTokenReused) {
			t.Fatalf("reuse not detected: %v", err)
		}
		if !strings.Contains(logs.String(), "presented again") {
			t.Fatalf("reuse not logged:\n%s", logs.String())
		}
		_, err = svc.Refresh(ctx, third.RefreshToken)
		wantCode(t, err, errcode.Unauthenticated)
		if _, err := svc.Refresh(ctx, other.RefreshToken); err != nil {
			t.Fatalf("another session was revoked too: %v", err)
		}
		for _, bad := range []string{"", "nonsense", strings.Repeat("x", 5000)} {
			_, err := svc.Refresh(ctx, bad)
			wantCode(t, err, errcode.Unauthenticated)
		}
	})
}

func TestRefreshTokenExpires(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		svc := MustService(t, s, auth.Options{RefreshTTL: time.Nanosecond})
		sess := MustRegister(t, svc, "ann@example.com")
		_, err := svc.Refresh(context.Background(), sess.RefreshToken)
		wantCode(t, err, errcode.Unauthenticated)
		if errors.Is(err, models.ErrRefreshTokenReused) {
			t.Fatal("an expired token counted as reuse")
		}
	})
}

// TestConcurrentRefreshExactlyOneWins releases 10 refreshes of one token
// at once: one gets a new session, the rest are refused (and, being reuse,
// revoke the family, winner included).
func TestConcurrentRefreshExactlyOneWins(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		const n = 10
		ctx := context.Background()
		svc := MustService(t, s, auth.Options{})
		sess := MustRegister(t, svc, "ann@example.com")
		start := make(chan struct{})
		results := make(chan error, n)
		winners := make(chan models.Session, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				next, err := svc.Refresh(ctx, sess.RefreshToken)
				if err == nil {
					winners <- next
				}
				results <- err
			}()
		}
		close(start)
		wg.Wait()
		close(results)
		close(winners)
		ok, refused := 0, 0
		for err := range results {
			switch {
			case err == nil:
				ok++
			case models.ErrorCode(err) == errcode.Unauthenticated:
				refused++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if ok != 1 || refused != n-1 {
			t.Fatalf("%d refreshes won and %d were refused; want 1 and %d", ok, refused, n-1)
		}
		won := <-winners
		_, err := svc.Refresh(ctx, won.RefreshToken)
		wantCode(t, err, errcode.Unauthenticated)
	})
}

// TestConcurrentRegisterSameEmailExactlyOneWins: the same address in
// different cases, registered at once, makes one account.
func TestConcurrentRegisterSameEmailExactlyOneWins(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		const n = 8
		svc := MustService(t, s, auth.Options{})
		emails := []string{"ann@example.com", "ANN@example.com", "Ann@Example.Com", "ann@EXAMPLE.com"}
		start := make(chan struct{})
		results := make(chan error, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(email string) {
				defer wg.Done()
				<-start
				_, err := svc.Register(context.Background(), email, password, "Ann")
				results <- err
			}(emails[i%len(emails)])
		}
		close(start)
		wg.Wait()
		close(results)
		count := map[models.Code]int{}
		for err := range results {
			count[models.ErrorCode(err)]++
			if err != nil && !strings.Contains(err.Error(), "An account with this email already exists") {
				t.Errorf("message %q", err)
			}
		}
		if count[""] != 1 || count[errcode.Conflict] != n-1 {
			t.Fatalf("outcomes %v; want 1 success and %d CONFLICT", count, n-1)
		}
	})
}

func TestLogoutRevokesTheFamily(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		svc := MustService(t, s, auth.Options{})
		first := MustRegister(t, svc, "ann@example.com")
		second, err := svc.Refresh(ctx, first.RefreshToken)
		if err != nil {
			t.Fatal(err)
		}
		other, err := svc.Login(ctx, "ann@example.com", password, "")
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := svc.Logout(ctx, second.RefreshToken); !ok || err != nil {
			t.Fatalf("logout = %v, %v", ok, err)
		}
		_, err = svc.Refresh(ctx, second.RefreshToken)
		wantCode(t, err, errcode.Unauthenticated)
		if ok, err := svc.Logout(ctx, second.RefreshToken); ok || err != nil {
			t.Fatalf("second logout = %v, %v; want false", ok, err)
		}
		if ok, err := svc.Logout(ctx, "nonsense"); ok || err != nil {
			t.Fatalf("logout of an unknown token = %v, %v", ok, err)
		}
		if _, err := svc.Refresh(ctx, other.RefreshToken); err != nil {
			t.Fatalf("the other session was signed out too: %v", err)
		}
	})
}

func TestAdminAccounts(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		svc := MustService(t, s, auth.Options{})
		// The first admin of an empty shop gets a random password, once.
		pw, err := svc.CreateFirstAdmin(ctx, "admin@localhost")
		if err != nil || len(pw) < 20 {
			t.Fatalf("first admin: %q, %v", pw, err)
		}
		sess, err := svc.Login(ctx, "admin@localhost", pw, "")
		if err != nil || sess.User.Role != models.RoleAdmin {
			t.Fatalf("login as first admin: %+v, %v", sess, err)
		}
		if again, err := svc.CreateFirstAdmin(ctx, "admin@localhost"); again != "" || err != nil {
			t.Fatalf("second call made another: %q, %v", again, err)
		}
		// ADMIN_EMAIL names an existing customer: it becomes an admin with
		// ADMIN_PASSWORD, keeping its id.
		cust := MustRegister(t, svc, "owner@example.com")
		created, err := svc.SaveAdmin(ctx, "Owner@Example.com", "new admin password")
		if err != nil || created {
			t.Fatalf("save existing admin: %v, %v", created, err)
		}
		sess, err = svc.Login(ctx, "owner@example.com", "new admin password", "")
		if err != nil || sess.User.Role != models.RoleAdmin || sess.User.ID != cust.User.ID {
			t.Fatalf("login as promoted admin: %+v, %v", sess, err)
		}
		if _, err := svc.Login(ctx, "owner@example.com", password, ""); err == nil {
			t.Fatal("the old password still works")
		}
		// The customer who registered that email first keeps no session
		// that could refresh into an admin's token.
		_, err = svc.Refresh(ctx, cust.RefreshToken)
		wantCode(t, err, errcode.Unauthenticated)
		// Started again with the same settings, the admin keeps its
		// sessions; with a new password (a rotated, leaked one), it doesn't.
		if created, err := svc.SaveAdmin(ctx, "owner@example.com", "new admin password"); err != nil || created {
			t.Fatalf("save unchanged admin: %v, %v", created, err)
		}
		sess, err = svc.Refresh(ctx, sess.RefreshToken)
		if err != nil {
			t.Fatalf("an unchanged admin lost its session: %v", err)
		}
		if _, err := svc.SaveAdmin(ctx, "owner@example.com", "rotated admin password"); err != nil {
			t.Fatal(err)
		}
		_, err = svc.Refresh(ctx, sess.RefreshToken)
		wantCode(t, err, errcode.Unauthenticated)
		created, err = svc.SaveAdmin(ctx, "boss@example.com", "boss password")
		if err != nil || !created {
			t.Fatalf("save new admin: %v, %v", created, err)
		}
		_, err = svc.SaveAdmin(ctx, "boss@example.com", "short")
		wantCode(t, err, errcode.BadUserInput)
	})
}

// limiter is a tiny real limiter: n attempts per key.
type limiter struct {
	mu    sync.Mutex
	n     int
	seen  map[string]int
	asked []string
}

func (l *limiter) Allow(_ context.Context, key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.asked = append(l.asked, key)
	l.seen[key]++
	return l.seen[key] <= l.n, 1500 * time.Millisecond
}

func TestLimiters(t *testing.T) {
	t.Parallel()
	s := storetest.MustOpen(t, store.Options{SQLitePath: filepath.Join(t.TempDir(), "shop.db"), MaxOpenConns: 4, MaxIdleConns: 4})
	ip := &limiter{n: 3, seen: map[string]int{}}
	email := &limiter{n: 2, seen: map[string]int{}}
	svc := MustService(t, s, auth.Options{IPLimiter: ip, EmailLimiter: email})
	ctx := clientip.With(context.Background(), "192.0.2.7")
	if _, err := svc.Register(ctx, "ann@example.com", password, "Ann"); err != nil {
		t.Fatal(err)
	}
	// Per email: the third login for Ann is refused, from any address.
	other := clientip.With(context.Background(), "198.51.100.1")
	for i := 0; i < 2; i++ {
		if _, err := svc.Login(other, "ANN@example.com", password, ""); err != nil {
			t.Fatalf("login %d: %v", i, err)
		}
	}
	_, err := svc.Login(clientip.With(context.Background(), "203.0.113.9"), "ann@example.com", password, "")
	wantCode(t, err, errcode.RateLimited)
	var me *models.Error
	if !errors.As(err, &me) || me.Details["retryAfter"] != 2 {
		t.Fatalf("details = %+v", me)
	}
	// Per address: register, login and refresh share 192.0.2.7's three.
	_, _ = svc.Login(ctx, "bob@example.com", password, "")
	_, _ = svc.Refresh(ctx, "nonsense")
	_, err = svc.Refresh(ctx, "nonsense")
	wantCode(t, err, errcode.RateLimited)
	_, err = svc.Register(ctx, "bob@example.com", password, "Bob")
	wantCode(t, err, errcode.RateLimited)
	if !slices.Contains(ip.asked, "192.0.2.7") || !slices.Contains(email.asked, "ann@example.com") {
		t.Fatalf("keys asked: %v / %v", ip.asked, email.asked)
	}
	if slices.ContainsFunc(email.asked, func(k string) bool { return strings.Contains(k, password) }) {
		t.Fatal("a limiter key holds the password")
	}
}
