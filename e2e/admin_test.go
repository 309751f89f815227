package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// sessionCookie is the shop_session cookie a response set, and the raw
// Set-Cookie line; nil when it set none.
func sessionCookie(r gqlResponse) (*http.Cookie, string) {
	for _, line := range r.Header.Values("Set-Cookie") {
		if strings.HasPrefix(line, "shop_session=") {
			cs := (&http.Response{Header: http.Header{"Set-Cookie": {line}}}).Cookies()
			if len(cs) == 1 {
				return cs[0], line
			}
		}
	}
	return nil, ""
}

// browser sends as the dashboard does: in cookie mode, with the cookie it
// holds (if any), and keeps what the server sets.
type browser struct {
	c      *client
	cookie string
	header map[string]string // extra headers (a proxy's)
}

func (b *browser) send(tb testing.TB, cookieMode bool, query string, vars map[string]any) gqlResponse {
	tb.Helper()
	h := map[string]string{}
	for k, v := range b.header {
		h[k] = v
	}
	if cookieMode {
		h["X-Shop-Session"] = "cookie"
	}
	if b.cookie != "" {
		h["Cookie"] = "shop_session=" + b.cookie
	}
	r := b.c.MustSend(tb, h, query, vars)
	if c, _ := sessionCookie(r); c != nil {
		b.cookie = c.Value
	}
	return r
}

