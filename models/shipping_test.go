package models

import (
	"errors"
	"reflect"
	"testing"

	"shop/errcode"
)

// badFields is the fields err names, in order, when it is a
// BAD_USER_INPUT; nil for no error; a test fails on any other error.
func badFields(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var e *Error
	if !errors.As(err, &e) || e.Code != errcode.BadUserInput {
		t.Fatalf("err = %v, want BAD_USER_INPUT", err)
	}
	out := []string{}
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestParseShippingZone(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		zoneName  string
		countries []string
		regions   []string
		want      *ShippingZone
		wantBad   []string
	}{
		{"countries uppercased, repeats dropped", " North America ", []string{"us", " CA ", "US"}, nil,
			&ShippingZone{Name: "North America", Countries: []string{"US", "CA"}, Regions: []string{}}, nil},
		{"regions of listed countries", "West", []string{"US", "CA"}, []string{"us-ca", "US-OR", "CA-BC", "US-CA"},
			&ShippingZone{Name: "West", Countries: []string{"US", "CA"}, Regions: []string{"US-CA", "US-OR", "CA-BC"}}, nil},
		{"empty name", "  ", []string{"DE"}, nil, nil, []string{"name"}},
		{"name too long", string(make([]byte, 101)), []string{"DE"}, nil, nil, []string{"name"}},
		{"no countries", "Nowhere", nil, nil, nil, []string{"countries"}},
		{"not a country", "EU", []string{"DE", "EU", "XX"}, nil, nil, []string{"countries[1]", "countries[2]"}},
		{"a region of an unlisted country", "West", []string{"US"}, []string{"CA-BC"}, nil, []string{"regions[0]"}},
		{"a region shop doesn't know", "West", []string{"US", "DE"}, []string{"US-ZZ", "DE-BY", "CA", "USCA"}, nil,
			[]string{"regions[0]", "regions[1]", "regions[2]", "regions[3]"}},
		{"everything at once", "", []string{"Mars"}, []string{"nope"}, nil, []string{"name", "countries[0]", "regions[0]"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			z, err := ParseShippingZone(tt.zoneName, tt.countries, tt.regions)
			if got := badFields(t, err); !reflect.DeepEqual(got, tt.wantBad) {
				t.Fatalf("bad fields = %v (%v), want %v", got, err, tt.wantBad)
			}
			if tt.want != nil && !reflect.DeepEqual(z, *tt.want) {
				t.Fatalf("zone = %+v, want %+v", z, *tt.want)
			}
		})
	}
}

func TestZonePatch(t *testing.T) {
	t.Parallel()
	const id = "00000000-0000-4000-8000-000000000001"
	zone := func() ShippingZone {
		return ShippingZone{ID: id, Name: "West", Countries: []string{"US", "CA"}, Regions: []string{"US-CA", "CA-BC"}}
	}
	name := "Pacific"
	for _, tt := range []struct {
		name               string
		patchName          *string
		countries, regions []string
		want               ShippingZone
		wantParse, wantBad []string
	}{
		{"nothing changes", nil, nil, nil, zone(), nil, nil},
		{"the name alone", &name, nil, nil, ShippingZone{ID: id, Name: "Pacific", Countries: []string{"US", "CA"}, Regions: []string{"US-CA", "CA-BC"}}, nil, nil},
		{"regions emptied: whole countries", nil, nil, []string{}, ShippingZone{ID: id, Name: "West", Countries: []string{"US", "CA"}, Regions: []string{}}, nil, nil},
		{"countries and regions together", nil, []string{"us"}, []string{"US-WA"}, ShippingZone{ID: id, Name: "West", Countries: []string{"US"}, Regions: []string{"US-WA"}}, nil, nil},
		{"a country dropped that a region needs", nil, []string{"US"}, nil, zone(), nil, []string{"regions[1]"}},
		{"a region of a country not listed", nil, nil, []string{"AU-NSW"}, zone(), nil, []string{"regions[0]"}},
		{"a bad country", nil, []string{"U"}, nil, zone(), []string{"countries[0]"}, nil},
		{"no countries", nil, []string{}, nil, zone(), []string{"countries"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := ParseZonePatch(id, tt.patchName, tt.countries, tt.regions)
			if got := badFields(t, err); !reflect.DeepEqual(got, tt.wantParse) {
				t.Fatalf("parse: bad fields = %v (%v), want %v", got, err, tt.wantParse)
			}
			if err != nil {
				return
			}
			z := zone()
			err = p.Apply(&z)
			if got := badFields(t, err); !reflect.DeepEqual(got, tt.wantBad) {
				t.Fatalf("apply: bad fields = %v (%v), want %v", got, err, tt.wantBad)
			}
			if !reflect.DeepEqual(z, tt.want) {
				t.Fatalf("zone = %+v, want %+v", z, tt.want)
			}
		})
	}
	if _, err := ParseZonePatch("not-an-id", nil, nil, nil); !reflect.DeepEqual(badFields(t, err), []string{"zoneId"}) {
		t.Fatalf("a bad id: %v", err)
	}
}

