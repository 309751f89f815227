package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"shop/internal/testenv"
	"shop/web"
)

func TestHTTPEdges(t *testing.T) {
	t.Parallel()
	in := MustStart(t, EmbeddedEnv(t))
	id := in.MustCreateProduct(t, 1.5, 2)

	post := func(ct, body string) gqlResponse {
		t.Helper()
		resp, err := http.Post(in.URL+"/graphql", ct, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return mustDecode(t, resp)
	}
	get := func(path string, header ...string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, in.URL+path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}

	tests := []struct {
		name       string
		resp       func() gqlResponse
		wantStatus int
		wantCode   string
	}{
		{"malformed JSON", func() gqlResponse { return post("application/json", `{"query": `) }, 400, "BAD_REQUEST"},
		{"two JSON values", func() gqlResponse { return post("application/json", `{"query":"{getProducts{productId}}"} {}`) }, 400, "BAD_REQUEST"},
		{"no query", func() gqlResponse { return post("application/json", `{}`) }, 400, "BAD_REQUEST"},
		{"variables not an object", func() gqlResponse {
			return post("application/json", `{"query":"{getProducts{productId}}","variables":[1]}`)
		}, 400, "BAD_REQUEST"},
		{"form body is refused (CSRF)", func() gqlResponse { return post("application/x-www-form-urlencoded", `query={getProducts{productId}}`) }, 415, "BAD_REQUEST"},
		{"body over 1 MiB", func() gqlResponse {
			return post("application/json", `{"query":"{getProducts{productId}}","variables":{"x":"`+strings.Repeat("a", 1<<20)+`"}}`)
		}, 413, "BAD_REQUEST"},
		{"mutation over GET", func() gqlResponse {
			resp, err := http.Get(in.URL + "/graphql?query=" + url.QueryEscape(`mutation { deleteProduct(productId: "`+id+`") }`))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			return mustDecode(t, resp)
		}, 405, "METHOD_NOT_ALLOWED"},
		{"PUT", func() gqlResponse {
			req, _ := http.NewRequest(http.MethodPut, in.URL+"/graphql", strings.NewReader("{}"))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			return mustDecode(t, resp)
		}, 405, "METHOD_NOT_ALLOWED"},
		{"query over GET", func() gqlResponse {
			resp, err := http.Get(in.URL + "/graphql?query=" + url.QueryEscape(`query($id: String!) { getProductsById(id: $id) { price } }`) +
				"&variables=" + url.QueryEscape(`{"id":"`+id+`"}`))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			return mustDecode(t, resp)
		}, 200, ""},
		{"too many fields through aliases", func() gqlResponse {
			return post("application/graphql", "{ "+strings.Repeat("a: getProducts { productId price stockCount } ", 700)+"}")
		}, 400, "TOO_MANY_FIELDS"},
		{"no Content-Type is refused (CSRF)", func() gqlResponse { return post("", `{"query":"{getProducts{productId}}"}`) }, 415, "BAD_REQUEST"},
		{"text/plain is refused (CSRF)", func() gqlResponse { return post("text/plain", `{"query":"{getProducts{productId}}"}`) }, 415, "BAD_REQUEST"},
		{"a response media type is not a request's", func() gqlResponse {
			return post("application/graphql-response+json", `{"query":"{getProducts{productId}}"}`)
		}, 415, "BAD_REQUEST"},
		{"application/json with a charset", func() gqlResponse {
			return post("application/json; charset=utf-8", `{"query":"{getProducts{productId}}"}`)
		}, 200, ""},
		{"application/graphql body", func() gqlResponse { return post("application/graphql", `{ getProducts { productId } }`) }, 200, ""},
		{"unknown path", func() gqlResponse {
			resp, err := http.Get(in.URL + "/nope")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			return mustDecode(t, resp)
		}, 404, "NOT_FOUND"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.resp()
			if r.Status != tt.wantStatus || r.Code() != tt.wantCode {
				t.Fatalf("status %d code %q, want %d %q; errors %+v", r.Status, r.Code(), tt.wantStatus, tt.wantCode, r.Errors)
			}
		})
	}
	if in.MustStock(t, id) != 2 {
		t.Fatal("the refused GET mutation changed something")
	}

	t.Run("landing page", func(t *testing.T) {
		resp, body := get("/")
		if resp.StatusCode != 200 || !strings.Contains(body, "/graphql") || !strings.Contains(body, "/health") {
			t.Fatalf("GET / = %d %q", resp.StatusCode, body)
		}
	})
	t.Run("GraphiQL page for browsers, with a strict CSP", func(t *testing.T) {
		testenv.NeedAssets(t, web.HasGraphiQL())
		resp, body := get("/graphql", "Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
		if resp.StatusCode != 200 || !strings.Contains(body, `<script src="/static/graphiql-init.js">`) || strings.Contains(body, "<script>") {
			t.Fatalf("GET /graphql (HTML) = %d %q", resp.StatusCode, body)
		}
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self';") {
			t.Fatalf("CSP = %q", csp)
		}
		for _, asset := range []string{"/assets/graphiql.min.js", "/assets/graphql-ws.min.js", "/assets/react.production.min.js", "/assets/react-dom.production.min.js", "/assets/graphiql.min.css", "/static/graphiql-init.js"} {
			if resp, body := get(asset); resp.StatusCode != 200 || len(body) < 100 {
				t.Fatalf("GET %s = %d, %d bytes", asset, resp.StatusCode, len(body))
			}
		}
	})
	t.Run("request id is returned", func(t *testing.T) {
		resp, _ := get("/health", "X-Request-Id", "abc-123")
		if resp.Header.Get("X-Request-Id") != "abc-123" {
			t.Fatalf("X-Request-Id = %q", resp.Header.Get("X-Request-Id"))
		}
		resp, _ = get("/health", "X-Request-Id", "bad id with spaces")
		if got := resp.Header.Get("X-Request-Id"); got == "" || strings.Contains(got, " ") {
			t.Fatalf("X-Request-Id = %q, want a fresh id", got)
		}
	})
}

