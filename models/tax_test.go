package models

import (
	"math"
	"reflect"
	"testing"
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
