package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

// contractCase is one request of the public contract and what it must give.
// In documents, variables and wantData, $P1… stand for seeded product ids.
type contractCase struct {
	name      string
	document  string
	variables string // JSON, may hold $P1…
	wantData  string // JSON; empty means not checked
	wantCode  string // extensions.code of the first error; empty means none
	wantMsg   string // a piece of the first error's message
}

const unknownID = "00000000-0000-4000-8000-000000000000"

var contractCases = []contractCase{
	{name: "getProducts lists the catalog oldest first",
		document: `{ getProducts(limit: 2) { productId price stockCount } }`,
		wantData: `{"getProducts":[{"productId":"$P1","price":0.1,"stockCount":1000},{"productId":"$P2","price":0.2,"stockCount":1000}]}`},
	{name: "getProducts with offset",
		document: `{ getProducts(limit: 1, offset: 2) { productId price } }`,
		wantData: `{"getProducts":[{"productId":"$P3","price":39.99}]}`},
	{name: "getProducts rejects a negative limit",
		document: `{ getProducts(limit: -1) { productId } }`, wantCode: "BAD_USER_INPUT", wantMsg: "limit"},
	{name: "getProductsById finds a product",
		document:  `query($id: String!) { getProductsById(id: $id) { productId price stockCount } }`,
		variables: `{"id":"$P4"}`,
		wantData:  `{"getProductsById":{"productId":"$P4","price":10.1,"stockCount":1000}}`},
	{name: "getProductsById is null for an unknown id",
		document: `{ getProductsById(id: "` + unknownID + `") { productId } }`,
		wantData: `{"getProductsById":null}`},
	{name: "getProductsById rejects a malformed id",
		document: `{ getProductsById(id: "42; DROP TABLE products") { productId } }`,
		wantCode: "BAD_USER_INPUT", wantMsg: "id must be a UUID"},

	{name: "createProduct",
		document: `mutation { createProduct(input: {price: 12.34, stockCount: 3}) { price stockCount } }`,
		wantData: `{"createProduct":{"price":12.34,"stockCount":3}}`},
	{name: "createProduct with an integer price",
		document: `mutation { createProduct(input: {price: 5, stockCount: 0}) { price stockCount } }`,
		wantData: `{"createProduct":{"price":5,"stockCount":0}}`},
	{name: "createProduct rejects a negative price",
		document: `mutation { createProduct(input: {price: -1, stockCount: 3}) { productId } }`,
		wantCode: "BAD_USER_INPUT", wantMsg: "price must not be negative"},
	{name: "createProduct rejects a third decimal place",
		document: `mutation { createProduct(input: {price: 1.999, stockCount: 3}) { productId } }`,
		wantCode: "BAD_USER_INPUT", wantMsg: "price has more than 2 decimal places"},
	{name: "createProduct rejects a price over the maximum",
		document: `mutation { createProduct(input: {price: 100000000.00, stockCount: 3}) { productId } }`,
		wantCode: "BAD_USER_INPUT", wantMsg: "price must be at most 99999999.99"},
	{name: "createProduct rejects negative stock",
		document: `mutation { createProduct(input: {price: 1, stockCount: -3}) { productId } }`,
		wantCode: "BAD_USER_INPUT", wantMsg: "stockCount must not be negative"},
	{name: "createProduct reports every bad field",
		document: `mutation { createProduct(input: {price: -1, stockCount: -3}) { productId } }`,
		wantCode: "BAD_USER_INPUT", wantMsg: "price must not be negative; stockCount must not be negative"},
	{name: "createProduct without stockCount",
		document: `mutation { createProduct(input: {price: 1}) { productId } }`,
		wantCode: "GRAPHQL_VALIDATION_FAILED", wantMsg: "stockCount"},
	{name: "createProduct with a fractional stockCount in variables",
		document:  `mutation($in: ProductInput!) { createProduct(input: $in) { productId } }`,
		variables: `{"in":{"price":1,"stockCount":1.5}}`,
		wantCode:  "BAD_USER_INPUT", wantMsg: "stockCount"},
	{name: "createProduct with a stockCount beyond Int in variables",
		document:  `mutation($in: ProductInput!) { createProduct(input: $in) { productId } }`,
		variables: `{"in":{"price":1,"stockCount":3000000000}}`,
		wantCode:  "BAD_USER_INPUT"},
	{name: "createProduct with a string price in variables",
		document:  `mutation($in: ProductInput!) { createProduct(input: $in) { productId } }`,
		variables: `{"in":{"price":"free","stockCount":1}}`,
		wantCode:  "BAD_USER_INPUT"},

	{name: "updateProduct changes only the price",
		document: `mutation { updateProduct(input: {productId: "$P5", price: 7.5}) { productId price stockCount } }`,
		wantData: `{"updateProduct":{"productId":"$P5","price":7.5,"stockCount":1000}}`},
	{name: "updateProduct changes only the stock; null price is unchanged",
		document: `mutation { updateProduct(input: {productId: "$P5", price: null, stockCount: 9}) { price stockCount } }`,
		wantData: `{"updateProduct":{"price":7.5,"stockCount":9}}`},
	{name: "updateProduct is null for an unknown id",
		document: `mutation { updateProduct(input: {productId: "` + unknownID + `", price: 1}) { productId } }`,
		wantData: `{"updateProduct":null}`},
	{name: "updateProduct rejects a malformed id",
		document: `mutation { updateProduct(input: {productId: "nope", price: 1}) { productId } }`,
		wantCode: "BAD_USER_INPUT", wantMsg: "productId must be a UUID"},
	{name: "updateProduct validates like createProduct",
		document: `mutation { updateProduct(input: {productId: "$P5", price: 0.001}) { productId } }`,
		wantCode: "BAD_USER_INPUT", wantMsg: "price"},

	{name: "deleteProduct is false for an unknown id",
		document: `mutation { deleteProduct(productId: "` + unknownID + `") }`,
		wantData: `{"deleteProduct":false}`},
	{name: "deleteProduct rejects a malformed id",
		document: `mutation { deleteProduct(productId: "") }`, wantCode: "BAD_USER_INPUT"},
	{name: "deleteProduct deletes",
		document: `mutation { deleteProduct(productId: "$P6") }`, wantData: `{"deleteProduct":true}`},
	{name: "a deleted product is gone",
		document: `{ getProductsById(id: "$P6") { productId } }`, wantData: `{"getProductsById":null}`},

	{name: "createOrder: 3 x 0.10 + 0.20 = 0.50 exactly",
		document: `mutation { createOrder(input: {customerId: "c1", items: [{productId: "$P1", quantity: 3}, {productId: "$P2", quantity: 1}]}) { customerId totalAmount status } }`,
		wantData: `{"createOrder":{"customerId":"c1","totalAmount":0.5,"status":"pending"}}`},
	{name: "createOrder: 2 x 39.99 + 10.10 = 90.08 exactly",
		document: `mutation { createOrder(input: {customerId: "c1", items: [{productId: "$P3", quantity: 2}, {productId: "$P4", quantity: 1}]}) { totalAmount items { productId quantity priceAtPurchase product { productId } } } }`,
		wantData: `{"createOrder":{"totalAmount":90.08,"items":[` + itemsSortedByID + `]}}`},
	{name: "createOrder merges duplicate products",
		document: `mutation { createOrder(input: {customerId: "c2", items: [{productId: "$P1", quantity: 1}, {productId: "$P1", quantity: 2}]}) { totalAmount items { productId quantity } } }`,
		wantData: `{"createOrder":{"totalAmount":0.3,"items":[{"productId":"$P1","quantity":3}]}}`},
	{name: "createOrder refuses more than the stock, naming it",
		document: `mutation { createOrder(input: {customerId: "c1", items: [{productId: "$P1", quantity: 1}, {productId: "$P7", quantity: 2}]}) { orderId } }`,
		wantCode: "INSUFFICIENT_STOCK", wantMsg: "Insufficient stock for product $P7: 1 available, 2 requested"},
	{name: "the refused order changed nothing",
		document: `{ a: getProductsById(id: "$P7") { stockCount } b: getProductsById(id: "$P1") { stockCount } }`,
		wantData: `{"a":{"stockCount":1},"b":{"stockCount":994}}`},
	{name: "createOrder refuses an unknown product",
		document: `mutation { createOrder(input: {customerId: "c1", items: [{productId: "` + unknownID + `", quantity: 1}]}) { orderId } }`,
		wantCode: "NOT_FOUND", wantMsg: unknownID},
	{name: "createOrder refuses a deleted product",
		document: `mutation { createOrder(input: {customerId: "c1", items: [{productId: "$P6", quantity: 1}]}) { orderId } }`,
		wantCode: "NOT_FOUND"},
	{name: "createOrder refuses no items",
		document: `mutation { createOrder(input: {customerId: "c1", items: []}) { orderId } }`,
		wantCode: "BAD_USER_INPUT", wantMsg: "items must contain at least one item"},
	{name: "createOrder refuses a zero quantity and an empty customer at once",
		document: `mutation { createOrder(input: {customerId: "", items: [{productId: "$P1", quantity: 0}]}) { orderId } }`,
		wantCode: "BAD_USER_INPUT", wantMsg: "customerId must not be empty; items[0].quantity must be at least 1"},
	{name: "createOrder refuses a malformed product id",
		document: `mutation { createOrder(input: {customerId: "c1", items: [{productId: "x", quantity: 1}]}) { orderId } }`,
		wantCode: "BAD_USER_INPUT", wantMsg: "items[0].productId"},
	{name: "createOrder refuses 101 lines",
		document:  `mutation($in: CreateOrderInput!) { createOrder(input: $in) { orderId } }`,
		variables: `{"in":{"customerId":"c1","items":[` + strings.TrimSuffix(strings.Repeat(`{"productId":"$P1","quantity":1},`, 101), ",") + `]}}`,
		wantCode:  "BAD_USER_INPUT", wantMsg: "at most 100 items"},
	{name: "createOrder takes no price from the client",
		document: `mutation { createOrder(input: {customerId: "c1", items: [{productId: "$P1", quantity: 1, price: 0}]}) { orderId } }`,
		wantCode: "GRAPHQL_VALIDATION_FAILED", wantMsg: "price"},

	{name: "getOrderById is null for an unknown id",
		document: `{ getOrderById(orderId: "` + unknownID + `") { orderId } }`, wantData: `{"getOrderById":null}`},
	{name: "getOrderById rejects a malformed id",
		document: `{ getOrderById(orderId: "1") { orderId } }`, wantCode: "BAD_USER_INPUT"},
	{name: "getOrders lists orders newest first with items and products",
		document: `{ getOrders(limit: 2) { customerId totalAmount items { productId quantity priceAtPurchase product { price } } } }`,
		wantData: `{"getOrders":[{"customerId":"c2","totalAmount":0.3,"items":[{"productId":"$P1","quantity":3,"priceAtPurchase":0.1,"product":{"price":0.1}}]},` +
			`{"customerId":"c1","totalAmount":90.08,"items":[` + itemsWithPrices + `]}]}`},

	{name: "an unknown field is a validation error",
		document: `{ getProducts { colour } }`, wantCode: "GRAPHQL_VALIDATION_FAILED", wantMsg: "colour"},
	{name: "a syntax error is a parse error",
		document: `{ getProducts { productId }`, wantCode: "GRAPHQL_PARSE_FAILED"},
	{name: "a missing variable is bad input",
		document: `query($id: String!) { getProductsById(id: $id) { productId } }`,
		wantCode: "BAD_USER_INPUT", wantMsg: "$id"},
}