type healthBody struct {
	Status    string `json:"status"`
	Timestamp string `json:"timestamp"`
	Services  map[string]struct {
		Status string `json:"status"`
		Type   string `json:"type"`
	} `json:"services"`
}

func MustHealth(tb testing.TB, in *instance) (int, healthBody) {
	tb.Helper()
	resp, err := http.Get(in.URL + "/health")
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var h healthBody
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		tb.Fatal(err)
	}
	if _, err := time.Parse(time.RFC3339, h.Timestamp); err != nil {
		tb.Fatalf("timestamp %q is not RFC 3339", h.Timestamp)
	}
	return resp.StatusCode, h
}

func TestHealth(t *testing.T) {
	t.Parallel()
	t.Run("healthy on PostgreSQL and Redis", func(t *testing.T) {
		t.Parallel()
		code, h := MustHealth(t, MustStart(t, PostgresRedisEnv(t)))
		if code != 200 || h.Status != "healthy" || h.Services["database"].Type != "PostgreSQL" ||
			h.Services["redis"].Type != "Redis" || h.Services["redis"].Status != "connected" {
			t.Fatalf("health = %d %+v", code, h)
		}
	})
	t.Run("healthy on the embedded defaults", func(t *testing.T) {
		t.Parallel()
		code, h := MustHealth(t, MustStart(t, EmbeddedEnv(t)))
		if code != 200 || h.Status != "healthy" || h.Services["database"].Type != "SQLite" || h.Services["redis"].Type != "in-process" {
			t.Fatalf("health = %d %+v", code, h)
		}
	})
	t.Run("degraded without Redis, and the API still works", func(t *testing.T) {
		t.Parallel()
		env := PostgresRedisEnv(t)
		env["REDIS_URL"] = "redis://" + testenv.ClosedAddr(t) + "/0"
		in := MustStart(t, env)
		code, h := MustHealth(t, in)
		if code != 200 || h.Status != "degraded" || h.Services["redis"].Status != "disconnected" || h.Services["database"].Status != "connected" {
			t.Fatalf("health = %d %+v", code, h)
		}
		id := in.MustCreateProduct(t, 2.5, 4)
		r := in.MustAdmin(t).MustPost(t, `mutation($id: String!) { createOrder(input: {customerId: "c", items: [{productId: $id, quantity: 1}]}) { totalAmount } }`, map[string]any{"id": id})
		if len(r.Errors) > 0 || in.MustStock(t, id) != 3 {
			t.Fatalf("order with Redis down: %+v, stock %d", r.Errors, in.MustStock(t, id))
		}
	})
	t.Run("unhealthy without the database; errors stay generic", func(t *testing.T) {
		t.Parallel()
		env := PostgresRedisEnv(t)
		in := MustStart(t, env)
		admin := in.MustAdmin(t) // while the database is there to sign in
		dbName := strings.TrimPrefix(mustURL(t, env["DATABASE_URL"]).Path, "/")
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, testenv.PostgresBaseURL())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE "+dbName+" WITH (FORCE)"); err != nil {
			t.Fatal(err)
		}
		code, h := MustHealth(t, in)
		if code != 503 || h.Status != "unhealthy" || h.Services["database"].Status != "disconnected" {
			t.Fatalf("health = %d %+v", code, h)
		}
		// A connection the drop cut is SERVICE_UNAVAILABLE (retry later), as
		// when the server restarts; then "no such database" is a mistake of
		// configuration: internal, generic, logged.
		var r gqlResponse
		testenv.WaitFor(t, func() bool {
			r = admin.MustPost(t, `{ getOrders { orderId } }`, nil)
			if r.Status != 200 || (r.Code() != "INTERNAL_SERVER_ERROR" && r.Code() != "SERVICE_UNAVAILABLE") {
				t.Fatalf("getOrders without a database: %d %+v", r.Status, r.Errors)
			}
			msg := strings.ToLower(r.Errors[0].Message)
			for _, leak := range []string{"sql", dbName, "select", "pq:", "sqlstate", "127.0.0.1"} {
				if strings.Contains(msg, leak) {
					t.Fatalf("error message leaks %q: %q", leak, r.Errors[0].Message)
				}
			}
			return r.Code() == "INTERNAL_SERVER_ERROR"
		})
		if msg := strings.ToLower(r.Errors[0].Message); strings.Contains(msg, "database") {
			t.Fatalf("internal error message names the database: %q", r.Errors[0].Message)
		}
		if r.Errors[0].Extensions["requestId"] == "" {
			t.Fatal("internal error carries no request id to quote")
		}
		if !strings.Contains(in.logs.String(), `"msg":"internal error"`) {
			t.Fatal("the internal error was not logged")
		}
	})
}

