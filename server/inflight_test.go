package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/graphql-go/graphql"
	"github.com/prometheus/client_golang/prometheus"

	"shop/errcode"
	"shop/models"
)

// bigResponse is larger than loopback's socket buffers take from a client
// that reads nothing, so its handler stays in its write.
const bigResponse = 4 << 20

const bigQuery = `{"query":"{ big }"}`

// mustServeBig serves New(o) with a schema whose field big answers
// bigResponse bytes, behind a trusted proxy at 127.0.0.1, so each request
// names its client in X-Forwarded-For. It returns the address and the
// registry holding the in-flight gauges.
func mustServeBig(tb testing.TB, o Options) (string, *prometheus.Registry) {
	tb.Helper()
	big := strings.Repeat("x", bigResponse)
	s, err := graphql.NewSchema(graphql.SchemaConfig{Query: graphql.NewObject(graphql.ObjectConfig{
		Name: "Query",
		Fields: graphql.Fields{
			"big":   &graphql.Field{Type: graphql.String, Resolve: func(graphql.ResolveParams) (any, error) { return big, nil }},
			"hello": &graphql.Field{Type: graphql.String, Resolve: func(graphql.ResolveParams) (any, error) { return "world", nil }},
		},
	})})
	if err != nil {
		tb.Fatal(err)
	}
	o.Schema = s
	o.Logger = slog.New(slog.DiscardHandler)
	o.MaxBodyBytes = 1 << 20
	o.RequestTimeout = time.Minute
	o.Metrics = prometheus.NewRegistry()
	o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	srv := httptest.NewServer(New(o))
	tb.Cleanup(srv.Close)
	return srv.Listener.Addr().String(), o.Metrics
}

// gauges reads the in-flight gauges by name.
func gauges(tb testing.TB, reg *prometheus.Registry) map[string]int {
	tb.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]int{}
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), "shop_graphql_") && mf.GetMetric()[0].GetGauge() != nil {
			out[mf.GetName()] = int(mf.GetMetric()[0].GetGauge().GetValue())
		}
	}
	return out
}

// heldBy reads the in-flight gauges: requests held, client keys holding.
func heldBy(tb testing.TB, reg *prometheus.Registry) (requests, clients int) {
	tb.Helper()
	g := gauges(tb, reg)
	return g["shop_graphql_requests_in_flight"], g["shop_graphql_clients_in_flight"]
}

// waitGauges polls the gauges until ok says they read what is wanted: the
// handlers have run that far. The bound is only against a hang; nothing is
// timed.
func waitGauges(tb testing.TB, reg *prometheus.Registry, want string, ok func(map[string]int) bool) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		g := gauges(tb, reg)
		if ok(g) {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("gauges %v, want %s", g, want)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitHeld waits until want requests from wantClients clients are held.
func waitHeld(tb testing.TB, reg *prometheus.Registry, want, wantClients int) {
	tb.Helper()
	waitGauges(tb, reg, fmt.Sprintf("%d requests held from %d clients", want, wantClients), func(g map[string]int) bool {
		return g["shop_graphql_requests_in_flight"] == want && g["shop_graphql_clients_in_flight"] == wantClients
	})
}

// sendUnread sends one POST of body as client (X-Forwarded-For) on a raw
// connection with a 4 KiB receive buffer, and never reads the answer.
func sendUnread(tb testing.TB, addr, client, body string) net.Conn {
	tb.Helper()
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		if err != nil {
			return err
		}
		return serr
	}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	if _, err := fmt.Fprintf(c, "POST /graphql HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\nX-Forwarded-For: %s\r\nContent-Length: %d\r\n\r\n%s", client, len(body), body); err != nil {
		tb.Fatal(err)
	}
	return c
}

// mustRefusedInFlight checks a refusal for what is held: status, code,
// value and max, and Retry-After: 1.
func mustRefusedInFlight(tb testing.TB, r reply, status int, code models.Code, maxHeld int) {
	tb.Helper()
	if r.status != status || r.code() != string(code) || r.header.Get("Retry-After") != "1" {
		tb.Fatalf("status %d, Retry-After %q, errors %+v; want %d %s with Retry-After 1", r.status, r.header.Get("Retry-After"), r.Errors, status, code)
	}
	ext := r.Errors[0].Extensions
	if ext["max"] != float64(maxHeld) || ext["value"] != float64(maxHeld+1) || !strings.Contains(r.Errors[0].Message, fmt.Sprint(maxHeld)) {
		tb.Fatalf("extensions %v, message %q; want value %d and max %d", ext, r.Errors[0].Message, maxHeld+1, maxHeld)
	}
}

