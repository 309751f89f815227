package models

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"shop/errcode"
)

func TestParsePercent(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   float64
		want Percent
		bad  bool
	}{
		{0, 0, false},
		{8.25, 8250, false},
		{33.333, 33333, false},
		{0.001, 1, false},
		{0.1, 100, false}, // 0.1 is no exact float; its shortest form is
		{9.975, 9975, false},
		{19, 19000, false},
		{100, 100000, false},
		{100.001, 0, true},
		{-0.001, 0, true},
		{8.2525, 0, true},
		{1e-7, 0, true},
		{math.NaN(), 0, true},
		{math.Inf(1), 0, true},
	} {
		var fe fieldErrors
		got := ParsePercent(&fe, "rate", tt.in)
		if got != tt.want || (len(fe) > 0) != tt.bad || tt.bad && fe[0].Field != "rate" {
			t.Errorf("ParsePercent(%v) = %d, %v; want %d, bad %v", tt.in, got, fe, tt.want, tt.bad)
		}
		if !tt.bad && got.Float64() != tt.in {
			t.Errorf("Percent(%d).Float64() = %v, want %v", got, got.Float64(), tt.in)
		}
	}
}

func TestParseTaxRate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name    string
		in      TaxRateInput
		want    *TaxRate
		wantBad []string
	}{
		{"a country's", TaxRateInput{Country: "de", Rate: 19, Name: " MwSt ", AppliesToShipping: true},
			&TaxRate{Country: "DE", Name: "MwSt", Rate: 19000, AppliesToShipping: true}, nil},
		{"a region's, as addresses write it", TaxRateInput{Country: "US", Region: "ca", Rate: 7.25, Name: "California"},
			&TaxRate{Country: "US", Region: "CA", Name: "California", Rate: 7250}, nil},
		{"a region's, with its country", TaxRateInput{Country: "CA", Region: "CA-QC", Rate: 9.975, Name: "QST"},
			&TaxRate{Country: "CA", Region: "QC", Name: "QST", Rate: 9975}, nil},
		{"zero-rated", TaxRateInput{Country: "GB", Rate: 0, Name: "Zero"}, &TaxRate{Country: "GB", Name: "Zero"}, nil},
		{"another country's region", TaxRateInput{Country: "US", Region: "QC", Rate: 1, Name: "x"}, nil, []string{"region"}},
		{"a region where shop knows none", TaxRateInput{Country: "DE", Region: "BY", Rate: 1, Name: "x"}, nil, []string{"region"}},
		{"a prefix of another country", TaxRateInput{Country: "US", Region: "CA-QC", Rate: 1, Name: "x"}, nil, []string{"region"}},
		{"everything wrong", TaxRateInput{Country: "Germany", Rate: 101, Name: ""}, nil, []string{"name", "country", "rate"}},
		{"too many places", TaxRateInput{Country: "US", Rate: 8.2525, Name: "x"}, nil, []string{"rate"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := ParseTaxRate(tt.in)
			if got := badFields(t, err); !reflect.DeepEqual(got, tt.wantBad) {
				t.Fatalf("bad fields = %v (%v), want %v", got, err, tt.wantBad)
			}
			if tt.want != nil && !reflect.DeepEqual(r, *tt.want) {
				t.Fatalf("rate = %+v, want %+v", r, *tt.want)
			}
		})
	}
}

// TestCheckRegionTaxRoom: a country and region take MaxRegionTaxRates
// rates, the whole country's counted as a region of their own; the one
// more is refused on region.
func TestCheckRegionTaxRoom(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		country, region string
		n               int
		refused         bool
		says            string
	}{
		{"US", "CA", 0, false, ""},
		{"US", "CA", MaxRegionTaxRates - 1, false, ""},
		{"US", "CA", MaxRegionTaxRates, true, "region US-CA has 4 tax rates already"},
		{"US", "", MaxRegionTaxRates - 1, false, ""},
		{"US", "", MaxRegionTaxRates, true, "region is left out, and US has 4 rates for the whole country already"},
		{"CA", "QC", MaxRegionTaxRates + 3, true, "region CA-QC has 7 tax rates already"}, // rates from before the rule
	} {
		err := CheckRegionTaxRoom(tt.country, tt.region, tt.n)
		if !tt.refused {
			if err != nil {
				t.Errorf("%s %q with %d: %v", tt.country, tt.region, tt.n, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != errcode.BadUserInput || len(e.Fields) != 1 || e.Fields[0].Field != "region" || !strings.Contains(e.Message, tt.says) {
			t.Errorf("%s %q with %d: %v, want BAD_USER_INPUT on region saying %q", tt.country, tt.region, tt.n, err, tt.says)
		}
	}
}

// TestTaxLinesAtMost: with the most rates an address can match, its
// country's and its region's, a line carries MaxLineTaxes tax lines and
// the order MaxOrderTaxes, which the cost of carts and orders counts; the
// rates of other regions and countries add none.
func TestTaxLinesAtMost(t *testing.T) {
	t.Parallel()
	var rates []TaxRate
	for _, where := range []struct{ country, region string }{{"CA", ""}, {"CA", "BC"}, {"CA", "QC"}, {"US", ""}} {
		for i := range MaxRegionTaxRates {
			rates = append(rates, TaxRate{Country: where.country, Region: where.region, Name: fmt.Sprintf("%s %s %d", where.country, where.region, i),
				Rate: Percent(1000 * (i + 1)), AppliesToShipping: true})
		}
	}
	zones := []ShippingZone{{ID: "z", Countries: []string{"CA"}, Rates: []ShippingRate{{ID: "r1", Name: "Standard", Kind: RateFlat, Price: 5_00}}}}
	var lines []PricingLine
	for i := range 3 {
		lines = append(lines, PricingLine{LineID: fmt.Sprint("l", i), VariantID: fmt.Sprint("v", i), UnitPrice: 10_00, PriceSeen: 10_00, Quantity: 1, StockCount: 5, Sold: true})
	}
	p := PriceCart(PricingInput{Lines: lines, Address: &Address{Country: "CA", Region: "BC"}, Zones: zones, SelectedMethodID: "r1", TaxRates: rates,
		Now: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)})
	for _, l := range p.Lines {
		if len(l.Taxes) != MaxLineTaxes {
			t.Errorf("line %s has %d tax lines, want %d", l.LineID, len(l.Taxes), MaxLineTaxes)
		}
	}
	if len(p.ShippingTaxes) != MaxLineTaxes {
		t.Errorf("shipping has %d tax lines, want %d", len(p.ShippingTaxes), MaxLineTaxes)
	}
	o := Order{Checkout: &CheckoutSnapshot{Priced: p}}
	if got := len(o.TaxLines()); got != MaxOrderTaxes {
		t.Errorf("the order has %d tax lines, want %d", got, MaxOrderTaxes)
	}
}
