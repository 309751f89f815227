package auth

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"
)

// A browser's session (the admin dashboard's sign-in) keeps the refresh
// token in an HttpOnly cookie, out of reach of any page script, and the
// access token only in the page's memory. A request to /graphql asks for
// it with the header "X-Shop-Session: cookie": then login and refreshToken
// put the refresh token in the cookie instead of the body, refreshToken
// and logout read it from the cookie when their argument is "", and logout
// clears it. Without the header the cookie is never read, so the cookie
// alone can do nothing: SameSite=Strict keeps other sites' requests from
// carrying it, and a page of another origin can't send the header without
// a CORS preflight, which the server refuses.
//
// In the same mode a successful login also sets the device cookie
// (DeviceCookie: the device token, see device.go), on the same terms and
// for DeviceTTL, and the next login reads it: the browser's proof that it
// signed in before, which strangers' guesses can't lock out.
const (
	SessionHeader      = "X-Shop-Session"
	SessionHeaderValue = "cookie"
	SessionCookie      = "shop_session"
	SessionCookiePath  = "/graphql"
)

// BrowserSession is one request's cookie mode: the token its cookie
// carried, and what the response must do with the cookie. Resolvers change
// it; the HTTP layer reads it once execution is over.
type BrowserSession struct {
	token, device string

	mu      sync.Mutex
	changed bool
	keep    string // the new token; "" clears the cookie
	expires time.Time
	// newDevice is the device token the response must set; "" leaves the
	// device cookie alone.
	newDevice string
}

// BrowserSessionOf is the cookie mode r asks for, nil when it does not send
// the header: only then is the cookie read.
func BrowserSessionOf(r *http.Request) *BrowserSession {
	if !strings.EqualFold(strings.TrimSpace(r.Header.Get(SessionHeader)), SessionHeaderValue) {
		return nil
	}
	b := &BrowserSession{}
	if c, err := r.Cookie(SessionCookie); err == nil {
		b.token = c.Value
	}
	if c, err := r.Cookie(DeviceCookie); err == nil {
		b.device = c.Value
	}
	return b
}

type browserKey struct{}

// WithBrowserSession returns ctx carrying b (nil: not in cookie mode).
func WithBrowserSession(ctx context.Context, b *BrowserSession) context.Context {
	if b == nil {
		return ctx
	}
	return context.WithValue(ctx, browserKey{}, b)
}

// BrowserSessionFrom is the request's cookie mode, nil when the request is
// not in it.
func BrowserSessionFrom(ctx context.Context) *BrowserSession {
	b, _ := ctx.Value(browserKey{}).(*BrowserSession)
	return b
}

// Token is the refresh token the request's cookie carried, "" without one.
func (b *BrowserSession) Token() string { return b.token }

// DeviceToken is the device token the request's device cookie carried, ""
// without one.
func (b *BrowserSession) DeviceToken() string { return b.device }

// KeepDevice makes the response set the device cookie to token.
func (b *BrowserSession) KeepDevice(token string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.newDevice = token
}

// DeviceCookie is the device cookie the response must set, or nil. It
// outlives sign-outs: it says the browser signed in once, not that it is
// signed in.
func (b *BrowserSession) DeviceCookie(secure bool) *http.Cookie {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.newDevice == "" {
		return nil
	}
	return &http.Cookie{Name: DeviceCookie, Value: b.newDevice, Path: SessionCookiePath, MaxAge: int(DeviceTTL / time.Second),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode}
}

// Keep makes the response set the cookie to token, until expires.
func (b *BrowserSession) Keep(token string, expires time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.changed, b.keep, b.expires = true, token, expires
}

// End makes the response clear the cookie.
func (b *BrowserSession) End() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.changed, b.keep, b.expires = true, "", time.Time{}
}

// Cookie is the cookie the response must set, or nil when the request
// left it alone. secure says the request came over HTTPS: the cookie is
// then sent back only over HTTPS.
func (b *BrowserSession) Cookie(secure bool, now time.Time) *http.Cookie {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.changed {
		return nil
	}
	c := &http.Cookie{Name: SessionCookie, Value: b.keep, Path: SessionCookiePath, HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode}
	if b.keep == "" {
		c.MaxAge = -1 // Max-Age=0 on the wire: delete it now
		return c
	}
	c.MaxAge = max(1, int(b.expires.Sub(now).Seconds()))
	return c
}