// Requests whose answers are never read hold their responses in memory
// until written: one address may hold MAX_IN_FLIGHT_PER_IP of them, and
// the rest are refused at once, without running; another address is
// served meanwhile; and closing the readers leaves nothing held.
func TestInFlightPerIP(t *testing.T) {
	t.Parallel()
	addr, reg := mustServeBig(t, Options{InFlight: InFlightLimits{PerIP: 4, Total: 100}})
	url := "http://" + addr + "/graphql"
	var conns []net.Conn
	for i := 1; i <= 4; i++ {
		conns = append(conns, sendUnread(t, addr, "203.0.113.1", bigQuery))
		waitHeld(t, reg, i, 1)
	}
	for range 6 {
		mustRefusedInFlight(t, mustDo(t, "POST", url, bigQuery, "X-Forwarded-For", "203.0.113.1"), http.StatusTooManyRequests, errcode.TooManyInFlight, 4)
	}
	if n, _ := heldBy(t, reg); n != 4 {
		t.Fatalf("%d requests held after the refusals, want 4", n)
	}
	// Another address is not refused, for a small answer or a big one.
	if r := mustDo(t, "POST", url, hello, "X-Forwarded-For", "203.0.113.2"); r.status != 200 || r.Data["hello"] != "world" {
		t.Fatalf("another address: %d %+v", r.status, r.Errors)
	}
	if r := mustDo(t, "POST", url, bigQuery, "X-Forwarded-For", "203.0.113.2"); r.status != 200 || len(r.Data["big"].(string)) != bigResponse {
		t.Fatalf("another address, a big answer: %d %+v", r.status, r.Errors)
	}
	// The readers go: their writes fail, and the counts return to 0.
	for _, c := range conns {
		c.Close()
	}
	waitHeld(t, reg, 0, 0)
	if r := mustDo(t, "POST", url, hello, "X-Forwarded-For", "203.0.113.1"); r.status != 200 {
		t.Fatalf("the first address once its requests ended: %d %+v", r.status, r.Errors)
	}
}

// An IPv6 /48 shares a cap over its /64s; the instance has one over
// everybody (503 OVERLOADED).
func TestInFlightPer48AndTotal(t *testing.T) {
	t.Parallel()
	addr, reg := mustServeBig(t, Options{InFlight: InFlightLimits{PerIP: 2, PerIPv6Per48: 3, Total: 4}})
	url := "http://" + addr + "/graphql"
	var conns []net.Conn
	for i, c := range []struct {
		ip   string
		keys int
	}{{"2001:db8:1:1::1", 1}, {"2001:db8:1:1::2", 1}, {"2001:db8:1:2::1", 2}} {
		conns = append(conns, sendUnread(t, addr, c.ip, bigQuery))
		waitHeld(t, reg, i+1, c.keys)
	}
	// The /64 2001:db8:1:1:: is full; its neighbour is not, but the /48 is.
	mustRefusedInFlight(t, mustDo(t, "POST", url, hello, "X-Forwarded-For", "2001:db8:1:1::3"), http.StatusTooManyRequests, errcode.TooManyInFlight, 2)
	mustRefusedInFlight(t, mustDo(t, "POST", url, hello, "X-Forwarded-For", "2001:db8:1:3::1"), http.StatusTooManyRequests, errcode.TooManyInFlight, 3)
	conns = append(conns, sendUnread(t, addr, "198.51.100.1", bigQuery))
	waitHeld(t, reg, 4, 3)
	// Four held in all: anybody's next is refused.
	mustRefusedInFlight(t, mustDo(t, "POST", url, hello, "X-Forwarded-For", "198.51.100.2"), http.StatusServiceUnavailable, errcode.Overloaded, 4)
	for _, c := range conns {
		c.Close()
	}
	waitHeld(t, reg, 0, 0)
	if r := mustDo(t, "POST", url, hello, "X-Forwarded-For", "2001:db8:1:3::1"); r.status != 200 {
		t.Fatalf("once all ended: %d %+v", r.status, r.Errors)
	}
}

// A client that takes nothing of its response is cut after the stall
// timeout, not held until the write timeout (none here: held for ever).
func TestStalledReaderIsCut(t *testing.T) {
	t.Parallel()
	addr, reg := mustServeBig(t, Options{InFlight: InFlightLimits{PerIP: 8}, WriteStall: 500 * time.Millisecond})
	for i := range 3 {
		c := sendUnread(t, addr, "203.0.113.1", bigQuery)
		waitHeld(t, reg, 1, 1)
		// The reader is still connected and still reads nothing.
		waitHeld(t, reg, 0, 0)
		got, _ := io.Copy(io.Discard, c)
		if got >= bigResponse {
			t.Fatalf("reader %d got %d bytes of a cut response", i+1, got)
		}
	}
	// A reader that reads is not cut, and its connection serves again.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	for i := range 2 {
		req, _ := http.NewRequestWithContext(context.Background(), "POST", "http://"+addr+"/graphql", strings.NewReader(bigQuery))
		req.Header.Set("Content-Type", "application/json")
		if err := req.Write(c); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || n < bigResponse {
			t.Fatalf("request %d on one connection: %d, %d bytes, %v", i+1, resp.StatusCode, n, err)
		}
	}
}

