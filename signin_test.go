package main

import (
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
)

// renderEnv reads the values render.yaml gives the service's variables
// (the literal ones, not those Render generates or the owner fills in).
func renderEnv(tb testing.TB) map[string]string {
	tb.Helper()
	raw, err := os.ReadFile("render.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]string{}
	re := regexp.MustCompile(`(?m)^\s*- key: (\S+).*\n\s*value: (\S+)`)
	for _, m := range re.FindAllStringSubmatch(string(raw), -1) {
		out[m[1]] = strings.Trim(m[2], `"`)
	}
	if out["TRUSTED_PROXIES"] == "" {
		tb.Fatal("render.yaml sets no TRUSTED_PROXIES")
	}
	return out
}

// The attack on render.yaml's proxy settings: a client behind Cloudflare
// (a Worker, whose requests come from Cloudflare's own ranges) writes an
// address of its choice into X-Forwarded-For; Cloudflare appends the
// Worker's address and Render's proxy Cloudflare's edge. 45 requests, each
// claiming another address, against a limit of 30: the limit must hold,
// because the client is the Worker, two hops from the right. The test's
// loopback connection stands in for Render's proxy (10.x).
func TestForwardedForBehindRender(t *testing.T) {
	t.Parallel()
	render := renderEnv(t)
	env := EmbeddedEnv(t)
	env["TRUSTED_PROXIES"] = render["TRUSTED_PROXIES"] + ",127.0.0.1/32"
	if hops, ok := render["TRUSTED_PROXY_HOPS"]; ok {
		env["TRUSTED_PROXY_HOPS"] = hops
	}
	env["RATE_LIMIT_REQUESTS"] = "30"
	in := MustStart(t, env)
	passed := 0
	for n := 1; n <= 45; n++ {
		r := in.Anonymous().MustSend(t, map[string]string{
			"X-Forwarded-For": fmt.Sprintf("203.0.113.%d, 2a06:98c0:3600::103, 104.16.0.1", n),
		}, `{ getProducts { productId } }`, nil)
		switch {
		case r.Status == http.StatusOK && r.Code() == "":
			passed++
		case r.Status != http.StatusTooManyRequests || r.Code() != "RATE_LIMITED":
			t.Fatalf("request %d: %d %+v", n, r.Status, r.Errors)
		}
	}
	if passed != 30 {
		t.Fatalf("%d of 45 requests passed a limit of 30", passed)
	}
	if logs := in.logs.String(); !strings.Contains(logs, `"client_ip":"2a06:98c0:3600::103"`) || strings.Contains(logs, `"client_ip":"203.0.113.`) {
		t.Fatal("the access log does not name the Worker's address as the client")
	}
}

// One IPv6 allocation (a /48) holds 65,536 /64s, each of which used to get
// a whole allowance. With RATE_LIMIT_IPV6_48_FACTOR=2 a /48 gets twice a
// /64's, for every request and for sign-ins and registrations (which cost
// a bcrypt hash each); other /48s, IPv4 clients and one /64's own limit
// are unchanged.
func TestIPv6AllowancePer48(t *testing.T) {
	t.Parallel()
	// outcomes sends one request from each address and lists the codes.
	outcomes := func(t *testing.T, in *instance, addrs []string, query string, vars func(i int) map[string]any) []string {
		t.Helper()
		var codes []string
		for i, a := range addrs {
			var v map[string]any
			if vars != nil {
				v = vars(i)
			}
			r := in.Anonymous().MustSend(t, map[string]string{"X-Forwarded-For": a}, query, v)
			if r.Code() == "RATE_LIMITED" && r.Status != http.StatusTooManyRequests {
				t.Fatalf("%s: RATE_LIMITED with status %d", a, r.Status)
			}
			codes = append(codes, r.Code())
		}
		return codes
	}
	addrs := func(format string, n int) []string {
		var out []string
		for i := 1; i <= n; i++ {
			out = append(out, fmt.Sprintf(format, i))
		}
		return out
	}
	env := func(requests, auth string) map[string]string {
		e := PostgresRedisEnv(t)
		e["TRUSTED_PROXIES"], e["TRUSTED_PROXY_HOPS"] = "127.0.0.1/32", "1"
		e["RATE_LIMIT_REQUESTS"], e["RATE_LIMIT_AUTH"], e["RATE_LIMIT_IPV6_48_FACTOR"] = requests, auth, "2"
		return e
	}
	const read = `{ getProducts { productId } }`
	want := func(t *testing.T, what string, got []string, ok int) {
		t.Helper()
		for i, c := range got {
			if (i < ok) != (c != "RATE_LIMITED") {
				t.Fatalf("%s: %v; want the first %d through and the rest RATE_LIMITED", what, got, ok)
			}
		}
	}

	t.Run("requests", func(t *testing.T) {
		in := MustStart(t, env("3", "1000"))
		want(t, "ten /64s of one /48", outcomes(t, in, addrs("2001:db8:aa:%x::1", 10), read, nil), 6)
		want(t, "another /48", outcomes(t, in, addrs("2001:db8:bb:%x::1", 1), read, nil), 1)
		want(t, "one /64", outcomes(t, in, addrs("2001:db8:cc:1::%x", 4), read, nil), 3)
		want(t, "IPv4", outcomes(t, in, addrs("198.51.100.%d", 3), read, nil), 3)
	})
	t.Run("register and login", func(t *testing.T) {
		in := MustStart(t, env("1000", "2"))
		register := `mutation($in: RegisterInput!) { register(input: $in) { accessToken } }`
		got := outcomes(t, in, addrs("2001:db8:dd:%x::1", 6), register, func(i int) map[string]any {
			return map[string]any{"in": map[string]any{"email": fmt.Sprintf("v6-%d@shop.test", i), "password": "long enough 1", "name": "V6"}}
		})
		want(t, "registrations from six /64s of one /48", got, 4)
		login := `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`
		got = outcomes(t, in, addrs("2001:db8:ee:%x::1", 6), login, func(int) map[string]any {
			return map[string]any{"e": testAdminEmail, "p": "wrong password"}
		})
		want(t, "logins from six /64s of one /48", got, 4)
		if got[0] != "UNAUTHENTICATED" {
			t.Fatalf("a wrong password: %v", got)
		}
	})
}