// Order items come back sorted by product id; these fragments are filled in
// by seed so that the expectations stay literal.
var itemsSortedByID, itemsWithPrices = "$ITEMS_90_08", "$ITEMS_90_08_PRICED"

// seed creates the products the cases refer to and returns the
// substitutions for $P1…
func seed(t *testing.T, in *instance) map[string]string {
	t.Helper()
	prices := []float64{0.10, 0.20, 39.99, 10.10, 3, 4}
	ids := map[string]string{}
	for i, p := range prices {
		ids["$P"+string(rune('1'+i))] = in.MustCreateProduct(t, p, 1000)
	}
	ids["$P7"] = in.MustCreateProduct(t, 5, 1)
	p3, p4 := ids["$P3"], ids["$P4"]
	type item struct {
		id, plain, priced string
	}
	a := item{p3, `{"productId":"` + p3 + `","quantity":2,"priceAtPurchase":39.99,"product":{"productId":"` + p3 + `"}}`,
		`{"productId":"` + p3 + `","quantity":2,"priceAtPurchase":39.99,"product":{"price":39.99}}`}
	b := item{p4, `{"productId":"` + p4 + `","quantity":1,"priceAtPurchase":10.1,"product":{"productId":"` + p4 + `"}}`,
		`{"productId":"` + p4 + `","quantity":1,"priceAtPurchase":10.1,"product":{"price":10.1}}`}
	if b.id < a.id {
		a, b = b, a
	}
	ids["$ITEMS_90_08_PRICED"] = a.priced + "," + b.priced
	ids["$ITEMS_90_08"] = a.plain + "," + b.plain
	return ids
}

