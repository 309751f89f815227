package models

import (
	"strings"
	"testing"
	"time"

	"shop/errcode"
)

func TestParseOptions(t *testing.T) {
	t.Parallel()
	got, err := ParseOptions("options", []ProductOption{{Name: " Size ", Values: []string{"S", " M ", "L"}}, {Name: "Colour", Values: []string{"Red"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Name != "Size" || got[0].Values[1] != "M" || got.Combinations() != 3 {
		t.Fatalf("trimmed: %+v", got)
	}
	many := make([]string, MaxOptionValues+1)
	for i := range many {
		many[i] = strings.Repeat("v", i+1)
	}
	bad := []struct {
		name string
		in   []ProductOption
		want string
	}{
		{"four options", []ProductOption{{"a", []string{"1"}}, {"b", []string{"1"}}, {"c", []string{"1"}}, {"d", []string{"1"}}}, "options must contain at most 3 options"},
		{"empty name", []ProductOption{{" ", []string{"1"}}}, "options[0].name must not be empty"},
		{"same name, other case", []ProductOption{{"Size", []string{"1"}}, {"size", []string{"1"}}}, `options[1].name repeats option "size"`},
		{"no values", []ProductOption{{"Size", nil}}, "options[0].values must contain at least one value"},
		{"101 values", []ProductOption{{"Size", many}}, "at most 100 values"},
		{"repeated value", []ProductOption{{"Size", []string{"M", "m"}}}, `options[0].values[1] repeats value "m"`},
		// Values are matched with strings.EqualFold (Select, Reselect), so
		// two that fold alike but lower apart would make the second one
		// unselectable: asking for "S" gave the variant "ſ".
		{"repeated value, long s", []ProductOption{{"Size", []string{"ſ", "S"}}}, `options[0].values[1] repeats value "S"`},
		{"repeated value, final sigma", []ProductOption{{"Word", []string{"ΣΑΣ", "σας"}}}, `options[0].values[1] repeats value "σας"`},
		{"control character", []ProductOption{{"Size", []string{"M\x01"}}}, "options[0].values[0]"},
	}
	for _, tt := range bad {
		_, err := ParseOptions("options", tt.in)
		if ErrorCode(err) != errcode.BadUserInput || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestCombinationsAndSelect(t *testing.T) {
	t.Parallel()
	opts := ProductOptions{{Name: "Size", Values: []string{"S", "M"}}, {Name: "Colour", Values: []string{"Red", "Blue", "Green"}}}
	var titles []string
	opts.Each(func(s SelectedOptions) bool { titles = append(titles, s.Title()); return true })
	if strings.Join(titles, ",") != "S / Red,S / Blue,S / Green,M / Red,M / Blue,M / Green" || opts.Combinations() != 6 {
		t.Fatalf("combinations %v", titles)
	}
	var none []string
	ProductOptions{}.Each(func(s SelectedOptions) bool { none = append(none, s.Title()); return true })
	if len(none) != 1 || none[0] != DefaultVariantTitle {
		t.Fatalf("no options: %v", none)
	}
	// Any order and case in, the options' order and spelling out.
	sel, err := opts.Select("options", []SelectedOption{{Name: "colour", Value: "blue"}, {Name: "SIZE", Value: "m"}})
	if err != nil || sel.Title() != "M / Blue" || sel[0].Name != "Size" || sel.Key() != "M\x1fBlue" {
		t.Fatalf("select: %+v %v", sel, err)
	}
	for _, in := range [][]SelectedOption{
		{{Name: "Size", Value: "M"}},                                                               // Colour missing
		{{Name: "Size", Value: "XL"}, {Name: "Colour", Value: "Red"}},                              // no such value
		{{Name: "Size", Value: "M"}, {Name: "Colour", Value: "Red"}, {Name: "Fit", Value: "Slim"}}, // no such option
		{{Name: "Size", Value: "M"}, {Name: "size", Value: "S"}, {Name: "Colour", Value: "Red"}},   // twice
	} {
		if _, err := opts.Select("options", in); ErrorCode(err) != errcode.BadUserInput {
			t.Errorf("%v: %v", in, err)
		}
	}
}

func TestReselect(t *testing.T) {
	t.Parallel()
	v := func(id string, vals ...string) ProductVariant {
		var s SelectedOptions
		names := []string{"Size", "Colour"}
		for i, val := range vals {
			s = append(s, SelectedOption{Name: names[i], Value: val})
		}
		return ProductVariant{ID: id, Options: s, OptionKey: s.Key(), Title: s.Title()}
	}
	variants := []ProductVariant{v("a", "S", "Red"), v("b", "M", "Red")}
	// Reordered, a value added, a new option: each variant keeps its
	// values and takes the new option's first.
	next := ProductOptions{{Name: "Colour", Values: []string{"Blue", "Red"}}, {Name: "Size", Values: []string{"M", "S", "L"}}, {Name: "Fit", Values: []string{"Regular", "Slim"}}}
	got, err := Reselect("options", next, variants)
	if err != nil || got[0].Title() != "Red / S / Regular" || got[1].Title() != "Red / M / Regular" {
		t.Fatalf("reselect: %v %v", got, err)
	}
	// Dropping a value in use is refused; one nobody uses is not.
	if _, err := Reselect("options", ProductOptions{{Name: "Size", Values: []string{"S"}}, {Name: "Colour", Values: []string{"Red"}}}, variants); err == nil || !strings.Contains(err.Error(), `must keep value "M" of option "Size": variant b`) {
		t.Fatalf("dropping M: %v", err)
	}
	if _, err := Reselect("options", ProductOptions{{Name: "Size", Values: []string{"S", "M"}}, {Name: "Colour", Values: []string{"Red"}}}, variants); err != nil {
		t.Fatalf("dropping unused values: %v", err)
	}
	// Dropping an option: fine when all share its value, refused when it
	// told variants apart.
	if got, err := Reselect("options", ProductOptions{{Name: "Size", Values: []string{"S", "M"}}}, variants); err != nil || got[1].Title() != "M" {
		t.Fatalf("dropping Colour: %v %v", got, err)
	}
	if _, err := Reselect("options", ProductOptions{{Name: "Colour", Values: []string{"Red"}}}, variants); err == nil || !strings.Contains(err.Error(), "would make variants a and b the same") {
		t.Fatalf("dropping Size: %v", err)
	}
}

func TestProductTotals(t *testing.T) {
	t.Parallel()
	sku := "A"
	one := []ProductVariant{{Price: 500, StockCount: 0, SKU: &sku}}
	if tot := ProductTotals(true, one); tot.Price != 500 || tot.StockCount != 0 || tot.SKU != &sku {
		t.Fatalf("one variant: %+v", tot)
	}
	several := []ProductVariant{{Price: 300, StockCount: 0}, {Price: 900, StockCount: 2}, {Price: 700, StockCount: 1}, {Price: 800, StockCount: 0, SKU: &sku}}
	// The lowest price among those available, and no product SKU.
	if tot := ProductTotals(true, several); tot.Price != 700 || tot.StockCount != 3 || tot.SKU != nil {
		t.Fatalf("several: %+v", tot)
	}
	// None available (inactive, or no stock): the lowest of all.
	if tot := ProductTotals(false, several); tot.Price != 300 {
		t.Fatalf("inactive: %+v", tot)
	}
	if tot := ProductTotals(true, []ProductVariant{{Price: 300}, {Price: 200}}); tot.Price != 200 || tot.StockCount != 0 {
		t.Fatalf("none in stock: %+v", tot)
	}
}

func TestPlaceOrderByVariant(t *testing.T) {
	t.Parallel()
	const (
		tee   = "00000000-0000-4000-8000-000000000001"
		mug   = "00000000-0000-4000-8000-000000000002"
		teeS  = "00000000-0000-4000-8000-0000000000a1"
		teeM  = "00000000-0000-4000-8000-0000000000a2"
		other = "00000000-0000-4000-8000-0000000000ff"
	)
	size := func(v string) SelectedOptions { return SelectedOptions{{Name: "Size", Value: v}} }
	stock := map[string]ProductStock{
		tee: {Product: Product{ID: tee, Active: true, Price: 1500, StockCount: 5, Options: ProductOptions{{Name: "Size", Values: []string{"S", "M"}}}},
			Variants: []ProductVariant{
				{ID: teeS, ProductID: tee, Price: 1500, StockCount: 2, Options: size("S"), Title: "S"},
				{ID: teeM, ProductID: tee, Price: 1700, StockCount: 3, Options: size("M"), Title: "M"},
			}},
		mug: {Product: Product{ID: mug, Active: true, Price: 800, StockCount: 4},
			Variants: []ProductVariant{{ID: mug, ProductID: mug, Price: 800, StockCount: 4, Title: DefaultVariantTitle}}},
	}
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	n := 0
	newID := func() string { n++; return strings.Repeat("0", 35) + string(rune('0'+n)) }
	place := func(lines ...OrderLine) (PlacedOrder, error) {
		req, err := ParseOrder("c", lines)
		if err != nil {
			t.Fatal(err)
		}
		return PlaceOrder(req, stock, now, newID)
	}
	// A product with several variants must be told which.
	_, err := place(OrderLine{ProductID: tee, Quantity: 1})
	if ErrorCode(err) != errcode.VariantRequired || !strings.Contains(err.Error(), teeM) {
		t.Fatalf("productId of a product with variants: %v", err)
	}
	// By variant alone, by product and variant, and a single-variant
	// product by its product id or its variant's id: one line each.
	placed, err := place(OrderLine{VariantID: teeM, Quantity: 2}, OrderLine{ProductID: mug, Quantity: 1}, OrderLine{VariantID: mug, Quantity: 1}, OrderLine{ProductID: tee, VariantID: teeS, Quantity: 1})
	if err != nil {
		t.Fatal(err)
	}
	o := placed.Order
	if len(o.Items) != 3 || o.TotalAmount != 2*1700+2*800+1500 {
		t.Fatalf("items %+v total %d", o.Items, o.TotalAmount)
	}
	byVariant := map[string]OrderItem{}
	for _, it := range o.Items {
		byVariant[it.VariantID] = it
	}
	if byVariant[mug].Quantity != 2 || byVariant[teeM].Title != "M" || byVariant[teeM].ProductID != tee {
		t.Fatalf("lines %+v", byVariant)
	}
	// The variants' stock and the products' totals: tee had S 2 M 3, now
	// S 1 M 1, still from 1500; mug 4 → 2.
	if len(placed.Stock.Variants) != 3 || len(placed.Stock.Products) != 2 {
		t.Fatalf("stock change %+v", placed.Stock)
	}
	for _, p := range placed.Stock.Products {
		want := map[string]int{tee: 2, mug: 2}[p.ID]
		if p.StockCount != want || (p.ID == tee && p.Price != 1500) {
			t.Errorf("product %s after: %d in stock at %d", p.ID, p.StockCount, p.Price)
		}
	}
	for _, m := range placed.Moves {
		if m.VariantID == teeM && (m.Delta != -2 || m.StockAfter != 1) {
			t.Errorf("move %+v", m)
		}
	}
	// Short stock names the variant.
	_, err = place(OrderLine{VariantID: teeS, Quantity: 3})
	if ErrorCode(err) != errcode.InsufficientStock || !strings.Contains(err.Error(), "variant "+teeS+" (S)") {
		t.Fatalf("short: %v", err)
	}
	// A single-variant product's shortage reads as it always did.
	_, err = place(OrderLine{ProductID: mug, Quantity: 5})
	if err == nil || err.Error() != InsufficientStock(mug, 4, 5).Error() {
		t.Fatalf("short mug: %v", err)
	}
	// A variant of another product, or none at all.
	if _, err := place(OrderLine{ProductID: mug, VariantID: teeS, Quantity: 1}); ErrorCode(err) != errcode.NotFound {
		t.Fatalf("variant of another product: %v", err)
	}
	if _, err := place(OrderLine{VariantID: other, Quantity: 1}); ErrorCode(err) != errcode.NotFound {
		t.Fatalf("no such variant: %v", err)
	}
	// When the cheapest available variant sells out, the product's price
	// is the next one's.
	placed, err = place(OrderLine{VariantID: teeS, Quantity: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range placed.Stock.Products {
		if p.ID == tee && (p.Price != 1700 || p.StockCount != 3) {
			t.Fatalf("tee after S sold out: %d at %d", p.StockCount, p.Price)
		}
	}
}

func TestParseVariant(t *testing.T) {
	t.Parallel()
	price, neg, big := 12.5, -1, MaxWeightGrams+1
	bad := "http://x"
	_, err := ParseVariant("input", VariantInput{Price: &price, WeightGrams: &neg, ImageURL: &bad})
	if ErrorCode(err) != errcode.BadUserInput || !strings.Contains(err.Error(), "input.imageUrl must be") {
		t.Fatalf("bad variant: %v", err)
	}
	if _, err := ParseVariant("v", VariantInput{WeightGrams: &big}); err == nil {
		t.Fatal("a weight past the maximum is refused")
	}
	// A negative weight clears it, and a compare-at price of 0 (graphql-go
	// passes no null on).
	zero := 0.0
	d0, err := ParseVariant("v", VariantInput{WeightGrams: &neg, CompareAtPrice: &zero})
	if err != nil || d0.WeightGrams == nil || *d0.WeightGrams != nil || d0.CompareAtPrice == nil || *d0.CompareAtPrice != nil {
		t.Fatalf("clearing: %+v %v", d0, err)
	}
	sku := " TEE-M "
	d, err := ParseVariant("v", VariantInput{SKU: &sku, Price: &price, Options: &[]SelectedOption{{Name: "size", Value: "m"}}})
	if err != nil {
		t.Fatal(err)
	}
	p := Product{ID: "p", Options: ProductOptions{{Name: "Size", Values: []string{"S", "M"}}}}
	v, err := d.NewVariant("v", p, "id", 1, Totals{Price: 100, StockCount: 0}, time.Now())
	if err != nil || *v.SKU != "TEE-M" || v.Price != 1250 || v.Title != "M" || v.OptionKey != "M" {
		t.Fatalf("new variant %+v %v", v, err)
	}
	if _, err := d.NewVariant("v", Product{ID: "p"}, "id", 1, Totals{}, time.Now()); err == nil {
		t.Fatal("options given to a product without options are refused")
	}
}

// An inactive product is hidden from shoppers: an order naming it hears
// PRODUCT_INACTIVE, as before variants, and never VARIANT_REQUIRED with its
// variants' ids and titles, nor whether it has some variant.
func TestPlaceOrderOfInactiveProduct(t *testing.T) {
	t.Parallel()
	const (
		tee  = "00000000-0000-4000-8000-000000000001"
		teeS = "00000000-0000-4000-8000-0000000000a1"
		teeM = "00000000-0000-4000-8000-0000000000a2"
		none = "00000000-0000-4000-8000-0000000000ff"
	)
	size := func(v string) SelectedOptions { return SelectedOptions{{Name: "Size", Value: v}} }
	stock := map[string]ProductStock{
		tee: {Product: Product{ID: tee, Active: false, Price: 1500, StockCount: 5, Options: ProductOptions{{Name: "Size", Values: []string{"S", "M"}}}},
			Variants: []ProductVariant{
				{ID: teeS, ProductID: tee, Price: 1500, StockCount: 2, Options: size("S"), Title: "S"},
				{ID: teeM, ProductID: tee, Price: 1700, StockCount: 3, Options: size("M"), Title: "M"},
			}},
	}
	for _, l := range []OrderLine{{ProductID: tee, Quantity: 1}, {ProductID: tee, VariantID: none, Quantity: 1}, {ProductID: tee, VariantID: teeM, Quantity: 1}} {
		req, err := ParseOrder("c", []OrderLine{l})
		if err != nil {
			t.Fatal(err)
		}
		_, err = PlaceOrder(req, stock, time.Now(), func() string { return none })
		if ErrorCode(err) != errcode.ProductInactive || strings.Contains(err.Error(), teeS) {
			t.Errorf("line %+v of an inactive product: %v", l, err)
		}
	}
}
