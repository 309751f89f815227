package docguard

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"

	"shop/errcode"
	"shop/internal/hostile"
)

// testSchema has the shape of shop's: paged lists of products and orders,
// orders with up to 100 items.
func testSchema(t testing.TB) Schema {
	t.Helper()
	product := graphql.NewObject(graphql.ObjectConfig{Name: "Product", Fields: graphql.Fields{
		"productId": {Type: graphql.String}, "price": {Type: graphql.Float}, "description": {Type: graphql.String},
	}})
	item := graphql.NewObject(graphql.ObjectConfig{Name: "OrderItem", Fields: graphql.Fields{
		"productId": {Type: graphql.String}, "product": {Type: product},
	}})
	order := graphql.NewObject(graphql.ObjectConfig{Name: "Order", Fields: graphql.Fields{
		"orderId": {Type: graphql.String}, "items": {Type: graphql.NewList(item)},
	}})
	edge := graphql.NewObject(graphql.ObjectConfig{Name: "ProductEdge", Fields: graphql.Fields{"node": {Type: product}}})
	conn := graphql.NewObject(graphql.ObjectConfig{Name: "ProductConnection", Fields: graphql.Fields{"edges": {Type: graphql.NewList(edge)}}})
	page := graphql.FieldConfigArgument{"limit": {Type: graphql.Int}}
	query := graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
		"getProducts":     {Type: graphql.NewList(product), Args: page},
		"getOrders":       {Type: graphql.NewList(order), Args: page},
		"getProductsById": {Type: product, Args: graphql.FieldConfigArgument{"id": {Type: graphql.String}}},
		"products": {Type: conn, Args: graphql.FieldConfigArgument{"first": {Type: graphql.Int}, "after": {Type: graphql.String},
			"filter": {Type: graphql.String}}},
	}})
	status := graphql.NewEnum(graphql.EnumConfig{Name: "Status", Values: graphql.EnumValueConfigMap{"PENDING": {}, "PAID": {}}})
	line := graphql.NewInputObject(graphql.InputObjectConfig{Name: "LineInput", Fields: graphql.InputObjectConfigFieldMap{
		"productId": {Type: graphql.NewNonNull(graphql.String)}, "quantity": {Type: graphql.NewNonNull(graphql.Int)},
	}})
	orderInput := graphql.NewInputObject(graphql.InputObjectConfig{Name: "OrderInput", Fields: graphql.InputObjectConfigFieldMap{
		"customerId": {Type: graphql.NewNonNull(graphql.String)}, "items": {Type: graphql.NewList(graphql.NewNonNull(line))},
		"status": {Type: status}, "rush": {Type: graphql.Boolean}, "tip": {Type: graphql.Float},
	}})
	mutation := graphql.NewObject(graphql.ObjectConfig{Name: "Mutation", Fields: graphql.Fields{
		"deleteProduct": {Type: graphql.Boolean},
		"createOrder":   {Type: order, Args: graphql.FieldConfigArgument{"input": {Type: graphql.NewNonNull(orderInput)}}},
	}})
	s, err := graphql.NewSchema(graphql.SchemaConfig{Query: query, Mutation: mutation})
	if err != nil {
		t.Fatal(err)
	}
	return NewSchema(&s, Costs{
		Lists: map[string]List{
			"Query.getProducts": {Arg: "limit", Default: 1000, Max: 1000},
			"Query.getOrders":   {Arg: "limit", Default: 1000, Max: 1000},
			"Query.products":    {Arg: "first", Default: 20, Max: 100},
			"Order.items":       {Default: 100, Max: 100},
		},
		Weights:  map[string]int{"Product.description": TextWeight(10_000, 1)},
		Database: map[string]Database{"Query.getOrders": {Always: true}, "Query.products": {Args: []string{"filter", "after"}}},
	})
}

var analyzeLimits = Limits{MaxDepth: 25, MaxFields: 2000, MaxSetFields: 200, MaxAliases: 100, MaxDirectives: 50, MaxSpreads: 500}

