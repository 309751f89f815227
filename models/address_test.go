package models

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func validAddress() Address {
	return Address{Name: "Ada Lovelace", Line1: "1 Main St", City: "San Francisco", PostalCode: "94107", Region: "CA", Country: "US"}
}

func TestParseAddressNormalises(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   Address
		want Address
	}{
		{"as given", validAddress(), validAddress()},
		{"trimmed and uppercased",
			Address{Name: "  Ada  ", Company: " ACME ", Line1: " 1 Main St ", Line2: " Apt 2 ", City: " SF ", PostalCode: " 94107-1234 ", Region: " ca ", Country: " us ", Phone: " +1 (415) 555-0100 "},
			Address{Name: "Ada", Company: "ACME", Line1: "1 Main St", Line2: "Apt 2", City: "SF", PostalCode: "94107-1234", Region: "CA", Country: "US", Phone: "+1 (415) 555-0100"}},
		{"ISO 3166-2 region", with(validAddress(), func(a *Address) { a.Region = "us-ca" }), validAddress()},
		{"Canada", Address{Name: "A", Line1: "L", City: "Ottawa", PostalCode: "k1a 0b1", Region: "CA-ON", Country: "ca"},
			Address{Name: "A", Line1: "L", City: "Ottawa", PostalCode: "K1A 0B1", Region: "ON", Country: "CA"}},
		{"Australia", Address{Name: "A", Line1: "L", City: "Sydney", PostalCode: "2000", Region: "nsw", Country: "AU"},
			Address{Name: "A", Line1: "L", City: "Sydney", PostalCode: "2000", Region: "NSW", Country: "AU"}},
		{"UK: no region needed", Address{Name: "A", Line1: "L", City: "London", PostalCode: "sw1a 1aa", Country: "GB"},
			Address{Name: "A", Line1: "L", City: "London", PostalCode: "SW1A 1AA", Country: "GB"}},
		{"Germany", Address{Name: "A", Line1: "L", City: "Berlin", PostalCode: "10115", Country: "DE"},
			Address{Name: "A", Line1: "L", City: "Berlin", PostalCode: "10115", Country: "DE"}},
		{"Netherlands", Address{Name: "A", Line1: "L", City: "Amsterdam", PostalCode: "1012ab", Country: "NL"},
			Address{Name: "A", Line1: "L", City: "Amsterdam", PostalCode: "1012AB", Country: "NL"}},
		{"France, free-text region kept as written", Address{Name: "A", Line1: "L", City: "Paris", PostalCode: "75001", Region: " Île-de-France ", Country: "FR"},
			Address{Name: "A", Line1: "L", City: "Paris", PostalCode: "75001", Region: "Île-de-France", Country: "FR"}},
		{"no postal pattern: optional", Address{Name: "A", Line1: "L", City: "Dublin", Country: "IE"},
			Address{Name: "A", Line1: "L", City: "Dublin", Country: "IE"}},
		{"no postal pattern: free text", Address{Name: "A", Line1: "L", City: "Dublin", PostalCode: "d02 x285", Country: "IE"},
			Address{Name: "A", Line1: "L", City: "Dublin", PostalCode: "D02 X285", Country: "IE"}},
		{"200 characters", with(validAddress(), func(a *Address) { a.Name = strings.Repeat("é", 200) }),
			with(validAddress(), func(a *Address) { a.Name = strings.Repeat("é", 200) })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseAddress("address", tt.in)
			if err != nil {
				t.Fatalf("ParseAddress: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func with(a Address, f func(*Address)) Address {
	f(&a)
	return a
}

func TestParseAddressRefuses(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 201)
	tests := []struct {
		name string
		in   Address
		// want maps each bad field to a part of its message.
		want map[string]string
	}{
		{"empty: every required field at once", Address{}, map[string]string{
			"shipping.name": "is required", "shipping.line1": "is required", "shipping.city": "is required",
			"shipping.country": "is required"}},
		{"unknown country", with(validAddress(), func(a *Address) { a.Country = "XX" }),
			map[string]string{"shipping.country": `not an ISO 3166-1 alpha-2 country code such as US or DE, got "XX"`}},
		{"country name, not code", with(validAddress(), func(a *Address) { a.Country = "USA" }),
			map[string]string{"shipping.country": "not an ISO 3166-1"}},
		{"bad ZIP", with(validAddress(), func(a *Address) { a.PostalCode = "9410" }),
			map[string]string{"shipping.postalCode": `is not a US ZIP code such as 94107 or 94107-1234, got "9410"`}},
		{"missing ZIP", with(validAddress(), func(a *Address) { a.PostalCode = " " }),
			map[string]string{"shipping.postalCode": "is required: a US ZIP code"}},
		{"bad Canadian code", Address{Name: "A", Line1: "L", City: "C", PostalCode: "D1A 0B1", Region: "ON", Country: "CA"},
			map[string]string{"shipping.postalCode": "is not a Canadian postal code such as K1A 0B1"}},
		{"bad UK postcode", Address{Name: "A", Line1: "L", City: "C", PostalCode: "12345", Country: "GB"},
			map[string]string{"shipping.postalCode": "is not a UK postcode"}},
		{"bad German code", Address{Name: "A", Line1: "L", City: "C", PostalCode: "1011", Country: "DE"},
			map[string]string{"shipping.postalCode": "German postal code of 5 digits"}},
		{"bad French code", Address{Name: "A", Line1: "L", City: "C", PostalCode: "7500A", Country: "FR"},
			map[string]string{"shipping.postalCode": "French postal code"}},
		{"bad Dutch code", Address{Name: "A", Line1: "L", City: "C", PostalCode: "1012", Country: "NL"},
			map[string]string{"shipping.postalCode": "Dutch postal code"}},
		{"bad Australian code", Address{Name: "A", Line1: "L", City: "C", PostalCode: "20000", Region: "NSW", Country: "AU"},
			map[string]string{"shipping.postalCode": "Australian postcode of 4 digits"}},
		{"missing state", with(validAddress(), func(a *Address) { a.Region = "" }),
			map[string]string{"shipping.region": "is required for US: a US state or territory code such as CA or NY"}},
		{"state name, not code", with(validAddress(), func(a *Address) { a.Region = "California" }),
			map[string]string{"shipping.region": `is not a US state or territory code such as CA or NY, got "California"`}},
		{"another country's region", with(validAddress(), func(a *Address) { a.Region = "CA-ON" }),
			map[string]string{"shipping.region": "is not a US state"}},
		{"missing province", Address{Name: "A", Line1: "L", City: "C", PostalCode: "K1A 0B1", Country: "CA"},
			map[string]string{"shipping.region": "Canadian province or territory code"}},
		{"free-text region too long", Address{Name: "A", Line1: "L", City: "C", Country: "IE", Region: strings.Repeat("r", 101)},
			map[string]string{"shipping.region": "at most 100 characters"}},
		{"free-text postal code too long", Address{Name: "A", Line1: "L", City: "C", Country: "IE", PostalCode: strings.Repeat("1", 21)},
			map[string]string{"shipping.postalCode": "at most 20 characters"}},
		{"every text too long", with(validAddress(), func(a *Address) {
			a.Name, a.Company, a.Line1, a.Line2, a.City = long, long, long, long, long
		}), map[string]string{
			"shipping.name": "at most 200", "shipping.company": "at most 200", "shipping.line1": "at most 200",
			"shipping.line2": "at most 200", "shipping.city": "at most 200"}},
		{"control character", with(validAddress(), func(a *Address) { a.Line2 = "Apt\x002" }),
			map[string]string{"shipping.line2": "control or invisible characters"}},
		{"line break in one-line text", with(validAddress(), func(a *Address) { a.City = "San\nFrancisco" }),
			map[string]string{"shipping.city": "control or invisible"}},
		{"invisible character", with(validAddress(), func(a *Address) { a.Name = "Ada\u202eLovelace" }),
			map[string]string{"shipping.name": "U+202E"}},
		{"invalid UTF-8", with(validAddress(), func(a *Address) { a.Company = "\xff" }),
			map[string]string{"shipping.company": "valid UTF-8"}},
		{"phone with letters", with(validAddress(), func(a *Address) { a.Phone = "call me" }),
			map[string]string{"shipping.phone": "only digits, spaces and + - ( ) ."}},
		{"phone without digits", with(validAddress(), func(a *Address) { a.Phone = "+()" }),
			map[string]string{"shipping.phone": "must contain digits"}},
		{"phone too long", with(validAddress(), func(a *Address) { a.Phone = strings.Repeat("1", 41) }),
			map[string]string{"shipping.phone": "at most 40"}},
		{"several fields at once", Address{Name: "A", Line1: "L", City: "C", Country: "US", Region: "ZZ", PostalCode: "x", Phone: "?"},
			map[string]string{"shipping.postalCode": "ZIP", "shipping.region": "US state", "shipping.phone": "only digits"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseAddress("shipping", tt.in)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want a *models.Error", err)
			}
			got := map[string]string{}
			for _, f := range e.Fields {
				if _, dup := got[f.Field]; dup {
					t.Errorf("%s reported twice", f.Field)
				}
				got[f.Field] = f.Message
			}
			for field, part := range tt.want {
				if !strings.Contains(got[field], part) {
					t.Errorf("%s: message %q does not contain %q", field, got[field], part)
				}
			}
			for field := range got {
				if _, ok := tt.want[field]; !ok {
					t.Errorf("unexpected error on %s: %s", field, got[field])
				}
			}
			if _, err2 := ParseAddress("shipping", tt.in); fields(t, err2) == nil {
				t.Fatal("no fields")
			}
		})
	}
}

// TestPostalExamplesFit: every country whose postal codes are checked has
// an example in the messages, and the examples pass their own pattern (a
// message must not ask for something that would be refused).
func TestPostalExamplesFit(t *testing.T) {
	t.Parallel()
	for country := range postalPatterns {
		ex, ok := postalExamples[country]
		if !ok {
			t.Errorf("%s has a postal pattern but no example for messages", country)
			continue
		}
		code := ex[strings.LastIndex(ex, "such as ")+len("such as "):]
		for _, c := range strings.Split(code, " or ") {
			if !PostalCodeOK(country, c) {
				t.Errorf("%s: the example %q fails the pattern", country, c)
			}
		}
	}
	for country := range regionCodes {
		name := regionNames[country]
		if name == "" {
			t.Errorf("%s has regions but no name for them in messages", country)
			continue
		}
		for _, r := range strings.Split(name[strings.LastIndex(name, "such as ")+len("such as "):], " or ") {
			if !IsRegion(country, r) {
				t.Errorf("%s: the example region %q is not one", country, r)
			}
		}
	}
}
