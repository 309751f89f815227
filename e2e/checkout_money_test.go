package e2e

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"shop/internal/checkoutexamples"
)

// TestCheckoutMoneyExamples runs every worked example of
// models/testdata/checkout_money.json against the real server, through
// the API alone: the admin creates the example's products (price, weight,
// categories), zones and rates, tax rates and code; a guest fills a cart
// with its lines, address, method and code; the cart must show the
// example's amounts exactly, and checkoutComplete must make an order
// charging its total and keeping the same amounts, whatever is edited
// afterwards.
//
// Zones and tax rates are the shop's, so the examples of one instance run
// one after another, each deleting its zones and tax rates when it ends.
// Each setting of PRICES_INCLUDE_TAX has instances (and databases) of its
// own, on PostgreSQL with Redis and on the embedded SQLite.
func TestCheckoutMoneyExamples(t *testing.T) {
	t.Parallel()
	rows := loadMoneyRows(t)
	if len(rows) < 46 {
		t.Fatalf("%d examples in checkout_money.json, want the 46 docs/rules.md counts", len(rows))
	}
	for _, db := range []struct {
		name string
		env  func(testing.TB) map[string]string
	}{{"PostgreSQL", PostgresRedisEnv}, {"SQLite", EmbeddedEnv}} {
		for _, include := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/PRICES_INCLUDE_TAX=%v", db.name, include), func(t *testing.T) {
				t.Parallel()
				env := db.env(t)
				env["PRICES_INCLUDE_TAX"] = strconv.FormatBool(include)
				// An example has a line of 10,000 units.
				env["MAX_LINE_QUANTITY"], env["MAX_ORDER_UNITS"] = "0", "0"
				withoutRequestLimits(env)
				shop := newMoneyShop(t, MustStart(t, env))
				ran := 0
				start := time.Now()
				for i, ex := range rows {
					if ex.PricesIncludeTax != include {
						continue
					}
					ran++
					t.Run(ex.Name, func(t *testing.T) { shop.run(t, i, ex) })
				}
				if ran == 0 {
					t.Fatal("no example of this setting")
				}
				t.Logf("%d examples in %s", ran, time.Since(start).Round(time.Millisecond))
			})
		}
	}
}

// The examples of checkout_money.json, as models' test reads them too.
type (
	moneyRow   = checkoutexamples.Example
	moneyWants = checkoutexamples.Expect
	moneyTax   = checkoutexamples.Tax
)

func loadMoneyRows(tb testing.TB) []moneyRow {
	tb.Helper()
	f, err := checkoutexamples.Load("../models/testdata/checkout_money.json")
	if err != nil {
		tb.Fatal(err)
	}
	return f.Examples
}

// The zone every example without an address is completed through: the
// Netherlands, which no example names, at no charge and with no tax rate,
// so that the cart's amounts stay the example's.
const (
	pickupCountry = "NL"
	pickupPostal  = "1012 AB"
	pickupName    = "Pickup"
)

// moneyShop is one instance the examples run on, one after another.
type moneyShop struct {
	in       *instance
	admin    *client
	guest    *client
	pickupID string
}

func newMoneyShop(t *testing.T, in *instance) *moneyShop {
	admin := in.MustAdmin(t)
	zone := mustZone(t, admin, "Pickup point", []string{pickupCountry}, nil)
	return &moneyShop{in: in, admin: admin, guest: in.Anonymous(), pickupID: mustRate(t, admin, zone, flatRate(pickupName, "0"))}
}

func hasWarning(ws []string, prefix string) bool {
	for _, w := range ws {
		if strings.HasPrefix(w, prefix) {
			return true
		}
	}
	return false
}