// A panic under the limit still releases what the request held.
func TestInFlightReleasedOnPanic(t *testing.T) {
	t.Parallel()
	addr, reg := mustServeBig(t, Options{
		InFlight:     InFlightLimits{PerIP: 1},
		Authenticate: func(string) (models.Caller, error) { panic("boom") },
	})
	url := "http://" + addr + "/graphql"
	for i := range 3 {
		if r := mustDo(t, "POST", url, hello, "Authorization", "Bearer x"); r.status != http.StatusInternalServerError {
			t.Fatalf("request %d: %d %+v, want the recoverer's 500", i+1, r.status, r.Errors)
		}
	}
	if n, c := heldBy(t, reg); n != 0 || c != 0 {
		t.Fatalf("held %d from %d clients after panics", n, c)
	}
}

// Past the instance's cap a request waits for a held one to end, up to
// its wait: a burst queues instead of failing.
func TestInFlightWaitsForASlot(t *testing.T) {
	t.Parallel()
	addr, reg := mustServeBig(t, Options{InFlight: InFlightLimits{PerIP: 2, Total: 1, Wait: time.Minute}})
	url := "http://" + addr + "/graphql"
	held := sendUnread(t, addr, "198.51.100.1", bigQuery)
	waitHeld(t, reg, 1, 1)
	done := make(chan reply, 1)
	go func() { done <- mustDo(t, "POST", url, hello, "X-Forwarded-For", "198.51.100.2") }()
	waitWaiting(t, reg, 1)
	// Its client holds its place while it waits: a second waiter from the
	// same address is within PerIP, a third is refused at once.
	second := make(chan reply, 1)
	go func() { second <- mustDo(t, "POST", url, hello, "X-Forwarded-For", "198.51.100.2") }()
	waitWaiting(t, reg, 2)
	mustRefusedInFlight(t, mustDo(t, "POST", url, hello, "X-Forwarded-For", "198.51.100.2"), http.StatusTooManyRequests, errcode.TooManyInFlight, 2)
	held.Close()
	for _, ch := range []chan reply{done, second} {
		if r := <-ch; r.status != http.StatusOK || r.Data["hello"] != "world" {
			t.Fatalf("a waiting request once the held one ended: %d %+v", r.status, r.Errors)
		}
	}
	waitHeld(t, reg, 0, 0)
	waitWaiting(t, reg, 0)
}

// waitWaiting waits until want requests wait for a slot.
func waitWaiting(tb testing.TB, reg *prometheus.Registry, want int) {
	tb.Helper()
	waitGauges(tb, reg, fmt.Sprintf("%d requests waiting", want), func(g map[string]int) bool {
		return g["shop_graphql_requests_waiting"] == want
	})
}

// A client that sends its body slowly holds its own address's count, not
// the instance's: four addresses sending a few bytes of a 100 KB body on
// every connection they may hold leave the instance free for everyone
// else, and the bodies still count against their own addresses.
func TestSlowBodiesHoldNoInstanceSlot(t *testing.T) {
	t.Parallel()
	addr, reg := mustServeBig(t, Options{InFlight: InFlightLimits{PerIP: 2, Total: 2}})
	url := "http://" + addr + "/graphql"
	clients := []string{"198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"}
	for _, ip := range clients {
		for range 2 {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			if _, err := fmt.Fprintf(c, "POST /graphql HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\nX-Forwarded-For: %s\r\nContent-Length: 100000\r\n\r\n{\"qu", ip); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitHeld(t, reg, 0, len(clients))
	for i := range 3 {
		if r := mustDo(t, "POST", url, hello, "X-Forwarded-For", "203.0.113.9"); r.status != http.StatusOK || r.Data["hello"] != "world" {
			t.Fatalf("another client, request %d, beside 8 slow bodies: %d %+v", i+1, r.status, r.Errors)
		}
	}
	mustRefusedInFlight(t, mustDo(t, "POST", url, hello, "X-Forwarded-For", clients[0]), http.StatusTooManyRequests, errcode.TooManyInFlight, 2)
}
