package models

import "shop/errcode"

// MaxTaxRates bounds the taxRates query (every rate of the shop).
const MaxTaxRates = 500

// TaxRateTaken is the error for a tax rate whose country, region and name
// another has: two rates of one name would tax twice.
func TaxRateTaken() error {
	return &Error{
		Code:    errcode.Conflict,
		Message: "Invalid input: name is taken by another tax rate of that country and region.",
		Fields:  []FieldError{{Field: "name", Message: "is taken by another tax rate of that country and region"}},
	}
}