// run runs example i.
func (s *moneyShop) run(t *testing.T, i int, ex moneyRow) {
	admin, guest := s.admin, s.guest
	prefix := fmt.Sprintf("r%02d", i)
	var zoneIDs, taxIDs []string
	// The shop-wide settings go when the example ends, failed or not, so
	// the next example sees only its own.
	t.Cleanup(func() {
		for _, z := range zoneIDs {
			if r := admin.MustPost(t, `mutation($z: String!) { deleteShippingZone(zoneId: $z) }`, map[string]any{"z": z}); len(r.Errors) > 0 || string(r.Data) != `{"deleteShippingZone":true}` {
				t.Errorf("deleteShippingZone %s: %s %+v", z, r.Data, r.Errors)
			}
		}
		for _, id := range taxIDs {
			if r := admin.MustPost(t, `mutation($id: String!) { deleteTaxRate(taxRateId: $id) }`, map[string]any{"id": id}); len(r.Errors) > 0 || string(r.Data) != `{"deleteTaxRate":true}` {
				t.Errorf("deleteTaxRate %s: %s %+v", id, r.Data, r.Errors)
			}
		}
	})

	// Categories, by name: a line's categoryIds are its category and
	// that category's ancestors, nearest first.
	cats, parents := map[string]string{}, map[string]string{}
	category := func(name, parent string) {
		if _, ok := cats[name]; ok {
			if parents[name] != parent {
				t.Fatalf("category %s under two parents", name)
			}
			return
		}
		cats[name], parents[name] = mustCategory(t, admin, prefix+" "+name, orEmpty(cats, parent)), parent
	}
	for _, l := range ex.Lines {
		for j := len(l.CategoryIDs) - 1; j >= 0; j-- {
			parent := ""
			if j+1 < len(l.CategoryIDs) {
				parent = l.CategoryIDs[j+1]
			}
			category(l.CategoryIDs[j], parent)
		}
	}
	if ex.Code != nil {
		for _, c := range ex.Code.AppliesTo.CategoryIDs {
			if _, ok := cats[c]; !ok {
				category(c, "")
			}
		}
	}

	// One product per line, with the line's quantity in stock (all of it
	// sold by the checkout). A selected method the example says is no
	// longer offered was selected while the products weighed nothing.
	deferWeights := ex.Selected != "" && hasWarning(ex.Expect.Warnings, noShippingMethod)
	products := map[string]string{}
	var lines []any
	for _, l := range ex.Lines {
		if _, dup := products[l.ProductID]; dup {
			t.Fatalf("two lines of product %s: this test makes one product per line", l.ProductID)
		}
		in := map[string]any{"name": prefix + " " + l.ProductID, "price": json.Number(l.Price), "stockCount": l.Quantity}
		if len(l.CategoryIDs) > 0 {
			in["categoryId"] = cats[l.CategoryIDs[0]]
		}
		p := mustProductIn(t, admin, in)
		if len(p.Variants) != 1 || p.Variants[0].VariantID != p.ProductID {
			t.Fatalf("product %s's variants: %+v", p.ProductID, p.Variants)
		}
		products[l.ProductID] = p.ProductID
		if l.WeightGrams != 0 && !deferWeights {
			mustUpdateVariant(t, admin, p.ProductID, map[string]any{"weightGrams": l.WeightGrams})
		}
		lines = append(lines, cartLine(p.ProductID, l.Quantity))
	}

	methods := map[string]string{} // rate name → shippingMethodId
	for _, z := range ex.Zones {
		zone := mustZone(t, admin, prefix+" "+z.Name, z.Countries, z.Regions)
		zoneIDs = append(zoneIDs, zone)
		for _, r := range z.Rates {
			in := map[string]any{"name": r.Name, "kind": r.Kind, "price": json.Number(r.Price)}
			if r.FreeAbove != nil {
				in["freeAbove"] = json.Number(*r.FreeAbove)
			}
			if r.MinWeightGrams != nil {
				in["minWeightGrams"] = *r.MinWeightGrams
			}
			if r.MaxWeightGrams != nil {
				in["maxWeightGrams"] = *r.MaxWeightGrams
			}
			if _, dup := methods[r.Name]; dup || r.Name == pickupName {
				t.Fatalf("two rates are named %s", r.Name)
			}
			methods[r.Name] = mustRate(t, admin, zone, in)
		}
	}
	for _, r := range ex.TaxRates {
		taxIDs = append(taxIDs, mustTaxRate(t, admin, r.Country, r.Region, r.Name, json.Number(r.Rate), r.AppliesToShipping))
	}

	// The code as the admin writes it, in mixed case; the shopper types it
	// in lower case. A code the example says no longer applies was
	// applied while it covered the whole order, then narrowed.
	var code *codeView
	codeText := ""
	deferCode := hasWarning(ex.Expect.Warnings, "DISCOUNT_CODE_")
	var narrowed map[string]any
	if c := ex.Code; c != nil {
		codeText = strings.ToUpper(prefix) + "-" + strings.ToLower(c.Code) + "-Off"
		var pids, cids []string
		for _, p := range c.AppliesTo.ProductIDs {
			pids = append(pids, products[p])
		}
		for _, name := range c.AppliesTo.CategoryIDs {
			cids = append(cids, cats[name])
		}
		restrict := map[string]any{"appliesTo": map[string]any{"productIds": orNone(pids), "categoryIds": orNone(cids)}, "minSubtotal": json.Number(c.MinSubtotal)}
		in := map[string]any{"code": codeText, "kind": c.Kind}
		if c.Kind != "FREE_SHIPPING" {
			in["value"] = json.Number(c.Value)
		}
		if deferCode {
			narrowed = restrict
		} else {
			for k, v := range restrict {
				in[k] = v
			}
		}
		made := mustCode(t, admin, in)
		code = &made
	}

	// The guest's cart.
	email := prefix + "@shop.test"
	cart := guest.MustCart(t, "cartCreate", map[string]any{"in": map[string]any{"lines": lines, "email": email}})
	if !cartIDPattern.MatchString(cart.CartID) || len(cart.Lines) != len(ex.Lines) {
		t.Fatalf("cartCreate: %+v", cart)
	}
	lineIDs := make([]string, len(ex.Lines))
	for j, l := range ex.Lines {
		if got := cart.Lines[j]; got.Variant == nil || got.Variant.VariantID != products[l.ProductID] || got.Quantity != l.Quantity {
			t.Fatalf("line %d of the new cart: %+v", j, got)
		}
		lineIDs[j] = cart.Lines[j].LineID
	}
	id := map[string]any{"c": cart.CartID}
	with := func(k string, v any) map[string]any { return map[string]any{"c": cart.CartID, k: v} }
	for _, l := range ex.Lines {
		if l.Unavailable {
			admin.MustData(t, `mutation($p: String!) { updateProduct(input: {productId: $p, active: false}) { active } }`, map[string]any{"p": products[l.ProductID]}, &struct{}{})
		}
	}
	if a := ex.Address; a != nil {
		guest.MustCart(t, "cartSetShippingAddress", with("a", address(a.Country, a.Region, a.PostalCode)))
	}
	if ex.Selected != "" {
		m, ok := methods[ex.Selected]
		if !ok {
			t.Fatalf("selected %q names no rate", ex.Selected)
		}
		guest.MustCart(t, "cartSelectShippingMethod", with("m", m))
	}
	if deferWeights {
		for _, l := range ex.Lines {
			if l.WeightGrams != 0 {
				mustUpdateVariant(t, admin, products[l.ProductID], map[string]any{"weightGrams": l.WeightGrams})
			}
		}
	}
	if code != nil {
		if got := guest.MustCart(t, "cartApplyDiscountCode", with("code", strings.ToLower(codeText))); got.DiscountCode == nil || *got.DiscountCode != codeText {
			t.Fatalf("applied %s, the cart has %v", strings.ToLower(codeText), got.DiscountCode)
		}
		if narrowed != nil {
			mustUpdateCode(t, admin, code.DiscountCodeID, narrowed)
		}
	}

	want := cartWants{row: ex, codeText: codeText, lineIDs: lineIDs, methods: map[string]string{}}
	if ex.Address != nil {
		for _, m := range ex.Expect.Methods {
			want.offered = append(want.offered, [2]string{m.Name, m.Price})
			want.methods[m.Name] = m.Price
		}
	}
	got := guest.MustCart(t, "cart", id)
	want.check(t, "the cart", got, ex.Address != nil)

	// Checkout.
	refusal := ""
	switch {
	case hasWarning(ex.Expect.Warnings, variantUnavailableWn):
		refusal = productInactive
	case hasWarning(ex.Expect.Warnings, "DISCOUNT_CODE_"):
		refusal = ex.Expect.Warnings[len(ex.Expect.Warnings)-1]
	case hasWarning(ex.Expect.Warnings, noShippingMethod):
		refusal = noShippingMethod
	}
	key := "key-" + cart.CartID
	shipTo := ex.Address
	if shipTo == nil {
		// Without an address, checkout names the field; with the pickup
		// address the amounts stay the example's.
		r := guest.Checkout(t, cart.CartID, key)
		MustRefuse(t, r, badUserInput)
		if !namesField(r, "shippingAddress") {
			t.Fatalf("checkout without an address: %+v, want the field shippingAddress named", r.Errors)
		}
		guest.MustCart(t, "cartSetShippingAddress", with("a", address(pickupCountry, "", pickupPostal)))
		guest.MustCart(t, "cartSelectShippingMethod", with("m", s.pickupID))
		want.offered = [][2]string{{pickupName, "0.00"}}
		want.methods = map[string]string{pickupName: "0.00"}
		got = guest.MustCart(t, "cart", id)
		want.check(t, "the cart shipped to the pickup point", got, true)
	}
	stock := func() map[string]int {
		out := map[string]int{}
		for p, v := range products {
			out[p] = mustVariantStock(t, admin, v)
		}
		return out
	}
	if refusal != "" {
		MustRefuse(t, guest.Checkout(t, cart.CartID, key), refusal)
		after := guest.MustCart(t, "cart", id)
		if after.Closed || after.OrderID != nil {
			t.Fatalf("a refused checkout closed the cart: %+v", after)
		}
		for j, l := range ex.Lines {
			if n := stock()[l.ProductID]; n != l.Quantity {
				t.Fatalf("a refused checkout took stock of line %d: %d left of %d", j, n, l.Quantity)
			}
		}
		return
	}
	order := guest.MustCheckout(t, cart.CartID, key)
	selected := ex.Selected
	if shipTo == nil {
		selected = pickupName
	}
	want.checkOrder(t, "checkoutComplete's order", order, products, selected, email)
	if again := guest.MustCheckout(t, cart.CartID, key); again.OrderID != order.OrderID {
		t.Fatalf("checkoutComplete again with the same key: order %s, the first %s", again.OrderID, order.OrderID)
	}
	MustRefuse(t, guest.Checkout(t, cart.CartID, "another-key"), cartClosed)
	if closed := guest.MustCart(t, "cart", id); !closed.Closed || closed.OrderID == nil || *closed.OrderID != order.OrderID {
		t.Fatalf("the cart after checkout: closed %v, orderId %v; want the order %s", closed.Closed, closed.OrderID, order.OrderID)
	}
	for p, n := range stock() {
		if n != 0 {
			t.Fatalf("product %s has %d left; checkout should have sold it all", p, n)
		}
	}
	// Later edits of what the order was priced from leave it as it was.
	for _, v := range products {
		mustUpdateVariant(t, admin, v, map[string]any{"price": 1234.56})
	}
	if code != nil {
		mustUpdateCode(t, admin, code.DiscountCodeID, map[string]any{"code": codeText + "-renamed", "kind": "FIXED_AMOUNT", "value": 0.01})
	}
	for _, z := range zoneIDs {
		admin.MustData(t, `mutation($z: String!) { updateShippingZone(zoneId: $z, name: "renamed") { zoneId } }`, map[string]any{"z": z}, &struct{}{})
	}
	for _, id := range taxIDs {
		admin.MustData(t, `mutation($id: String!) { deleteTaxRate(taxRateId: $id) }`, map[string]any{"id": id}, &struct{}{})
	}
	taxIDs = nil
	want.checkOrder(t, "the order read after the zones, rates, taxes, code and prices changed", admin.MustCheckoutOrder(t, order.OrderID), products, selected, email)
}

