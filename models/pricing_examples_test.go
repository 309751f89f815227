package models

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"shop/internal/checkoutexamples"
)

// The worked examples of models/testdata/checkout_money.json, as the file
// writes them (amounts and percentages as decimal strings).
type (
	moneyFile    = checkoutexamples.File
	moneyExample = checkoutexamples.Example
	moneyExpect  = checkoutexamples.Expect
	moneyTax     = checkoutexamples.Tax
	moneyMethod  = checkoutexamples.Method
)

func mustMoney(t *testing.T, s string) Money {
	t.Helper()
	m, err := ParseMoney(s)
	if err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	return m
}

// mustPercent reads "8.875" as 8875 thousandths of a percent.
func mustPercent(t *testing.T, s string) Percent {
	t.Helper()
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 3 {
		t.Fatalf("percentage %q has more than 3 decimals", s)
	}
	frac += strings.Repeat("0", 3-len(frac))
	var w, f int64
	if _, err := fmt.Sscanf(whole+" "+frac, "%d %d", &w, &f); err != nil {
		t.Fatalf("percentage %q: %v", s, err)
	}
	return Percent(w*1000 + f)
}

// percentText writes p as the file does: "7.25", "19", "9.975".
func percentText(p Percent) string {
	s := fmt.Sprintf("%d.%03d", p/1000, p%1000)
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// exampleInput turns an example into PriceCart's input, with ids made up: line
// i is "line-i", zone i's rate j is "rate-i-j".
func exampleInput(t *testing.T, ex moneyExample) PricingInput {
	in := PricingInput{PricesIncludeTax: ex.PricesIncludeTax, Now: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}
	for i, l := range ex.Lines {
		price := mustMoney(t, l.Price)
		in.Lines = append(in.Lines, PricingLine{
			LineID: fmt.Sprintf("line-%d", i), VariantID: "v-" + l.ProductID, ProductID: l.ProductID, CategoryIDs: l.CategoryIDs,
			UnitPrice: price, Quantity: l.Quantity, WeightGrams: l.WeightGrams,
			PriceSeen: price, StockCount: l.Quantity, Sold: !l.Unavailable,
		})
	}
	if c := ex.Code; c != nil {
		dc := DiscountCode{ID: "code-1", Code: c.Code, CodeKey: CodeKey(c.Code), Kind: DiscountKind(c.Kind), Active: true,
			ProductIDs: c.AppliesTo.ProductIDs, CategoryIDs: c.AppliesTo.CategoryIDs, MinSubtotal: mustMoney(t, c.MinSubtotal)}
		switch dc.Kind {
		case DiscountPercentage:
			dc.Percent = mustPercent(t, c.Value)
		case DiscountFixedAmount:
			dc.Amount = mustMoney(t, c.Value)
		}
		in.Code = &dc
	}
	if a := ex.Address; a != nil {
		addr, err := ParseAddress("address", Address{Name: "A", Line1: "1 Street", City: "City", Country: a.Country, Region: a.Region, PostalCode: a.PostalCode})
		if err != nil {
			t.Fatalf("the example's address: %v", err)
		}
		in.Address = &addr
	}
	for i, z := range ex.Zones {
		zone := ShippingZone{ID: fmt.Sprintf("zone-%d", i), Name: z.Name, Countries: z.Countries, Regions: z.Regions}
		for j, r := range z.Rates {
			rate := ShippingRate{ID: fmt.Sprintf("rate-%d-%d", i, j), ZoneID: zone.ID, Name: r.Name, Kind: ShippingRateKind(r.Kind),
				Price: mustMoney(t, r.Price), MinWeightGrams: r.MinWeightGrams, MaxWeightGrams: r.MaxWeightGrams}
			if r.FreeAbove != nil {
				m := mustMoney(t, *r.FreeAbove)
				rate.FreeAbove = &m
			}
			if r.Name == ex.Selected {
				in.SelectedMethodID = rate.ID
			}
			zone.Rates = append(zone.Rates, rate)
		}
		in.Zones = append(in.Zones, zone)
	}
	if ex.Selected != "" && in.SelectedMethodID == "" {
		t.Fatalf("selected %q names no rate", ex.Selected)
	}
	for i, r := range ex.TaxRates {
		in.TaxRates = append(in.TaxRates, TaxRate{ID: fmt.Sprintf("tax-%d", i), Country: r.Country, Region: r.Region,
			Name: r.Name, Rate: mustPercent(t, r.Rate), AppliesToShipping: r.AppliesToShipping})
	}
	return in
}

// render writes p as the file's expectations are written.
func render(p Priced, withMethods bool) moneyExpect {
	taxes := func(in []TaxLine) []moneyTax {
		out := []moneyTax{}
		for _, t := range in {
			out = append(out, moneyTax{Title: t.Title, Rate: percentText(t.Rate), Amount: t.Amount.String()})
		}
		return out
	}
	var e moneyExpect
	for _, l := range p.Lines {
		discounts := []string{}
		for _, a := range l.Discounts {
			discounts = append(discounts, a.Amount.String())
		}
		e.Lines = append(e.Lines, checkoutexamples.ExpectLine{Subtotal: l.Subtotal.String(), Discounts: discounts, Taxes: taxes(l.Taxes), Total: l.Total.String()})
	}
	e.Subtotal, e.DiscountTotal, e.ShippingTotal = p.Subtotal.String(), p.DiscountTotal.String(), p.ShippingTotal.String()
	e.TaxTotal, e.Total = p.TaxTotal.String(), p.Total.String()
	if withMethods {
		e.Methods = []moneyMethod{}
		for _, m := range p.Methods {
			e.Methods = append(e.Methods, moneyMethod{Name: m.Name, Price: m.Price.String()})
		}
	}
	if len(p.ShippingTaxes) > 0 {
		e.ShippingTaxes = taxes(p.ShippingTaxes)
	}
	e.Warnings = []string{}
	for _, w := range p.Warnings {
		e.Warnings = append(e.Warnings, w.Code)
	}
	return e
}

func loadMoneyExamples(t *testing.T) moneyFile {
	t.Helper()
	f, err := checkoutexamples.Load("testdata/checkout_money.json")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestCheckoutMoneyExamples runs PriceCart on every worked example of
// testdata/checkout_money.json and compares every amount.
func TestCheckoutMoneyExamples(t *testing.T) {
	t.Parallel()
	f := loadMoneyExamples(t)
	if len(f.Examples) < 30 {
		t.Fatalf("%d examples, want at least 30", len(f.Examples))
	}
	names := map[string]bool{}
	for _, ex := range f.Examples {
		if names[ex.Name] {
			t.Errorf("two examples are named %q", ex.Name)
		}
		names[ex.Name] = true
		t.Run(ex.Name, func(t *testing.T) {
			t.Parallel()
			got := render(PriceCart(exampleInput(t, ex)), ex.Address != nil)
			g, _ := json.MarshalIndent(got, "", " ")
			w, _ := json.MarshalIndent(ex.Expect, "", " ")
			if !bytes.Equal(g, w) {
				t.Fatalf("%s\ngot  %s\nwant %s", ex.Why, g, w)
			}
		})
	}
}

// TestCheckoutMoneyExamplesCover: the file has the cases the issue asks
// for, so trimming it can't drop one silently.
func TestCheckoutMoneyExamplesCover(t *testing.T) {
	t.Parallel()
	f := loadMoneyExamples(t)
	has := func(what string, ok func(moneyExample) bool) {
		for _, ex := range f.Examples {
			if ok(ex) {
				return
			}
		}
		t.Errorf("no example of %s", what)
	}
	kind := func(k DiscountKind) func(moneyExample) bool {
		return func(ex moneyExample) bool { return ex.Code != nil && ex.Code.Kind == string(k) }
	}
	has("inclusive prices", func(ex moneyExample) bool { return ex.PricesIncludeTax && len(ex.TaxRates) > 0 })
	has("exclusive prices with tax", func(ex moneyExample) bool { return !ex.PricesIncludeTax && ex.Expect.TaxTotal != "0.00" })
	// discounts are the example's expected allocations, line by line.
	discounts := func(ex moneyExample) string {
		var out []string
		for _, l := range ex.Expect.Lines {
			out = append(out, strings.Join(l.Discounts, "+"))
		}
		return strings.Join(out, " ")
	}
	has("a 3-way split of 10.00 at 33.333%", func(ex moneyExample) bool {
		return ex.Code != nil && ex.Code.Value == "33.333" && discounts(ex) == "3.34 3.33 3.33"
	})
	has("a 100% discount", func(ex moneyExample) bool { return ex.Code != nil && ex.Code.Value == "100" })
	has("free shipping lost to a discount", func(ex moneyExample) bool {
		return ex.Code != nil && len(ex.Zones) > 0 && len(ex.Zones[0].Rates) > 0 && ex.Zones[0].Rates[0].Kind == string(RateFreeAbove) &&
			ex.Expect.ShippingTotal != "0.00"
	})
	has("a fixed amount larger than the eligible subtotal", func(ex moneyExample) bool {
		return ex.Code != nil && ex.Code.Kind == string(DiscountFixedAmount) && len(ex.Code.AppliesTo.ProductIDs) > 0
	})
	has("a fixed amount with a remainder", func(ex moneyExample) bool {
		return ex.Code != nil && ex.Code.Kind == string(DiscountFixedAmount) && discounts(ex) == "3.33 6.67"
	})
	has("two tax lines (GST and PST)", func(ex moneyExample) bool {
		return len(ex.Expect.Lines) > 0 && len(ex.Expect.Lines[0].Taxes) == 2 && ex.Expect.Lines[0].Taxes[1].Title == "PST"
	})
	has("tax on shipping", func(ex moneyExample) bool {
		return len(ex.Expect.ShippingTaxes) > 0 && ex.Expect.ShippingTotal != "0.00"
	})
	has("a FREE_SHIPPING code", kind(DiscountFreeShipping))
	has("BY_WEIGHT rates", func(ex moneyExample) bool {
		return len(ex.Zones) > 0 && ex.Zones[0].Rates[0].Kind == string(RateByWeight)
	})
	has("no address", func(ex moneyExample) bool { return ex.Address == nil && len(ex.TaxRates) > 0 })
	has("a code for a category", func(ex moneyExample) bool { return ex.Code != nil && len(ex.Code.AppliesTo.CategoryIDs) > 0 })
}
