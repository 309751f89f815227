package server

import (
	"net/http"
	"net/netip"
	"strings"
	"time"

	"shop/auth"
	"shop/clientip"
)

// writeSessionCookie sets the cookies of a browser's session and device
// (see auth.BrowserSession) when the request changed them, and reports
// whether it did. It is the only place a response gets a Set-Cookie. Such a response
// answers a sign-in, a refresh or a sign-out: it is never stored by the
// response cache (its caller drops the fill) nor by anything between the
// server and the browser (no-store).
func writeSessionCookie(w http.ResponseWriter, r *http.Request, b *auth.BrowserSession, trusted []netip.Prefix) bool {
	secure := overHTTPS(r, trusted)
	set := false
	for _, c := range []*http.Cookie{b.Cookie(secure, time.Now()), b.DeviceCookie(secure)} {
		if c != nil {
			http.SetCookie(w, c)
			set = true
		}
	}
	if set {
		w.Header().Set("Cache-Control", "private, no-store")
	}
	return set
}

// overHTTPS reports whether the client's request came over HTTPS: TLS to
// this server, or X-Forwarded-Proto: https set by a trusted proxy (the
// connection's peer is in trusted; its first value is what the proxy that
// took the client's connection saw).
func overHTTPS(r *http.Request, trusted []netip.Prefix) bool {
	if r.TLS != nil {
		return true
	}
	if !(clientip.Proxies{Trusted: trusted}).TrustsPeer(r) {
		return false
	}
	proto, _, _ := strings.Cut(r.Header.Get("X-Forwarded-Proto"), ",")
	return strings.EqualFold(strings.TrimSpace(proto), "https")
}
