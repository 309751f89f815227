package models

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"shop/errcode"
)

func TestTrackingURL(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ carrier, number, want string }{
		{"UPS", "1Z999AA10123456784", "https://www.ups.com/track?tracknum=1Z999AA10123456784"},
		{" u.p.s ", "1Z 99", "https://www.ups.com/track?tracknum=1Z%2099"},
		{"USPS", "9400", "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400"},
		{"FedEx", "1234", "https://www.fedex.com/fedextrack/?trknbr=1234"},
		{"DHL Express", "JD01", "https://www.dhl.com/global-en/home/tracking/tracking-express.html?tracking-id=JD01"},
		{"Royal Mail", "AB123", "https://www.royalmail.com/track-your-item#/tracking-results/AB123"},
		{"Canada Post", "77", "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor=77"},
		{"La Poste", "6A1", "https://www.laposte.fr/outils/suivre-vos-envois?code=6A1"},
		// Unknown carriers, or none: a search for carrier and number.
		{"Bob's Couriers", "X&Y=1", "https://www.google.com/search?q=Bob%27s%20Couriers%20tracking%20X%26Y%3D1"},
		{"", "123", "https://www.google.com/search?q=tracking%20123"},
		{"UPS", "  ", ""},
	} {
		if got := TrackingURL(c.carrier, c.number); got != c.want {
			t.Errorf("TrackingURL(%q, %q) = %q, want %q", c.carrier, c.number, got, c.want)
		}
	}
}

func TestCheckAccountToken(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	used := now.Add(-time.Minute)
	live := PasswordReset{Purpose: TokenReset, ExpiresAt: now.Add(time.Second)}
	for _, c := range []struct {
		name string
		t    *PasswordReset
		want errcode.Code
	}{
		{"live", &live, ""},
		{"unknown", nil, errcode.ResetTokenInvalid},
		{"another purpose", &PasswordReset{Purpose: TokenVerify, ExpiresAt: now.Add(time.Hour)}, errcode.ResetTokenInvalid},
		{"expired at the second", &PasswordReset{Purpose: TokenReset, ExpiresAt: now}, errcode.ResetTokenExpired},
		{"used", &PasswordReset{Purpose: TokenReset, ExpiresAt: now.Add(time.Hour), UsedAt: &used}, errcode.ResetTokenUsed},
		{"used and expired says used", &PasswordReset{Purpose: TokenReset, ExpiresAt: now.Add(-time.Hour), UsedAt: &used}, errcode.ResetTokenUsed},
	} {
		err := CheckAccountToken(c.t, TokenReset, now)
		if got := ErrorCode(err); got != c.want {
			t.Errorf("%s: code %q, want %q", c.name, got, c.want)
		}
	}
	if ResetTokenTTL != time.Hour {
		t.Errorf("a reset link lasts %s, not 1 h", ResetTokenTTL)
	}
}

func TestParseNewPassword(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		pw string
		ok bool
	}{
		{"a long password", true}, {"1234567", false}, {strings.Repeat("x", 72), true}, {strings.Repeat("x", 73), false},
		{"bad\x00password", false}, {"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8", false},
	} {
		err := ParseNewPassword("newPassword", c.pw)
		if (err == nil) != c.ok {
			t.Errorf("%q: %v", c.pw, err)
		}
		var e *Error
		if err != nil && (!errors.As(err, &e) || e.Fields[0].Field != "newPassword") {
			t.Errorf("%q: %v does not name newPassword", c.pw, err)
		}
	}
}

func TestEmailRetryAfter(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewPCG(1, 2))
	var total time.Duration
	for attempts := 1; attempts < MaxEmailAttempts; attempts++ {
		step := min(time.Minute<<(attempts-1), 8*time.Hour)
		for range 50 {
			d := EmailRetryAfter(attempts, rnd)
			if d < step/2 || d > step {
				t.Fatalf("attempt %d: %s outside [%s, %s]", attempts, d, step/2, step)
			}
		}
		total += step
	}
	// The worst case spans about a day before the email is failed.
	if total < 20*time.Hour || total > 30*time.Hour {
		t.Errorf("retries span %s at most", total)
	}
	if EmailGivesUp(MaxEmailAttempts-1) || !EmailGivesUp(MaxEmailAttempts) {
		t.Error("gives up at the wrong attempt")
	}
}

func TestParseEmailFilter(t *testing.T) {
	t.Parallel()
	sent, bad, kind := "sent", "lost", "order_placed"
	if f, err := ParseEmailFilter(&sent, &kind, nil, nil); err != nil || f.Status != "sent" || f.Kind != kind || f.First != DefaultPageFirst {
		t.Errorf("%+v %v", f, err)
	}
	zero := 0
	_, err := ParseEmailFilter(&bad, &bad, &zero, nil)
	var e *Error
	if !errors.As(err, &e) || len(e.Fields) != 3 {
		t.Errorf("every bad argument at once: %v", err)
	}
}

func TestEmailErrorIsOneBoundedLine(t *testing.T) {
	t.Parallel()
	got := EmailError(errors.New("550 no\r\nsuch user \xff" + strings.Repeat("é", 600)))
	if len(got) > MaxEmailError || strings.ContainsAny(got, "\r\n") || !strings.HasPrefix(got, "550 no  such user ?") {
		t.Errorf("%q", got[:40])
	}
}