func mustAnalyze(t *testing.T, doc string, lim Limits) (map[string]*Operation, *Error) {
	t.Helper()
	return Analyze(mustParse(t, doc), lim, testSchema(t))
}

func mustParse(t *testing.T, doc string) *ast.Document {
	t.Helper()
	src, err := Scan(doc, Limits{})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	d, err := Parse(src)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return d
}

func TestAnalyzeRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc string
		code      errcode.Code
		msg       string
	}{
		{"direct fragment cycle", `fragment A on Query { ...A } { ...A }`, errcode.GraphqlValidationFailed, `Cannot spread fragment "A" within itself.`},
		{"cycle through fragments", `{ ...A } fragment A on Query { ...B } fragment B on Query { ...C } fragment C on Query { ...A }`, errcode.GraphqlValidationFailed, `Cannot spread fragment "A" within itself via B, C.`},
		{"cycle through an inline fragment and a field", `{ ...A } fragment A on Query { ... on Query { getOrders { items { ...B } } } } fragment B on OrderItem { product { ...A } }`, errcode.GraphqlValidationFailed, `within itself via B.`},
		{"cycle in an unused fragment", `{ __typename } fragment A on Query { ...B } fragment B on Query { ...A }`, errcode.GraphqlValidationFailed, "within itself"},
		{"unused fragment", `{ __typename } fragment A on Query { __typename }`, errcode.GraphqlValidationFailed, `Fragment "A" is never used.`},
		{"two fragments of one name", `{ ...A } fragment A on Query { __typename } fragment A on Query { __typename }`, errcode.GraphqlValidationFailed, `There can be only one fragment named "A".`},
		{"type definitions", `{ a } type Foo { a: Int }`, errcode.GraphqlValidationFailed, "only operations and fragments"},
		{"4,000 fragments side by side", hostile.FragmentsSideBySide(4000), errcode.GraphqlValidationFailed, "fragments are spread 4,000 times"},
		{"fragments that double at each level", hostile.FragmentChain(64, 2), errcode.GraphqlValidationFailed, "Too many fragment spreads"},
		{"a fragment chain", hostile.FragmentChain(600, 1), errcode.GraphqlValidationFailed, "fragments are spread 600 times"},
		{"too deep through fragments", `{ getOrders { ...O } } fragment O on Order { items { product { ...P } } } fragment P on Product { ` +
			strings.Repeat("a { ", 23) + "b" + strings.Repeat(" }", 23) + " }", errcode.QueryTooDeep, "Fields nest 27 levels deep (fragments expanded); the maximum is 25."},
		{"too many fields", "{ ...F ...G } fragment F on Query { " + strings.Repeat("__typename ", 1500) + "} fragment G on Query { ...F }", errcode.TooManyFields, "selects 3,000 fields"},
		{"too many aliases", "{ " + strings.Repeat("a: getProducts { productId } ", 101) + "}", errcode.TooManyAliases, "uses 101 aliases"},
		{"aliases in fragments count each time", "{ ...F ...G } fragment F on Query { " + strings.Repeat("a: __typename ", 60) + "} fragment G on Query { ...F }", errcode.TooManyAliases, "uses 120 aliases"},
		{"too many directives", "{ getProducts @skip(if: false) { " + strings.Repeat("price @include(if: true) ", 50) + "} }", errcode.TooManyDirectives, "uses 51 directives"},
		{"an unknown type in a fragment", `{ ...F } fragment F on Nope { a }`, errcode.GraphqlValidationFailed, `Unknown type "Nope".`},
		{"an unknown long type in an inline fragment", "{ ... on " + strings.Repeat("X", 60000) + " { a } }", errcode.GraphqlValidationFailed, `Unknown type "XXXXXXXX`},
		{"an unknown type of a variable", `query($v: [Nope!]) { __typename }`, errcode.GraphqlValidationFailed, `Unknown type "Nope".`},
		{"a long unknown field", "{ getProducts { " + strings.Repeat("y", 60000) + " } }", errcode.GraphqlValidationFailed, `Cannot query field "yyyy`},
		{"40,000 __typename", "{ " + strings.Repeat("__typename ", 40000) + "}", errcode.TooManyFields, "selects 40,000 fields"},
		{"one name many times", "{ " + strings.Repeat("getProducts(limit: 1) { price } ", 201) + "}", errcode.SelectionSetTooLarge, "merges more than 200 fields"},
		{"same-named fields merge their selections", "{ " + strings.Repeat("a: getProducts { "+strings.Repeat("price ", 10)+"} ", 30) + "}", errcode.SelectionSetTooLarge, "merges more than 200 fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := mustAnalyze(t, tt.doc, analyzeLimits)
			if err == nil || err.Code != tt.code || !strings.Contains(err.Message, tt.msg) {
				t.Fatalf("Analyze = %+v, want %s containing %q", err, tt.code, tt.msg)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("took %v", d)
			}
		})
	}
}

