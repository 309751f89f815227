package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"shop/auth"
	"shop/cache"
	shopcatalog "shop/catalog"
	"shop/config"
	"shop/internal/hostile"
	"shop/models"
	"shop/ordering"
	"shop/payments"
	"shop/payments/local"
	"shop/reports"
	"shop/resolvers"
	"shop/schema"
	"shop/server"
	"shop/store"
)

// testServer is the real HTTP handler (routing, middleware, the GraphQL
// endpoint with the default limits) on the real schema, resolvers and
// accounts, over the in-process cache and a SQLite file in a temporary
// folder holding a few products, an order and an admin.
type testServer struct {
	http.Handler
	adminToken string // an admin's access token, for what only admins may run
	store      *store.Store
}

// MustHandler starts a testServer; env overrides configuration variables.
func MustHandler(tb testing.TB, env ...string) *testServer {
	tb.Helper()
	vars := map[string]string{"REQUEST_TIMEOUT": "5s"}
	for i := 0; i+1 < len(env); i += 2 {
		vars[env[i]] = env[i+1]
	}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)
	backend := cache.NewMemory(cfg.CacheMaxItems, cfg.CacheMaxBytes, cfg.CacheTTL)
	inv := cache.NewInvalidator(backend, cfg.CacheTTL, logger)
	st, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(tb.TempDir(), "shop.db"), MaxOpenConns: 4, MaxIdleConns: 4, Sink: inv})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	var ids []string
	for i := 0; i < 3; i++ {
		p, err := st.CreateProduct(ctx, models.NewProduct{Price: models.Money(100 * (i + 1)), StockCount: 1000})
		if err != nil {
			tb.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	if _, err := st.CreateOrder(ctx, models.OrderRequest{CustomerID: "customer-42", Lines: []models.OrderLine{{ProductID: ids[0], Quantity: 2}}}); err != nil {
		tb.Fatal(err)
	}
	catalog := cache.NewCatalog(st, inv)
	tb.Cleanup(func() { _ = catalog.Close() })
	accounts, err := auth.New(auth.Options{Store: st, SecretKey: []byte(strings.Repeat("k", 32)), BcryptCost: 4, Logger: logger})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := accounts.SaveAdmin(ctx, "admin@example.com", "fuzz-admin-password"); err != nil {
		tb.Fatal(err)
	}
	session, err := accounts.Login(ctx, "admin@example.com", "fuzz-admin-password", "")
	if err != nil {
		tb.Fatal(err)
	}
	pay := payments.New(payments.Options{Reader: catalog, Writer: st, Provider: local.New(""), Currency: cfg.ShopCurrency, Logger: logger})
	res := resolvers.New(resolvers.Services{
		Catalog:  shopcatalog.New(catalog, st, cfg.MaxPageSize),
		Ordering: ordering.New(ordering.Options{Reader: catalog, Writer: st, Status: pay, MaxPageSize: cfg.MaxPageSize}),
		Reports:  reports.New(catalog),
		Accounts: accounts,
		Payments: pay,
	}, logger)
	sch, err := schema.New(res, logger)
	if err != nil {
		tb.Fatal(err)
	}
	h := server.New(server.Options{
		Schema: sch, Prepare: res.WithLoaders, Database: st, Cache: backend, Logger: logger,
		MaxBodyBytes: cfg.MaxBodyBytes, RequestTimeout: cfg.RequestTimeout,
		Queries: cache.NewQueries(backend, time.Hour, logger), Responses: catalog,
		Authenticate: accounts.Verify,
		Limits:       cfg.DocumentLimits(), Costs: schema.Costs(cfg.MaxPageSize),
		DisableIntrospection: !cfg.GraphQLIntrospection, DocumentCacheBytes: cfg.DocumentCacheBytes,
		MaxResponseBytes: cfg.MaxResponseBytes, AdminMaxResponseBytes: cfg.MaxResponseBytesAdmin,
	})
	return &testServer{Handler: h, adminToken: session.AccessToken, store: st}
}

type response struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// Code is the first error's code, or "".
func (r response) Code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// contentTypes are what the fuzzer may send a body as.
var contentTypes = []string{"application/json", "application/graphql", "", "application/json; charset=utf-8", "text/plain"}

// request builds the HTTP request the fuzzer's inputs describe: mode's low
// three bits pick the content type, bit 3 sends query as the raw body
// instead of a JSON request built from query, variables and operationName,
// and bit 4 sends an admin's token with it.
func (s *testServer) request(mode uint8, query, variables, opName string) *http.Request {
	ct := contentTypes[int(mode&7)%len(contentTypes)]
	body := []byte(query)
	if mode/8%2 == 0 && ct != "application/graphql" {
		m := map[string]any{"query": query}
		if opName != "" {
			m["operationName"] = opName
		}
		if variables != "" {
			m["variables"] = json.RawMessage(variables)
			if !json.Valid([]byte(variables)) {
				m["variables"] = variables
			}
		}
		body, _ = json.Marshal(m)
	}
	r := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	if mode/16%2 == 1 {
		r.Header.Set("Authorization", "Bearer "+s.adminToken)
	}
	return r
}

// MustServe sends r to h and checks what every answer must be: no 5xx but
// the timeout's 503, a JSON object, and a code on every error.
func MustServe(tb testing.TB, h http.Handler, r *http.Request) response {
	tb.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	raw, _ := io.ReadAll(rec.Body)
	out := response{Status: rec.Code}
	if err := json.Unmarshal(raw, &out); err != nil {
		tb.Fatalf("status %d, body is not a JSON object: %v\n%.500s", rec.Code, err, raw)
	}
	if rec.Code >= 500 && (rec.Code != http.StatusServiceUnavailable || out.Code() != "TIMEOUT") {
		tb.Fatalf("status %d: %.1000s", rec.Code, raw)
	}
	if rec.Code != http.StatusOK && len(out.Errors) == 0 {
		tb.Fatalf("status %d without errors: %.500s", rec.Code, raw)
	}
	for _, e := range out.Errors {
		if c, _ := e.Extensions["code"].(string); c == "" {
			tb.Fatalf("an error without extensions.code: %.500s", raw)
		}
	}
	return out
}

// FuzzRequest drives the whole request path (HTTP body, decoding, scan,
// parse, checks, validation, execution against SQLite) with arbitrary
// requests. Its seed corpus, in testdata/fuzz/FuzzRequest, holds hostile
// documents and every input the fuzzer found failing; plain `go test`
// replays it.
func FuzzRequest(f *testing.F) {
	h := MustHandler(f)
	f.Add(uint8(0), `{ getProducts(limit: 2) { productId price stockCount lastUpdated } }`, "", "")
	f.Add(uint8(0), `query($n: Int) { getOrders(limit: $n) { orderId items { productId product { price } } } }`, `{"n": 5}`, "")
	f.Add(uint8(0), `mutation($in: CreateOrderInput!) { createOrder(input: $in) { orderId } }`, `{"in":{"customerId":"c","items":[{"productId":"x","quantity":1}]}}`, "")
	f.Add(uint8(1), `query A { orders(first: 3, customerId: "c\u0000") { edges { node { orderId } } } } query B { __typename }`, "", "A")
	f.Add(uint8(0), `fragment A on Query { ...A } { ...A }`, "", "")
	f.Add(uint8(0), `{ getProducts(limit: `+strings.Repeat("[", 700_000), "", "")
	f.Add(uint8(0), hostile.FragmentsSideBySide(4000), "", "")
	f.Add(uint8(0), "{ "+strings.Repeat("__typename ", 40_000)+"}", "", "")
	f.Fuzz(func(t *testing.T, mode uint8, query, variables, opName string) {
		start := time.Now()
		MustServe(t, h, h.request(mode, query, variables, opName))
		// The handler answers by the request's deadline (5 s here) however
		// long graphql-go takes; a request slower than twice that has work
		// outside the deadline that the limits do not bound. (The race
		// detector on a busy machine makes the largest seeds take seconds.)
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("took %v", d)
		}
	})
}
