package e2e

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"

	"shop/internal/testenv"
)

// Issue 19's variants through the API of the real program, every rule on
// PostgreSQL with Redis and on the embedded SQLite: products with options
// and variants, the admins' variant mutations, what a product shows of its
// variants, orders, the ledger, restocks and idempotent orders per
// variant.

// What the tests read of variants and products.
type selOpt struct{ Name, Value string }

type optionView struct {
	Name   string
	Values []string
}

type variantView struct {
	VariantID      string
	SKU            *string
	Title          string
	Price          float64
	CompareAtPrice *float64
	StockCount     int
	Available      bool
	Options        []selOpt
	ImageURL       *string
	WeightGrams    *int
	Position       int
}

type productView struct {
	ProductID, Name string
	Price           float64
	StockCount      int
	SKU             *string
	Active          bool
	Options         []optionView
	Variants        []variantView
}

const (
	vFields = `variantId sku title price compareAtPrice stockCount available options { name value } imageUrl weightGrams position`
	pFields = `productId name price stockCount sku active options { name values } variants { ` + vFields + ` }`
	// An order line as the snapshot shows it.
	itemFields     = `productId variantId sku title options { name value } quantity priceAtPurchase`
	vOrderDoc      = `mutation($items: [OrderItemInput!]!, $key: String) { createOrder(input: {items: $items, idempotencyKey: $key}) { orderId totalAmount items { ` + itemFields + ` } } }`
	movementFields = `edges { node { delta kind stockAfter variantId orderId reason actor } } pageInfo { hasNextPage }`
)

// vLine is an order line naming a variant (variantId empty: the product
// alone).
type vLine struct {
	ProductID string `json:"productId"`
	VariantID string `json:"variantId,omitempty"`
	Quantity  int    `json:"quantity"`
}

type itemView struct {
	ProductID, VariantID string
	SKU                  *string
	Title                string
	Options              []selOpt
	Quantity             int
	PriceAtPurchase      float64
}

type placedView struct {
	OrderID     string
	TotalAmount float64
	Items       []itemView
}

type movementView struct {
	Delta           int
	Kind            string
	StockAfter      int
	VariantID       string
	OrderID, Reason *string
	Actor           string
}

func opt(name string, values ...string) map[string]any {
	if values == nil {
		values = []string{} // an empty list, not null
	}
	return map[string]any{"name": name, "values": values}
}

func sel(pairs ...string) []map[string]any {
	out := make([]map[string]any, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, map[string]any{"name": pairs[i], "value": pairs[i+1]})
	}
	return out
}

// variant is the product's variant with title; it fails the test when
// there is none.
func (p productView) variant(tb testing.TB, title string) variantView {
	tb.Helper()
	for _, v := range p.Variants {
		if v.Title == title {
			return v
		}
	}
	tb.Fatalf("product %s has no variant %q: %+v", p.ProductID, title, p.Variants)
	return variantView{}
}

func (p productView) titles() []string {
	out := make([]string, len(p.Variants))
	for i, v := range p.Variants {
		out[i] = v.Title
	}
	return out
}

// mustProduct reads a product with its variants as c; it must be visible.
func mustVariants(tb testing.TB, c *client, id string) productView {
	tb.Helper()
	var out struct{ GetProductsById *productView }
	c.MustData(tb, `query($id: String!) { getProductsById(id: $id) { `+pFields+` } }`, map[string]any{"id": id}, &out)
	if out.GetProductsById == nil {
		tb.Fatalf("product %s is not visible", id)
	}
	mustTotals(tb, *out.GetProductsById)
	return *out.GetProductsById
}

// mustTotals checks what a product shows of its variants, as issue 19
// defines it (written out again here, not taken from models): stockCount
// the sum; price the lowest among variants available (active, stock > 0),
// else among all; sku the only variant's, null with several; variants by
// position, each available when the product is active and it has stock;
// each title its values joined by " / ", or "Default" without options.
func mustTotals(tb testing.TB, p productView) {
	tb.Helper()
	if len(p.Variants) == 0 {
		tb.Fatalf("product %s has no variants", p.ProductID)
	}
	sum, lowest, lowestAvailable := 0, -1.0, -1.0
	for i, v := range p.Variants {
		sum += v.StockCount
		if lowest < 0 || v.Price < lowest {
			lowest = v.Price
		}
		if want := p.Active && v.StockCount > 0; v.Available != want {
			tb.Fatalf("variant %s (%s) available = %v with stock %d, product active %v", v.VariantID, v.Title, v.Available, v.StockCount, p.Active)
		}
		if v.Available && (lowestAvailable < 0 || v.Price < lowestAvailable) {
			lowestAvailable = v.Price
		}
		if i > 0 && v.Position <= p.Variants[i-1].Position {
			tb.Fatalf("product %s's variants are not by position: %+v", p.ProductID, p.Variants)
		}
		title := "Default"
		if len(v.Options) > 0 {
			vals := make([]string, len(v.Options))
			for j, o := range v.Options {
				vals[j] = o.Value
				if j >= len(p.Options) || p.Options[j].Name != o.Name || !contains(p.Options[j].Values, o.Value) {
					tb.Fatalf("variant %s's options %+v do not follow the product's %+v", v.VariantID, v.Options, p.Options)
				}
			}
			title = strings.Join(vals, " / ")
		}
		if len(v.Options) != len(p.Options) || v.Title != title {
			tb.Fatalf("variant %s: title %q, options %+v, product options %+v; want title %q", v.VariantID, v.Title, v.Options, p.Options, title)
		}
	}
	price := lowestAvailable
	if price < 0 {
		price = lowest
	}
	var sku *string
	if len(p.Variants) == 1 {
		sku = p.Variants[0].SKU
	}
	if p.StockCount != sum || p.Price != price || !reflect.DeepEqual(p.SKU, sku) {
		tb.Fatalf("product %s shows price %v, stock %d, sku %v; its variants make %v, %d, %v: %+v",
			p.ProductID, p.Price, p.StockCount, str(p.SKU), price, sum, str(sku), p.Variants)
	}
}

func str(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// mustFields fails unless r is refused with code and its extensions.fields
// name exactly fields (in any order).
func mustFields(tb testing.TB, r gqlResponse, code string, fields ...string) {
	tb.Helper()
	mustRefused(tb, r, code)
	list, _ := r.Errors[0].Extensions["fields"].([]any)
	var got []string
	for _, f := range list {
		m, _ := f.(map[string]any)
		name, _ := m["field"].(string)
		msg, _ := m["message"].(string)
		if msg == "" {
			tb.Fatalf("field %q has no message: %+v", name, r.Errors[0])
		}
		got = append(got, name)
	}
	sort.Strings(got)
	want := append([]string(nil), fields...)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		tb.Fatalf("fields %q, want %q: %+v", got, want, r.Errors[0])
	}
}

