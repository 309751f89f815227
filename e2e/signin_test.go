package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// renderEnv reads the values render.yaml gives the service's variables
// (the literal ones, not those Render generates or the owner fills in).
func renderEnv(tb testing.TB) map[string]string {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "render.yaml"))
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
	env := func(t *testing.T, requests, auth string) map[string]string {
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
		in := MustStart(t, env(t, "3", "1000"))
		want(t, "ten /64s of one /48", outcomes(t, in, addrs("2001:db8:aa:%x::1", 10), read, nil), 6)
		want(t, "another /48", outcomes(t, in, addrs("2001:db8:bb:%x::1", 1), read, nil), 1)
		want(t, "one /64", outcomes(t, in, addrs("2001:db8:cc:1::%x", 4), read, nil), 3)
		want(t, "IPv4", outcomes(t, in, addrs("198.51.100.%d", 3), read, nil), 3)
	})
	t.Run("register and login", func(t *testing.T) {
		in := MustStart(t, env(t, "1000", "2"))
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

// The attack that locked the admin out: 99 wrong guesses at the admin's
// email, spread over 10 addresses (or 10 IPv6 /64s of one /48), within
// seconds, on two instances sharing Redis, with the default allowances.
// Before it, the admin had signed in from a browser (which got the device
// cookie) and from the app (which got a device token). After it, the
// right password alone is refused (the email's allowance is spent: the
// price of stopping the guessers), but the same password from the browser
// with its cookie, or from the app with its token, gets in, on either
// instance. A device that keeps failing locks out only itself.
func TestAdminLockoutByStrangers(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		stranger func(i int) string
	}{
		{"10 IPv4 addresses", func(i int) string { return fmt.Sprintf("203.0.113.%d", i+1) }},
		{"10 IPv6 /64s", func(i int) string { return fmt.Sprintf("2001:db8:66:%x::1", i+1) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := PostgresRedisEnv(t)
			env["TRUSTED_PROXIES"], env["TRUSTED_PROXY_HOPS"] = "127.0.0.1/32", "1"
			// The defaults, which MustStart raises for other tests.
			env["RATE_LIMIT_AUTH"], env["RATE_LIMIT_LOGIN_EMAIL"] = "10", "10"
			a, b := MustStart(t, env), MustStart(t, env)
			const login = `mutation($e: String!, $p: String!, $d: String) { login(email: $e, password: $p, deviceToken: $d) { accessToken refreshToken deviceToken user { role } } }`
			type result struct {
				gqlResponse
				device string // the shop_device cookie set, if any
			}
			signIn := func(in *instance, from, password, deviceToken, cookie string) result {
				t.Helper()
				h := map[string]string{"X-Forwarded-For": from}
				if cookie != "" {
					h["X-Shop-Session"] = "cookie"
					if cookie != "-" {
						h["Cookie"] = "shop_device=" + cookie
					}
				}
				var d any
				if deviceToken != "" {
					d = deviceToken
				}
				r := in.Anonymous().MustSend(t, h, login, map[string]any{"e": testAdminEmail, "p": password, "d": d})
				out := result{gqlResponse: r}
				for _, c := range (&http.Response{Header: r.Header}).Cookies() {
					if c.Name == "shop_device" {
						out.device = c.Value
						if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/graphql" || c.MaxAge < 180*24*3600 {
							t.Fatalf("device cookie %+v: want HttpOnly, SameSite=Strict, Path=/graphql, long-lived", c)
						}
					}
				}
				return out
			}
			var payload struct {
				Login struct {
					AccessToken, RefreshToken string
					DeviceToken               *string
					User                      struct{ Role string }
				}
			}
			mustSignedIn := func(what string, r result) {
				t.Helper()
				if r.Status != http.StatusOK || r.Code() != "" {
					t.Fatalf("%s: %d %+v", what, r.Status, r.Errors)
				}
				if err := json.Unmarshal(r.Data, &payload); err != nil || payload.Login.AccessToken == "" || payload.Login.User.Role != "admin" {
					t.Fatalf("%s: %s", what, r.Data)
				}
			}
			mustLockedOut := func(what string, r result) {
				t.Helper()
				if r.Status != http.StatusTooManyRequests || r.Code() != "RATE_LIMITED" || r.Header.Get("Retry-After") == "" {
					t.Fatalf("%s: %d %+v; want 429 RATE_LIMITED", what, r.Status, r.Errors)
				}
			}

			// Before: the admin signs in from the dashboard and from the app.
			browser := signIn(a, "198.51.100.10", testAdminPassword, "", "-")
			mustSignedIn("browser sign-in", browser)
			if browser.device == "" || payload.Login.DeviceToken != nil || payload.Login.RefreshToken != "" {
				t.Fatalf("browser sign-in: cookie %q, body %s; want the device token in the cookie only", browser.device, browser.Data)
			}
			app := signIn(b, "198.51.100.11", testAdminPassword, "", "")
			mustSignedIn("app sign-in", app)
			if payload.Login.DeviceToken == nil || *payload.Login.DeviceToken == "" || app.device != "" {
				t.Fatalf("app sign-in: %s; want a device token in the body", app.Data)
			}
			appToken := *payload.Login.DeviceToken
			// A customer's own device token vouches for nothing here.
			_, cust := a.MustCustomer(t)
			var custLogin struct{ Login struct{ DeviceToken string } }
			a.Anonymous().MustData(t, login, map[string]any{"e": cust.User.Email, "p": testCustomerPassword}, &custLogin)

			// The attack: 99 guesses from 10 addresses, on both instances.
			start := time.Now()
			for i := 0; i < 99; i++ {
				in := a
				if i%2 == 1 {
					in = b
				}
				r := signIn(in, tt.stranger(i%10), fmt.Sprint("guess-", i), "", "")
				if c := r.Code(); c != "UNAUTHENTICATED" && c != "RATE_LIMITED" {
					t.Fatalf("guess %d: %d %+v", i+1, r.Status, r.Errors)
				}
			}
			t.Logf("99 guesses in %s", time.Since(start).Round(time.Millisecond))

			// The right password alone: refused, on both instances.
			mustLockedOut("the right password, no device", signIn(a, "198.51.100.10", testAdminPassword, "", ""))
			mustLockedOut("the right password, browser without its cookie", signIn(b, "198.51.100.10", testAdminPassword, "", "-"))
			mustLockedOut("the cookie without the session header", result{gqlResponse: a.Anonymous().MustSend(t,
				map[string]string{"X-Forwarded-For": "198.51.100.10", "Cookie": "shop_device=" + browser.device}, login,
				map[string]any{"e": testAdminEmail, "p": testAdminPassword})})
			mustLockedOut("a customer's device token", signIn(a, "198.51.100.11", testAdminPassword, custLogin.Login.DeviceToken, ""))
			mustLockedOut("a forged device token", signIn(a, "198.51.100.11", testAdminPassword, appToken[:len(appToken)-2]+"AA", ""))

			// With the device: in, on the other instance than issued it.
			r := signIn(b, "198.51.100.10", testAdminPassword, "", browser.device)
			mustSignedIn("browser with its device cookie", r)
			if r.device == "" {
				t.Fatal("a browser sign-in did not renew the device cookie")
			}
			r = signIn(a, "198.51.100.11", testAdminPassword, appToken, "")
			mustSignedIn("app with its device token", r)
			if payload.Login.DeviceToken == nil || *payload.Login.DeviceToken == "" {
				t.Fatalf("app sign-in returned no device token: %s", r.Data)
			}

			// A device that keeps failing locks out only itself: 10 tries
			// per 15 minutes (RATE_LIMIT_LOGIN_DEVICE), the one above
			// included, from wherever the app is; the browser still gets in.
			for i := 0; i < 9; i++ {
				if r := signIn(b, "198.51.100.12", fmt.Sprint("typo-", i), appToken, ""); r.Code() != "UNAUTHENTICATED" {
					t.Fatalf("the app's wrong password %d: %d %+v", i+1, r.Status, r.Errors)
				}
			}
			mustLockedOut("the app after 10 attempts", signIn(a, "198.51.100.13", testAdminPassword, appToken, ""))
			mustSignedIn("the browser while the app is locked out", signIn(a, "198.51.100.10", testAdminPassword, "", browser.device))
		})
	}
}
