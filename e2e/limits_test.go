package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"shop/internal/hostile"
)

// The rate-limit and HTTP-edge settings reach the server: the whole
// program, configured only through its environment.
func TestLimitsAndEdgesFromSettings(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		env  map[string]string
	}{
		{"embedded", EmbeddedEnv(t)},
		{"PostgreSQL and Redis", PostgresRedisEnv(t)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.env["RATE_LIMIT_REQUESTS"] = "3"
			tt.env["GRAPHIQL"] = "false"
			tt.env["CORS_ALLOWED_ORIGINS"] = "https://shop.example.com"
			in := MustStart(t, tt.env)
			do := func(method, path string, header ...string) *http.Response {
				t.Helper()
				req, _ := http.NewRequest(method, in.URL+path, nil)
				for i := 0; i+1 < len(header); i += 2 {
					req.Header.Set(header[i], header[i+1])
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { resp.Body.Close() })
				return resp
			}

			// GraphiQL off: a browser is told so, and that costs one request.
			if r := mustDecode(t, do("GET", "/graphql", "Accept", "text/html")); r.Status != http.StatusNotFound || !strings.Contains(r.Errors[0].Message, "switched off") {
				t.Fatalf("GraphiQL off: %d %+v", r.Status, r.Errors)
			}
			resp := do("GET", "/graphql?query={getProducts{productId}}", "Origin", "https://shop.example.com")
			if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://shop.example.com" {
				t.Fatalf("cross-origin read: %d %v", resp.StatusCode, resp.Header)
			}
			in.MustData(t, `{ getProducts { productId } }`, nil, &struct{}{})
			r := in.MustPost(t, `{ getProducts { productId } }`, nil)
			if r.Status != http.StatusTooManyRequests || r.Code() != "RATE_LIMITED" {
				t.Fatalf("4th request: %d %+v", r.Status, r.Errors)
			}
			if !strings.Contains(in.logs.String(), `"client_ip":"127.0.0.1"`) {
				t.Fatal("the access log does not name the client address")
			}
		})
	}
}

