package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"shop/errcode"
	"shop/models"
)

const testUserID = "00000000-0000-4000-8000-0000000000aa"

func mustTokens(t *testing.T) *tokens {
	t.Helper()
	tok, err := newTokens([]byte(strings.Repeat("k", 32)), 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// sign makes a token with the given method and key, for tokens the server
// never issues.
func sign(t *testing.T, method jwt.SigningMethod, key any, c jwt.Claims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, c).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func goodClaims(now time.Time) claims {
	return claims{Role: "customer", RegisteredClaims: jwt.RegisteredClaims{
		Subject: testUserID, Issuer: issuer, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute)),
	}}
}

func TestAccessTokenRoundTrip(t *testing.T) {
	t.Parallel()
	tok := mustTokens(t)
	now := time.Now()
	s, exp, err := tok.issue(models.User{ID: testUserID, Role: models.RoleAdmin}, now)
	if err != nil {
		t.Fatal(err)
	}
	if d := exp.Sub(now); d < 14*time.Minute || d > 15*time.Minute {
		t.Fatalf("expires in %s, want 15m", d)
	}
	c, err := tok.verify(s)
	if err != nil || c.UserID != testUserID || c.Role != models.RoleAdmin {
		t.Fatalf("verify = %+v, %v", c, err)
	}
	// The claims a client can read: sub, role, iat, exp, iss.
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(s, ".")[1])
	for _, want := range []string{`"sub":"` + testUserID + `"`, `"role":"admin"`, `"iss":"shop"`, `"iat":`, `"exp":`} {
		if !strings.Contains(string(payload), want) {
			t.Errorf("payload %s lacks %s", payload, want)
		}
	}
}

