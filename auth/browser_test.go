package auth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestBrowserSessionNeedsTheHeader(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	r.AddCookie(&http.Cookie{Name: SessionCookie, Value: "tok"})
	if b := BrowserSessionOf(r); b != nil {
		t.Fatalf("the cookie without the header was read: %+v", b)
	}
	if BrowserSessionFrom(WithBrowserSession(context.Background(), nil)) != nil {
		t.Fatal("no session, yet one in the context")
	}
	r.Header.Set(SessionHeader, "other")
	if b := BrowserSessionOf(r); b != nil {
		t.Fatal("another header value switched cookie mode on")
	}
	r.Header.Set(SessionHeader, " Cookie ")
	b := BrowserSessionOf(r)
	if b == nil || b.Token() != "tok" {
		t.Fatalf("cookie mode: %+v", b)
	}
	if BrowserSessionFrom(WithBrowserSession(context.Background(), b)) != b {
		t.Fatal("the context lost the session")
	}
	bare := httptest.NewRequest(http.MethodPost, "/graphql", nil)
	bare.Header.Set(SessionHeader, "cookie")
	if b := BrowserSessionOf(bare); b == nil || b.Token() != "" {
		t.Fatalf("no cookie: %+v", b)
	}
}

func TestBrowserSessionCookie(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	var none *BrowserSession
	if none.Cookie(true, now) != nil {
		t.Fatal("a cookie without cookie mode")
	}
	b := &BrowserSession{token: "old"}
	if b.Cookie(true, now) != nil {
		t.Fatal("a cookie though nothing changed")
	}
	b.Keep("new", now.Add(30*24*time.Hour))
	for _, secure := range []bool{false, true} {
		c := b.Cookie(secure, now)
		if c == nil || c.Name != "shop_session" || c.Value != "new" || c.Path != "/graphql" || !c.HttpOnly ||
			c.SameSite != http.SameSiteStrictMode || c.Secure != secure || c.MaxAge != 30*24*3600 || c.Domain != "" {
			t.Fatalf("kept (secure %v): %+v", secure, c)
		}
	}
	b.End()
	if c := b.Cookie(false, now); c == nil || c.Value != "" || c.MaxAge != -1 || c.Path != "/graphql" || !c.HttpOnly {
		t.Fatalf("ended: %+v", c)
	}
	// Written as a deletion.
	rec := httptest.NewRecorder()
	http.SetCookie(rec, b.Cookie(false, now))
	if got := rec.Header().Get("Set-Cookie"); got != "shop_session=; Path=/graphql; Max-Age=0; HttpOnly; SameSite=Strict" {
		t.Fatalf("Set-Cookie %q", got)
	}
}
