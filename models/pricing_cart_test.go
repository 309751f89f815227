package models

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"shop/errcode"
)

func TestPriceCartWarnings(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	line := PricingLine{LineID: "l1", VariantID: "v1", ProductID: "p1", UnitPrice: 10_00, PriceSeen: 10_00, Quantity: 2, StockCount: 5, Sold: true}
	addr := &Address{Country: "US", Region: "NY"}
	zones := []ShippingZone{{ID: "z", Countries: []string{"US"}, Rates: []ShippingRate{{ID: "r1", Name: "Standard", Kind: RateFlat, Price: 5_00}}}}
	code := DiscountCode{Code: "Ten", Kind: DiscountPercentage, Percent: 10_000, Active: true}
	tests := []struct {
		name    string
		edit    func(*PricingInput)
		want    []CartWarning
		total   Money
		applied string
	}{
		{"none", nil, nil, 18_00, "Ten"},
		{"out of stock", func(in *PricingInput) { in.Lines[0].StockCount = 0 },
			[]CartWarning{{WarningOutOfStock, "This item is out of stock.", "l1"}}, 18_00, "Ten"},
		{"short of stock, still priced", func(in *PricingInput) { in.Lines[0].StockCount = 1 },
			[]CartWarning{{WarningOutOfStock, "Only 1 of this item are in stock; the cart has 2.", "l1"}}, 18_00, "Ten"},
		{"price changed: charged the new one", func(in *PricingInput) { in.Lines[0].UnitPrice = 12_00 },
			[]CartWarning{{WarningPriceChanged, "The price of this item changed from 10.00 to 12.00; it is charged at 12.00.", "l1"}}, 21_60, "Ten"},
		{"no longer sold: left out, the code then fits nothing", func(in *PricingInput) { in.Lines[0].Sold = false },
			[]CartWarning{{WarningVariantUnavailable, "This item is no longer sold; it is left out of the cart's total.", "l1"},
				{string(errcode.DiscountCodeNotApplicable), "The discount code Ten applies only to the items of a cart, and this one has none.", ""}}, 0, ""},
		{"code deactivated", func(in *PricingInput) { in.Code.Active = false },
			[]CartWarning{{string(errcode.DiscountCodeInvalid), "The discount code Ten is not active.", ""}}, 20_00, ""},
		{"code ended", func(in *PricingInput) { in.Code.EndsAt = ptrTime(now) },
			[]CartWarning{{string(errcode.DiscountCodeNotApplicable), "The discount code Ten ended on 2025-06-01 00:00 UTC.", ""}}, 20_00, ""},
		{"code used up", func(in *PricingInput) { in.Code.UsageLimit, in.Code.UsageCount = ptrInt(3), 3 },
			[]CartWarning{{string(errcode.DiscountCodeExhausted), "The discount code Ten has been used as many times as it may be (3).", ""}}, 20_00, ""},
		{"code used up by this customer", func(in *PricingInput) { in.Code.UsageLimitPerCustomer, in.CodeUses = ptrInt(1), 1 },
			[]CartWarning{{string(errcode.DiscountCodeExhausted), "The discount code Ten may be used once per customer, and you have used it already.", ""}}, 20_00, ""},
		{"selected method not offered", func(in *PricingInput) { in.SelectedMethodID = "gone" },
			[]CartWarning{{string(errcode.NoShippingMethod), "The shipping method selected is not offered for this address and cart; choose another.", ""}}, 18_00, "Ten"},
		{"selected method, no address", func(in *PricingInput) { in.SelectedMethodID, in.Address = "r1", nil },
			[]CartWarning{{string(errcode.NoShippingMethod), "The shipping method selected needs a shipping address; set one, then choose a method.", ""}}, 18_00, "Ten"},
		{"no zone ships there", func(in *PricingInput) { in.Address = &Address{Country: "JP"} },
			[]CartWarning{{string(errcode.NoShippingMethod), "No shipping method ships to this address.", ""}}, 18_00, "Ten"},
		{"selected and offered", func(in *PricingInput) { in.SelectedMethodID = "r1" }, nil, 23_00, "Ten"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := code
			in := PricingInput{Lines: []PricingLine{line}, Address: addr, Zones: zones, Code: &c, Now: now}
			if tt.edit != nil {
				tt.edit(&in)
			}
			p := PriceCart(in)
			if fmt.Sprint(p.Warnings) != fmt.Sprint(tt.want) {
				t.Errorf("warnings\ngot  %v\nwant %v", p.Warnings, tt.want)
			}
			if p.Total != tt.total || p.DiscountCode != tt.applied {
				t.Errorf("total %s, code %q; want %s, %q", p.Total, p.DiscountCode, tt.total, tt.applied)
			}
			if len(p.Lines) != 1 || p.Lines[0].LineID != "l1" || p.Lines[0].VariantID != "v1" {
				t.Errorf("lines %+v: want the one line, with its ids", p.Lines)
			}
		})
	}
}

