package auth

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestDeviceTokens(t *testing.T) {
	t.Parallel()
	d := newDevices([]byte(strings.Repeat("k", 32)))
	now := time.Now()
	id := newDeviceID()
	tok := d.issue(testUserID, id, now)
	got, ok := d.parse(tok, now)
	if !ok || got.UserID != testUserID || got.ID != id {
		t.Fatalf("parse(issue) = %+v, %v", got, ok)
	}
	if newDeviceID() == id || len(id) != 22 {
		t.Fatalf("device ids: %q", id)
	}
	if _, ok := d.parse(tok, now.Add(DeviceTTL+time.Second)); ok {
		t.Fatal("an expired device token was accepted")
	}
	if _, ok := d.parse(tok, now.Add(DeviceTTL-time.Hour)); !ok {
		t.Fatal("a device token was refused before it expired")
	}

	parts := strings.Split(tok, ".")
	resign := func(body string) string { return body + "." + base64.RawURLEncoding.EncodeToString(d.mac(body)) }
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	sig := parts[4]
	other := sig[:len(sig)-1] + string(alphabet[strings.IndexByte(alphabet, sig[len(sig)-1])^1])
	for name, bad := range map[string]string{
		"empty":                      "",
		"another key":                newDevices([]byte(strings.Repeat("x", 32))).issue(testUserID, id, now),
		"another user, same MAC":     strings.Replace(tok, testUserID, "00000000-0000-4000-8000-0000000000bb", 1),
		"another device, same MAC":   strings.Replace(tok, id, newDeviceID(), 1),
		"a later expiry, same MAC":   strings.Join([]string{parts[0], parts[1], parts[2], "99999999999", parts[4]}, "."),
		"non-canonical MAC":          strings.Join(append(parts[:4:4], other), "."),
		"padded MAC":                 tok + "=",
		"a line feed":                tok[:10] + "\n" + tok[10:],
		"another version":            resign(strings.Join([]string{"d2", parts[1], parts[2], parts[3]}, ".")),
		"expiry with a leading zero": resign(strings.Join([]string{parts[0], parts[1], parts[2], "0" + parts[3]}, ".")),
		"user id not canonical":      resign(strings.Join([]string{parts[0], strings.ToUpper(parts[1]), parts[2], parts[3]}, ".")),
		"an access token's shape":    "eyJhbGciOiJIUzI1NiJ9.e30.abc",
		"huge":                       strings.Repeat("a", maxDeviceBytes+1),
	} {
		if _, ok := d.parse(bad, now); ok {
			t.Errorf("%s: accepted", name)
		}
	}
	// The same key signs access tokens; a device token's MAC is made under
	// a key derived from it, never the key itself.
	if strings.Contains(string(d.key), strings.Repeat("k", 32)) || len(d.key) != 32 {
		t.Fatal("the device key is the secret key")
	}
}

// A browser's device token lives in an HttpOnly, SameSite=Strict cookie
// on /graphql for a year, read (like the session's) only in cookie mode.
func TestDeviceCookie(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	r.AddCookie(&http.Cookie{Name: DeviceCookie, Value: "dev"})
	if BrowserSessionOf(r) != nil {
		t.Fatal("the device cookie without the header was read")
	}
	r.Header.Set(SessionHeader, "cookie")
	b := BrowserSessionOf(r)
	if b == nil || b.DeviceToken() != "dev" || b.Token() != "" {
		t.Fatalf("cookie mode: %+v", b)
	}
	var none *BrowserSession
	if none.DeviceCookie(true) != nil || b.DeviceCookie(true) != nil {
		t.Fatal("a device cookie though none was kept")
	}
	b.KeepDevice("d1.new")
	for _, secure := range []bool{false, true} {
		c := b.DeviceCookie(secure)
		if c == nil || c.Name != "shop_device" || c.Value != "d1.new" || c.Path != "/graphql" || !c.HttpOnly ||
			c.SameSite != http.SameSiteStrictMode || c.Secure != secure || c.MaxAge != 365*24*3600 || c.Domain != "" {
			t.Fatalf("device cookie (secure %v): %+v", secure, c)
		}
	}
	// Signing out ends the session, not what the browser proved.
	b.End()
	if c := b.DeviceCookie(false); c == nil || c.Value != "d1.new" {
		t.Fatalf("after End: %+v", c)
	}
}