func TestAnalyzeAccepts(t *testing.T) {
	t.Parallel()
	docs := []string{
		`{ getProducts(limit: 50) { productId price } }`,
		`query Q($id: String) { getProductsById(id: $id) { ...P } } fragment P on Product { productId price }`,
		`{ getOrders { ...O ...O } } fragment O on Order { orderId items { productId } }`,
		`{ products(first: 10) { edges { node { ... on Product { price } } } } }`,
		hostile.FragmentChain(8, 2), // 2^8 spreads
		"{ " + strings.Repeat("getProducts { price } ", 200) + "}",
		`query A { __typename } query B { getProducts { price } }`,
		// Short unknown names are left to graphql-go, whose message suggests
		// the names meant.
		`{ getProducts { prise } }`,
	}
	for _, doc := range docs {
		if _, err := mustAnalyze(t, doc, analyzeLimits); err != nil {
			t.Errorf("Analyze(%.60q) = %v", doc, err)
		}
	}
}

func TestAnalyzeIntrospection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		doc  string
		want bool
	}{
		{`{ __typename getProducts { __typename price } }`, false},
		{`{ __schema { types { name } } }`, true},
		{`{ __type(name: "Product") { name } }`, true},
		{`{ ...F } fragment F on Query { ... on Query { __schema { queryType { name } } } }`, true},
	}
	for _, tt := range tests {
		ops, err := mustAnalyze(t, tt.doc, analyzeLimits)
		if err != nil {
			t.Fatalf("Analyze(%q): %v", tt.doc, err)
		}
		if got := ops[""].Introspection; got != tt.want {
			t.Errorf("Introspection of %q = %v, want %v", tt.doc, got, tt.want)
		}
	}
	ops, err := mustAnalyze(t, `query Plain { __typename } query Look { __schema { types { name } } }`, analyzeLimits)
	if err != nil {
		t.Fatal(err)
	}
	if ops["Plain"].Introspection || !ops["Look"].Introspection {
		t.Fatalf("per operation: Plain %v, Look %v", ops["Plain"].Introspection, ops["Look"].Introspection)
	}
}