// TestPriceCartShipping: the selected method is a copy of the one
// offered; a FREE_SHIPPING code zeroes the total but not the price shown.
func TestPriceCartShipping(t *testing.T) {
	t.Parallel()
	in := PricingInput{
		Lines:   []PricingLine{{LineID: "l1", UnitPrice: 10_00, PriceSeen: 10_00, Quantity: 1, StockCount: 1, Sold: true}},
		Address: &Address{Country: "US", Region: "NY"},
		Zones: []ShippingZone{{Countries: []string{"US"}, Rates: []ShippingRate{
			{ID: "b", Name: "Express", Kind: RateFlat, Price: 15_00}, {ID: "a", Name: "Standard", Kind: RateFlat, Price: 5_00}}}},
		SelectedMethodID: "b",
		Code:             &DiscountCode{Code: "SHIP", Kind: DiscountFreeShipping, Active: true},
	}
	p := PriceCart(in)
	if p.Selected == nil || *p.Selected != (ShippingMethod{"b", "Express", 15_00}) {
		t.Fatalf("selected %+v, want Express at 15.00", p.Selected)
	}
	if len(p.Methods) != 2 || p.Methods[0].ID != "a" {
		t.Fatalf("methods %+v, want Standard then Express", p.Methods)
	}
	if p.ShippingTotal != 0 || p.Total != 10_00 || p.DiscountTotal != 0 || p.DiscountCode != "SHIP" {
		t.Fatalf("shipping %s, total %s, discount %s, code %q: want 0, 10.00, 0, SHIP", p.ShippingTotal, p.Total, p.DiscountTotal, p.DiscountCode)
	}
	p.Methods[1].Price = 1
	if p.Selected.Price != 15_00 {
		t.Fatal("Selected shares memory with Methods")
	}
}