func TestAccessTokensRefused(t *testing.T) {
	t.Parallel()
	tok := mustTokens(t)
	now := time.Now()
	good, _, err := tok.issue(models.User{ID: testUserID, Role: models.RoleCustomer}, now)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	parts := strings.Split(good, ".")
	expired := goodClaims(now.Add(-time.Hour))
	noExp := goodClaims(now)
	noExp.ExpiresAt = nil
	otherIssuer := goodClaims(now)
	otherIssuer.Issuer = "someone-else"
	badRole := goodClaims(now)
	badRole.Role = "root"
	badSub := goodClaims(now)
	badSub.Subject = "not-a-uuid"
	key := tok.key

	tests := []struct {
		name        string
		token       string
		wantExpired bool
	}{
		{"a byte of the signature flipped", flip(good, len(good)-5), false},
		{"a byte of the payload flipped", flip(good, len(parts[0])+5), false},
		{"the payload swapped for an admin's", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"`+testUserID+`","role":"admin","iss":"shop","exp":9999999999}`)) + "." + parts[2], false},
		{"expired", sign(t, jwt.SigningMethodHS256, key, expired), true},
		{"alg none", sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, goodClaims(now)), false},
		{"HS512 with the right key", sign(t, jwt.SigningMethodHS512, key, goodClaims(now)), false},
		{"HS384 with the right key", sign(t, jwt.SigningMethodHS384, key, goodClaims(now)), false},
		{"RS256", sign(t, jwt.SigningMethodRS256, rsaKey, goodClaims(now)), false},
		{"HS256 with another key", sign(t, jwt.SigningMethodHS256, []byte(strings.Repeat("x", 32)), goodClaims(now)), false},
		{"no expiry", sign(t, jwt.SigningMethodHS256, key, noExp), false},
		{"another issuer", sign(t, jwt.SigningMethodHS256, key, otherIssuer), false},
		{"unknown role", sign(t, jwt.SigningMethodHS256, key, badRole), false},
		{"subject not a user id", sign(t, jwt.SigningMethodHS256, key, badSub), false},
		{"empty", "", false},
		{"not a JWT", "hello", false},
		{"two parts", parts[0] + "." + parts[1], false},
		{"huge", strings.Repeat("a", maxTokenBytes+1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := tok.verify(tt.token)
			if err == nil || !c.Anonymous() {
				t.Fatalf("verify = %+v, %v; want refused", c, err)
			}
			if models.ErrorCode(err) != errcode.Unauthenticated {
				t.Fatalf("code = %s", models.ErrorCode(err))
			}
			if (err == errTokenExpired) != tt.wantExpired {
				t.Fatalf("error %q; expired %v", err, tt.wantExpired)
			}
		})
	}
}

func TestShortSecretKeyRefused(t *testing.T) {
	t.Parallel()
	if _, err := newTokens([]byte(strings.Repeat("k", 31)), time.Minute); err == nil {
		t.Fatal("a 31-byte key was accepted")
	}
}

// Tokens signed with the right key but claiming what the server never
// issues: an iat in the future, or an exp past the configured lifetime.
// The server's own tokens always carry iat, with exp one lifetime after it.
func TestAccessTokenTimesChecked(t *testing.T) {
	t.Parallel()
	tok := mustTokens(t) // 15 minutes
	now := time.Now()
	at := func(iat, exp time.Time) claims {
		c := goodClaims(now)
		c.IssuedAt, c.ExpiresAt = jwt.NewNumericDate(iat), jwt.NewNumericDate(exp)
		return c
	}
	noIat := goodClaims(now)
	noIat.IssuedAt = nil
	tests := []struct {
		name string
		c    claims
		ok   bool
	}{
		{"issued now for the lifetime", at(now, now.Add(15*time.Minute)), true},
		{"issued by a clock 30 s ahead", at(now.Add(30*time.Second), now.Add(15*time.Minute+30*time.Second)), true},
		{"issued an hour from now", at(now.Add(time.Hour), now.Add(time.Hour+time.Minute)), false},
		{"issued 2 minutes from now", at(now.Add(2*time.Minute), now.Add(3*time.Minute)), false},
		{"no iat", noIat, false},
		{"valid for 10 years", at(now, now.Add(10*365*24*time.Hour)), false},
		{"a lifetime and 2 minutes", at(now, now.Add(17*time.Minute)), false},
		{"issued long ago, expiring soon", at(now.Add(-365*24*time.Hour), now.Add(5*time.Minute)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := tok.verify(sign(t, jwt.SigningMethodHS256, tok.key, tt.c))
			if tt.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !tt.ok && (err == nil || !c.Anonymous() || models.ErrorCode(err) != errcode.Unauthenticated) {
				t.Fatalf("verify = %+v, %v; want UNAUTHENTICATED", c, err)
			}
		})
	}
}

// A signature has one spelling: the same bytes written with the unused
// low bits of its last character set, with padding, or with a line break
// inside are other strings for one signature, and are refused.
func TestAccessTokenSignatureSpelledOnce(t *testing.T) {
	t.Parallel()
	tok := mustTokens(t)
	good, _, err := tok.issue(models.User{ID: testUserID, Role: models.RoleAdmin}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tok.verify(good); err != nil {
		t.Fatal(err)
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.LastIndexByte(good, '.')
	sig := good[i+1:]
	// 32 bytes in 43 characters: the last one carries 4 bits and 2 unused.
	last := strings.IndexByte(alphabet, sig[len(sig)-1])
	other := sig[:len(sig)-1] + string(alphabet[last^1])
	if a, _ := base64.RawURLEncoding.DecodeString(sig); true {
		b, err := base64.RawURLEncoding.DecodeString(other)
		if err != nil || string(a) != string(b) {
			t.Fatalf("the test's second spelling decodes to other bytes: %v", err)
		}
	}
	for name, s := range map[string]string{
		"non-canonical last character":     good[:i+1] + other,
		"padded":                           good + "=",
		"a line feed in the signature":     good[:i+5] + "\n" + good[i+5:],
		"a carriage return in the payload": good[:10] + "\r" + good[10:],
	} {
		if c, err := tok.verify(s); err == nil || !c.Anonymous() {
			t.Errorf("%s: accepted as %+v", name, c)
		}
	}
}
