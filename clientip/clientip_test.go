package clientip

import (
	"context"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClient(t *testing.T) {
	t.Parallel()
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2606:4700::/32")}
	// render.yaml's: Render's proxy (10.x), and the two proxies every
	// request passes, Cloudflare and Render's.
	render := Proxies{Trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, Hops: 2}
	// The old way of trusting Cloudflare: its ranges listed, no count.
	cloudflareListed := Proxies{Trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("2a06:98c0::/29"), netip.MustParsePrefix("104.16.0.0/13")}}
	tests := []struct {
		name, peer string
		xff        []string
		proxies    Proxies
		want       string
	}{
		{"no proxies trusted: the peer", "198.51.100.1:5000", []string{"203.0.113.9"}, Proxies{}, "198.51.100.1"},
		{"untrusted peer's header ignored", "198.51.100.1:5000", []string{"203.0.113.9"}, Proxies{Trusted: trusted}, "198.51.100.1"},
		{"trusted peer: its client", "10.1.2.3:5000", []string{"203.0.113.9"}, Proxies{Trusted: trusted}, "203.0.113.9"},
		{"spoofed left-most entries skipped", "10.1.2.3:5000", []string{"1.1.1.1, 8.8.8.8, 203.0.113.9"}, Proxies{Trusted: trusted}, "203.0.113.9"},
		{"through a trusted CDN hop", "10.1.2.3:5000", []string{"8.8.8.8, 203.0.113.9, 2606:4700::1"}, Proxies{Trusted: trusted}, "203.0.113.9"},
		{"several header lines read as one list", "10.1.2.3:5000", []string{"8.8.8.8", "203.0.113.9, 10.9.9.9"}, Proxies{Trusted: trusted}, "203.0.113.9"},
		{"garbage stops at the last vouched hop", "10.1.2.3:5000", []string{"203.0.113.9, nonsense, 10.9.9.9"}, Proxies{Trusted: trusted}, "10.9.9.9"},
		{"entries with ports", "10.1.2.3:5000", []string{"[2001:db8::1]:443, 203.0.113.9:1234"}, Proxies{Trusted: trusted}, "203.0.113.9"},
		{"IPv4 written as IPv6", "10.1.2.3:5000", []string{"::ffff:203.0.113.9"}, Proxies{Trusted: trusted}, "203.0.113.9"},
		{"all trusted: the farthest", "10.1.2.3:5000", []string{"10.7.7.7, 10.8.8.8"}, Proxies{Trusted: trusted}, "10.7.7.7"},
		{"trusted peer, no header", "10.1.2.3:5000", nil, Proxies{Trusted: trusted}, "10.1.2.3"},
		{"IPv6 peer", "[2001:db8::5]:5000", []string{"203.0.113.9"}, Proxies{}, "2001:db8::5"},

		// The header: a Cloudflare Worker's request, with the
		// address the Worker made up on the left.
		{"listed Cloudflare ranges believe a Worker", "10.1.2.3:5000", []string{"203.0.113.7, 2a06:98c0:3600::103, 104.16.0.1"}, cloudflareListed, "203.0.113.7"},
		{"two hops: the Worker is the client", "10.1.2.3:5000", []string{"203.0.113.7, 2a06:98c0:3600::103, 104.16.0.1"}, render, "2a06:98c0:3600::103"},
		{"two hops: a browser behind Cloudflare", "10.1.2.3:5000", []string{"198.51.100.4, 104.16.0.1"}, render, "198.51.100.4"},
		{"two hops over two header lines", "10.1.2.3:5000", []string{"203.0.113.7, 198.51.100.4", "104.16.0.1"}, render, "198.51.100.4"},
		{"two hops, whatever the client prepends", "10.1.2.3:5000", []string{"10.0.0.1, 2606:4700::1, 198.51.100.4, 104.16.0.1"}, render, "198.51.100.4"},
		{"two hops, untrusted peer", "198.51.100.1:5000", []string{"203.0.113.7, 104.16.0.1"}, render, "198.51.100.1"},
		{"two hops, header shorter: its leftmost", "10.1.2.3:5000", []string{"104.16.0.1"}, render, "104.16.0.1"},
		{"two hops, no header: the peer", "10.1.2.3:5000", nil, render, "10.1.2.3"},
		{"two hops, garbage at the client's place", "10.1.2.3:5000", []string{"nonsense, 104.16.0.1"}, render, "104.16.0.1"},
		{"one hop: the rightmost", "10.1.2.3:5000", []string{"203.0.113.7, 198.51.100.4"}, Proxies{Trusted: trusted, Hops: 1}, "198.51.100.4"},
		// Zones name the sender's interfaces: "%z0", "%z1"… made one
		// address as many clients.
		{"a zone is dropped", "10.1.2.3:5000", []string{"2001:db8:bbbb:1::1%z0"}, Proxies{Trusted: trusted}, "2001:db8:bbbb:1::1"},
		{"a zone is dropped, with a port", "10.1.2.3:5000", []string{"[2001:db8:bbbb:1::1%z1]:443"}, Proxies{Trusted: trusted}, "2001:db8:bbbb:1::1"},
		{"a zone is dropped, counting hops", "10.1.2.3:5000", []string{"2001:db8:bbbb:1::1%z2, 104.16.0.1"}, render, "2001:db8:bbbb:1::1"},
		{"a peer's zone is dropped", "[fe80::1%eth0]:5000", nil, Proxies{}, "fe80::1"},
		{"one hop even when the entry is in the list", "10.1.2.3:5000", []string{"203.0.113.7, 2606:4700::1"}, Proxies{Trusted: trusted, Hops: 1}, "2606:4700::1"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.peer
		for _, v := range tt.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := tt.proxies.Client(r); got != tt.want {
			t.Errorf("%s: Client = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestTrustsPeer(t *testing.T) {
	t.Parallel()
	p := Proxies{Trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, Hops: 2}
	for peer, want := range map[string]bool{"10.1.2.3:80": true, "[::ffff:10.1.2.3]:80": true, "198.51.100.1:80": false, "garbage": false} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = peer
		if got := p.TrustsPeer(r); got != want {
			t.Errorf("%s: TrustsPeer = %v", peer, got)
		}
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.1.2.3:80"
	if (Proxies{}).TrustsPeer(r) {
		t.Error("no proxies, yet the peer is trusted")
	}
}

func TestContext(t *testing.T) {
	t.Parallel()
	if From(context.Background()) != "" || From(With(context.Background(), "192.0.2.1")) != "192.0.2.1" {
		t.Fatal("the address does not round-trip through the context")
	}
}