func mustURL(tb testing.TB, raw string) *url.URL {
	tb.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

// TestGracefulShutdown: a request in flight when SIGTERM arrives finishes.
// Expect: 100-continue tells the test the handler is running: the server
// sends "100 Continue" only when the handler starts reading the body.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	in := MustStart(t, EmbeddedEnv(t))
	token := in.MustAdmin(t).Token
	conn, err := net.Dial("tcp", strings.TrimPrefix(in.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"query":"mutation { createProduct(input: {price: 1.25, stockCount: 1}) { price } }"}`
	fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer %s\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n", token, len(body))
	rd := bufio.NewReader(conn)
	line, err := rd.ReadString('\n')
	if err != nil || !strings.Contains(line, "100 Continue") {
		t.Fatalf("wanted 100 Continue, got %q, %v", line, err)
	}
	_, _ = rd.ReadString('\n') // blank line after the interim response

	stopped := make(chan error, 1)
	go func() { stopped <- in.Stop() }()
	// The server is now shutting down with our request in flight; it must
	// stop accepting new connections but finish ours.
	waitForRefused(t, in.URL)
	if _, err := io.WriteString(conn, body); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(rd, nil)
	if err != nil {
		t.Fatalf("in-flight request cut off: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"price":1.25`) {
		t.Fatalf("in-flight request: %d %s", resp.StatusCode, b)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("run returned %v", err)
	}
}