const (
	loginDoc   = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken user { id role } } }`
	refreshDoc = `mutation { refreshToken(refreshToken: "") { accessToken refreshToken user { id } } }`
	logoutDoc  = `mutation { logout(refreshToken: "") }`
)

// MustCookieSession fails unless r set the session cookie as the dashboard
// needs it (HttpOnly, SameSite=Strict, only for /graphql, for the refresh
// token's 30 days, Secure as wanted) and kept the refresh token out of the
// body; it returns the cookie's token and the access token.
func MustCookieSession(tb testing.TB, r gqlResponse, field string, secure bool) (cookie, access string) {
	tb.Helper()
	if len(r.Errors) > 0 || r.Status != http.StatusOK {
		tb.Fatalf("%s failed (%d): %+v", field, r.Status, r.Errors)
	}
	var out map[string]struct{ AccessToken, RefreshToken string }
	if err := json.Unmarshal(r.Data, &out); err != nil {
		tb.Fatal(err)
	}
	got := out[field]
	if got.RefreshToken != "" || got.AccessToken == "" {
		tb.Fatalf("%s in cookie mode: body %s", field, r.Data)
	}
	c, line := sessionCookie(r)
	if c == nil || c.Value == "" {
		tb.Fatalf("%s set no session cookie: %v", field, r.Header.Values("Set-Cookie"))
	}
	thirtyDays := 30 * 24 * 3600
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/graphql" || c.Domain != "" || c.Secure != secure ||
		c.MaxAge > thirtyDays || c.MaxAge < thirtyDays-60 {
		tb.Fatalf("%s: Set-Cookie %q", field, line)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "private, no-store" {
		tb.Fatalf("%s: Cache-Control %q on a response that sets a cookie", field, cc)
	}
	return c.Value, got.AccessToken
}

// MustClearCookie fails unless r deleted the session cookie.
func MustClearCookie(tb testing.TB, r gqlResponse) {
	tb.Helper()
	c, line := sessionCookie(r)
	if c == nil || c.Value != "" || c.MaxAge != -1 || c.Path != "/graphql" || !c.HttpOnly {
		tb.Fatalf("the cookie was not cleared: %q", line)
	}
}

// TestBrowserSession: the dashboard's sign-in keeps the refresh token in
// an HttpOnly cookie, rotates it, ends it, and the cookie alone (without
// the header) does nothing.
func TestBrowserSession(t *testing.T) {
	t.Parallel()
	in := MustStart(t, EmbeddedEnv(t))
	admin := map[string]any{"e": testAdminEmail, "p": testAdminPassword}
	me := func(access string) string {
		t.Helper()
		var out struct{ Me *struct{ ID, Role string } }
		(&client{URL: in.URL, Token: access}).MustData(t, `{ me { id role } }`, nil, &out)
		if out.Me == nil {
			t.Fatal("the access token proves no one")
		}
		return out.Me.Role
	}

	b := &browser{c: in.Anonymous()}
	first, access := MustCookieSession(t, b.send(t, true, loginDoc, admin), "login", false)
	if me(access) != "admin" {
		t.Fatal("the cookie mode's access token is not the admin's")
	}

	t.Run("without the header, login is as it was", func(t *testing.T) {
		r := (&browser{c: in.Anonymous()}).send(t, false, loginDoc, admin)
		var out struct{ Login struct{ RefreshToken string } }
		if err := json.Unmarshal(r.Data, &out); err != nil {
			t.Fatalf("login: %v in %s", err, r.Data)
		}
		if c, _ := sessionCookie(r); c != nil || out.Login.RefreshToken == "" {
			t.Fatalf("cookie %v, body %s", c, r.Data)
		}
	})
	t.Run("a failed login sets no cookie", func(t *testing.T) {
		r := (&browser{c: in.Anonymous()}).send(t, true, loginDoc, map[string]any{"e": testAdminEmail, "p": "wrong password"})
		if c, _ := sessionCookie(r); r.Code() != unauthenticated || c != nil {
			t.Fatalf("%+v, cookie %v", r.Errors, c)
		}
	})

	// A refresh through the cookie rotates it.
	second, access := MustCookieSession(t, b.send(t, true, refreshDoc, nil), "refreshToken", false)
	if second == first || me(access) != "admin" {
		t.Fatalf("rotation: %q then %q", first, second)
	}

	t.Run("the cookie without the header does nothing", func(t *testing.T) {
		r := b.send(t, false, refreshDoc, nil)
		if c, _ := sessionCookie(r); r.Code() != unauthenticated || c != nil {
			t.Fatalf("refresh: %s %+v, cookie %v", r.Data, r.Errors, c)
		}
		r = b.send(t, false, logoutDoc, nil)
		if c, _ := sessionCookie(r); string(r.Data) != `{"logout":false}` || c != nil {
			t.Fatalf("logout: %s %+v, cookie %v", r.Data, r.Errors, c)
		}
	})
	// …so the cookie is still good (not used, not revoked): it rotates.
	third, _ := MustCookieSession(t, b.send(t, true, refreshDoc, nil), "refreshToken", false)
	if third == second {
		t.Fatal("no rotation")
	}

	// Sign-out ends the session and clears the cookie.
	r := b.send(t, true, logoutDoc, nil)
	if string(r.Data) != `{"logout":true}` || len(r.Errors) > 0 {
		t.Fatalf("logout: %s %+v", r.Data, r.Errors)
	}
	MustClearCookie(t, r)
	if b.cookie != "" {
		t.Fatal("the browser kept the cookie")
	}
	// The ended session's token is refused, and the cookie cleared again.
	stale := &browser{c: in.Anonymous(), cookie: third}
	r = stale.send(t, true, refreshDoc, nil)
	MustRefuse(t, r, unauthenticated)
	MustClearCookie(t, r)
	// No cookie at all: the usual refusal.
	r = (&browser{c: in.Anonymous()}).send(t, true, refreshDoc, nil)
	MustRefuse(t, r, unauthenticated)
	MustClearCookie(t, r)

	t.Run("the old cookie is refused after rotation", func(t *testing.T) {
		b := &browser{c: in.Anonymous()}
		old, _ := MustCookieSession(t, b.send(t, true, loginDoc, admin), "login", false)
		current, _ := MustCookieSession(t, b.send(t, true, refreshDoc, nil), "refreshToken", false)
		r := (&browser{c: in.Anonymous(), cookie: old}).send(t, true, refreshDoc, nil)
		MustRefuse(t, r, unauthenticated)
		MustClearCookie(t, r)
		// A used token shown again revokes its family: the current
		// cookie dies with it, as a mobile client's token does.
		r = (&browser{c: in.Anonymous(), cookie: current}).send(t, true, refreshDoc, nil)
		MustRefuse(t, r, unauthenticated)
	})

	t.Run("a refresh token from the body works in cookie mode", func(t *testing.T) {
		_, s := in.MustLogin(t, testAdminEmail, testAdminPassword)
		b := &browser{c: in.Anonymous()}
		MustCookieSession(t, b.send(t, true, `mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken } }`, map[string]any{"t": s.RefreshToken}), "refreshToken", false)
	})

	t.Run("Secure only over HTTPS, as a trusted proxy says", func(t *testing.T) {
		// The first instance trusts no proxy: a client's claim is ignored.
		b := &browser{c: in.Anonymous(), header: map[string]string{"X-Forwarded-Proto": "https"}}
		MustCookieSession(t, b.send(t, true, loginDoc, admin), "login", false)

		env := EmbeddedEnv(t)
		env["TRUSTED_PROXIES"] = "127.0.0.1/32"
		proxied := MustStart(t, env)
		b = &browser{c: proxied.Anonymous(), header: map[string]string{"X-Forwarded-Proto": "https"}}
		MustCookieSession(t, b.send(t, true, loginDoc, admin), "login", true)
		MustCookieSession(t, b.send(t, true, refreshDoc, nil), "refreshToken", true)
		b.header = nil
		MustCookieSession(t, b.send(t, true, refreshDoc, nil), "refreshToken", false)
	})
}

// TestAdminDashboardThroughTheAPI: the dashboard's counts, sales and lists
// follow orders as they are placed, paid and cancelled, on the embedded
// default and on PostgreSQL and Redis (where responses are cached).
func TestAdminDashboardThroughTheAPI(t *testing.T) {
	t.Parallel()
	for name, env := range map[string]func(testing.TB) map[string]string{"embedded": EmbeddedEnv, "PostgreSQL and Redis": PostgresRedisEnv} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in := MustStart(t, env(t))
			admin := in.MustAdmin(t)
			customer, sess := in.MustCustomer(t)
			mug := in.MustCreateProduct(t, 12.5, 6)
			in.MustCreateProduct(t, 3, 0)

			type overview struct {
				OrdersToShip, OrdersAwaitingPayment, LowStockProducts, OutOfStockProducts int
				Today                                                                     struct {
					Date    string
					Orders  int
					Revenue float64
				}
			}
			home := func() (overview, []struct {
				Date    string
				Orders  int
				Revenue float64
			}) {
				t.Helper()
				var out struct {
					AdminOverview overview
					SalesReport   []struct {
						Date    string
						Orders  int
						Revenue float64
					}
				}
				admin.MustData(t, `{ adminOverview { ordersToShip ordersAwaitingPayment lowStockProducts outOfStockProducts today { date orders revenue } }
					salesReport { date orders revenue } }`, nil, &out)
				if len(out.SalesReport) != 30 || out.SalesReport[29] != out.AdminOverview.Today {
					t.Fatalf("salesReport %+v, today %+v", out.SalesReport, out.AdminOverview.Today)
				}
				return out.AdminOverview, out.SalesReport
			}
			ov, _ := home()
			if ov.OrdersToShip != 0 || ov.OrdersAwaitingPayment != 0 || ov.LowStockProducts != 0 || ov.OutOfStockProducts != 1 || ov.Today.Orders != 0 {
				t.Fatalf("empty shop: %+v", ov)
			}
			myOrders := func() int {
				t.Helper()
				var out struct {
					Orders struct {
						Edges []struct{ Node struct{ OrderID string } }
					}
				}
				customer.MustData(t, `query($q: String) { orders(first: 10, query: $q) { edges { node { orderId } } } }`, map[string]any{"q": sess.User.Email}, &out)
				return len(out.Orders.Edges)
			}
			if myOrders() != 0 || myOrders() != 0 { // the second from the cache, where there is one
				t.Fatal("orders before any")
			}

			order := func(qty int) string {
				var out struct{ CreateOrder struct{ OrderID string } }
				customer.MustData(t, `mutation($p: String!, $q: Int!) { createOrder(input: {items: [{productId: $p, quantity: $q}]}) { orderId } }`,
					map[string]any{"p": mug, "q": qty}, &out)
				return out.CreateOrder.OrderID
			}
			paid, cancelled := order(2), order(1)
			// A customer's search of its own orders sees the new ones at once.
			if n := myOrders(); n != 2 {
				t.Fatalf("the customer's search finds %d orders, want 2", n)
			}
			if ov, _ := home(); ov.OrdersAwaitingPayment != 2 || ov.LowStockProducts != 1 || ov.OrdersToShip != 0 {
				t.Fatalf("after two orders: %+v", ov)
			}
			admin.MustData(t, `mutation($o: String!) { updateOrderStatus(orderId: $o, status: "paid") { status } }`, map[string]any{"o": paid}, &struct{}{})
			admin.MustData(t, `mutation($o: String!) { cancelOrder(orderId: $o, reason: "test") { status } }`, map[string]any{"o": cancelled}, &struct{}{})
			ov, sales := home()
			if ov.OrdersAwaitingPayment != 0 || ov.OrdersToShip != 1 || ov.Today.Orders != 1 || ov.Today.Revenue != 25 ||
				ov.Today.Date != time.Now().UTC().Format("2006-01-02") && ov.Today.Date != time.Now().UTC().Add(-time.Minute).Format("2006-01-02") {
				t.Fatalf("after paying one and cancelling one: %+v", ov)
			}
			for _, d := range sales[:29] {
				if d.Orders != 0 || d.Revenue != 0 {
					t.Fatalf("a sale on an earlier day: %+v", sales)
				}
			}

			// The customers list and an admin's order search.
			var customers struct {
				Customers struct {
					Edges []struct {
						Node struct {
							User        struct{ ID string }
							OrderCount  int
							TotalSpent  float64
							LastOrderAt *string
						}
					}
				}
			}
			admin.MustData(t, `query($q: String) { customers(first: 5, query: $q) { edges { node { user { id } orderCount totalSpent lastOrderAt } } } }`,
				map[string]any{"q": strings.ToUpper(sess.User.Email[:12])}, &customers)
			if e := customers.Customers.Edges; len(e) != 1 || e[0].Node.User.ID != customer.ID || e[0].Node.OrderCount != 2 || e[0].Node.TotalSpent != 25 || e[0].Node.LastOrderAt == nil {
				t.Fatalf("customers: %+v", customers)
			}
			var found struct {
				Orders struct {
					Edges []struct {
						Node struct{ OrderID, Status string }
					}
				}
			}
			admin.MustData(t, `query($q: String) { orders(first: 5, query: $q, status: "paid") { edges { node { orderId status } } } }`, map[string]any{"q": sess.User.Email}, &found)
			if e := found.Orders.Edges; len(e) != 1 || e[0].Node.OrderID != paid {
				t.Fatalf("orders by email and status: %+v", found)
			}

			// The low-stock list follows the stock: 6 − 2 = 4 (the
			// cancellation put its unit back), then an adjustment to 9.
			low := func() int {
				t.Helper()
				var out struct {
					Products struct {
						Edges []struct{ Node struct{ ProductID string } }
					}
				}
				in.MustData(t, `{ products(first: 10, filter: {maxStock: 5, inStock: true}) { edges { node { productId } } } }`, nil, &out)
				return len(out.Products.Edges)
			}
			if n := low(); n != 1 || low() != 1 {
				t.Fatalf("%d low products, want 1", n)
			}
			admin.MustData(t, `mutation($p: String!) { adjustStock(productId: $p, delta: 5, reason: "delivery") { stockCount } }`, map[string]any{"p": mug}, &struct{}{})
			if n := low(); n != 0 {
				t.Fatalf("%d low products after a delivery, want 0", n)
			}

			// Out of range arguments are refused, each field named.
			r := admin.MustPost(t, `{ salesReport(days: 367) { date } }`, nil)
			MustRefuse(t, r, "BAD_USER_INPUT")
			r = admin.MustPost(t, `{ adminOverview(lowStockThreshold: -1) { ordersToShip } }`, nil)
			MustRefuse(t, r, "BAD_USER_INPUT")
			r = admin.MustPost(t, `{ customers(first: 101) { pageInfo { hasNextPage } } }`, nil)
			MustRefuse(t, r, "BAD_USER_INPUT")
		})
	}
}

// TestAdminReadsRefuseOthers: the dashboard's reads answer admins only; no
// token is UNAUTHENTICATED and a customer's is FORBIDDEN, with no data.
func TestAdminReadsRefuseOthers(t *testing.T) {
	t.Parallel()
	in := MustStart(t, EmbeddedEnv(t))
	customer, _ := in.MustCustomer(t)
	for _, doc := range []string{
		`{ adminOverview { ordersToShip } }`,
		`{ salesReport(days: 7) { date revenue } }`,
		`{ customers(first: 5) { edges { node { user { email } totalSpent } } } }`,
	} {
		for who, c := range map[string]*client{"no token": in.Anonymous(), "a customer": customer} {
			want := map[string]string{"no token": "UNAUTHENTICATED", "a customer": "FORBIDDEN"}[who]
			r := c.MustPost(t, doc, nil)
			if r.Code() != want || (len(r.Data) > 0 && string(r.Data) != "null") {
				t.Errorf("%s asking %s: code %q, data %s; want %s and no data", who, doc, r.Code(), r.Data, want)
			}
		}
	}
}