func TestCost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc string
		vars      map[string]any
		want      int
	}{
		{"leaves", `{ getProductsById(id: "x") { productId price } }`, nil, 3},
		{"a page multiplies its items", `{ getProducts(limit: 50) { productId price } }`, nil, 1 + 50*2},
		{"no limit is the largest page", `{ getProducts { productId price } }`, nil, 1 + 1000*2},
		{"limits past the maximum are clamped", `{ getProducts(limit: 5000) { price } }`, nil, 1 + 1000},
		{"a zero limit counts as one", `{ getProducts(limit: 0) { price } }`, nil, 1 + 1},
		{"issue 7's largest page", `{ getOrders(limit: 1000) { orderId items { productId product { productId price } } } }`, nil,
			1 + 1000*(1+1+100*(1+1+2))},
		{"a variable", `query($n: Int) { getProducts(limit: $n) { price } }`, map[string]any{"n": float64(10)}, 1 + 10},
		{"a variable left out takes its default", `query($n: Int = 7) { getProducts(limit: $n) { price } }`, nil, 1 + 7},
		{"a variable left out, without default, is the largest page", `query($n: Int) { getProducts(limit: $n) { price } }`, map[string]any{}, 1 + 1000},
		{"a variable that is not a number", `query($n: Int) { getProducts(limit: $n) { price } }`, map[string]any{"n": "ten"}, 1 + 1000},
		{"connections default to 20", `{ products { edges { node { price } } } }`, nil, 1 + 20*3},
		{"connections past 100 are clamped", `{ products(first: 500) { edges { node { price } } } }`, nil, 1 + 100*3},
		{"fragments are counted where they are spread", `{ a: getProducts(limit: 2) { ...P } b: getProducts(limit: 3) { ...P } } fragment P on Product { productId price }`, nil, 1 + 2*2 + 1 + 3*2},
		{"a variable inside a fragment", `query($n: Int) { ...Q } fragment Q on Query { getProducts(limit: $n) { price } }`, map[string]any{"n": float64(4)}, 1 + 4},
		// Issue 17: a text field costs what it can return.
		{"a text field weighs its maximum length", `{ getProductsById(id: "x") { description } }`, nil, 1 + 100},
		{"a page of descriptions", `{ products(first: 100) { edges { node { productId description } } } }`, nil, 1 + 100*(1+1+1+100)},
		{"weights inside fragments", `{ getProducts(limit: 10) { ...D } } fragment D on Product { description }`, nil, 1 + 10*100},
		{"aliases of big pages saturate rather than overflow", "{ " + strings.Repeat("o: getOrders { items { product { price } } } ", 90) + "}", nil, 90 * (1 + 1000*(1+100*(1+1)))},
	}
	for _, tt := range tests {
		ops, err := mustAnalyze(t, tt.doc, analyzeLimits)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := ops[""].Cost(tt.vars, 0); got != tt.want {
			t.Errorf("%s: cost %d, want %d", tt.name, got, tt.want)
		}
	}
	ops, _ := mustAnalyze(t, `query($n: Int) { getOrders(limit: $n) { items { product { price } } } }`, analyzeLimits)
	if err := ops[""].CheckCost(map[string]any{"n": float64(1000)}, 200_000); err == nil || !strings.Contains(err.Message, "a text field 1 per 100 characters") {
		t.Fatalf("the message does not say how text is counted: %v", err)
	}
	if err := ops[""].CheckCost(map[string]any{"n": float64(1000)}, 200_000); err == nil || err.Code != errcode.QueryTooComplex ||
		!strings.Contains(err.Message, "The operation costs 201,001 ") || !strings.Contains(err.Message, "the maximum is 200,000.") {
		t.Fatalf("CheckCost = %v", err)
	}
	if err := ops[""].CheckCost(map[string]any{"n": float64(100)}, 200_000); err != nil {
		t.Fatalf("CheckCost with a small page = %v", err)
	}
}

// Issue 17's attack: 100 aliases of a page of 100 descriptions (100 MB of
// 10,000-character descriptions) cost over a million, where counting
// fields gave 30,100, under GRAPHQL_MAX_COST's 350,000.
func TestTextWeightRefusesPagesOfDescriptions(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("{")
	for i := range 100 {
		fmt.Fprintf(&b, " a%d: products(first: 100) { edges { node { description } } }", i)
	}
	b.WriteString(" }")
	ops, err := mustAnalyze(t, b.String(), analyzeLimits)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ops[""].Cost(nil, 0), 100*(1+100*(1+1+100)); got != want {
		t.Fatalf("cost %d, want %d", got, want)
	}
	if err := ops[""].CheckCost(nil, 350_000); err == nil || err.Code != errcode.QueryTooComplex || !strings.Contains(err.Message, "1,020,100") {
		t.Fatalf("CheckCost = %v", err)
	}
}

