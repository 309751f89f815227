package models

import (
	"math"
	"strconv"
	"strings"

	"shop/errcode"
)

// Limits of taxes: the taxRates query returns every rate.
const (
	MaxTaxRates    = 500
	MaxTaxRateName = 100
	// MaxRegionTaxRates bounds the rates of one country and region, the
	// whole country's (region "") counted apart from each region's. An
	// address is taxed by its country's whole-country rates and its
	// region's, so a line carries at most MaxLineTaxes tax lines, which
	// the cost of a cart or an order counts (schema/cost.go).
	MaxRegionTaxRates = 4
	MaxLineTaxes      = 2 * MaxRegionTaxRates
	// MaxOrderTaxes bounds an order's tax lines: its lines' and its
	// shipping's, one per rate, all the rates of the one address.
	MaxOrderTaxes = MaxLineTaxes
)

// CheckRegionTaxRoom refuses a tax rate for country and region (""
// for the whole country) when they have n >= MaxRegionTaxRates rates
// already.
func CheckRegionTaxRoom(country, region string, n int) error {
	if n < MaxRegionTaxRates {
		return nil
	}
	if region == "" {
		return fieldError("region", "is left out, and %s has %d rates for the whole country already, the most there may be (a region's rates are counted apart)",
			country, n)
	}
	return fieldError("region", "%s-%s has %d tax rates already, the most one region may have (the whole country's are counted apart)", country, region, n)
}

// TaxRateTaken is the error for a tax rate whose country, region and name
// another has: two rates of one name would tax twice.
func TaxRateTaken() error {
	return &Error{
		Code:    errcode.Conflict,
		Message: "Invalid input: name is taken by another tax rate of that country and region.",
		Fields:  []FieldError{{Field: "name", Message: "is taken by another tax rate of that country and region"}},
	}
}

// ParsePercent reads a percentage from 0 to 100 with at most 3 decimal
// places (8.25, 33.333) as a Percent, through the Float's shortest decimal
// form, which is what the client wrote (as MoneyFromFloat does): more
// places are refused, never rounded away.
func ParsePercent(fe *fieldErrors, field string, f float64) Percent {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		fe.add(field, "is not a finite number")
		return 0
	case f < 0:
		fe.add(field, "must not be negative")
		return 0
	case f > 100:
		fe.add(field, "must be at most 100 (a percentage)")
		return 0
	}
	whole, frac, _ := strings.Cut(strconv.FormatFloat(f, 'f', -1, 64), ".")
	if len(frac) > 3 {
		fe.add(field, "has more than 3 decimal places")
		return 0
	}
	frac += strings.Repeat("0", 3-len(frac))
	w, _ := strconv.ParseInt(whole, 10, 64)
	t, _ := strconv.ParseInt(frac, 10, 64)
	return Percent(w*1000 + t)
}

// Float64 is the percentage the API shows (8.25): the division of two
// exactly representable integers, correctly rounded, prints as the
// decimal.
func (p Percent) Float64() float64 { return float64(p) / 1000 }

// TaxRateInput is createTaxRate's arguments as sent.
type TaxRateInput struct {
	Country           string
	Region            string
	Rate              float64
	Name              string
	AppliesToShipping bool
}

// ParseTaxRate validates createTaxRate's arguments: country an ISO 3166-1
// alpha-2 code, region "" (the whole country) or one of its regions
// ("CA" or "US-CA", kept as "CA", the form addresses have), rate a
// percentage.
func ParseTaxRate(in TaxRateInput) (TaxRate, error) {
	var fe fieldErrors
	t := TaxRate{Country: strings.ToUpper(strings.TrimSpace(in.Country)), Name: parseName(&fe, "name", in.Name, MaxTaxRateName),
		AppliesToShipping: in.AppliesToShipping}
	if !IsCountry(t.Country) {
		fe.add("country", "is not an ISO 3166-1 alpha-2 country code such as US or DE, got %q", truncate(in.Country, 20))
	}
	region := strings.ToUpper(strings.TrimSpace(in.Region))
	if c, r, ok := strings.Cut(region, "-"); ok && c == t.Country {
		region = r
	}
	if region != "" && !IsRegion(t.Country, region) {
		fe.add("region", "is not a region of %s shop knows (such as CA or US-CA for California), got %q", truncate(t.Country, 20), truncate(in.Region, 20))
	}
	t.Region = region
	t.Rate = ParsePercent(&fe, "rate", in.Rate)
	if err := fe.err(); err != nil {
		return TaxRate{}, err
	}
	return t, nil
}
