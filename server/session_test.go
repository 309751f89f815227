package server

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestOverHTTPS(t *testing.T) {
	t.Parallel()
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, tt := range []struct {
		name, peer, proto string
		tls               bool
		trusted           []netip.Prefix
		want              bool
	}{
		{"plain HTTP", "192.0.2.1:5000", "", false, nil, false},
		{"TLS to the server", "192.0.2.1:5000", "", true, nil, true},
		{"a trusted proxy says https", "10.1.2.3:5000", "https", false, proxies, true},
		{"a trusted proxy says HTTPS, then http", "10.1.2.3:5000", "HTTPS, http", false, proxies, true},
		{"a trusted proxy says http", "10.1.2.3:5000", "http", false, proxies, false},
		{"a client says https", "192.0.2.1:5000", "https", false, proxies, false},
		{"no proxies trusted", "10.1.2.3:5000", "https", false, nil, false},
	} {
		r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
		r.RemoteAddr = tt.peer
		if tt.proto != "" {
			r.Header.Set("X-Forwarded-Proto", tt.proto)
		}
		if tt.tls {
			r.TLS = &tls.ConnectionState{}
		}
		if got := overHTTPS(r, tt.trusted); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}