func TestParseShippingRate(t *testing.T) {
	t.Parallel()
	const zone = "00000000-0000-4000-8000-000000000001"
	f := func(v float64) *float64 { return &v }
	n := func(v int) *int { return &v }
	money := func(m Money) *Money { return &m }
	for _, tt := range []struct {
		name    string
		in      ShippingRateInput
		want    *ShippingRate
		wantBad []string
	}{
		{"flat", ShippingRateInput{Name: " Standard ", Kind: "FLAT", Price: 4.99},
			&ShippingRate{ZoneID: zone, Name: "Standard", Kind: RateFlat, Price: 499}, nil},
		{"free", ShippingRateInput{Name: "Pickup", Kind: "FLAT", Price: 0},
			&ShippingRate{ZoneID: zone, Name: "Pickup", Kind: RateFlat, Price: 0}, nil},
		{"free above", ShippingRateInput{Name: "Standard", Kind: "FREE_ABOVE", Price: 5, FreeAbove: f(50.1)},
			&ShippingRate{ZoneID: zone, Name: "Standard", Kind: RateFreeAbove, Price: 500, FreeAbove: money(5010)}, nil},
		{"by weight, both bounds", ShippingRateInput{Name: "Light", Kind: "BY_WEIGHT", Price: 3, MinWeightGrams: n(0), MaxWeightGrams: n(500)},
			&ShippingRate{ZoneID: zone, Name: "Light", Kind: RateByWeight, Price: 300, MinWeightGrams: n(0), MaxWeightGrams: n(500)}, nil},
		{"by weight, a minimum alone", ShippingRateInput{Name: "Heavy", Kind: "BY_WEIGHT", Price: 30, MinWeightGrams: n(500)},
			&ShippingRate{ZoneID: zone, Name: "Heavy", Kind: RateByWeight, Price: 3000, MinWeightGrams: n(500)}, nil},
		{"by weight, equal bounds", ShippingRateInput{Name: "Exactly", Kind: "BY_WEIGHT", Price: 1, MinWeightGrams: n(500), MaxWeightGrams: n(500)},
			&ShippingRate{ZoneID: zone, Name: "Exactly", Kind: RateByWeight, Price: 100, MinWeightGrams: n(500), MaxWeightGrams: n(500)}, nil},
		{"free above without freeAbove", ShippingRateInput{Name: "x", Kind: "FREE_ABOVE", Price: 5}, nil, []string{"input.freeAbove"}},
		{"by weight without bounds", ShippingRateInput{Name: "x", Kind: "BY_WEIGHT", Price: 5}, nil, []string{"input.minWeightGrams"}},
		{"min above max", ShippingRateInput{Name: "x", Kind: "BY_WEIGHT", Price: 5, MinWeightGrams: n(501), MaxWeightGrams: n(500)}, nil, []string{"input.maxWeightGrams"}},
		{"negative weight", ShippingRateInput{Name: "x", Kind: "BY_WEIGHT", Price: 5, MinWeightGrams: n(-1)}, nil, []string{"input.minWeightGrams"}},
		{"flat with the others' fields", ShippingRateInput{Name: "x", Kind: "FLAT", Price: 5, FreeAbove: f(1), MinWeightGrams: n(1), MaxWeightGrams: n(2)}, nil,
			[]string{"input.freeAbove", "input.minWeightGrams", "input.maxWeightGrams"}},
		{"free above with weights", ShippingRateInput{Name: "x", Kind: "FREE_ABOVE", Price: 5, FreeAbove: f(1), MaxWeightGrams: n(2)}, nil, []string{"input.maxWeightGrams"}},
		{"price with 3 decimals", ShippingRateInput{Name: "x", Kind: "FLAT", Price: 4.999}, nil, []string{"input.price"}},
		{"negative price", ShippingRateInput{Name: "x", Kind: "FLAT", Price: -1}, nil, []string{"input.price"}},
		{"an unknown kind, no name", ShippingRateInput{Kind: "PIGEON", Price: 1}, nil, []string{"input.name", "input.kind"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := ParseShippingRate(zone, tt.in)
			if got := badFields(t, err); !reflect.DeepEqual(got, tt.wantBad) {
				t.Fatalf("bad fields = %v (%v), want %v", got, err, tt.wantBad)
			}
			if tt.want != nil && !reflect.DeepEqual(r, *tt.want) {
				t.Fatalf("rate = %+v, want %+v", r, *tt.want)
			}
		})
	}
	if _, err := ParseShippingRate("zone", ShippingRateInput{Name: "x", Kind: "FLAT"}); !reflect.DeepEqual(badFields(t, err), []string{"zoneId"}) {
		t.Fatalf("a bad zone id: %v", err)
	}
}