func TestTextWeight(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ maxLen, n, want int }{
		{10_000, 1, 100}, {200, 1, 2}, {64, 1, 1}, {0, 1, 1}, {2048, 10, 210}, {101, 0, 2},
	} {
		if got := TextWeight(tt.maxLen, tt.n); got != tt.want {
			t.Errorf("TextWeight(%d, %d) = %d, want %d", tt.maxLen, tt.n, got, tt.want)
		}
	}
}

// Fields that reach the database are counted where they appear: each
// alias, each spread of a fragment, and a field only with the arguments
// that make it reach the database.
func TestDatabaseFields(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, doc string
		want      int
	}{
		{"none", `{ getProductsById(id: "x") { price } products { edges { node { price } } } }`, 0},
		{"always", `{ getOrders { orderId } }`, 1},
		{"by argument", `{ products(filter: "mug") { edges { node { price } } } }`, 1},
		{"a cursor", `query($c: String) { products(after: $c) { edges { node { price } } } }`, 1},
		{"only some arguments", `{ products(first: 5) { edges { node { price } } } }`, 0},
		{"aliases count apart", `{ a: products(filter: "a") { edges { node { price } } } b: products(filter: "b") { edges { node { price } } } c: getOrders { orderId } }`, 3},
		{"each spread of a fragment", `{ ...F ...G } fragment F on Query { getOrders { orderId } } fragment G on Query { x: getOrders { orderId } ...F }`, 3},
	} {
		ops, err := mustAnalyze(t, tt.doc, analyzeLimits)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := ops[""].DatabaseFields; got != tt.want {
			t.Errorf("%s: %d database fields, want %d", tt.name, got, tt.want)
		}
	}
	var b strings.Builder
	b.WriteString("{")
	for i := range 100 {
		fmt.Fprintf(&b, ` s%d: products(filter: "%d") { edges { node { price } } }`, i, i)
	}
	b.WriteString(" }")
	ops, err := mustAnalyze(t, b.String(), analyzeLimits)
	if err != nil {
		t.Fatal(err)
	}
	err = ops[""].CheckDatabaseFields(10)
	if err == nil || err.Code != errcode.TooManyDatabaseFields || !strings.Contains(err.Message, " 100 ") || !strings.Contains(err.Message, "the maximum is 10.") {
		t.Fatalf("CheckDatabaseFields = %v", err)
	}
	if err := ops[""].CheckDatabaseFields(100); err != nil {
		t.Fatalf("at the maximum: %v", err)
	}
	if err := ops[""].CheckDatabaseFields(0); err != nil {
		t.Fatalf("no limit: %v", err)
	}
}

// An operation may be kept as the least of its root fields allows; a field
// that declares nothing is never kept, nor is a mutation or introspection.
func TestOperationCache(t *testing.T) {
	t.Parallel()
	str := &graphql.Field{Type: graphql.String}
	gql, err := graphql.NewSchema(graphql.SchemaConfig{
		Query:    graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{"catalog": str, "mine": str, "me": str}}),
		Mutation: graphql.NewObject(graphql.ObjectConfig{Name: "Mutation", Fields: graphql.Fields{"catalog": str}}),
	})
	if err != nil {
		t.Fatal(err)
	}
	sch := NewSchema(&gql, Costs{Cache: map[string]Cache{"Query.catalog": CachePublic, "Query.mine": CachePerCustomer, "Mutation.catalog": CachePublic}})
	for doc, want := range map[string]Cache{
		`{ catalog }`:                                 CachePublic,
		`{ __typename catalog }`:                      CachePublic,
		`{ __typename }`:                              CachePublic,
		`{ catalog mine }`:                            CachePerCustomer,
		`{ ...F } fragment F on Query { mine }`:       CachePerCustomer,
		`{ catalog me }`:                              CacheNever,
		`{ catalog __schema { queryType { name } } }`: CacheNever,
		`mutation { catalog }`:                        CacheNever,
	} {
		src, err := Scan(doc, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		d, err := Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		ops, err := Analyze(d, Limits{}, sch)
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		if got := ops[""].Cache; got != want {
			t.Errorf("%s: cache %d, want %d", doc, got, want)
		}
	}
}