// waitForRefused waits until the server no longer accepts connections.
func waitForRefused(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), time.Second)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("server still accepting connections 10s after shutdown began")
}

// TestRequestTimeout: a request that runs past REQUEST_TIMEOUT gets a
// TIMEOUT error and 503, not a hang and not a client error. No request can
// sign in under a 1ns limit, so the test signs an admin's access token
// with the instance's SECRET_KEY itself.
func TestRequestTimeout(t *testing.T) {
	t.Parallel()
	env := EmbeddedEnv(t)
	env["REQUEST_TIMEOUT"] = "1ns"
	env["SECRET_KEY"] = "a secret key of at least 32 bytes for this test"
	in := MustStart(t, env)
	admin := &client{URL: in.URL, Token: MustSignAccessToken(t, env["SECRET_KEY"], "00000000-0000-4000-8000-0000000000ad", "admin", time.Minute)}
	r := admin.MustPost(t, `{ getOrders { orderId } }`, nil)
	if r.Status != http.StatusServiceUnavailable || r.Code() != "TIMEOUT" {
		t.Fatalf("status %d, errors %+v; want 503 TIMEOUT", r.Status, r.Errors)
	}
}

// TestShutdownCancelsStragglers: a request still running when
// SHUTDOWN_TIMEOUT ends is cancelled (its transaction rolls back) before
// the pools close, and the program stops cleanly.
func TestShutdownCancelsStragglers(t *testing.T) {
	t.Parallel()
	env := PostgresRedisEnv(t)
	env["SHUTDOWN_TIMEOUT"] = "200ms"
	env["REQUEST_TIMEOUT"] = "60s"
	in := MustStart(t, env)
	id := in.MustCreateProduct(t, 2.50, 5)

	ctx := context.Background()
	db, err := pgx.Connect(ctx, env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	lock, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.Exec(ctx, `SELECT 1 FROM products WHERE product_id = $1 FOR UPDATE`, id); err != nil {
		t.Fatal(err)
	}
	customer, _ := in.MustCustomer(t)
	// The order runs in a goroutine of its own, which must not call
	// t.Fatal: it reports what it got instead.
	answered := make(chan string, 1)
	go func() {
		body, _ := json.Marshal(map[string]any{
			"query":     `mutation($id: String!) { createOrder(input: {items: [{productId: $id, quantity: 1}]}) { orderId } }`,
			"variables": map[string]any{"id": id},
		})
		req, _ := http.NewRequest(http.MethodPost, in.URL+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+customer.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- "transport: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		answered <- fmt.Sprintf("%d %s", resp.StatusCode, b)
	}()
	testenv.WaitFor(t, func() bool { // until the order waits for the row lock
		var n int
		err := db.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n)
		return err == nil && n == 1
	})
	if err := in.Stop(); err != nil {
		t.Fatalf("run returned %v", err)
	}
	if got := <-answered; !strings.Contains(got, `"code"`) || strings.Contains(got, `"orderId"`) {
		t.Fatalf("the cancelled order: %s; want an error", got)
	}
	if err := lock.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	var stock, orders int
	if err := db.QueryRow(ctx, `SELECT stock_count, (SELECT count(*) FROM orders) FROM products WHERE product_id = $1`, id).Scan(&stock, &orders); err != nil {
		t.Fatal(err)
	}
	if stock != 5 || orders != 0 {
		t.Fatalf("after the cancelled order: stock %d, %d orders; want 5 and none", stock, orders)
	}
	if logs := in.logs.String(); strings.Contains(logs, "database is closed") || !strings.Contains(logs, "cancelling them") {
		t.Fatalf("logs:\n%s", logs)
	}
}