// mustVariantRequired fails unless r is refused with VARIANT_REQUIRED
// naming every variant of p (id and title), in the message too.
func mustVariantRequired(tb testing.TB, r gqlResponse, p productView) {
	tb.Helper()
	mustRefused(tb, r, "VARIANT_REQUIRED")
	e := r.Errors[0]
	list, _ := e.Extensions["variants"].([]any)
	var got, want []string
	for _, x := range list {
		m, _ := x.(map[string]any)
		got = append(got, fmt.Sprintf("%v=%v", m["variantId"], m["title"]))
	}
	for _, v := range p.Variants {
		want = append(want, v.VariantID+"="+v.Title)
		if len(p.Variants) <= 10 && !strings.Contains(e.Message, v.VariantID) {
			tb.Fatalf("VARIANT_REQUIRED's message does not name %s: %q", v.VariantID, e.Message)
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		tb.Fatalf("VARIANT_REQUIRED names %q, want %q", got, want)
	}
}

// mustMovements pages a variant's ledger as the admin, through
// Product.stockMovements(variantId) and ProductVariant.stockMovements,
// which must agree.
func mustMovements(tb testing.TB, admin *client, productID, variantID string) []movementView {
	tb.Helper()
	type conn struct {
		Edges []struct{ Node movementView }
	}
	var out struct {
		GetProductsById struct{ StockMovements conn }
		GetVariantById  struct{ StockMovements conn }
	}
	admin.MustData(tb, `query($p: String!, $v: String!) { getProductsById(id: $p) { stockMovements(variantId: $v, first: 100) { `+movementFields+` } }
		getVariantById(variantId: $v) { stockMovements(first: 100) { `+movementFields+` } } }`, map[string]any{"p": productID, "v": variantID}, &out)
	var ms, viaVariant []movementView
	for _, e := range out.GetProductsById.StockMovements.Edges {
		ms = append(ms, e.Node)
	}
	for _, e := range out.GetVariantById.StockMovements.Edges {
		viaVariant = append(viaVariant, e.Node)
	}
	if !reflect.DeepEqual(ms, viaVariant) {
		tb.Fatalf("variant %s's ledger: Product.stockMovements(variantId) %+v, ProductVariant.stockMovements %+v", variantID, ms, viaVariant)
	}
	for _, m := range ms {
		if m.VariantID != variantID {
			tb.Fatalf("variant %s's ledger holds a movement of %s: %+v", variantID, m.VariantID, ms)
		}
	}
	return ms
}

// lastMovement is the newest movement of a variant's ledger, which must
// end at stock.
func lastMovement(tb testing.TB, admin *client, productID, variantID string, stock int) movementView {
	tb.Helper()
	ms := mustMovements(tb, admin, productID, variantID)
	if len(ms) == 0 {
		tb.Fatalf("variant %s has no ledger", variantID)
	}
	m := ms[len(ms)-1]
	if m.StockAfter != stock {
		tb.Fatalf("variant %s's ledger ends at %d, its stock is %d: %+v", variantID, m.StockAfter, stock, ms)
	}
	return m
}

// mustRefused fails unless r is refused with code alone, the field it
// refused null (the whole data for a non-null field).
func mustRefused(tb testing.TB, r gqlResponse, code string) {
	tb.Helper()
	if r.Code() != code || len(r.Errors) != 1 || r.Status != http.StatusOK {
		tb.Fatalf("got %d %s %+v, want %s", r.Status, r.Data, r.Errors, code)
	}
	var fields map[string]any
	_ = json.Unmarshal(r.Data, &fields)
	for k, v := range fields {
		if v != nil {
			tb.Fatalf("refused with %s, yet %s = %v", code, k, v)
		}
	}
}

func mustPlaced(tb testing.TB, r gqlResponse) placedView {
	tb.Helper()
	var out struct{ CreateOrder placedView }
	if len(r.Errors) > 0 || json.Unmarshal(r.Data, &out) != nil || out.CreateOrder.OrderID == "" {
		tb.Fatalf("createOrder: %d %s %+v", r.Status, r.Data, r.Errors)
	}
	return out.CreateOrder
}

// TestVariantsFlow runs the whole flow on PostgreSQL with Redis (writes on
// one instance, every product then read on another) and on the embedded
// SQLite.
func TestVariantsFlow(t *testing.T) {
	t.Parallel()
	t.Run("postgres+redis", func(t *testing.T) {
		t.Parallel()
		env := PostgresRedisEnv(t)
		roomForOrders(env)
		a, b := MustStart(t, env), MustStart(t, env)
		checkVariantFlow(t, a, b, mustSQL(t, env))
		checkVariantEdges(t, a, mustSQL(t, env))
	})
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		env := EmbeddedEnv(t)
		roomForOrders(env)
		in := MustStart(t, env)
		checkVariantFlow(t, in, in, mustSQL(t, env))
		checkVariantEdges(t, in, mustSQL(t, env))
	})
}

