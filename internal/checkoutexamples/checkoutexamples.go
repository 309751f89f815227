// Package checkoutexamples reads the worked examples of checkout money,
// models/testdata/checkout_money.json, for the two tests that check them:
// models.PriceCart's own, and the real server's (e2e). Amounts and
// percentages are decimal strings, as the file writes them.
package checkoutexamples

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
)

// File is the whole file.
type File struct {
	About    string    `json:"about"`
	Examples []Example `json:"examples"`
}

// Example is one worked example: a cart's inputs and the amounts it must
// come to.
type Example struct {
	Name             string    `json:"name"`
	Why              string    `json:"why"`
	PricesIncludeTax bool      `json:"pricesIncludeTax"`
	Lines            []Line    `json:"lines"`
	Code             *Code     `json:"code"`
	Address          *Address  `json:"address"`
	Zones            []Zone    `json:"zones"`
	TaxRates         []TaxRate `json:"taxRates"`
	// Selected names the rate the cart selects.
	Selected string `json:"selected"`
	Expect   Expect `json:"expect"`
}

// Line is a cart line; ProductID and CategoryIDs are symbolic ("p1",
// "shirts"), shared by lines and the code's appliesTo.
type Line struct {
	Price       string   `json:"price"`
	Quantity    int      `json:"quantity"`
	WeightGrams int      `json:"weightGrams"`
	ProductID   string   `json:"productId"`
	CategoryIDs []string `json:"categoryIds"`
	Unavailable bool     `json:"unavailable"`
}

// Code is the discount code applied.
type Code struct {
	Code      string `json:"code"`
	Kind      string `json:"kind"`
	Value     string `json:"value"`
	AppliesTo struct {
		ProductIDs  []string `json:"productIds"`
		CategoryIDs []string `json:"categoryIds"`
	} `json:"appliesTo"`
	MinSubtotal string `json:"minSubtotal"`
}

// Address is where the cart ships.
type Address struct {
	Country    string `json:"country"`
	Region     string `json:"region"`
	PostalCode string `json:"postalCode"`
}

// Zone is a shipping zone with its rates.
type Zone struct {
	Name      string   `json:"name"`
	Countries []string `json:"countries"`
	Regions   []string `json:"regions"`
	Rates     []Rate   `json:"rates"`
}

// Rate is a shipping rate.
type Rate struct {
	Name           string  `json:"name"`
	Kind           string  `json:"kind"`
	Price          string  `json:"price"`
	FreeAbove      *string `json:"freeAbove"`
	MinWeightGrams *int    `json:"minWeightGrams"`
	MaxWeightGrams *int    `json:"maxWeightGrams"`
}

// TaxRate is a tax rate.
type TaxRate struct {
	Country           string `json:"country"`
	Region            string `json:"region"`
	Name              string `json:"name"`
	Rate              string `json:"rate"`
	AppliesToShipping bool   `json:"appliesToShipping"`
}

// Expect is what the cart comes to. Methods is left out of an example
// that does not check them.
type Expect struct {
	Lines         []ExpectLine `json:"lines"`
	Subtotal      string       `json:"subtotal"`
	DiscountTotal string       `json:"discountTotal"`
	ShippingTotal string       `json:"shippingTotal"`
	TaxTotal      string       `json:"taxTotal"`
	Total         string       `json:"total"`
	Methods       []Method     `json:"methods,omitempty"`
	ShippingTaxes []Tax        `json:"shippingTaxes,omitempty"`
	// Warnings are the warnings' codes, in order.
	Warnings []string `json:"warnings"`
}

// ExpectLine is one line's amounts; Discounts are its allocations'.
type ExpectLine struct {
	Subtotal  string   `json:"subtotal"`
	Discounts []string `json:"discounts"`
	Taxes     []Tax    `json:"taxes"`
	Total     string   `json:"total"`
}

// Tax is a tax line.
type Tax struct {
	Title  string `json:"title"`
	Rate   string `json:"rate"`
	Amount string `json:"amount"`
}

// Method is a shipping method offered.
type Method struct {
	Name  string `json:"name"`
	Price string `json:"price"`
}

// Load reads the file at path, refusing a field this package does not
// know: it would go untested.
func Load(path string) (File, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return File{}, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return File{}, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}
