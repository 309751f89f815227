package server_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/graphql-go/graphql/language/location"
)

// MustPost sends a JSON request built from body (marshalled) to h.
func MustPost(tb testing.TB, h http.Handler, body any) response {
	tb.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		tb.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(string(raw)))
	r.Header.Set("Content-Type", "application/json")
	return MustServe(tb, h, r)
}

// MustMetric reads one series of h's /metrics.
func MustMetric(tb testing.TB, h http.Handler, series string) float64 {
	tb.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		if name, value, ok := strings.Cut(sc.Text(), " "); ok && name == series {
			v, err := strconv.ParseFloat(value, 64)
			if err != nil {
				tb.Fatal(err)
			}
			return v
		}
	}
	tb.Fatalf("no series %s", series)
	return 0
}

func TestIntrospectionSwitch(t *testing.T) {
	t.Parallel()
	on := MustHandler(t)
	off := MustHandler(t, "GRAPHQL_INTROSPECTION", "false")
	tests := []struct {
		doc     string
		refused bool // when introspection is off
	}{
		{`{ __schema { queryType { name } } }`, true},
		{`{ __type(name: "Product") { name } }`, true},
		{`{ ...F } fragment F on Query { ... on Query { __schema { types { name } } } }`, true},
		{`{ __typename getProducts(limit: 1) { __typename } }`, false},
	}
	for _, tt := range tests {
		if r := MustPost(t, on, map[string]any{"query": tt.doc}); r.Status != 200 || len(r.Errors) > 0 {
			t.Errorf("introspection on, %s: %d %+v", tt.doc, r.Status, r.Errors)
		}
		r := MustPost(t, off, map[string]any{"query": tt.doc})
		if tt.refused && (r.Status != 400 || r.Code() != "INTROSPECTION_DISABLED") {
			t.Errorf("introspection off, %s: %d %q, want 400 INTROSPECTION_DISABLED", tt.doc, r.Status, r.Code())
		}
		if !tt.refused && (r.Status != 200 || len(r.Errors) > 0) {
			t.Errorf("introspection off, %s: %d %+v", tt.doc, r.Status, r.Errors)
		}
	}
	// Only the operation that introspects is refused.
	doc := `query Plain { __typename } query Look { __schema { queryType { name } } }`
	if r := MustPost(t, off, map[string]any{"query": doc, "operationName": "Plain"}); r.Status != 200 {
		t.Errorf("Plain: %d %+v", r.Status, r.Errors)
	}
	if r := MustPost(t, off, map[string]any{"query": doc, "operationName": "Look"}); r.Code() != "INTROSPECTION_DISABLED" {
		t.Errorf("Look: %d %+v", r.Status, r.Errors)
	}
}

// TestCostPerRequest: one cached document costs what its variables make
// it cost, request by request.
func TestCostPerRequest(t *testing.T) {
	t.Parallel()
	h := MustHandler(t, "GRAPHQL_MAX_COST", "1000")
	doc := `query($n: Int) { getProducts(limit: $n) { productId price } }`
	if r := MustPost(t, h, map[string]any{"query": doc, "variables": map[string]any{"n": 5}}); r.Status != 200 || len(r.Errors) > 0 {
		t.Fatalf("limit 5: %d %+v", r.Status, r.Errors)
	}
	r := MustPost(t, h, map[string]any{"query": doc, "variables": map[string]any{"n": 1000}})
	if r.Status != 400 || r.Code() != "QUERY_TOO_COMPLEX" || !strings.Contains(r.Errors[0].Message, "costs 2,001") || !strings.Contains(r.Errors[0].Message, "the maximum is 1,000") {
		t.Fatalf("limit 1000: %d %+v", r.Status, r.Errors)
	}
	// Left out, the limit is the largest page.
	if r := MustPost(t, h, map[string]any{"query": doc}); r.Code() != "QUERY_TOO_COMPLEX" {
		t.Fatalf("no limit: %d %+v", r.Status, r.Errors)
	}
	if n := MustMetric(t, h, "shop_graphql_document_cache_entries"); n != 1 {
		t.Fatalf("%v documents cached, want the one", n)
	}
}