// TestAllocationsProperty prices thousands of random carts and checks the
// invariants of the rules: the allocations sum exactly to the discount, no
// line goes below zero or carries more than its subtotal, each share is
// at least its proportional part rounded down, a percentage takes exactly
// roundHalfUp(eligible × percent), a fixed amount min(amount, eligible),
// the taxes sum to the tax total, and the totals add up.
func TestAllocationsProperty(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(20, 2025))
	categories := []string{"a", "b", "c"}
	for n := 0; n < 20_000; n++ {
		var lines []PricingLine
		// A quarter of the carts are of lines of a few cents, where the
		// remainder can be more than the largest line has left.
		tiny := rng.IntN(4) == 0
		for i := range 1 + rng.IntN(8) {
			price := Money(rng.Int64N(100_00))
			switch rng.IntN(10) {
			case 0:
				price = 0
			case 1:
				price = Money(rng.Int64N(int64(MaxPrice) + 1))
			case 2:
				price = Money(1 + rng.Int64N(3))
			}
			q := 1 + rng.IntN(5)
			if rng.IntN(10) == 0 {
				q = 1 + rng.IntN(MaxLineQuantity)
			}
			if tiny {
				price, q = Money(1+rng.Int64N(3)), 1
			}
			lines = append(lines, PricingLine{
				LineID: fmt.Sprint(i), ProductID: fmt.Sprint("p", rng.IntN(4)), CategoryIDs: []string{categories[rng.IntN(3)]},
				UnitPrice: price, PriceSeen: price, Quantity: q, StockCount: q, Sold: rng.IntN(12) != 0,
			})
		}
		code := DiscountCode{Code: "C", Active: true}
		switch rng.IntN(3) {
		case 0:
			code.Kind, code.Percent = DiscountPercentage, Percent(1+rng.Int64N(int64(PercentScale)))
		case 1:
			code.Kind, code.Percent = DiscountPercentage, PercentScale-Percent(rng.Int64N(50_000))
		default:
			code.Kind, code.Amount = DiscountFixedAmount, Money(1+rng.Int64N(200_00))
			if tiny {
				code.Amount = Money(1 + rng.Int64N(20))
			}
		}
		switch rng.IntN(4) {
		case 0:
			code.ProductIDs = []string{"p0", "p1"}
		case 1:
			code.CategoryIDs = []string{"b"}
		}
		rates := []TaxRate{{Country: "CA", Name: "GST", Rate: Percent(rng.Int64N(20_000)), AppliesToShipping: true},
			{Country: "CA", Region: "QC", Name: "QST", Rate: Percent(rng.Int64N(20_000))}}
		in := PricingInput{Lines: lines, Code: &code, Address: &Address{Country: "CA", Region: "QC"}, TaxRates: rates,
			PricesIncludeTax: rng.IntN(2) == 0, SelectedMethodID: "r",
			Zones: []ShippingZone{{Countries: []string{"CA"}, Rates: []ShippingRate{{ID: "r", Kind: RateFlat, Price: Money(rng.Int64N(30_00))}}}}}
		p := PriceCart(in)
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("cart %d (%+v, code %+v, inclusive %v): %s", n, lines, code, in.PricesIncludeTax, fmt.Sprintf(format, args...))
		}

		var eligible, subtotal Money
		anyEligible := false
		for i, l := range lines {
			if l.Sold {
				subtotal += p.Lines[i].Subtotal
				if codeCovers(code, l) {
					eligible += p.Lines[i].Subtotal
					anyEligible = true
				}
			}
		}
		if p.Subtotal != subtotal {
			fail("subtotal %s, want %s", p.Subtotal, subtotal)
		}
		if !anyEligible && (p.DiscountTotal != 0 || p.DiscountCode != "" || len(p.Warnings) == 0) {
			fail("no eligible line, yet discount %s (%q) and warnings %v", p.DiscountTotal, p.DiscountCode, p.Warnings)
		}
		var want Money
		switch {
		case eligible == 0:
		case code.Kind == DiscountPercentage:
			x := new(big.Int).Mul(big.NewInt(int64(eligible)), big.NewInt(int64(code.Percent)))
			x.Mul(x, big.NewInt(2)).Add(x, big.NewInt(int64(PercentScale))).Div(x, big.NewInt(2*int64(PercentScale)))
			want = Money(x.Int64())
		default:
			want = min(code.Amount, eligible)
		}
		if p.DiscountTotal != want {
			fail("discount %s, want %s of eligible %s", p.DiscountTotal, want, eligible)
		}

		var allocated, taxes Money
		for i, pl := range p.Lines {
			var mine Money
			for _, a := range pl.Discounts {
				if a.Amount <= 0 {
					fail("line %d: allocation %s", i, a.Amount)
				}
				mine += a.Amount
			}
			allocated += mine
			if mine > pl.Subtotal {
				fail("line %d: discount %s over its subtotal %s", i, mine, pl.Subtotal)
			}
			if lines[i].Sold && codeCovers(code, lines[i]) && eligible > 0 {
				floor := new(big.Int).Mul(big.NewInt(int64(want)), big.NewInt(int64(pl.Subtotal)))
				floor.Div(floor, big.NewInt(int64(eligible)))
				if int64(mine) < floor.Int64() {
					fail("line %d: share %s below its proportional part %s", i, mine, floor)
				}
			} else if mine != 0 {
				fail("line %d is not eligible but carries %s", i, mine)
			}
			var lineTax Money
			for _, tx := range pl.Taxes {
				lineTax += tx.Amount
			}
			taxes += lineTax
			net := pl.Subtotal - mine
			if !in.PricesIncludeTax {
				net += lineTax
			}
			if pl.Total != net || pl.Total < 0 {
				fail("line %d: total %s, want %s", i, pl.Total, net)
			}
		}
		if allocated != p.DiscountTotal {
			fail("allocations sum to %s, discount is %s", allocated, p.DiscountTotal)
		}
		for _, tx := range p.ShippingTaxes {
			taxes += tx.Amount
		}
		if taxes != p.TaxTotal {
			fail("taxes sum to %s, tax total is %s", taxes, p.TaxTotal)
		}
		total := p.Subtotal - p.DiscountTotal + p.ShippingTotal
		if !in.PricesIncludeTax {
			total += p.TaxTotal
		}
		if p.Total != total || p.Total < 0 {
			fail("total %s, want %s", p.Total, total)
		}
	}
}

// TestNoZeroDecimalCurrency: the rules work in hundredths, and
// SHOP_CURRENCY can't name a currency that doesn't divide into them (so
// the zero-decimal example can't arise: docs/rules.md).
func TestNoZeroDecimalCurrency(t *testing.T) {
	t.Parallel()
	for _, c := range []string{"jpy", "KRW", "vnd", "clp", "kwd"} {
		if _, err := ParseCurrency(c); err == nil || !strings.Contains(err.Error(), "hundredths") {
			t.Errorf("ParseCurrency(%q): err = %v, want it refused for not dividing into hundredths", c, err)
		}
	}
}