func orEmpty(m map[string]string, k string) string {
	if k == "" {
		return ""
	}
	return m[k]
}

func orNone(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}

// namesField tells whether a BAD_USER_INPUT names field in
// extensions.fields.
func namesField(r gqlResponse, field string) bool {
	if len(r.Errors) == 0 {
		return false
	}
	fields, _ := r.Errors[0].Extensions["fields"].([]any)
	for _, f := range fields {
		if m, ok := f.(map[string]any); ok && m["field"] == field {
			return true
		}
	}
	return false
}

// cartWants is an example's expectations, with what the test made for
// it: the code as written, the lines' ids, the methods offered (name and
// price, in order) and the price of each by name.
type cartWants struct {
	row      moneyRow
	codeText string
	lineIDs  []string
	offered  [][2]string
	methods  map[string]string
}

// check compares a cart with the example, every amount exactly.
func (w cartWants) check(t *testing.T, what string, got cartView, withMethods bool) {
	t.Helper()
	exp := w.row.Expect
	var m mismatches
	m.check(len(got.Lines) == len(exp.Lines), "%d lines, want %d", len(got.Lines), len(exp.Lines))
	for j := 0; j < len(got.Lines) && j < len(exp.Lines); j++ {
		g, e := got.Lines[j], exp.Lines[j]
		m.check(g.LineID == w.lineIDs[j], "line %d is %s, want %s", j, g.LineID, w.lineIDs[j])
		m.amount(fmt.Sprintf("line %d's lineSubtotal", j), g.LineSubtotal, e.Subtotal)
		m.amount(fmt.Sprintf("line %d's lineTotal", j), g.LineTotal, e.Total)
		w.allocations(&m, fmt.Sprintf("line %d", j), g.DiscountAllocations, e.Discounts)
		taxLines(&m, fmt.Sprintf("line %d", j), g.TaxLines, e.Taxes)
	}
	m.amount("subtotal", got.Subtotal, exp.Subtotal)
	m.amount("discountTotal", got.DiscountTotal, exp.DiscountTotal)
	m.amount("shippingTotal", got.ShippingTotal, exp.ShippingTotal)
	m.amount("taxTotal", got.TaxTotal, exp.TaxTotal)
	m.amount("total", got.Total, exp.Total)
	if withMethods {
		m.check(len(got.AvailableShippingMethods) == len(w.offered), "methods %+v, want %v", got.AvailableShippingMethods, w.offered)
		for j := 0; j < len(got.AvailableShippingMethods) && j < len(w.offered); j++ {
			g := got.AvailableShippingMethods[j]
			m.check(g.Name == w.offered[j][0], "method %d is %s, want %s", j, g.Name, w.offered[j][0])
			m.amount("method "+g.Name+"'s price", g.Price, w.offered[j][1])
		}
	}
	var codes []string
	for _, wn := range got.Warnings {
		codes = append(codes, wn.Code)
		if wn.Code == variantUnavailableWn {
			m.check(wn.LineID != nil && w.lineIndex(*wn.LineID) >= 0 && w.row.Lines[w.lineIndex(*wn.LineID)].Unavailable,
				"warning %s names line %v, not the unavailable one", wn.Code, wn.LineID)
		}
	}
	m.check(strings.Join(codes, " ") == strings.Join(exp.Warnings, " "), "warnings %v, want %v", codes, exp.Warnings)
	if w.codeText != "" {
		m.check(got.DiscountCode != nil && *got.DiscountCode == w.codeText, "discountCode %v, want %s", got.DiscountCode, w.codeText)
	}
	m.check(got.Currency == "USD", "currency %s", got.Currency)
	if len(m) > 0 {
		raw, _ := json.MarshalIndent(got, "", " ")
		t.Fatalf("%s (%s):\n%s\n%s", what, w.row.Why, m, raw)
	}
}

