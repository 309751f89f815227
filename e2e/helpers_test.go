// Package e2e tests the whole program: started in-process through app.Run,
// which reports its address through the ready callback, or, where a test
// needs several processes or SIGKILL, as the built binary in a process of
// its own. Under go test -short only the tests on the embedded defaults
// run; the rest need PostgreSQL, Redis, stripe-mock or Chromium.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"shop/app"
	"shop/internal/testenv"
)

// instance is the real program, started through app.Run on a free port.
type instance struct {
	URL    string
	cancel context.CancelFunc
	done   chan error
	logs   *logBuffer
	// The admin account ADMIN_EMAIL and ADMIN_PASSWORD made, and its
	// client once signed in.
	adminEmail, adminPassword string
	// metricsToken is METRICS_TOKEN, sent by MustMetric.
	metricsToken string
	mu           sync.Mutex
	admin        *client
}

// logBuffer collects the JSON log the program writes, for the tests that
// assert on it and for a failed test's report.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// The admin account test instances start with, and the bcrypt cost they
// use: real bcrypt at its lowest cost, so that signing in takes
// milliseconds.
const (
	testAdminEmail    = "admin@shop.test"
	testAdminPassword = "adm1n-Pa55word-for-tests"
	testBcryptCost    = "4"
)

// PostgresRedisEnv is the environment of an instance on a fresh PostgreSQL
// database and a private Redis key prefix, with a SECRET_KEY of its own
// (shared by every instance started with this environment) and an admin.
func PostgresRedisEnv(tb testing.TB) map[string]string {
	tb.Helper()
	redisURL, prefix := testenv.MustRedis(tb)
	return map[string]string{"DATABASE_URL": testenv.MustPostgres(tb), "REDIS_URL": redisURL, "REDIS_KEY_PREFIX": prefix,
		"SECRET_KEY":    testenv.RandomName("secret-") + testenv.RandomName("-key-"),
		"METRICS_TOKEN": testenv.RandomName("metrics-"),
		// Emails as files in the test's own folder (issue 21), never in
		// the repository's.
		"MAIL_DIR":    filepath.Join(tb.TempDir(), "mail"),
		"ADMIN_EMAIL": testAdminEmail, "ADMIN_PASSWORD": testAdminPassword, "BCRYPT_COST": testBcryptCost}
}

// EmbeddedEnv is the environment of an instance on the defaults: a SQLite
// file and the in-process cache (the secret key generated beside the
// file), with an admin.
func EmbeddedEnv(tb testing.TB) map[string]string {
	return map[string]string{"SQLITE_PATH": filepath.Join(tb.TempDir(), "shop.db"),
		"ADMIN_EMAIL": testAdminEmail, "ADMIN_PASSWORD": testAdminPassword, "BCRYPT_COST": testBcryptCost}
}