// Sign-ins past their allowance are refused like any rate limit: 429,
// Retry-After and RATE_LIMITED. Logins count per email from one address
// (so a guesser locks out only itself, not the owner) and per email from
// all addresses together (so guesses spread over many can't go on); the
// address is the client's, here through a trusted proxy's X-Forwarded-For.
func TestSignInAllowances(t *testing.T) {
	t.Parallel()
	env := PostgresRedisEnv(t)
	env["RATE_LIMIT_LOGIN_EMAIL"] = "2" // from one address; 20 from all
	env["RATE_LIMIT_AUTH"] = "1000"
	env["TRUSTED_PROXIES"] = "127.0.0.1/32"
	in := MustStart(t, env)
	_, owner := in.MustCustomer(t)
	login := func(from, password string) gqlResponse {
		t.Helper()
		body, _ := json.Marshal(map[string]any{
			"query":     `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`,
			"variables": map[string]any{"e": strings.ToUpper(owner.User.Email), "p": password},
		})
		req, _ := http.NewRequest(http.MethodPost, in.URL+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", from)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return mustDecode(t, resp)
	}
	// A guesser at one address: two tries, then refused.
	for i, want := range []string{"UNAUTHENTICATED", "UNAUTHENTICATED", "RATE_LIMITED"} {
		r := login("203.0.113.7", fmt.Sprint("guess-", i))
		if r.Code() != want {
			t.Fatalf("guess %d: %d %+v, want %s", i+1, r.Status, r.Errors, want)
		}
		if want == "RATE_LIMITED" && (r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "") {
			t.Fatalf("refused login: status %d, Retry-After %q", r.Status, r.Header.Get("Retry-After"))
		}
	}
	// The owner, elsewhere, still gets in.
	if r := login("198.51.100.2", testCustomerPassword); r.Code() != "" {
		t.Fatalf("the owner was locked out by a guesser: %d %+v", r.Status, r.Errors)
	}
	// Guesses spread over many addresses stop at 20 for the email (the
	// 3 above included).
	refused := 0
	for i := 0; i < 20; i++ {
		if r := login(fmt.Sprintf("192.0.2.%d", i+1), "wrong password"); r.Code() == "RATE_LIMITED" {
			refused++
		}
	}
	if refused != 3 {
		t.Fatalf("%d of 20 spread guesses refused, want the last 3 (20 per email in all)", refused)
	}
}

// register, login and refreshToken share one small allowance per address.
func TestRegisterAllowance(t *testing.T) {
	t.Parallel()
	env := EmbeddedEnv(t)
	env["RATE_LIMIT_AUTH"] = "2"
	in := MustStart(t, env)
	register := `mutation($in: RegisterInput!) { register(input: $in) { accessToken } }`
	for i, want := range []string{"", "", "RATE_LIMITED"} {
		r := in.MustPost(t, register, map[string]any{"in": map[string]any{"email": fmt.Sprintf("new%d@shop.test", i), "password": "long enough 1", "name": "New"}})
		if r.Code() != want || (want != "" && r.Status != http.StatusTooManyRequests) {
			t.Fatalf("register %d: %d %+v, want %q", i+1, r.Status, r.Errors, want)
		}
	}
}

// Responses that belong to a caller (anything read with a token, any
// order) tell shared caches not to keep them; anonymous catalog reads,
// which are the same for everyone, don't.
func TestPrivateResponsesAreNotCached(t *testing.T) {
	t.Parallel()
	in := MustStart(t, EmbeddedEnv(t))
	customer, _ := in.MustCustomer(t)
	get := func(c *client, query string) string {
		req, _ := http.NewRequest(http.MethodGet, in.URL+"/graphql?query="+url.QueryEscape(query), nil)
		if c.Token != "" {
			req.Header.Set("Authorization", "Bearer "+c.Token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header.Get("Cache-Control")
	}
	for _, tt := range []struct {
		who   *client
		query string
		want  string
	}{
		{in.Anonymous(), `{ getProducts(limit: 5) { productId } }`, ""},
		{customer, `{ getProducts(limit: 5) { productId } }`, "private, no-store"},
		{customer, `{ getOrders(limit: 5) { orderId } }`, "private, no-store"},
		{customer, `{ me { id } }`, "private, no-store"},
		{in.Anonymous(), `{ me { id } }`, "private, no-store"},
	} {
		if got := get(tt.who, tt.query); got != tt.want {
			t.Errorf("%s (token %t): Cache-Control %q, want %q", tt.query, tt.who.Token != "", got, tt.want)
		}
	}
}

// An anonymous caller can't make one request read the catalog a hundred
// times over (100 aliases of the largest page: seconds of CPU); the
// largest page of orders stays the admins' to ask for.
func TestCostLimitsByRole(t *testing.T) {
	t.Parallel()
	in := MustStart(t, EmbeddedEnv(t))
	var aliases strings.Builder
	aliases.WriteString("{")
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&aliases, " a%d: getProducts(limit: 1000) { productId price stockCount lastUpdated }", i)
	}
	aliases.WriteString(" }")
	customer, _ := in.MustCustomer(t)
	largest := `{ getOrders(limit: 1000) { orderId customerId totalAmount status items { id productId quantity priceAtPurchase product { productId price stockCount } } } }`
	for _, tt := range []struct {
		name  string
		who   *client
		query string
		want  string
	}{
		{"anonymous, 100 pages of the catalog", in.Anonymous(), aliases.String(), "QUERY_TOO_COMPLEX"},
		{"a customer, the largest page of orders", customer, largest, "QUERY_TOO_COMPLEX"},
		{"the admin, the largest page of orders", in.MustAdmin(t), largest, ""},
		{"anonymous, one whole catalog page", in.Anonymous(), `{ getProducts { productId price stockCount lastUpdated } }`, ""},
		// Introspection costs what it returns: every type's fields and
		// their types is a few thousand; 80 aliases of every type's fields,
		// arguments and types, two levels deep, about 600,000.
		{"anonymous, every type's fields", in.Anonymous(), `{ __schema { types { name fields { name args { name } type { name kind ofType { name } } } } } }`, ""},
		{"anonymous, 80 aliases of every type's fields, twice", in.Anonymous(), hostile.WideIntrospection(80, 2), "QUERY_TOO_COMPLEX"},
	} {
		r := tt.who.MustPost(t, tt.query, nil)
		if r.Code() != tt.want {
			t.Errorf("%s: %d %+v, want %q", tt.name, r.Status, r.Errors, tt.want)
		}
	}
}