func checkVariantFlow(t *testing.T, in, other *instance, db *sql.DB) {
	admin := in.MustAdmin(t)
	shopper, _ := in.MustCustomer(t)
	anon := in.Anonymous()
	admin.MustData(t, `{ me { id } }`, nil, &struct{}{})

	create := func(input map[string]any) gqlResponse {
		return admin.MustPost(t, `mutation($in: ProductInput!) { createProduct(input: $in) { `+pFields+` } }`, map[string]any{"in": input})
	}
	created := func(r gqlResponse) productView {
		t.Helper()
		var out struct{ CreateProduct productView }
		if len(r.Errors) > 0 || json.Unmarshal(r.Data, &out) != nil {
			t.Fatalf("createProduct: %s %+v", r.Data, r.Errors)
		}
		mustTotals(t, out.CreateProduct)
		return out.CreateProduct
	}

	// createProduct with options and explicit variants: the fourth takes
	// the input's price and stock.
	sizes, colours := opt("Size", "S", "M", "L"), opt("Colour", "Red", "Blue")
	tee := created(create(map[string]any{"name": "Tee", "price": 22, "stockCount": 2, "options": []any{sizes, colours},
		"variants": []any{
			map[string]any{"sku": "TEE-S-RED", "price": 18, "stockCount": 5, "options": sel("Size", "S", "Colour", "Red"), "compareAtPrice": 24, "weightGrams": 180},
			map[string]any{"sku": "TEE-M-RED", "price": 20, "stockCount": 3, "options": sel("Colour", "red", "Size", "m")}, // any order, any case
			map[string]any{"sku": "TEE-L-BLUE", "price": 25, "stockCount": 0, "options": sel("Size", "L", "Colour", "Blue"), "imageUrl": "https://img.test/l-blue.png"},
			map[string]any{"options": sel("Size", "S", "Colour", "Blue")},
		}}))
	if got := tee.titles(); !reflect.DeepEqual(got, []string{"S / Red", "M / Red", "L / Blue", "S / Blue"}) {
		t.Fatalf("variants %q", got)
	}
	if !reflect.DeepEqual(tee.Options, []optionView{{"Size", []string{"S", "M", "L"}}, {"Colour", []string{"Red", "Blue"}}}) {
		t.Fatalf("options %+v", tee.Options)
	}
	sRed, mRed, lBlue, sBlue := tee.variant(t, "S / Red"), tee.variant(t, "M / Red"), tee.variant(t, "L / Blue"), tee.variant(t, "S / Blue")
	if tee.Price != 18 || tee.StockCount != 10 || tee.SKU != nil || str(mRed.SKU) != "TEE-M-RED" || sBlue.Price != 22 || sBlue.StockCount != 2 || sBlue.SKU != nil ||
		sRed.CompareAtPrice == nil || *sRed.CompareAtPrice != 24 || sRed.WeightGrams == nil || *sRed.WeightGrams != 180 ||
		str(lBlue.ImageURL) != "https://img.test/l-blue.png" || lBlue.Available || !reflect.DeepEqual(mRed.Options, []selOpt{{"Size", "M"}, {"Colour", "Red"}}) {
		t.Fatalf("created %+v", tee)
	}
	for _, v := range tee.Variants {
		if v.VariantID == tee.ProductID {
			t.Fatalf("a variant of a product with options has the product's id: %+v", v)
		}
		ms := mustMovements(t, admin, tee.ProductID, v.VariantID)
		if v.StockCount == 0 && len(ms) != 0 || v.StockCount != 0 && (len(ms) != 1 || ms[0].Kind != "initial" || ms[0].Delta != v.StockCount || ms[0].StockAfter != v.StockCount) {
			t.Fatalf("variant %s (stock %d) starts its ledger with %+v", v.Title, v.StockCount, ms)
		}
	}

	// What createProduct refuses, every bad field named at once.
	mustFields(t, create(map[string]any{"price": 1, "stockCount": 1, "options": []any{sizes, colours}, "variants": []any{
		map[string]any{"price": -1, "options": sel("Size", "XL", "Colour", "Red")},
		map[string]any{"sku": "not a sku!", "imageUrl": "ftp://img.test/x", "options": sel("Size", "S", "Colour", "Red")},
	}}), badUserInput, "input.variants[0].price", "input.variants[1].sku", "input.variants[1].imageUrl")
	mustFields(t, create(map[string]any{"price": 1, "stockCount": 1, "options": []any{sizes, colours}, "variants": []any{
		map[string]any{"options": sel("Size", "XL", "Colour", "Red")},
		map[string]any{"options": sel("Size", "S")},
	}}), badUserInput, "input.variants[0].options", "input.variants[1].options")
	mustFields(t, create(map[string]any{"price": 1, "stockCount": 1, "options": []any{sizes, colours}, "variants": []any{
		map[string]any{"options": sel("Size", "S", "Colour", "Red")},
		map[string]any{"options": sel("Size", "s", "Colour", "RED")},
	}}), badUserInput, "input.variants[1].options")
	mustFields(t, create(map[string]any{"price": 1, "stockCount": 1, "options": []any{opt("Size", "S", "s"), opt(" ", "x"), opt("Colour")}}),
		badUserInput, "input.options[0].values[1]", "input.options[1].name", "input.options[2].values")
	mustFields(t, create(map[string]any{"price": 1, "stockCount": 1, "options": []any{sizes}, "variants": []any{
		map[string]any{"sku": "tee-s-red", "options": sel("Size", "S")},
	}}), "CONFLICT", "input.variants[0].sku")
	mustRefused(t, create(map[string]any{"price": 1, "stockCount": 1, "options": []any{
		opt("A", "1", "2", "3", "4", "5", "6", "7"), opt("B", "1", "2", "3", "4", "5", "6"), opt("C", "1", "2", "3", "4", "5", "6")}}), badUserInput)

	// createProduct with options only: every combination, the first
	// option's values varying slowest, each with the input's price and
	// stock.
	cup := created(create(map[string]any{"name": "Cup", "price": 7.5, "stockCount": 4, "options": []any{opt("Size", "S", "M"), opt("Colour", "Red", "Blue", "Green")}}))
	if got := cup.titles(); !reflect.DeepEqual(got, []string{"S / Red", "S / Blue", "S / Green", "M / Red", "M / Blue", "M / Green"}) {
		t.Fatalf("generated %q", got)
	}
	for i, v := range cup.Variants {
		if v.Price != 7.5 || v.StockCount != 4 || v.Position != i || v.SKU != nil {
			t.Fatalf("generated variant %+v", v)
		}
	}
	if cup.StockCount != 24 || cup.Price != 7.5 {
		t.Fatalf("cup %+v", cup)
	}

	// A product without options: one "Default" variant whose id is the
	// product's, with its price, stock and SKU.
	mug := created(create(map[string]any{"name": "Mug", "price": 9, "stockCount": 6, "sku": "MUG-1"}))
	if len(mug.Variants) != 1 || mug.Variants[0].VariantID != mug.ProductID || mug.Variants[0].Title != "Default" ||
		str(mug.Variants[0].SKU) != "MUG-1" || str(mug.SKU) != "MUG-1" || len(mug.Options) != 0 || len(mug.Variants[0].Options) != 0 {
		t.Fatalf("mug %+v", mug)
	}

	setOptions := func(id string, options ...any) gqlResponse {
		return admin.MustPost(t, `mutation($p: String!, $o: [ProductOptionInput!]!) { setProductOptions(productId: $p, options: $o) { `+pFields+` } }`,
			map[string]any{"p": id, "o": options})
	}
	setOK := func(id string, options ...any) productView {
		t.Helper()
		r := setOptions(id, options...)
		var out struct{ SetProductOptions productView }
		if len(r.Errors) > 0 || json.Unmarshal(r.Data, &out) != nil {
			t.Fatalf("setProductOptions: %s %+v", r.Data, r.Errors)
		}
		mustTotals(t, out.SetProductOptions)
		if got := mustVariants(t, admin, id); !reflect.DeepEqual(got, out.SetProductOptions) {
			t.Fatalf("setProductOptions answered %+v; read after: %+v", out.SetProductOptions, got)
		}
		return out.SetProductOptions
	}

	// setProductOptions: a value added (and the values reordered), the
	// variants keep theirs; a value a variant uses can't be dropped; one
	// no variant uses can.
	tee = setOK(tee.ProductID, opt("Size", "XL", "S", "M", "L"), colours)
	if !reflect.DeepEqual(tee.Options[0].Values, []string{"XL", "S", "M", "L"}) || len(tee.Variants) != 4 || tee.variant(t, "M / Red").VariantID != mRed.VariantID {
		t.Fatalf("after adding XL: %+v", tee)
	}
	r := setOptions(tee.ProductID, opt("Size", "S", "M", "XL"), colours)
	mustRefused(t, r, badUserInput)
	if !strings.Contains(r.Errors[0].Message, `"L"`) || !strings.Contains(r.Errors[0].Message, lBlue.VariantID) {
		t.Fatalf("dropping L, used by %s: %q", lBlue.VariantID, r.Errors[0].Message)
	}
	mustFields(t, setOptions(tee.ProductID, opt("Size", "S", "M", "L", "m"), colours), badUserInput, "options[0].values[3]")
	if got := mustVariants(t, admin, tee.ProductID); !reflect.DeepEqual(got, tee) {
		t.Fatalf("a refused setProductOptions changed the product: %+v", got)
	}
	tee = setOK(tee.ProductID, opt("Size", "S", "M", "L", "XL"), colours)

	// generateVariants: the four missing combinations, after the others,
	// each with its price and stock and an initial ledger row; a second
	// call makes none.
	generate := func(id string, price float64, stock int) gqlResponse {
		return admin.MustPost(t, `mutation($p: String!, $price: Float!, $s: Int!) { generateVariants(productId: $p, price: $price, stockCount: $s) { `+pFields+` } }`,
			map[string]any{"p": id, "price": price, "s": stock})
	}
	var gen struct{ GenerateVariants productView }
	if r := generate(tee.ProductID, 30, 1); len(r.Errors) > 0 || json.Unmarshal(r.Data, &gen) != nil {
		t.Fatalf("generateVariants: %+v", r.Errors)
	}
	tee = gen.GenerateVariants
	mustTotals(t, tee)
	if got := tee.titles(); !reflect.DeepEqual(got, []string{"S / Red", "M / Red", "L / Blue", "S / Blue", "M / Blue", "L / Red", "XL / Red", "XL / Blue"}) {
		t.Fatalf("after generateVariants: %q", got)
	}
	for _, v := range tee.Variants[4:] {
		if v.Price != 30 || v.StockCount != 1 || v.Position < 4 {
			t.Fatalf("generated %+v", v)
		}
		if ms := mustMovements(t, admin, tee.ProductID, v.VariantID); len(ms) != 1 || ms[0].Kind != "initial" || ms[0].Delta != 1 {
			t.Fatalf("generated variant %s's ledger: %+v", v.Title, ms)
		}
	}
	if tee.StockCount != 14 || tee.Price != 18 {
		t.Fatalf("after generateVariants: %+v", tee)
	}
	if r := generate(tee.ProductID, 1, 1); len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	} else if got := mustVariants(t, admin, tee.ProductID); !reflect.DeepEqual(got, tee) {
		t.Fatalf("a second generateVariants changed %+v", got)
	}
	mustFields(t, generate(tee.ProductID, -1, -1), badUserInput, "price", "stockCount")

	// createVariant: a new combination (Green added to the colours), with
	// no stock it does not move the price though it is the cheapest; the
	// same combination again is refused; a taken SKU, a value that is no
	// option's, no price.
	tee = setOK(tee.ProductID, opt("Size", "S", "M", "L", "XL"), opt("Colour", "Red", "Blue", "Green"))
	createVariant := func(id string, input map[string]any) gqlResponse {
		return admin.MustPost(t, `mutation($p: String!, $in: ProductVariantInput!) { createVariant(productId: $p, input: $in) { `+vFields+` product { productId stockCount price } } }`,
			map[string]any{"p": id, "in": input})
	}
	var cv struct {
		CreateVariant struct {
			variantView
			Product struct {
				ProductID  string
				StockCount int
				Price      float64
			}
		}
	}
	if r := createVariant(tee.ProductID, map[string]any{"sku": "TEE-S-GREEN", "price": 15, "options": sel("Size", "S", "Colour", "Green")}); len(r.Errors) > 0 || json.Unmarshal(r.Data, &cv) != nil {
		t.Fatalf("createVariant: %+v", r.Errors)
	}
	sGreen := cv.CreateVariant.variantView
	if sGreen.Title != "S / Green" || sGreen.StockCount != 0 || sGreen.Available || sGreen.Position != 8 || cv.CreateVariant.Product.ProductID != tee.ProductID ||
		cv.CreateVariant.Product.Price != 18 || cv.CreateVariant.Product.StockCount != 14 {
		t.Fatalf("createVariant answered %+v", cv.CreateVariant)
	}
	if ms := mustMovements(t, admin, tee.ProductID, sGreen.VariantID); len(ms) != 0 {
		t.Fatalf("a variant created without stock has a ledger: %+v", ms)
	}
	tee = mustVariants(t, admin, tee.ProductID)
	if len(tee.Variants) != 9 || tee.variant(t, "S / Green").VariantID != sGreen.VariantID {
		t.Fatalf("after createVariant: %+v", tee)
	}
	mustRefused(t, createVariant(tee.ProductID, map[string]any{"price": 1, "options": sel("Size", "s", "Colour", "green")}), "CONFLICT")
	mustFields(t, createVariant(tee.ProductID, map[string]any{"price": 1, "sku": "mug-1", "options": sel("Size", "M", "Colour", "Green")}), "CONFLICT", "sku")
	mustFields(t, createVariant(tee.ProductID, map[string]any{"price": 1, "options": sel("Size", "M", "Colour", "Pink")}), badUserInput, "input.options")
	mustRefused(t, createVariant(tee.ProductID, map[string]any{"options": sel("Size", "M", "Colour", "Green")}), badUserInput)
	mustFields(t, createVariant(tee.ProductID, map[string]any{"price": 1.001, "stockCount": -1, "imageUrl": "http://img.test/x.png", "compareAtPrice": -1, "options": sel("Size", "M", "Colour", "Green")}),
		badUserInput, "input.price", "input.stockCount", "input.imageUrl", "input.compareAtPrice")
	mustRefused(t, createVariant(unknownID, map[string]any{"price": 1}), notFound)
	if got := mustVariants(t, admin, tee.ProductID); !reflect.DeepEqual(got, tee) {
		t.Fatalf("refused createVariants changed the product: %+v", got)
	}

	// updateVariant: the price (the product's moves with it, the cheapest
	// available), the SKU, the stock (a ledger row of the difference).
	updateVariant := func(id string, input map[string]any) gqlResponse {
		return admin.MustPost(t, `mutation($v: String!, $in: ProductVariantInput!) { updateVariant(variantId: $v, input: $in) { `+vFields+` } }`,
			map[string]any{"v": id, "in": input})
	}
	updated := func(r gqlResponse) variantView {
		t.Helper()
		var out struct{ UpdateVariant *variantView }
		if len(r.Errors) > 0 || json.Unmarshal(r.Data, &out) != nil || out.UpdateVariant == nil {
			t.Fatalf("updateVariant: %s %+v", r.Data, r.Errors)
		}
		return *out.UpdateVariant
	}
	v := updated(updateVariant(sRed.VariantID, map[string]any{"price": 12, "sku": "TEE-S-RED-2", "stockCount": 7, "compareAtPrice": 0}))
	if v.Price != 12 || str(v.SKU) != "TEE-S-RED-2" || v.StockCount != 7 || v.CompareAtPrice != nil || v.WeightGrams == nil || v.Title != "S / Red" {
		t.Fatalf("updateVariant answered %+v", v)
	}
	tee = mustVariants(t, admin, tee.ProductID)
	if tee.Price != 12 || tee.StockCount != 16 {
		t.Fatalf("after updateVariant: %+v", tee)
	}
	if m := lastMovement(t, admin, tee.ProductID, sRed.VariantID, 7); m.Kind != "update" || m.Delta != 2 || m.Actor != admin.ID {
		t.Fatalf("updateVariant's stock in the ledger: %+v", m)
	}
	if r := updateVariant(unknownID, map[string]any{"price": 1}); len(r.Errors) > 0 || string(r.Data) != `{"updateVariant":null}` {
		t.Fatalf("updateVariant of no variant: %s %+v", r.Data, r.Errors)
	}
	mustRefused(t, updateVariant(sGreen.VariantID, map[string]any{"options": sel("Size", "M", "Colour", "Red")}), "CONFLICT")
	if r := updateVariant(sGreen.VariantID, map[string]any{"sku": "tee-m-red"}); !strings.Contains(r.Errors[0].Message, "another product or variant") {
		t.Fatalf("a sibling's SKU is refused as: %q", r.Errors[0].Message)
	}
	mustFields(t, updateVariant(sGreen.VariantID, map[string]any{"sku": "tee-m-red"}), "CONFLICT", "sku")
	mustFields(t, updateVariant(sGreen.VariantID, map[string]any{"price": -2, "weightGrams": 1_000_000_001}), badUserInput, "input.price", "input.weightGrams")
	if got := mustVariants(t, admin, tee.ProductID); !reflect.DeepEqual(got, tee) {
		t.Fatalf("refused updateVariants changed the product: %+v", got)
	}

	// deleteVariant: one of several; none with that id; never the last.
	deleteVariant := func(id string) gqlResponse {
		return admin.MustPost(t, `mutation($v: String!) { deleteVariant(variantId: $v) }`, map[string]any{"v": id})
	}
	if r := deleteVariant(sGreen.VariantID); string(r.Data) != `{"deleteVariant":true}` {
		t.Fatalf("deleteVariant: %s %+v", r.Data, r.Errors)
	}
	if r := deleteVariant(sGreen.VariantID); string(r.Data) != `{"deleteVariant":false}` {
		t.Fatalf("deleteVariant again: %s %+v", r.Data, r.Errors)
	}
	tee = mustVariants(t, admin, tee.ProductID)
	if len(tee.Variants) != 8 {
		t.Fatalf("after deleteVariant: %q", tee.titles())
	}
	mustRefused(t, deleteVariant(mug.ProductID), badUserInput)
	if got := mustVariants(t, admin, mug.ProductID); len(got.Variants) != 1 {
		t.Fatalf("the mug lost its last variant: %+v", got)
	}
	// The value S / Green used can be dropped now.
	tee = setOK(tee.ProductID, opt("Size", "S", "M", "L", "XL"), colours)

	// getVariantById: with its product; an inactive product's variants
	// are hidden from shoppers, not from admins.
	getVariant := func(c *client, id string) *variantView {
		t.Helper()
		var out struct {
			GetVariantById *struct {
				variantView
				Product struct{ ProductID string }
			}
		}
		c.MustData(t, `query($v: String!) { getVariantById(variantId: $v) { `+vFields+` product { productId } } }`, map[string]any{"v": id}, &out)
		if out.GetVariantById == nil {
			return nil
		}
		if out.GetVariantById.Product.ProductID == "" {
			t.Fatalf("variant %s without its product", id)
		}
		return &out.GetVariantById.variantView
	}
	if got := getVariant(anon, mRed.VariantID); got == nil || got.Title != "M / Red" || !got.Available || got.StockCount != 3 {
		t.Fatalf("getVariantById: %+v", got)
	}
	if got := getVariant(anon, unknownID); got != nil {
		t.Fatalf("getVariantById of no variant: %+v", got)
	}
	setActive := func(id string, active bool) {
		admin.MustData(t, `mutation($p: String!, $a: Boolean!) { updateProduct(input: {productId: $p, active: $a}) { active } }`, map[string]any{"p": id, "a": active}, &struct{}{})
	}
	setActive(tee.ProductID, false)
	for _, c := range []*client{anon, shopper} {
		if got := getVariant(c, mRed.VariantID); got != nil {
			t.Fatalf("a shopper sees a variant of an inactive product: %+v", got)
		}
	}
	if got := getVariant(admin, mRed.VariantID); got == nil || got.Available {
		t.Fatalf("the admin's view of a variant of an inactive product: %+v", got)
	}
	inactive := mustVariants(t, admin, tee.ProductID) // every variant unavailable: the price is the lowest of all
	if inactive.Price != 12 {
		t.Fatalf("inactive: %+v", inactive)
	}
	setActive(tee.ProductID, true)
	if got := getVariant(anon, mRed.VariantID); got == nil || !got.Available {
		t.Fatalf("getVariantById once active again: %+v", got)
	}

	// updateProduct: price and stockCount name a variant, refused for a
	// product with several; other fields are the product's; on a product
	// with one variant they set it (and the ledger).
	updateProduct := func(input map[string]any) gqlResponse {
		return admin.MustPost(t, `mutation($in: ProductUpdateInput!) { updateProduct(input: $in) { `+pFields+` } }`, map[string]any{"in": input})
	}
	tee = mustVariants(t, admin, tee.ProductID)
	mustVariantRequired(t, updateProduct(map[string]any{"productId": tee.ProductID, "price": 1}), tee)
	mustVariantRequired(t, updateProduct(map[string]any{"productId": tee.ProductID, "stockCount": 1, "name": "Tee 2"}), tee)
	if got := mustVariants(t, admin, tee.ProductID); !reflect.DeepEqual(got, tee) {
		t.Fatalf("a refused updateProduct changed %+v", got)
	}
	if r := updateProduct(map[string]any{"productId": tee.ProductID, "name": "Tee 2"}); len(r.Errors) > 0 {
		t.Fatalf("updateProduct of a name: %+v", r.Errors)
	}
	tee.Name = "Tee 2"
	var up struct{ UpdateProduct productView }
	if r := updateProduct(map[string]any{"productId": mug.ProductID, "price": 8.5, "stockCount": 10, "sku": "MUG-2"}); len(r.Errors) > 0 || json.Unmarshal(r.Data, &up) != nil {
		t.Fatalf("updateProduct of a single-variant product: %+v", r.Errors)
	}
	mug = up.UpdateProduct
	mustTotals(t, mug)
	if mug.Price != 8.5 || mug.StockCount != 10 || str(mug.Variants[0].SKU) != "MUG-2" || mug.Variants[0].Price != 8.5 {
		t.Fatalf("after updateProduct: %+v", mug)
	}
	if m := lastMovement(t, admin, mug.ProductID, mug.ProductID, 10); m.Kind != "update" || m.Delta != 4 {
		t.Fatalf("updateProduct's stock in the ledger: %+v", m)
	}

	// createOrder: lines by variant; the product alone is refused for a
	// product with several (naming them) and taken for one with one; a
	// variant of another product, an unknown one, one out of stock.
	order := func(c *client, key string, lines ...vLine) gqlResponse {
		return c.MustPost(t, vOrderDoc, map[string]any{"items": lines, "key": orNull(key)})
	}
	mustVariantRequired(t, order(shopper, "", vLine{tee.ProductID, "", 1}), tee)
	mustRefused(t, order(shopper, "", vLine{cup.ProductID, mRed.VariantID, 1}), notFound)
	mustRefused(t, order(shopper, "", vLine{tee.ProductID, unknownID, 1}), notFound)
	r = order(shopper, "", vLine{tee.ProductID, lBlue.VariantID, 1})
	mustRefused(t, r, insufficientStock)
	if r.Errors[0].Extensions["variantId"] != lBlue.VariantID || !strings.Contains(r.Errors[0].Message, "L / Blue") {
		t.Fatalf("INSUFFICIENT_STOCK for a variant: %+v", r.Errors[0])
	}
	if got := mustVariants(t, admin, tee.ProductID); !reflect.DeepEqual(got, tee) {
		t.Fatalf("refused orders changed the stock: %+v", got)
	}
	o1 := mustPlaced(t, order(shopper, "", vLine{tee.ProductID, mRed.VariantID, 2}, vLine{mug.ProductID, "", 1}, vLine{tee.ProductID, sRed.VariantID, 3}))
	wantItems := []itemView{
		{ProductID: tee.ProductID, VariantID: mRed.VariantID, SKU: ptrTo("TEE-M-RED"), Title: "M / Red", Options: []selOpt{{"Size", "M"}, {"Colour", "Red"}}, Quantity: 2, PriceAtPurchase: 20},
		{ProductID: mug.ProductID, VariantID: mug.ProductID, SKU: ptrTo("MUG-2"), Title: "Default", Options: []selOpt{}, Quantity: 1, PriceAtPurchase: 8.5},
		{ProductID: tee.ProductID, VariantID: sRed.VariantID, SKU: ptrTo("TEE-S-RED-2"), Title: "S / Red", Options: []selOpt{{"Size", "S"}, {"Colour", "Red"}}, Quantity: 3, PriceAtPurchase: 12},
	}
	// Lines come sorted by product and variant, as they were sorted by
	// product before variants.
	sort.Slice(wantItems, func(i, j int) bool {
		a, b := wantItems[i], wantItems[j]
		return a.ProductID < b.ProductID || a.ProductID == b.ProductID && a.VariantID < b.VariantID
	})
	if !reflect.DeepEqual(o1.Items, wantItems) || o1.TotalAmount != 40+8.5+36 {
		t.Fatalf("order %+v\nwant items %+v", o1, wantItems)
	}
	tee = mustVariants(t, admin, tee.ProductID)
	if tee.variant(t, "M / Red").StockCount != 1 || tee.variant(t, "S / Red").StockCount != 4 || tee.StockCount != 11 {
		t.Fatalf("after the order: %+v", tee)
	}
	for _, id := range []string{mRed.VariantID, sRed.VariantID} {
		if m := lastMovement(t, admin, tee.ProductID, id, tee.variantByID(t, id).StockCount); m.Kind != "order" || m.OrderID == nil || *m.OrderID != o1.OrderID {
			t.Fatalf("the order in variant %s's ledger: %+v", id, m)
		}
	}

	// When the cheapest sells out the price moves to the next cheapest
	// available, and back when it has stock again.
	o2 := mustPlaced(t, order(shopper, "", vLine{tee.ProductID, sRed.VariantID, 4}))
	tee = mustVariants(t, anon, tee.ProductID)
	if tee.Price != 20 || tee.variant(t, "S / Red").Available {
		t.Fatalf("S / Red sold out: %+v", tee)
	}
	if m := admin.MustPost(t, cancelDoc, map[string]any{"o": o2.OrderID, "r": "changed my mind"}); len(m.Errors) > 0 {
		t.Fatal(m.Errors)
	}
	tee = mustVariants(t, anon, tee.ProductID)
	if tee.Price != 12 || tee.variant(t, "S / Red").StockCount != 4 {
		t.Fatalf("S / Red restocked by the cancellation: %+v", tee)
	}
	if m := lastMovement(t, admin, tee.ProductID, sRed.VariantID, 4); m.Kind != "cancellation" || m.Delta != 4 || m.OrderID == nil || *m.OrderID != o2.OrderID {
		t.Fatalf("the cancellation in S / Red's ledger: %+v", m)
	}

	// The order's lines keep what they were when the variant is renamed
	// (new SKU, new values) or deleted.
	tee = setOK(tee.ProductID, opt("Size", "S", "M", "L", "XL"), opt("Colour", "Red", "Blue", "Green"))
	updated(updateVariant(mRed.VariantID, map[string]any{"sku": "TEE-M-RED-NEW", "price": 21, "options": sel("Size", "XL", "Colour", "Green")}))
	updated(updateVariant(sRed.VariantID, map[string]any{"sku": ""}))
	if r := deleteVariant(sRed.VariantID); string(r.Data) != `{"deleteVariant":true}` {
		t.Fatalf("deleteVariant: %s %+v", r.Data, r.Errors)
	}
	for _, c := range []*client{shopper, admin} {
		var out struct{ GetOrderById struct{ Items []itemView } }
		c.MustData(t, `query($o: String!) { getOrderById(orderId: $o) { items { `+itemFields+` } } }`, map[string]any{"o": o1.OrderID}, &out)
		if !reflect.DeepEqual(out.GetOrderById.Items, wantItems) {
			t.Fatalf("order lines after the variants changed: %+v\nwant %+v", out.GetOrderById.Items, wantItems)
		}
	}
	tee = mustVariants(t, admin, tee.ProductID)
	mRed = tee.variant(t, "XL / Green")

	// adjustStock: by variant; by product only for a single-variant
	// product; a variant of another product is none of it.
	adjust := func(productID, variantID string, delta int) gqlResponse {
		return admin.MustPost(t, `mutation($p: String, $v: String, $d: Int!) { adjustStock(productId: $p, variantId: $v, delta: $d, reason: "recount") { `+pFields+` } }`,
			map[string]any{"p": orNull(productID), "v": orNull(variantID), "d": delta})
	}
	adjusted := func(r gqlResponse) productView {
		t.Helper()
		var out struct{ AdjustStock productView }
		if len(r.Errors) > 0 || json.Unmarshal(r.Data, &out) != nil {
			t.Fatalf("adjustStock: %s %+v", r.Data, r.Errors)
		}
		mustTotals(t, out.AdjustStock)
		return out.AdjustStock
	}
	prev := tee
	tee = adjusted(adjust("", lBlue.VariantID, 3))
	if tee.variant(t, "L / Blue").StockCount != 3 || tee.StockCount != prev.StockCount+3 {
		t.Fatalf("after adjustStock by variant: %+v", tee)
	}
	if m := lastMovement(t, admin, tee.ProductID, lBlue.VariantID, 3); m.Kind != "adjustment" || m.Delta != 3 || str(m.Reason) != "recount" {
		t.Fatalf("adjustStock in the ledger: %+v", m)
	}
	tee = adjusted(adjust(tee.ProductID, lBlue.VariantID, -1))
	mustVariantRequired(t, adjust(tee.ProductID, "", 1), tee)
	mustRefused(t, adjust(cup.ProductID, lBlue.VariantID, 1), notFound)
	mustRefused(t, adjust("", unknownID, 1), notFound)
	mustRefused(t, adjust("", lBlue.VariantID, -3), insufficientStock)
	if mug = adjusted(adjust(mug.ProductID, "", -2)); mug.StockCount != 7 {
		t.Fatalf("adjustStock of the mug: %+v", mug)
	}
	if got := mustVariants(t, admin, tee.ProductID); !reflect.DeepEqual(got, tee) {
		t.Fatalf("refused adjustStocks changed %+v", got)
	}

	// lowStockVariants: every variant with at most the threshold, fewest
	// first, then by product (oldest first) and position.
	type lowView struct {
		VariantID  string
		StockCount int
		Product    struct{ ProductID string }
	}
	var low struct{ LowStockVariants []lowView }
	admin.MustData(t, `{ lowStockVariants(threshold: 4) { variantId stockCount product { productId } } }`, nil, &low)
	var wantLow []lowView
	for _, p := range []productView{mustVariants(t, admin, tee.ProductID), mustVariants(t, admin, cup.ProductID), mustVariants(t, admin, mug.ProductID)} {
		for _, v := range p.Variants {
			if v.StockCount <= 4 {
				l := lowView{VariantID: v.VariantID, StockCount: v.StockCount}
				l.Product.ProductID = p.ProductID
				wantLow = append(wantLow, l)
			}
		}
	}
	sort.SliceStable(wantLow, func(i, j int) bool { return wantLow[i].StockCount < wantLow[j].StockCount })
	if !reflect.DeepEqual(low.LowStockVariants, wantLow) || len(wantLow) < 8 {
		t.Fatalf("lowStockVariants %+v\nwant %+v", low.LowStockVariants, wantLow)
	}

	// Idempotent createOrder with variant lines: the same key and lines
	// is the same order, stock taken once; other lines under the key are
	// refused.
	tee = mustVariants(t, admin, tee.ProductID)
	before := tee.variant(t, "S / Blue").StockCount
	key := testenv.RandomName("key-")
	first := mustPlaced(t, order(shopper, key, vLine{tee.ProductID, sBlue.VariantID, 1}))
	again := mustPlaced(t, order(shopper, key, vLine{tee.ProductID, sBlue.VariantID, 1}))
	if again.OrderID != first.OrderID || !reflect.DeepEqual(again, first) {
		t.Fatalf("a replay placed %+v, first %+v", again, first)
	}
	mustRefused(t, order(shopper, key, vLine{tee.ProductID, mRed.VariantID, 1}), keyReused)
	if got := mustVariants(t, admin, tee.ProductID).variant(t, "S / Blue").StockCount; got != before-1 {
		t.Fatalf("S / Blue %d after one order sent twice, want %d", got, before-1)
	}
	if r := admin.MustPost(t, cancelDoc, map[string]any{"o": first.OrderID, "r": nil}); len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	if got := mustVariants(t, admin, tee.ProductID).variant(t, "S / Blue").StockCount; got != before {
		t.Fatalf("S / Blue %d after the cancellation, want %d", got, before)
	}

	// Another instance shows the same products.
	for _, id := range []string{tee.ProductID, cup.ProductID, mug.ProductID} {
		want := mustVariants(t, admin, id)
		MustSeeWithin(t, crossInstanceBound, func() bool {
			return reflect.DeepEqual(mustVariants(t, admin.on(other), id), want)
		})
	}
	checkVariantLedger(t, db)
}