func (w cartWants) lineIndex(id string) int {
	for j, l := range w.lineIDs {
		if l == id {
			return j
		}
	}
	return -1
}

func (w cartWants) allocations(m *mismatches, what string, got []allocView, want []string) {
	m.check(len(got) == len(want), "%s's discountAllocations %+v, want %v", what, got, want)
	for k := 0; k < len(got) && k < len(want); k++ {
		m.amount(fmt.Sprintf("%s's allocation %d", what, k), got[k].Amount, want[k])
		m.check(got[k].Code == w.codeText, "%s's allocation %d is of code %q, want %q", what, k, got[k].Code, w.codeText)
	}
}

func taxLines(m *mismatches, what string, got []taxLineView, want []moneyTax) {
	m.check(len(got) == len(want), "%s's taxLines %+v, want %+v", what, got, want)
	for k := 0; k < len(got) && k < len(want); k++ {
		m.check(got[k].Title == want[k].Title, "%s's tax %d is %q, want %q", what, k, got[k].Title, want[k].Title)
		m.amount(fmt.Sprintf("%s's tax %d rate", what, k), got[k].Rate, want[k].Rate)
		m.amount(fmt.Sprintf("%s's tax %d amount", what, k), got[k].Amount, want[k].Amount)
	}
}

// orderTaxes is the order's taxLines the example makes: its lines' taxes
// and then its shipping's, one line per title and rate, summed, in the
// order first met.
func (w cartWants) orderTaxes() []moneyTax {
	var out []moneyTax
	add := func(t moneyTax) {
		for i, o := range out {
			if o.Title == t.Title && sameAmount(json.Number(o.Rate), t.Rate) {
				out[i].Amount = sumAmounts(o.Amount, t.Amount)
				return
			}
		}
		out = append(out, t)
	}
	for _, l := range w.row.Expect.Lines {
		for _, t := range l.Taxes {
			add(t)
		}
	}
	for _, t := range w.row.Expect.ShippingTaxes {
		add(t)
	}
	return out
}

