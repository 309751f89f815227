package models

import (
	"fmt"
	"strings"

	"shop/errcode"
)

// Limits of shipping: the shippingZones query returns every zone with
// every rate, so both are bounded (and its cost with them).
const (
	MaxShippingZones = 100
	MaxZoneRates     = 20 // rates in one zone
	MaxZoneName      = 100
	MaxRateName      = 100
	// MaxZoneCountries is every ISO 3166-1 code; MaxZoneRegions every
	// region shop knows (US, CA and AU).
	MaxZoneCountries = 249
	MaxZoneRegions   = 100
)

// CheckRoom refuses one more of what when there are n already, and max is
// the most there may be.
func CheckRoom(what string, n, max int) error {
	if n >= max {
		return Errorf(errcode.Conflict, "There are %d %s, the most there may be.", n, what)
	}
	return nil
}

// ShippingZoneNotFound is the error for a zone id that names none.
func ShippingZoneNotFound(id string) error {
	return Errorf(errcode.NotFound, "Shipping zone %s does not exist.", id)
}

// UnknownShippingZone is createShippingRate's error for a zone that does
// not exist.
func UnknownShippingZone() error { return fieldError("zoneId", "names no shipping zone") }

// ParseShippingZone validates createShippingZone's arguments: a name,
// countries as ISO 3166-1 alpha-2 codes (any case; repeats dropped), and
// regions (none: the whole of each country) as "US-CA", each of a listed
// country.
func ParseShippingZone(name string, countries, regions []string) (ShippingZone, error) {
	var fe fieldErrors
	z := ShippingZone{Name: parseName(&fe, "name", name, MaxZoneName), Countries: parseCountries(&fe, countries)}
	z.Regions = parseRegions(&fe, regions, z.Countries)
	if err := fe.err(); err != nil {
		return ShippingZone{}, err
	}
	return z, nil
}

// ZonePatch is a validated updateShippingZone: nil fields stay as they
// are.
type ZonePatch struct {
	Name      *string
	Countries []string // nil: unchanged
	Regions   []string // nil: unchanged; empty: the whole of each country
}

// ParseZonePatch validates updateShippingZone's arguments (a nil list is
// one left out).
func ParseZonePatch(id string, name *string, countries, regions []string) (ZonePatch, error) {
	var fe fieldErrors
	checkID(&fe, "zoneId", id)
	var p ZonePatch
	if name != nil {
		n := parseName(&fe, "name", *name, MaxZoneName)
		p.Name = &n
	}
	if countries != nil {
		p.Countries = parseCountries(&fe, countries)
	}
	if regions != nil {
		// Checked against the countries in Apply, which knows the zone's.
		p.Regions = parseRegions(&fe, regions, nil)
	}
	if err := fe.err(); err != nil {
		return ZonePatch{}, err
	}
	return p, nil
}

// Apply changes z as the patch says. Its regions must still be of its
// countries: a patch that drops a country drops its regions too, or is
// refused.
func (p ZonePatch) Apply(z *ShippingZone) error {
	next := *z
	if p.Name != nil {
		next.Name = *p.Name
	}
	if p.Countries != nil {
		next.Countries = p.Countries
	}
	if p.Regions != nil {
		next.Regions = p.Regions
	}
	var fe fieldErrors
	next.Regions = parseRegions(&fe, next.Regions, next.Countries)
	if err := fe.err(); err != nil {
		return err
	}
	*z = next
	return nil
}

func parseName(fe *fieldErrors, field, name string, max int) string {
	n := strings.TrimSpace(name)
	if n == "" {
		fe.add(field, "must not be empty")
	} else {
		checkText(fe, field, n, max)
	}
	return n
}

func parseCountries(fe *fieldErrors, in []string) []string {
	if len(in) == 0 {
		fe.add("countries", "must name at least one country")
		return nil
	}
	if len(in) > MaxZoneCountries {
		fe.add("countries", "must contain at most %d codes, got %d", MaxZoneCountries, len(in))
		return nil
	}
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	for i, c := range in {
		code := strings.ToUpper(strings.TrimSpace(c))
		if !IsCountry(code) {
			fe.add(fmt.Sprintf("countries[%d]", i), "is not an ISO 3166-1 alpha-2 country code such as US or DE, got %q", truncate(c, 20))
			continue
		}
		if !seen[code] {
			seen[code] = true
			out = append(out, code)
		}
	}
	return out
}