// checkVariantEdges: a product without options given one (its default
// variant takes the first value, keeping its id) and then more variants,
// after which its price and stock name variants; dropping an option that
// tells variants apart; variants read in lists of products; lines naming
// one variant twice; an inactive product's variant; a deleted product's.
func checkVariantEdges(t *testing.T, in *instance, db *sql.DB) {
	admin := in.MustAdmin(t)
	shopper, _ := in.MustCustomer(t)
	anon := in.Anonymous()
	var made struct{ CreateProduct productView }
	admin.MustData(t, `mutation { createProduct(input: {name: "Bowl", price: 5, stockCount: 4, sku: "BOWL"}) { `+pFields+` } }`, nil, &made)
	bowl := made.CreateProduct
	setOptions := func(options ...any) gqlResponse {
		if options == nil {
			options = []any{} // none, not null
		}
		return admin.MustPost(t, `mutation($p: String!, $o: [ProductOptionInput!]!) { setProductOptions(productId: $p, options: $o) { `+pFields+` } }`,
			map[string]any{"p": bowl.ProductID, "o": options})
	}
	var set struct{ SetProductOptions productView }
	if r := setOptions(opt("Material", "Clay", "Glass")); len(r.Errors) > 0 || json.Unmarshal(r.Data, &set) != nil {
		t.Fatalf("setProductOptions on a product without options: %+v", r.Errors)
	}
	clay := set.SetProductOptions.variant(t, "Clay")
	if len(set.SetProductOptions.Variants) != 1 || clay.VariantID != bowl.ProductID || str(clay.SKU) != "BOWL" || str(set.SetProductOptions.SKU) != "BOWL" {
		t.Fatalf("the default variant given an option: %+v", set.SetProductOptions)
	}
	mustTotals(t, set.SetProductOptions)
	// With one variant the product's price and stock are still its own.
	admin.MustData(t, `mutation($p: String!) { updateProduct(input: {productId: $p, price: 6, stockCount: 3}) { price } }`, map[string]any{"p": bowl.ProductID}, &struct{}{})
	var gen struct{ GenerateVariants productView }
	admin.MustData(t, `mutation($p: String!) { generateVariants(productId: $p, price: 9, stockCount: 2) { `+pFields+` } }`, map[string]any{"p": bowl.ProductID}, &gen)
	bowl = gen.GenerateVariants
	mustTotals(t, bowl)
	if got := bowl.titles(); !reflect.DeepEqual(got, []string{"Clay", "Glass"}) || bowl.SKU != nil || bowl.Price != 6 || bowl.StockCount != 5 {
		t.Fatalf("the bowl with two variants: %+v", bowl)
	}
	r := admin.MustPost(t, `mutation($p: String!) { updateProduct(input: {productId: $p, stockCount: 1}) { price } }`, map[string]any{"p": bowl.ProductID})
	mustVariantRequired(t, r, bowl)
	// Dropping the option would make the two the same; adding one is fine
	// (both take its first value).
	r = setOptions()
	mustRefused(t, r, badUserInput)
	if !strings.Contains(r.Errors[0].Message, "same") {
		t.Fatalf("dropping the option that tells Clay from Glass: %q", r.Errors[0].Message)
	}
	if r := setOptions(opt("Material", "Clay", "Glass"), opt("Finish", "Matte", "Gloss")); len(r.Errors) > 0 || json.Unmarshal(r.Data, &set) != nil {
		t.Fatalf("adding an option: %+v", r.Errors)
	}
	bowl = set.SetProductOptions
	mustTotals(t, bowl)
	if got := bowl.titles(); !reflect.DeepEqual(got, []string{"Clay / Matte", "Glass / Matte"}) {
		t.Fatalf("after adding Finish: %q", got)
	}
	// An option every variant has the same value of can go.
	if r := setOptions(opt("Material", "Clay", "Glass")); len(r.Errors) > 0 || json.Unmarshal(r.Data, &set) != nil {
		t.Fatalf("dropping Finish: %+v", r.Errors)
	}
	bowl = set.SetProductOptions
	mustTotals(t, bowl)

	// Lists of products show their variants, the same as one product read
	// alone.
	var list struct {
		Products    struct{ Edges []struct{ Node productView } }
		GetProducts []productView
	}
	anon.MustData(t, `{ products(first: 10) { edges { node { `+pFields+` } } } getProducts(limit: 10) { `+pFields+` } }`, nil, &list)
	if len(list.Products.Edges) < 4 || len(list.Products.Edges) != len(list.GetProducts) {
		t.Fatalf("%d products in the connection, %d in getProducts", len(list.Products.Edges), len(list.GetProducts))
	}
	for i, e := range list.Products.Edges {
		alone := mustVariants(t, anon, e.Node.ProductID)
		if !reflect.DeepEqual(e.Node, alone) {
			t.Fatalf("in the list %+v\nalone %+v", e.Node, alone)
		}
		if !reflect.DeepEqual(list.GetProducts[i], alone) {
			t.Fatalf("in getProducts %+v\nalone %+v", list.GetProducts[i], alone)
		}
	}

	// Lines naming one variant twice, by the product and by the variant,
	// are one line.
	glass := bowl.variant(t, "Glass")
	o := mustPlaced(t, shopper.MustPost(t, vOrderDoc, map[string]any{"items": []vLine{{bowl.ProductID, glass.VariantID, 1}, {bowl.ProductID, glass.VariantID, 1}}}))
	if len(o.Items) != 1 || o.Items[0].Quantity != 2 || o.Items[0].VariantID != glass.VariantID || o.TotalAmount != 18 {
		t.Fatalf("two lines of one variant: %+v", o)
	}
	var mugOut struct{ CreateProduct productView }
	admin.MustData(t, `mutation { createProduct(input: {name: "Plate", price: 2, stockCount: 9}) { `+pFields+` } }`, nil, &mugOut)
	plate := mugOut.CreateProduct.ProductID
	o = mustPlaced(t, shopper.MustPost(t, vOrderDoc, map[string]any{"items": []vLine{{plate, "", 1}, {plate, plate, 2}}}))
	if len(o.Items) != 1 || o.Items[0].Quantity != 3 || o.Items[0].VariantID != plate {
		t.Fatalf("a single-variant product named by product and by variant: %+v", o)
	}

	// An order of a variant deleted since cancels, restocking the rest.
	clay = bowl.variant(t, "Clay")
	o3 := mustPlaced(t, shopper.MustPost(t, vOrderDoc, map[string]any{"items": []vLine{{bowl.ProductID, clay.VariantID, 1}, {plate, "", 2}}}))
	if r := admin.MustPost(t, `mutation($v: String!) { deleteVariant(variantId: $v) }`, map[string]any{"v": clay.VariantID}); string(r.Data) != `{"deleteVariant":true}` {
		t.Fatalf("deleteVariant: %s %+v", r.Data, r.Errors)
	}
	plateBefore := in.MustStock(t, plate)
	if r := shopper.MustPost(t, cancelDoc, map[string]any{"o": o3.OrderID, "r": nil}); len(r.Errors) > 0 {
		t.Fatalf("cancelling an order of a deleted variant: %+v", r.Errors)
	}
	if got := in.MustStock(t, plate); got != plateBefore+2 {
		t.Fatalf("the plate after the cancellation: %d, want %d", got, plateBefore+2)
	}

	// An inactive product's variant can't be ordered; a deleted product's
	// variants are gone, its order lines stay.
	admin.MustData(t, `mutation($p: String!) { updateProduct(input: {productId: $p, active: false}) { active } }`, map[string]any{"p": bowl.ProductID}, &struct{}{})
	mustRefused(t, shopper.MustPost(t, vOrderDoc, map[string]any{"items": []vLine{{bowl.ProductID, glass.VariantID, 1}}}), "PRODUCT_INACTIVE")
	if r := admin.MustPost(t, `mutation($p: String!) { deleteProduct(productId: $p) }`, map[string]any{"p": bowl.ProductID}); string(r.Data) != `{"deleteProduct":true}` {
		t.Fatalf("deleteProduct: %s %+v", r.Data, r.Errors)
	}
	for _, c := range []*client{anon, admin} {
		var v struct{ GetVariantById *struct{ VariantID string } }
		c.MustData(t, `query($v: String!) { getVariantById(variantId: $v) { variantId } }`, map[string]any{"v": glass.VariantID}, &v)
		if v.GetVariantById != nil {
			t.Fatalf("a deleted product's variant: %+v", v.GetVariantById)
		}
	}
	var kept struct{ GetOrderById struct{ Items []itemView } }
	shopper.MustData(t, `query($o: String!) { getOrderById(orderId: $o) { items { `+itemFields+` } } }`, map[string]any{"o": o.OrderID}, &kept)
	var left int
	if err := db.QueryRow(`SELECT COUNT(*) FROM product_variants WHERE product_id = '` + bowl.ProductID + `'`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Fatalf("%d variants of a deleted product left", left)
	}
	checkVariantLedger(t, db)
}