// runContract runs the contract's cases as an admin, who may make every
// one of its operations.
func runContract(t *testing.T, in *instance) {
	ids := seed(t, in)
	admin := in.MustAdmin(t)
	for _, tc := range contractCases {
		ok := t.Run(tc.name, func(t *testing.T) {
			var vars map[string]any
			if tc.variables != "" {
				if err := json.Unmarshal([]byte(substitute(tc.variables, ids)), &vars); err != nil {
					t.Fatalf("bad variables in test: %v", err)
				}
			}
			// Longer keys first, so $ITEMS_90_08_PRICED is not cut short.
			doc := substitute(tc.document, ids)
			r := admin.MustPost(t, doc, vars)
			if tc.wantCode != "" {
				if r.Code() != tc.wantCode {
					t.Fatalf("code = %q, want %q; errors %+v", r.Code(), tc.wantCode, r.Errors)
				}
				if msg := substitute(tc.wantMsg, ids); !strings.Contains(r.Errors[0].Message, msg) {
					t.Fatalf("message %q does not contain %q", r.Errors[0].Message, msg)
				}
				if strings.Contains(strings.ToLower(r.Errors[0].Message), "sql") {
					t.Fatalf("message leaks internals: %q", r.Errors[0].Message)
				}
				return
			}
			if len(r.Errors) > 0 {
				t.Fatalf("unexpected errors: %+v", r.Errors)
			}
			if tc.wantData != "" {
				want := substituteOrdered(tc.wantData, ids)
				if !isJSONEqual(r.Data, []byte(want)) {
					t.Fatalf("data = %s\nwant   %s", r.Data, want)
				}
			}
		})
		if !ok {
			// Later cases build on earlier state; stop at the first failure.
			t.FailNow()
		}
	}
}

// substituteOrdered replaces the longest placeholders first.
func substituteOrdered(s string, ids map[string]string) string {
	for _, k := range []string{"$ITEMS_90_08_PRICED", "$ITEMS_90_08"} {
		s = strings.ReplaceAll(s, k, ids[k])
	}
	return substitute(s, ids)
}

func TestContractOnPostgresAndRedis(t *testing.T) {
	t.Parallel()
	runContract(t, MustStart(t, PostgresRedisEnv(t)))
}

func TestContractOnEmbeddedDefaults(t *testing.T) {
	t.Parallel()
	runContract(t, MustStart(t, EmbeddedEnv(t)))
}
