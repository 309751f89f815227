package models

import "strings"

// Limits of an address's fields, in characters.
const (
	maxAddressText   = 200 // name, company, line1, line2, city
	maxFreeRegion    = 100 // a region where the country has no codes shop checks
	maxFreePostal    = 20  // a postal code where shop knows no pattern
	maxAddressPhone  = 40
	addressPhoneRune = "0123456789 +-()."
)

// postalExamples say what a postal code of each country with a pattern
// (countries.go) looks like, for the error message: a shopper who typed
// "9410" learns what is expected, not only that it is wrong.
var postalExamples = map[string]string{
	"US": "a US ZIP code such as 94107 or 94107-1234",
	"CA": "a Canadian postal code such as K1A 0B1",
	"GB": "a UK postcode such as SW1A 1AA",
	"DE": "a German postal code of 5 digits such as 10115",
	"FR": "a French postal code of 5 digits such as 75001",
	"NL": "a Dutch postal code such as 1012 AB",
	"AU": "an Australian postcode of 4 digits such as 2000",
}

// regionNames say what a region of each country with regions is called,
// for the error message.
var regionNames = map[string]string{
	"US": "a US state or territory code such as CA or NY",
	"CA": "a Canadian province or territory code such as ON or QC",
	"AU": "an Australian state or territory code such as NSW or VIC",
}

// ParseAddress checks an address a shopper sends (AddressInput) and returns
// it normalised: every field trimmed; country, a region that is a code,
// and the postal code uppercased; a region written "US-CA" stored as "CA".
// Every bad field is reported at once, named field + "." + its name
// ("address.postalCode").
//
// The region is required, and must be one of the country's, where shop
// knows the country's regions (HasRegions): taxes and shipping zones name
// them, so a typo would silently change the price. Elsewhere it is
// optional free text kept as written (not uppercased: "Île-de-France"
// is a name, and nothing matches on it). The postal code likewise is
// required and checked where shop knows the country's pattern.
func ParseAddress(field string, in Address) (Address, error) {
	var fe fieldErrors
	name := func(n string) string { return field + "." + n }
	a := Address{
		Name:       strings.TrimSpace(in.Name),
		Company:    strings.TrimSpace(in.Company),
		Line1:      strings.TrimSpace(in.Line1),
		Line2:      strings.TrimSpace(in.Line2),
		City:       strings.TrimSpace(in.City),
		PostalCode: strings.ToUpper(strings.TrimSpace(in.PostalCode)),
		Region:     strings.TrimSpace(in.Region),
		Country:    strings.ToUpper(strings.TrimSpace(in.Country)),
		Phone:      strings.TrimSpace(in.Phone),
	}
	requiredText(&fe, name("name"), a.Name, maxAddressText)
	checkText(&fe, name("company"), a.Company, maxAddressText)
	requiredText(&fe, name("line1"), a.Line1, maxAddressText)
	checkText(&fe, name("line2"), a.Line2, maxAddressText)
	requiredText(&fe, name("city"), a.City, maxAddressText)

	countryOK := false
	switch {
	case a.Country == "":
		fe.add(name("country"), "is required: an ISO 3166-1 alpha-2 country code such as US or DE")
	case !IsCountry(a.Country):
		fe.add(name("country"), "is not an ISO 3166-1 alpha-2 country code such as US or DE, got %q", truncate(in.Country, 40))
	default:
		countryOK = true
	}

	// The postal code, then the region, in the order the fields are
	// listed; both are judged by the country only when it is valid (an
	// unknown country's rules are unknown: its own error says enough).
	switch {
	case countryOK && HasPostalPattern(a.Country):
		if a.PostalCode == "" {
			fe.add(name("postalCode"), "is required: %s", postalExamples[a.Country])
		} else if checkText(&fe, name("postalCode"), a.PostalCode, maxFreePostal) && !PostalCodeOK(a.Country, a.PostalCode) {
			fe.add(name("postalCode"), "is not %s, got %q", postalExamples[a.Country], truncate(a.PostalCode, 40))
		}
	default:
		checkText(&fe, name("postalCode"), a.PostalCode, maxFreePostal)
	}

	switch {
	case countryOK && HasRegions(a.Country):
		a.Region = strings.ToUpper(a.Region)
		a.Region = strings.TrimPrefix(a.Region, a.Country+"-")
		if a.Region == "" {
			fe.add(name("region"), "is required for %s: %s", a.Country, regionNames[a.Country])
		} else if checkText(&fe, name("region"), a.Region, maxFreeRegion) && !IsRegion(a.Country, a.Region) {
			fe.add(name("region"), "is not %s, got %q", regionNames[a.Country], truncate(strings.TrimSpace(in.Region), 40))
		}
	default:
		checkText(&fe, name("region"), a.Region, maxFreeRegion)
	}

	if checkText(&fe, name("phone"), a.Phone, maxAddressPhone) && a.Phone != "" {
		switch {
		case strings.Trim(a.Phone, addressPhoneRune) != "":
			fe.add(name("phone"), "may contain only digits, spaces and + - ( ) .")
		case !strings.ContainsAny(a.Phone, "0123456789"):
			fe.add(name("phone"), "must contain digits")
		}
	}
	if err := fe.err(); err != nil {
		return Address{}, err
	}
	return a, nil
}

// requiredText is checkText for a field that must not be empty.
func requiredText(fe *fieldErrors, field, s string, max int) bool {
	if s == "" {
		fe.add(field, "is required")
		return false
	}
	return checkText(fe, field, s, max)
}