func (p productView) variantByID(tb testing.TB, id string) variantView {
	tb.Helper()
	for _, v := range p.Variants {
		if v.VariantID == id {
			return v
		}
	}
	tb.Fatalf("product %s has no variant %s", p.ProductID, id)
	return variantView{}
}

// checkVariantLedger checks in SQL that every variant's ledger adds up,
// movement by movement, to its stock, and that every product's stock is
// its variants' sum.
func checkVariantLedger(t *testing.T, db *sql.DB) {
	t.Helper()
	rows, err := db.Query(`SELECT v.variant_id, v.stock_count, m.delta, m.stock_after FROM product_variants v
		LEFT JOIN stock_movements m ON m.variant_id = v.variant_id ORDER BY v.variant_id, m.id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type acc struct{ stock, sum, last, n int }
	got := map[string]*acc{}
	for rows.Next() {
		var id string
		var stock int
		var delta, after sql.NullInt64
		if err := rows.Scan(&id, &stock, &delta, &after); err != nil {
			t.Fatal(err)
		}
		a := got[id]
		if a == nil {
			a = &acc{stock: stock}
			got[id] = a
		}
		if delta.Valid {
			a.sum += int(delta.Int64)
			a.n++
			if int(after.Int64) != a.sum {
				t.Fatalf("variant %s: a movement leaves %d, the movements so far add to %d", id, after.Int64, a.sum)
			}
			a.last = int(after.Int64)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for id, a := range got {
		if a.sum != a.stock {
			t.Fatalf("variant %s: stock %d, its %d movements add to %d", id, a.stock, a.n, a.sum)
		}
	}
	var bad int
	if err := db.QueryRow(`SELECT COUNT(*) FROM products p WHERE p.stock_count <> (SELECT COALESCE(SUM(v.stock_count), 0) FROM product_variants v WHERE v.product_id = p.product_id)`).Scan(&bad); err != nil {
		t.Fatal(err)
	}
	if bad != 0 {
		t.Fatalf("%d products whose stock is not their variants' sum", bad)
	}
}

// TestVariantRestocksOnExpiry: an unpaid order of variants, expired by
// the service, gives each variant back what it took, on PostgreSQL and on
// SQLite.
func TestVariantRestocksOnExpiry(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"postgres+redis", "sqlite"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			env := EmbeddedEnv(t)
			if kind == "postgres+redis" {
				env = PostgresRedisEnv(t)
			}
			env["ORDER_PENDING_TTL"], env["ORDER_EXPIRY_INTERVAL"] = "1s", "50ms"
			in := MustStart(t, env)
			admin := in.MustAdmin(t)
			shopper, _ := in.MustCustomer(t)
			var out struct{ CreateProduct productView }
			admin.MustData(t, `mutation { createProduct(input: {name: "Sock", price: 3, stockCount: 5, options: [{name: "Size", values: ["M", "L"]}]}) { `+pFields+` } }`, nil, &out)
			sock := out.CreateProduct
			m, l := sock.variant(t, "M"), sock.variant(t, "L")
			o := mustPlaced(t, shopper.MustPost(t, vOrderDoc, map[string]any{"items": []vLine{{sock.ProductID, m.VariantID, 2}, {sock.ProductID, l.VariantID, 1}}}))
			if got := mustVariants(t, admin, sock.ProductID); got.variant(t, "M").StockCount != 3 || got.variant(t, "L").StockCount != 4 {
				t.Fatalf("after the order: %+v", got)
			}
			db := mustSQL(t, env)
			testenv.WaitFor(t, func() bool {
				var status string
				if err := db.QueryRow(`SELECT status FROM orders`).Scan(&status); err != nil { // the only one
					t.Fatal(err)
				}
				return status == "cancelled"
			})
			MustSeeWithin(t, crossInstanceBound, func() bool {
				got := mustVariants(t, admin, sock.ProductID)
				return got.variant(t, "M").StockCount == 5 && got.variant(t, "L").StockCount == 5
			})
			for _, v := range []variantView{m, l} {
				if mv := lastMovement(t, admin, sock.ProductID, v.VariantID, 5); mv.Kind != "cancellation" || mv.Actor != "system" || mv.OrderID == nil || *mv.OrderID != o.OrderID {
					t.Fatalf("variant %s's restock: %+v", v.Title, mv)
				}
			}
			checkVariantLedger(t, db)
		})
	}
}

// TestVariantOrdersAcrossProcesses is TestOrdersAcrossProcesses per
// variant: three server processes on one PostgreSQL and Redis, 120
// one-unit orders for variant M (stock 30) released at once, while a
// few orders for other variants go through: exactly M's stock is sold,
// the other variants lose only what their own orders took, the
// product's stockCount is the sum, and each variant's ledger adds up to
// its stock.
func TestVariantOrdersAcrossProcesses(t *testing.T) {
	t.Parallel()
	bin := mustBuild(t)
	env := PostgresRedisEnv(t)
	roomForOrders(env)
	var urls []string
	var ins []*instance
	for i := 0; i < 3; i++ {
		p := mustStartProcess(t, bin, env)
		urls = append(urls, p.URL)
		ins = append(ins, p.instance)
	}
	admin := ins[0].MustAdmin(t)
	var out struct{ CreateProduct productView }
	admin.MustData(t, `mutation { createProduct(input: {name: "Hoodie", price: 40, stockCount: 30, options: [{name: "Size", values: ["S", "M", "L"]}],
		variants: [{options: [{name: "Size", value: "S"}], stockCount: 10, price: 35}, {options: [{name: "Size", value: "M"}]}, {options: [{name: "Size", value: "L"}], stockCount: 20}]}) { `+pFields+` } }`, nil, &out)
	hoodie := out.CreateProduct
	s, m, l := hoodie.variant(t, "S"), hoodie.variant(t, "M"), hoodie.variant(t, "L")
	if s.StockCount != 10 || m.StockCount != 30 || l.StockCount != 20 || hoodie.StockCount != 60 {
		t.Fatalf("created %+v", hoodie)
	}
	for _, in := range ins { // every instance holds the product in its cache
		mustVariants(t, admin.on(in), hoodie.ProductID)
	}
	buyer, _ := ins[1].MustCustomer(t)

	const orders = 120
	body := func(v variantView) []byte {
		b, _ := json.Marshal(map[string]any{"query": vOrderDoc, "variables": map[string]any{"items": []vLine{{hoodie.ProductID, v.VariantID, 1}}}})
		return b
	}
	type shot struct {
		url  string
		body []byte
		v    string
	}
	var shots []shot
	for i := 0; i < orders; i++ {
		shots = append(shots, shot{urls[i%len(urls)], body(m), "M"})
	}
	// Four for S and three for L among them: stock they have.
	for i := 0; i < 4; i++ {
		shots = append(shots, shot{urls[i%len(urls)], body(s), "S"})
	}
	for i := 0; i < 3; i++ {
		shots = append(shots, shot{urls[(i+1)%len(urls)], body(l), "L"})
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: len(shots)}}
	defer hc.CloseIdleConnections()
	reqs := make([]func() (gqlResponse, error), len(shots))
	for i, sh := range shots {
		reqs[i] = func() (gqlResponse, error) {
			req, _ := http.NewRequest(http.MethodPost, sh.url+"/graphql", strings.NewReader(string(sh.body)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+buyer.Token)
			resp, err := hc.Do(req)
			if err != nil {
				return gqlResponse{}, err
			}
			defer resp.Body.Close()
			var r gqlResponse
			return r, json.NewDecoder(resp.Body).Decode(&r)
		}
	}
	rs, errs := race(reqs...)
	count := map[string]int{}
	for i, r := range rs {
		if errs[i] != nil {
			t.Fatalf("order %d: %v", i, errs[i])
		}
		outcome := "ok"
		if len(r.Errors) > 0 {
			outcome = r.Code()
		}
		count[shots[i].v+" "+outcome]++
	}
	want := map[string]int{"M ok": 30, "M " + insufficientStock: orders - 30, "S ok": 4, "L ok": 3}
	if !reflect.DeepEqual(count, want) {
		t.Fatalf("outcomes %v, want %v", count, want)
	}
	for _, in := range ins {
		MustSeeWithin(t, crossInstanceBound, func() bool {
			p := mustVariants(t, admin.on(in), hoodie.ProductID)
			return p.variant(t, "M").StockCount == 0 && p.variant(t, "S").StockCount == 6 && p.variant(t, "L").StockCount == 17 && p.StockCount == 23
		})
	}
	db := mustSQL(t, env)
	sold := map[string]int{}
	rows, err := db.Query(`SELECT variant_id, SUM(quantity), COUNT(DISTINCT order_id) FROM order_items GROUP BY variant_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var units, n int
		if err := rows.Scan(&id, &units, &n); err != nil {
			t.Fatal(err)
		}
		if units != n {
			t.Fatalf("variant %s: %d units in %d orders of one unit each", id, units, n)
		}
		sold[id] = units
	}
	if !reflect.DeepEqual(sold, map[string]int{m.VariantID: 30, s.VariantID: 4, l.VariantID: 3}) {
		t.Fatalf("units sold by variant %v (S %s, M %s, L %s)", sold, s.VariantID, m.VariantID, l.VariantID)
	}
	var total int64
	if err := db.QueryRow(`SELECT SUM(total_amount_cents) FROM orders`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	if total != 30*4000+4*3500+3*4000 {
		t.Fatalf("orders total %d cents", total)
	}
	checkVariantLedger(t, db)
}

// TestVariantWritesRace releases admins' variant writes at once, on
// PostgreSQL and on SQLite: one combination created twenty times, one SKU
// taken on ten products, generateVariants five times, and the last two
// variants of a product deleted together. Exactly one of each wins; the
// others are refused, and the product is left whole.
func TestVariantWritesRace(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"postgres+redis", "sqlite"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			env := EmbeddedEnv(t)
			if kind == "postgres+redis" {
				env = PostgresRedisEnv(t)
			}
			withoutRequestLimits(env)
			in := MustStart(t, env)
			admin := in.MustAdmin(t)
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 20}}
			defer hc.CloseIdleConnections()
			product := func(doc string) productView {
				var out struct{ CreateProduct productView }
				admin.MustData(t, `mutation { createProduct(input: `+doc+`) { `+pFields+` } }`, nil, &out)
				return out.CreateProduct
			}
			outcomes := func(rs []gqlResponse, errs []error) map[string]int {
				count := map[string]int{}
				for i, r := range rs {
					if errs[i] != nil {
						t.Fatal(errs[i])
					}
					if len(r.Errors) == 0 {
						count["ok"]++
					} else {
						count[r.Code()]++
					}
				}
				return count
			}
			send := func(doc string, vars map[string]any) func() (gqlResponse, error) {
				return func() (gqlResponse, error) { return admin.Send(hc, nil, doc, vars) }
			}

			shirt := product(`{name: "Shirt", price: 10, stockCount: 1, options: [{name: "Size", values: ["S", "M", "L"]}], variants: [{options: [{name: "Size", value: "S"}]}]}`)
			var reqs []func() (gqlResponse, error)
			for i := 0; i < 20; i++ {
				reqs = append(reqs, send(`mutation($p: String!) { createVariant(productId: $p, input: {price: 11, options: [{name: "Size", value: "M"}]}) { variantId } }`, map[string]any{"p": shirt.ProductID}))
			}
			if got := outcomes(race(reqs...)); !reflect.DeepEqual(got, map[string]int{"ok": 1, "CONFLICT": 19}) {
				t.Fatalf("one combination created 20 times at once: %v", got)
			}

			reqs = nil
			var others []string
			for i := 0; i < 10; i++ {
				p := product(`{price: 1, stockCount: 1, options: [{name: "Size", values: ["S", "M"]}], variants: [{options: [{name: "Size", value: "S"}]}]}`)
				others = append(others, p.ProductID)
				reqs = append(reqs, send(`mutation($p: String!) { createVariant(productId: $p, input: {price: 2, sku: "RACE-1", options: [{name: "Size", value: "M"}]}) { variantId } }`, map[string]any{"p": p.ProductID}))
			}
			if got := outcomes(race(reqs...)); !reflect.DeepEqual(got, map[string]int{"ok": 1, "CONFLICT": 9}) {
				t.Fatalf("one SKU taken on 10 products at once: %v", got)
			}
			owners := 0
			for _, id := range others {
				if p := mustVariants(t, admin, id); len(p.Variants) == 2 {
					owners++
				} else if len(p.Variants) != 1 {
					t.Fatalf("product %s: %+v", id, p)
				}
			}
			if owners != 1 {
				t.Fatalf("%d products gained the variant with the SKU", owners)
			}

			reqs = nil
			for i := 0; i < 5; i++ {
				reqs = append(reqs, send(`mutation($p: String!) { generateVariants(productId: $p, price: 12, stockCount: 2) { variants { variantId } } }`, map[string]any{"p": shirt.ProductID}))
			}
			rs, errs := race(reqs...)
			got := outcomes(rs, errs)
			shirt = mustVariants(t, admin, shirt.ProductID)
			// Each call that went through found the missing combination (L)
			// made, or made it; a call that met another's insert may be
			// refused as a conflict and asked to read again.
			if got["ok"] < 1 || got["ok"]+got["CONFLICT"] != 5 || !reflect.DeepEqual(shirt.titles(), []string{"S", "M", "L"}) || shirt.variant(t, "L").StockCount != 2 {
				t.Fatalf("generateVariants 5 times at once: %v, then %+v", got, shirt)
			}

			deleteDoc := `mutation($v: String!) { deleteVariant(variantId: $v) }`
			if r := admin.MustPost(t, deleteDoc, map[string]any{"v": shirt.variant(t, "L").VariantID}); string(r.Data) != `{"deleteVariant":true}` {
				t.Fatalf("deleteVariant: %s %+v", r.Data, r.Errors)
			}
			// The last two at once: one goes, the other is the last.
			reqs = []func() (gqlResponse, error){
				send(deleteDoc, map[string]any{"v": shirt.variant(t, "S").VariantID}),
				send(deleteDoc, map[string]any{"v": shirt.variant(t, "M").VariantID}),
			}
			if got := outcomes(race(reqs...)); !reflect.DeepEqual(got, map[string]int{"ok": 1, badUserInput: 1}) {
				t.Fatalf("the last two variants deleted at once: %v", got)
			}
			if p := mustVariants(t, admin, shirt.ProductID); len(p.Variants) != 1 {
				t.Fatalf("after the deletes: %+v", p)
			}
			checkVariantLedger(t, mustSQL(t, env))
		})
	}
}
