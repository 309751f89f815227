// Package clientip decides the address a request came from (the
// connection's, or one that trusted proxies forwarded) and carries it in
// the request's context, so rate limits deep in a request key on the same
// address.
package clientip

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

type key struct{}

// With returns ctx carrying ip.
func With(ctx context.Context, ip string) context.Context { return context.WithValue(ctx, key{}, ip) }

// From returns the client's address in ctx, or "".
func From(ctx context.Context) string {
	ip, _ := ctx.Value(key{}).(string)
	return ip
}

// Proxies are the proxies in front of the service, as the deployment
// declares them (TRUSTED_PROXIES, TRUSTED_PROXY_HOPS).
type Proxies struct {
	// Trusted are the peers whose X-Forwarded-For is read at all; none
	// means the connection's address is always the client's.
	Trusted []netip.Prefix
	// Hops, when above 0, is how many proxies every request passes on its
	// way in, the one that connects to the service included. Each appends
	// the address it took the request from, so the client is the Hops-th
	// entry of X-Forwarded-For from the right, whatever addresses the
	// entries are. When 0, the header is read from the right past every
	// entry in Trusted: right only when no one else can send from those
	// addresses (one's own load balancer), never for a CDN's ranges, from
	// which anyone can send through the CDN's own services.
	Hops int
}

// TrustsPeer reports whether the connection r came on is from a trusted
// proxy, whose forwarding headers are then believed.
func (p Proxies) TrustsPeer(r *http.Request) bool {
	if len(p.Trusted) == 0 {
		return false
	}
	peer, err := netip.ParseAddr(peerHost(r))
	return err == nil && p.trusts(peer.Unmap())
}

// Client is r's client address: the connection's, unless that peer is a
// trusted proxy. Then X-Forwarded-For (all its lines, as one list) is read
// from the right: Hops entries when Hops is set, each appended by one of
// the proxies; otherwise past each entry in Trusted, up to the first that
// is not. Entries left of the client are whatever the client chose to
// send, so spoofing them gains nothing. An entry that is not an address
// ends the walk at the last one that could be vouched for, and a header
// shorter than Hops gives its leftmost entry (the farthest hop known).
func (p Proxies) Client(r *http.Request) string {
	host := peerHost(r)
	if len(p.Trusted) == 0 {
		return host
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !p.trusts(peer.Unmap()) {
		return host
	}
	client, seen := host, 0
	lines := r.Header.Values("X-Forwarded-For")
	for i := len(lines) - 1; i >= 0; i-- {
		rest := lines[i]
		for rest != "" {
			item := rest
			if j := strings.LastIndexByte(rest, ','); j >= 0 {
				item, rest = rest[j+1:], rest[:j]
			} else {
				rest = ""
			}
			if item = strings.TrimSpace(item); item == "" {
				continue
			}
			addr, ok := forwardedAddr(item)
			if !ok {
				return client
			}
			client = addr.String()
			seen++
			if p.Hops > 0 && seen == p.Hops || p.Hops <= 0 && !p.trusts(addr) {
				return client
			}
		}
	}
	return client
}

func peerHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	if a, err := netip.ParseAddr(host); err == nil && a.Zone() != "" {
		return a.WithZone("").String()
	}
	return host
}

// forwardedAddr reads one X-Forwarded-For entry: an address, or one with a
// port as some proxies write it. A zone (fe80::1%eth0) names an interface
// of the sender's, nothing of the client's, and is dropped: kept, every
// "%x" made one address a client of its own, with a fresh allowance.
func forwardedAddr(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.WithZone("").Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().WithZone("").Unmap(), true
	}
	return netip.Addr{}, false
}

func (p Proxies) trusts(a netip.Addr) bool {
	for _, t := range p.Trusted {
		if t.Contains(a) {
			return true
		}
	}
	return false
}