// checkOrder compares the order checkout made with the example.
func (w cartWants) checkOrder(t *testing.T, what string, o checkoutOrderView, products map[string]string, selected, email string) {
	t.Helper()
	exp := w.row.Expect
	var m mismatches
	m.check(o.Status == "pending", "status %s", o.Status)
	m.check(guestCustomerPattern.MatchString(o.CustomerID), "customerId %q is not a guest's", o.CustomerID)
	m.check(o.Email != nil && *o.Email == email, "email %v, want %s", o.Email, email)
	m.amount("totalAmount", o.TotalAmount, exp.Total)
	m.amount("subtotal", o.Subtotal, exp.Subtotal)
	m.amount("discountTotal", o.DiscountTotal, exp.DiscountTotal)
	m.amount("shippingTotal", o.ShippingTotal, exp.ShippingTotal)
	m.amount("taxTotal", o.TaxTotal, exp.TaxTotal)
	if w.codeText != "" {
		m.check(o.DiscountCode != nil && *o.DiscountCode == w.codeText, "discountCode %v, want %s", o.DiscountCode, w.codeText)
	} else {
		m.check(o.DiscountCode == nil, "discountCode %q, want none", deref(o.DiscountCode))
	}
	if o.ShippingMethod == nil {
		m.check(false, "no shippingMethod, want %s", selected)
	} else {
		m.check(o.ShippingMethod.Name == selected, "shippingMethod %s, want %s", o.ShippingMethod.Name, selected)
		m.amount("shippingMethod's price", o.ShippingMethod.Price, w.methods[selected])
	}
	country, region, postal := pickupCountry, "", pickupPostal
	if a := w.row.Address; a != nil {
		country, region, postal = a.Country, a.Region, a.PostalCode
	}
	if a := o.ShippingAddress; a == nil {
		m.check(false, "no shippingAddress")
	} else {
		m.check(a.Country == country && deref(a.Region) == region && deref(a.PostalCode) == postal,
			"shippingAddress %s %s %s, want %s %s %s", a.Country, deref(a.Region), deref(a.PostalCode), country, region, postal)
	}
	taxLines(&m, "the order", o.TaxLines, w.orderTaxes())
	m.check(len(o.Items) == len(w.row.Lines), "%d items, want %d", len(o.Items), len(w.row.Lines))
	for j, l := range w.row.Lines {
		var it *orderItemCheckoutView
		for k := range o.Items {
			if o.Items[k].VariantID == products[l.ProductID] {
				it = &o.Items[k]
			}
		}
		if it == nil {
			m.check(false, "no item of line %d", j)
			continue
		}
		e := exp.Lines[j]
		m.check(it.Quantity == l.Quantity && it.ProductID == products[l.ProductID], "item %d: %+v", j, *it)
		m.amount(fmt.Sprintf("item %d's priceAtPurchase", j), it.PriceAtPurchase, l.Price)
		w.allocations(&m, fmt.Sprintf("item %d", j), it.DiscountAllocations, e.Discounts)
		taxLines(&m, fmt.Sprintf("item %d", j), it.TaxLines, e.Taxes)
	}
	if len(m) > 0 {
		raw, _ := json.MarshalIndent(o, "", " ")
		t.Fatalf("%s (%s):\n%s\n%s", what, w.row.Why, m, raw)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