// TestErrorsLocateTheClientsText: graphql-go locates errors without the
// source (docguard.Parse); the handler turns offsets into the client's lines
// and columns, through line breaks docguard inserted on long lines.
func TestErrorsLocateTheClientsText(t *testing.T) {
	t.Parallel()
	h := MustHandler(t)
	long := `"` + strings.Repeat("x", 3000) + `"`
	tests := []struct {
		doc  string
		code string
		want location.SourceLocation
	}{
		{"{\n  getProducts {\n    prise\n  }\n}", "GRAPHQL_VALIDATION_FAILED", location.SourceLocation{Line: 3, Column: 5}},
		{"# a comment\r\n{ a: getProductsById(id: \"x\") { price } }", "BAD_USER_INPUT", location.SourceLocation{Line: 2, Column: 3}},
		// No blanks: docguard inserts line breaks before the tokens after
		// the long string, which must not show in the location.
		{"{__type(name:" + long + "){name}a:getProductsById(id:\"x\"){price}}", "BAD_USER_INPUT", location.SourceLocation{Line: 1, Column: 1}},
		{"{\n  getProducts {\n    price\n  }", "GRAPHQL_PARSE_FAILED", location.SourceLocation{Line: 4, Column: 4}},
	}
	tests[2].want.Column = strings.Index(tests[2].doc, "a:getProducts") + 1
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		body, _ := json.Marshal(map[string]any{"query": tt.doc})
		r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(string(body)))
		r.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, r)
		var out struct {
			Errors []struct {
				Locations  []location.SourceLocation `json:"locations"`
				Extensions map[string]any            `json:"extensions"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || len(out.Errors) == 0 {
			t.Fatalf("%q: %v %s", tt.doc, err, rec.Body)
		}
		e := out.Errors[0]
		if e.Extensions["code"] != tt.code || len(e.Locations) == 0 || e.Locations[0] != tt.want {
			t.Errorf("%.40q: code %v at %+v, want %s at %+v", tt.doc, e.Extensions["code"], e.Locations, tt.code, tt.want)
		}
	}
}

// TestDocumentCacheHoldsOnlyGoodDocumentsWithinItsBytes: refused documents
// are never kept, and kept ones stay within DOCUMENT_CACHE_BYTES.
func TestDocumentCacheHoldsOnlyGoodDocumentsWithinItsBytes(t *testing.T) {
	t.Parallel()
	h := MustHandler(t, "DOCUMENT_CACHE_BYTES", "1048576")
	for i := 0; i < 30; i++ {
		r := MustPost(t, h, map[string]any{"query": fmt.Sprintf(`{ nope%d getProductsById(id: "%s") { price } }`, i, strings.Repeat("x", 40_000))})
		if r.Code() != "GRAPHQL_VALIDATION_FAILED" {
			t.Fatalf("refused document %d: %d %+v", i, r.Status, r.Errors)
		}
	}
	if n := MustMetric(t, h, "shop_graphql_document_cache_entries"); n != 0 {
		t.Fatalf("%v refused documents kept", n)
	}
	for i := 0; i < 30; i++ {
		r := MustPost(t, h, map[string]any{"query": fmt.Sprintf(`{ a%d: __typename getProductsById(id: "%s") { price } }`, i, strings.Repeat("x", 40_000))})
		if r.Status != 200 {
			t.Fatalf("document %d: %d %+v", i, r.Status, r.Errors)
		}
	}
	n, bytes := MustMetric(t, h, "shop_graphql_document_cache_entries"), MustMetric(t, h, "shop_graphql_document_cache_bytes")
	if n < 1 || n >= 30 || bytes > 1<<20 {
		t.Fatalf("%v documents, %v bytes cached; want fewer than 30 within 1 MiB", n, bytes)
	}
}

// TestRefusedPersistedQueryIsNotShared: a document that fails its checks
// is not registered under its hash.
func TestRefusedPersistedQueryIsNotShared(t *testing.T) {
	t.Parallel()
	h := MustHandler(t)
	for _, q := range []string{"{ nope }", "{ __typename }"} {
		sum := hashOf(q)
		ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": sum}}
		MustPost(t, h, map[string]any{"query": q, "extensions": ext})
		r := MustPost(t, h, map[string]any{"extensions": ext})
		if q == "{ nope }" && r.Code() != "PERSISTED_QUERY_NOT_FOUND" {
			t.Errorf("refused %s: %d %+v", q, r.Status, r.Errors)
		}
		if q == "{ __typename }" && (r.Status != 200 || len(r.Errors) > 0) {
			t.Errorf("accepted %s: %d %+v", q, r.Status, r.Errors)
		}
	}
	r := MustPost(t, h, map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": strings.Repeat("zz", 100000)}}})
	if r.Status != 400 || r.Code() != "BAD_REQUEST" || len(r.Errors[0].Message) > 200 {
		t.Errorf("a bad hash: %d %+v", r.Status, r.Errors)
	}
}

func hashOf(q string) string {
	sum := sha256.Sum256([]byte(q))
	return hex.EncodeToString(sum[:])
}

// Invalid UTF-8 in a body or a query string is refused as a whole:
// encoding/json would quietly turn it into U+FFFD, making different bytes
// (two passwords, say) the same text.
func TestInvalidUTF8IsRefused(t *testing.T) {
	t.Parallel()
	h := MustHandler(t)
	for _, tt := range []struct{ method, target, contentType, body string }{
		{"POST", "/graphql", "application/json", "{\"query\":\"{ me { id } }\",\"variables\":{\"p\":\"pass\xffword\"}}"},
		{"POST", "/graphql", "application/graphql", "{ getProductsById(id: \"\xfe\") { productId } }"},
		{"GET", "/graphql?query=%7Bme%7Bid%7D%7D&variables=%7B%22p%22%3A%22%FF%22%7D", "", ""},
	} {
		r := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
		if tt.contentType != "" {
			r.Header.Set("Content-Type", tt.contentType)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "UTF-8") || !strings.Contains(w.Body.String(), `"BAD_REQUEST"`) {
			t.Errorf("%s %s: %d %s", tt.method, tt.target, w.Code, w.Body)
		}
	}
}

// Odd methods and empty documents get the same GraphQL-shaped answers as
// everything else: a code and a message that says what is wrong.
func TestOddMethodsAndEmptyDocuments(t *testing.T) {
	t.Parallel()
	h := MustHandler(t)
	for _, tt := range []struct {
		method, target, contentType, body string
		status                            int
		code, message                     string
	}{
		{"FOO", "/graphql", "", "", http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "FOO"},
		{"PROPFIND", "/health", "", "", http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "PROPFIND"},
		{"POST", "/graphql", "application/json", `{"query":"#only a comment"}`, http.StatusBadRequest, "BAD_USER_INPUT", "no operation"},
		{"POST", "/graphql", "application/json", `{"query":",,,"}`, http.StatusBadRequest, "BAD_USER_INPUT", "no operation"},
		{"POST", "/graphql", "application/json; charset=utf-16", `{"query":"{ __typename }"}`, http.StatusUnsupportedMediaType, "BAD_REQUEST", "UTF-8"},
		{"POST", "/graphql", "application/json; charset=UTF-8", `{"query":"{ __typename }"}`, http.StatusOK, "", "Query"},
	} {
		r := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
		if tt.contentType != "" {
			r.Header.Set("Content-Type", tt.contentType)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.status || (tt.code != "" && !strings.Contains(w.Body.String(), `"`+tt.code+`"`)) || !strings.Contains(w.Body.String(), tt.message) {
			t.Errorf("%s %s %s %s: %d %s", tt.method, tt.target, tt.contentType, tt.body, w.Code, w.Body)
		}
	}
}

// TestOperationsByTheirRootFields: an operation's metrics label, and
// whether shared caches may keep its answer, come from its root fields,
// fragments and inline fragments at the root expanded.
func TestOperationsByTheirRootFields(t *testing.T) {
	t.Parallel()
	h := MustHandler(t)
	tests := []struct {
		doc, op, label, cacheControl string
	}{
		{`{ ...P } fragment P on Query { getProducts(limit: 1) { price } }`, "", "getProducts", ""},
		{`{ ... on Query { getProductsById(id: "x") { price } __typename } }`, "", "getProductsById", ""},
		{`query A { __typename } query B { ...P getOrders(limit: 1) { orderId } } fragment P on Query { getProducts(limit: 1) { price } }`, "B", "getOrders,getProducts", "private, no-store"},
		{`{ __typename }`, "", "introspection", ""},
	}
	for _, tt := range tests {
		body, _ := json.Marshal(map[string]any{"query": tt.doc, "operationName": tt.op})
		r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(string(body)))
		r.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if got := rec.Header().Get("Cache-Control"); got != tt.cacheControl {
			t.Errorf("%s: Cache-Control %q, want %q", tt.doc, got, tt.cacheControl)
		}
		if n := MustMetric(t, h, `shop_graphql_request_duration_seconds_count{operation="`+tt.label+`"}`); n != 1 {
			t.Errorf("%s: %v requests labelled %q, want 1", tt.doc, n, tt.label)
		}
	}
}

// TestVariablesOfTheChosenOperation: variables are checked strictly, by
// the types the chosen operation gives them.
func TestVariablesOfTheChosenOperation(t *testing.T) {
	t.Parallel()
	h := MustHandler(t)
	doc := `query A { __typename } query B($n: Int) { getProducts(limit: $n) { price } }`
	vars := map[string]any{"n": 1.5}
	r := MustPost(t, h, map[string]any{"query": doc, "operationName": "B", "variables": vars})
	const want = "Invalid variable: $n must be a whole number from -2147483648 to 2147483647, got 1.5."
	if r.Status != 400 || r.Code() != "BAD_USER_INPUT" || len(r.Errors) != 1 || r.Errors[0].Message != want {
		t.Fatalf("B: %d %+v, want 400 %q", r.Status, r.Errors, want)
	}
	if r := MustPost(t, h, map[string]any{"query": doc, "operationName": "A", "variables": vars}); r.Status != 200 || len(r.Errors) > 0 {
		t.Fatalf("A, which has no $n: %d %+v", r.Status, r.Errors)
	}
}

// TestNullArgumentsAreLeftOut: a null argument means "left out", even when
// it is the only one, so its parentheses go too (graphql-go refuses `()`).
func TestNullArgumentsAreLeftOut(t *testing.T) {
	t.Parallel()
	h := MustHandler(t)
	for _, doc := range []string{
		`{ getProducts(limit: null) { productId } }`,
		`{ getProducts(limit: null) @include(if: true) { productId } }`,
		`query($n: Int = null) { getProducts(limit: $n) { productId } }`,
	} {
		r := MustPost(t, h, map[string]any{"query": doc})
		var out struct {
			GetProducts []struct{ ProductID string } `json:"getProducts"`
		}
		if r.Status != 200 || len(r.Errors) > 0 || json.Unmarshal(r.Data, &out) != nil || len(out.GetProducts) != 3 {
			t.Errorf("%s: %d %+v %s, want the 3 products", doc, r.Status, r.Errors, r.Data)
		}
	}
}

// TestNestedLiteralsAreRefusedByDocguard: issue 17's hostile document 1
// (11 KB, 65 aliases of `products(first: {a:{a:…}})`, 33 levels) took 1.6 s
// of graphql-go's validation per request; docguard refuses it first,
// naming the depth and the limit. A literal of the wrong type is refused
// by docguard too, without quoting it (graphql-go would print it, which is
// what cost the time).
func TestNestedLiteralsAreRefusedByDocguard(t *testing.T) {
	t.Parallel()
	h := MustHandler(t)
	_, doc, _, _ := MustSeed(t, "hostile-object-literals-65-deep-33")
	if len(doc) < 10_000 || len(doc) > 12_000 {
		t.Fatalf("the document is %d bytes, not the report's 11 KB", len(doc))
	}
	r := MustPost(t, h, map[string]any{"query": doc})
	want := "Lists and input objects nest 33 levels deep in an argument or a variable; the maximum is 8."
	if r.Status != 400 || r.Code() != "QUERY_TOO_DEEP" || len(r.Errors) != 1 || r.Errors[0].Message != want {
		t.Fatalf("%d %q %+v, want 400 QUERY_TOO_DEEP %q", r.Status, r.Code(), r.Errors, want)
	}
	r = MustPost(t, h, map[string]any{"query": `{ products(first: {a: {a: 1}}) { edges { cursor } } }`})
	if r.Status != 400 || r.Code() != "GRAPHQL_VALIDATION_FAILED" || len(r.Errors) != 1 ||
		!strings.Contains(r.Errors[0].Message, `Argument "first" of Query.products has an invalid value`) || strings.Contains(r.Errors[0].Message, "{a") {
		t.Fatalf("%d %q %+v", r.Status, r.Code(), r.Errors)
	}
}