// MustStart runs the program through app.Run with env (plus HOST and PORT
// for a free loopback port), waits for its ready callback, and stops it when
// the test ends, failing the test if app.Run returns an error.
func MustStart(tb testing.TB, env map[string]string) *instance {
	tb.Helper()
	// Tests sign many accounts in from one address, and the admin often:
	// the sign-in allowances are raised unless a test sets them (the
	// limits' own tests do). Races fire dozens of requests at once from
	// that address: the in-flight limits are off unless a test sets them.
	full := map[string]string{"HOST": "127.0.0.1", "PORT": "0", "DB_MAX_OPEN_CONNS": "10",
		"RATE_LIMIT_AUTH": "10000", "RATE_LIMIT_LOGIN_EMAIL": "10000", "RATE_LIMIT_GUEST_CHECKOUT": "10000",
		"MAX_IN_FLIGHT_PER_IP": "0", "MAX_IN_FLIGHT": "0"}
	for k, v := range env {
		full[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{cancel: cancel, done: make(chan error, 1), logs: &logBuffer{},
		adminEmail: full["ADMIN_EMAIL"], adminPassword: full["ADMIN_PASSWORD"], metricsToken: full["METRICS_TOKEN"]}
	ready := make(chan string, 1)
	go func() {
		in.done <- app.Run(ctx, func(k string) string { return full[k] }, in.logs, func(addr string) { ready <- addr })
	}()
	select {
	case addr := <-ready:
		in.URL = "http://" + addr
	case err := <-in.done:
		cancel()
		tb.Fatalf("app.Run returned before listening: %v\n%s", err, in.logs)
	case <-time.After(60 * time.Second):
		cancel()
		tb.Fatalf("server did not start in 60s\n%s", in.logs)
	}
	tb.Cleanup(func() {
		if err := in.Stop(); err != nil {
			tb.Errorf("app.Run: %v", err)
		}
		if tb.Failed() {
			in.logProblems(tb)
		}
	})
	return in
}

// logProblems shows the warnings and errors the instance logged, for a
// failed test: an internal error's cause is only there.
func (in *instance) logProblems(tb testing.TB) {
	tb.Helper()
	sc := bufio.NewScanner(strings.NewReader(in.logs.String()))
	sc.Buffer(nil, 1<<20)
	shown := 0
	for sc.Scan() && shown < 20 {
		var line struct{ Level string }
		if json.Unmarshal(sc.Bytes(), &line) == nil && (line.Level == "WARN" || line.Level == "ERROR") {
			tb.Logf("%s logged: %s", in.URL, sc.Text())
			shown++
		}
	}
}

// Stop cancels app.Run and waits for it to return; it is safe to call twice.
func (in *instance) Stop() error {
	in.cancel()
	err, ok := <-in.done
	if !ok {
		return nil
	}
	close(in.done)
	return err
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

type gqlResponse struct {
	Status int
	Header http.Header
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

// Code is the first error's extensions.code, or "".
func (r gqlResponse) Code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// client sends requests as one caller: with Token as a bearer token, or
// anonymously when it is empty. ID is its account's id.
type client struct {
	URL       string
	Token, ID string
}

// Anonymous is a client with no token.
func (in *instance) Anonymous() *client { return &client{URL: in.URL} }

// on is the same caller sending to another instance (every instance
// started with one environment shares the SECRET_KEY).
func (c *client) on(in *instance) *client { return &client{URL: in.URL, Token: c.Token, ID: c.ID} }

// Send posts a GraphQL request as c, with extra headers, and returns what
// came back or why nothing did. It never stops the test, so goroutines may
// call it.
func (c *client) Send(hc *http.Client, header map[string]string, query string, vars map[string]any) (gqlResponse, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, c.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return gqlResponse{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return gqlResponse{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return gqlResponse{}, fmt.Errorf("read response %d: %w", resp.StatusCode, err)
	}
	out := gqlResponse{Status: resp.StatusCode, Header: resp.Header}
	if err := json.Unmarshal(raw, &out); err != nil {
		return gqlResponse{}, fmt.Errorf("response %d is not JSON: %w\n%s", resp.StatusCode, err, raw)
	}
	return out, nil
}

// MustSend is Send for the test's own goroutine.
func (c *client) MustSend(tb testing.TB, header map[string]string, query string, vars map[string]any) gqlResponse {
	tb.Helper()
	r, err := c.Send(http.DefaultClient, header, query, vars)
	if err != nil {
		tb.Fatalf("POST /graphql: %v", err)
	}
	return r
}

// MustPost sends a GraphQL request anonymously and decodes the response.
func (in *instance) MustPost(tb testing.TB, query string, vars map[string]any) gqlResponse {
	tb.Helper()
	return in.Anonymous().MustPost(tb, query, vars)
}

// MustPost sends a GraphQL request as c and decodes the response.
func (c *client) MustPost(tb testing.TB, query string, vars map[string]any) gqlResponse {
	tb.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, c.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("POST /graphql: %v", err)
	}
	defer resp.Body.Close()
	return mustDecode(tb, resp)
}

// MustData sends a request as c that must succeed and decodes its data
// into out.
func (c *client) MustData(tb testing.TB, query string, vars map[string]any, out any) {
	tb.Helper()
	r := c.MustPost(tb, query, vars)
	if len(r.Errors) > 0 || r.Status != http.StatusOK {
		tb.Fatalf("request failed (%d): %+v", r.Status, r.Errors)
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		tb.Fatalf("decode data: %v\n%s", err, r.Data)
	}
}

// session is what login and register return, as the helpers read it.
type session struct {
	AccessToken, RefreshToken string
	User                      struct{ ID, Email, Role string }
}

const sessionFields = `{ accessToken refreshToken user { id email role } }`

// MustLogin signs in and returns a client with the account's token.
func (in *instance) MustLogin(tb testing.TB, email, password string) (*client, session) {
	tb.Helper()
	var out struct{ Login session }
	in.Anonymous().MustData(tb, `mutation($e: String!, $p: String!) { login(email: $e, password: $p) `+sessionFields+` }`,
		map[string]any{"e": email, "p": password}, &out)
	return &client{URL: in.URL, Token: out.Login.AccessToken, ID: out.Login.User.ID}, out.Login
}

// MustAdmin is a client signed in as the instance's ADMIN_EMAIL (once).
func (in *instance) MustAdmin(tb testing.TB) *client {
	tb.Helper()
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.admin == nil {
		if in.adminEmail == "" {
			tb.Fatal("the instance was started without ADMIN_EMAIL")
		}
		c, s := in.MustLogin(tb, in.adminEmail, in.adminPassword)
		if s.User.Role != "admin" {
			tb.Fatalf("%s signed in as %q, not admin", in.adminEmail, s.User.Role)
		}
		in.admin = c
	}
	return in.admin
}

// MustCustomer registers a new customer and returns a client with its
// token; its id is the customerId of its orders.
func (in *instance) MustCustomer(tb testing.TB) (*client, session) {
	tb.Helper()
	email := testenv.RandomName("customer-") + "@shop.test"
	var out struct{ Register session }
	in.Anonymous().MustData(tb, `mutation($in: RegisterInput!) { register(input: $in) `+sessionFields+` }`,
		map[string]any{"in": map[string]any{"email": email, "password": testCustomerPassword, "name": "Test Customer"}}, &out)
	if out.Register.User.Role != "customer" || out.Register.User.Email != email {
		tb.Fatalf("registered %+v", out.Register.User)
	}
	return &client{URL: in.URL, Token: out.Register.AccessToken, ID: out.Register.User.ID}, out.Register
}

const testCustomerPassword = "cust0mer-Pa55word"

func mustDecode(tb testing.TB, resp *http.Response) gqlResponse {
	tb.Helper()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("read response: %v", err)
	}
	out := gqlResponse{Status: resp.StatusCode, Header: resp.Header}
	if err := json.Unmarshal(raw, &out); err != nil {
		tb.Fatalf("response %d is not JSON: %v\n%s", resp.StatusCode, err, raw)
	}
	return out
}

// MustData sends an anonymous request that must succeed and decodes its
// data into out.
func (in *instance) MustData(tb testing.TB, query string, vars map[string]any, out any) {
	tb.Helper()
	in.Anonymous().MustData(tb, query, vars, out)
}

// MustCreateProduct creates a product, as the admin, and returns its id.
func (in *instance) MustCreateProduct(tb testing.TB, price float64, stock int) string {
	tb.Helper()
	var out struct{ CreateProduct struct{ ProductID string } }
	in.MustAdmin(tb).MustData(tb, `mutation($p: Float!, $s: Int!) { createProduct(input: {price: $p, stockCount: $s}) { productId } }`,
		map[string]any{"p": price, "s": stock}, &out)
	return out.CreateProduct.ProductID
}

// MustStock reads a product's stockCount through the API.
func (in *instance) MustStock(tb testing.TB, id string) int {
	tb.Helper()
	var out struct{ GetProductsById *struct{ StockCount int } }
	in.MustData(tb, `query($id: String!) { getProductsById(id: $id) { stockCount } }`, map[string]any{"id": id}, &out)
	if out.GetProductsById == nil {
		tb.Fatalf("product %s not found", id)
	}
	return out.GetProductsById.StockCount
}

func isJSONEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}

// substitute replaces the placeholders of ids in s, longest first, so that
// $A does not eat the start of $A_EMAIL.
func substitute(s string, ids map[string]string) string {
	keys := make([]string, 0, len(ids))
	for k := range ids {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	for _, k := range keys {
		s = strings.ReplaceAll(s, k, ids[k])
	}
	return s
}

// MustHammer releases n one-unit orders for product id at once, by the
// customer whose access token is token, spread over the servers at urls,
// and fails unless exactly want of them succeed and every other one is
// refused with INSUFFICIENT_STOCK.
func MustHammer(tb testing.TB, urls []string, token, id string, n, want int) {
	tb.Helper()
	body, _ := json.Marshal(map[string]any{
		"query":     `mutation($id: String!) { createOrder(input: {items: [{productId: $id, quantity: 1}]}) { orderId totalAmount } }`,
		"variables": map[string]any{"id": id},
	})
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n}}
	defer hc.CloseIdleConnections()
	start := make(chan struct{})
	outcomes := make(chan string, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(url string) {
			defer wg.Done()
			<-start
			req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := hc.Do(req)
			if err != nil {
				outcomes <- "transport: " + err.Error()
				return
			}
			defer resp.Body.Close()
			var r gqlResponse
			if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
				outcomes <- "decode: " + err.Error()
				return
			}
			if len(r.Errors) == 0 {
				outcomes <- "ok"
			} else {
				outcomes <- r.Code()
			}
		}(urls[i%len(urls)])
	}
	close(start)
	wg.Wait()
	close(outcomes)
	count := map[string]int{}
	for o := range outcomes {
		count[o]++
	}
	if count["ok"] != want || count["INSUFFICIENT_STOCK"] != n-want || len(count) != 2 {
		tb.Fatalf("outcomes %v; want %d ok and %d INSUFFICIENT_STOCK", count, want, n-want)
	}
}
