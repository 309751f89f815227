package e2e

import (
	"slices"
	"testing"
)

// variantFields is what a storefront shows of a product's variants.
const variantFields = `variantId title price stockCount available options { name value }`

type cachedVariant struct {
	VariantID  string
	Title      string
	Price      float64
	StockCount int
	Available  bool
	Options    []struct{ Name, Value string }
}

// MustCreateWithOptions creates, as the admin, a product with options
// (every combination a variant at price with stock) and returns its id.
func (in *instance) MustCreateWithOptions(tb testing.TB, price float64, stock int, options map[string][]string) string {
	tb.Helper()
	var opts []map[string]any
	for _, name := range []string{"Size", "Colour"} {
		if vals, ok := options[name]; ok {
			opts = append(opts, map[string]any{"name": name, "values": vals})
		}
	}
	var out struct{ CreateProduct struct{ ProductID string } }
	in.MustAdmin(tb).MustData(tb, `mutation($p: Float!, $s: Int!, $o: [ProductOptionInput!]) {
		createProduct(input: {price: $p, stockCount: $s, options: $o}) { productId } }`,
		map[string]any{"p": price, "s": stock, "o": opts}, &out)
	return out.CreateProduct.ProductID
}

// productVariantsQuery is a storefront's product page: its variants.
const productVariantsQuery = `query($id: String!) { getProductsById(id: $id) { productId variants { ` + variantFields + ` } } }`

// mustVariants reads a product's variants, anonymously, on in.
func mustCachedVariants(tb testing.TB, in *instance, id string) []cachedVariant {
	tb.Helper()
	var out struct {
		GetProductsById *struct{ Variants []cachedVariant }
	}
	in.MustData(tb, productVariantsQuery, map[string]any{"id": id}, &out)
	if out.GetProductsById == nil {
		tb.Fatalf("product %s not found", id)
	}
	return out.GetProductsById.Variants
}

// mustVariant reads getVariantById, anonymously, on in: nil when null.
func mustCachedVariant(tb testing.TB, in *instance, id string) *cachedVariant {
	tb.Helper()
	var out struct{ GetVariantById *cachedVariant }
	in.MustData(tb, `query($id: String!) { getVariantById(variantId: $id) { `+variantFields+` } }`, map[string]any{"id": id}, &out)
	return out.GetVariantById
}