// parseRegions reads regions as "US-CA" (any case; repeats dropped), each
// a region of one of countries; countries nil checks the form only.
func parseRegions(fe *fieldErrors, in []string, countries []string) []string {
	if len(in) > MaxZoneRegions {
		fe.add("regions", "must contain at most %d codes, got %d", MaxZoneRegions, len(in))
		return nil
	}
	listed := map[string]bool{}
	for _, c := range countries {
		listed[c] = true
	}
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	for i, r := range in {
		field := fmt.Sprintf("regions[%d]", i)
		code := strings.ToUpper(strings.TrimSpace(r))
		country, region, ok := strings.Cut(code, "-")
		switch {
		case !ok || !IsRegion(country, region):
			fe.add(field, "is not a region shop knows, written with its country as US-CA, CA-QC or AU-NSW, got %q", truncate(r, 20))
			continue
		case countries != nil && !listed[country]:
			fe.add(field, "is in %s, which countries does not list", country)
			continue
		}
		if !seen[code] {
			seen[code] = true
			out = append(out, code)
		}
	}
	return out
}

// ShippingRateInput is createShippingRate's input as sent.
type ShippingRateInput struct {
	Name           string
	Kind           string
	Price          float64
	FreeAbove      *float64
	MinWeightGrams *int
	MaxWeightGrams *int
}

// ParseShippingRate validates createShippingRate's arguments. FREE_ABOVE
// needs freeAbove, BY_WEIGHT a minimum or a maximum weight (or both, the
// minimum at most the maximum); each kind refuses the others' fields, so
// a rate never carries a bound that does nothing.
func ParseShippingRate(zoneID string, in ShippingRateInput) (ShippingRate, error) {
	var fe fieldErrors
	checkID(&fe, "zoneId", zoneID)
	r := ShippingRate{ZoneID: zoneID, Name: parseName(&fe, "input.name", in.Name, MaxRateName), Kind: ShippingRateKind(in.Kind)}
	r.Price = parsePrice(&fe, "input.price", in.Price)
	if in.FreeAbove != nil {
		m := parsePrice(&fe, "input.freeAbove", *in.FreeAbove)
		r.FreeAbove = &m
	}
	weight := func(field string, w *int) *int {
		if w == nil {
			return nil
		}
		if *w < 0 || *w > MaxWeightGrams {
			fe.add(field, "must be between 0 and %d", MaxWeightGrams)
		}
		n := *w
		return &n
	}
	r.MinWeightGrams = weight("input.minWeightGrams", in.MinWeightGrams)
	r.MaxWeightGrams = weight("input.maxWeightGrams", in.MaxWeightGrams)
	switch r.Kind {
	case RateFlat:
	case RateFreeAbove:
		if r.FreeAbove == nil {
			fe.add("input.freeAbove", "is required for a FREE_ABOVE rate")
		}
	case RateByWeight:
		if r.MinWeightGrams == nil && r.MaxWeightGrams == nil {
			fe.add("input.minWeightGrams", "or maxWeightGrams is required for a BY_WEIGHT rate")
		}
		if r.MinWeightGrams != nil && r.MaxWeightGrams != nil && *r.MinWeightGrams > *r.MaxWeightGrams {
			fe.add("input.maxWeightGrams", "must be at least minWeightGrams (%d)", *r.MinWeightGrams)
		}
	default:
		fe.add("input.kind", "must be FLAT, FREE_ABOVE or BY_WEIGHT, got %q", truncate(in.Kind, 20))
	}
	if r.FreeAbove != nil && r.Kind != RateFreeAbove {
		fe.add("input.freeAbove", "applies only to a FREE_ABOVE rate")
	}
	if r.Kind != RateByWeight && r.MinWeightGrams != nil {
		fe.add("input.minWeightGrams", "applies only to a BY_WEIGHT rate")
	}
	if r.Kind != RateByWeight && r.MaxWeightGrams != nil {
		fe.add("input.maxWeightGrams", "applies only to a BY_WEIGHT rate")
	}
	if err := fe.err(); err != nil {
		return ShippingRate{}, err
	}
	return r, nil
}