// TestVariantsFromTheCache (issue 19: "the cache keys and versions work
// per variant; an order for variant M retires M and the product that shows
// it, and nothing else"), on two instances sharing PostgreSQL and Redis:
// a warm product page of 20 variants and a warm getVariantById are
// answered from the response cache whole, with no SQL; an order for
// variant M of p shows at once on the instance that took it and within
// the cross-instance bound on the other, while getVariantById of p's
// variant L and another product's page stay cached on both; a variant's
// new price shows on the other instance within the bound; a product made
// inactive hides its variants from shoppers on both.
func TestVariantsFromTheCache(t *testing.T) {
	t.Parallel()
	env := PostgresRedisEnv(t)
	a, b := MustStart(t, env), MustStart(t, env)
	p := a.MustCreateWithOptions(t, 10, 5, map[string][]string{"Size": {"S", "M", "L"}})
	wide := a.MustCreateWithOptions(t, 20, 3, map[string][]string{"Size": {"S", "M", "L", "XL"}, "Colour": {"Red", "Blue", "Green", "Black", "White"}})
	vs := mustCachedVariants(t, a, p)
	if len(vs) != 3 {
		t.Fatalf("p has %d variants, want 3", len(vs))
	}
	m, l := vs[1], vs[2]
	if m.Title != "M" || l.Title != "L" {
		t.Fatalf("p's variants %+v, want S, M, L", vs)
	}

	// Warm on both instances: the first read of each executes, the next
	// is served whole.
	for _, in := range []*instance{a, b} {
		mustCachedVariants(t, in, p)
		mustCachedVariants(t, in, wide)
		mustCachedVariant(t, in, l.VariantID)
		mustCachedVariant(t, in, m.VariantID)
	}
	var page []cachedVariant
	if !cacheServed(t, a, func() { page = mustCachedVariants(t, a, wide) }) {
		t.Fatal("a warm product page of 20 variants was not served from the cache whole")
	}
	if len(page) != 20 || !slices.ContainsFunc(page, func(v cachedVariant) bool { return v.Title == "XL / White" && len(v.Options) == 2 }) ||
		slices.ContainsFunc(page, func(v cachedVariant) bool { return v.StockCount != 3 || !v.Available || v.Price != 20 }) {
		t.Fatalf("the 20 variants: %+v", page)
	}
	if !cacheServed(t, b, func() { mustCachedVariants(t, b, wide) }) {
		t.Fatal("the page of 20 variants was not served from the cache whole on the other instance")
	}

	// An order for M on a.
	customer, _ := a.MustCustomer(t)
	var placed struct{ CreateOrder struct{ OrderID string } }
	customer.MustData(t, createOrderDoc, map[string]any{"items": []map[string]any{{"productId": p, "variantId": m.VariantID, "quantity": 2}}}, &placed)
	if got := mustCachedVariant(t, a, m.VariantID); got == nil || got.StockCount != 3 {
		t.Fatalf("M on the instance that took the order: %+v, want stock 3", got)
	}
	if got := mustCachedVariants(t, a, p); got[1].StockCount != 3 || got[2].StockCount != 5 {
		t.Fatalf("p's variants on the instance that took the order: %+v, want M 3, L 5", got)
	}
	lag := MustSeeWithin(t, crossInstanceBound, func() bool { return mustCachedVariants(t, b, p)[1].StockCount == 3 })
	MustSeeWithin(t, crossInstanceBound, func() bool { return mustCachedVariant(t, b, m.VariantID).StockCount == 3 })
	t.Logf("the order for M showed on the other instance after %s", lag)
	for _, in := range []*instance{a, b} {
		var got *cachedVariant
		if !cacheServed(t, in, func() { got = mustCachedVariant(t, in, l.VariantID) }) || got == nil || got.StockCount != 5 {
			t.Fatalf("getVariantById(L) after the order for M: %+v, no longer served from the cache", got)
		}
		if !cacheServed(t, in, func() { mustCachedVariants(t, in, wide) }) {
			t.Fatal("another product's page was retired by the order for M")
		}
	}

	// A new price for L on a shows on b within the bound.
	var updated any
	a.MustAdmin(t).MustData(t, `mutation($v: String!) { updateVariant(variantId: $v, input: {price: 12.5}) { price } }`,
		map[string]any{"v": l.VariantID}, &updated)
	lag = MustSeeWithin(t, crossInstanceBound, func() bool { return mustCachedVariant(t, b, l.VariantID).Price == 12.5 })
	MustSeeWithin(t, crossInstanceBound, func() bool { return mustCachedVariants(t, b, p)[2].Price == 12.5 })
	t.Logf("L's new price showed on the other instance after %s", lag)
	if got := mustCachedVariant(t, b, m.VariantID); got.Price != 10 {
		t.Fatalf("M on the other instance: %+v, want price 10", got)
	}

	// p made inactive: shoppers see none of its variants, on either
	// instance, though their reads by id were cached.
	for _, in := range []*instance{a, b} {
		mustCachedVariant(t, in, l.VariantID)
	}
	a.MustAdmin(t).MustData(t, `mutation($p: String!) { updateProduct(input: {productId: $p, active: false}) { productId } }`,
		map[string]any{"p": p}, &updated)
	if got := mustCachedVariant(t, a, l.VariantID); got != nil {
		t.Fatalf("L of an inactive product shown to a shopper: %+v", got)
	}
	MustSeeWithin(t, crossInstanceBound, func() bool { return mustCachedVariant(t, b, l.VariantID) == nil })
	MustSeeWithin(t, crossInstanceBound, func() bool { return mustCachedVariant(t, b, m.VariantID) == nil })
}
