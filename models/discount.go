package models

import (
	"strings"

	"shop/errcode"
)

// DiscountCodeNotFound is the error for a code id that names none.
func DiscountCodeNotFound(id string) error {
	return Errorf(errcode.NotFound, "Discount code %s does not exist.", id)
}

// DiscountCodeTaken is the error for a code another has, whatever its
// letter case.
func DiscountCodeTaken(code string) error {
	return &Error{
		Code:    errcode.Conflict,
		Message: "Invalid input: input.code " + truncate(code, 64) + " is taken by another discount code (codes match whatever their case).",
		Fields:  []FieldError{{Field: "input.code", Message: "is taken by another discount code"}},
	}
}

// UnknownDiscountTargets is the error for a code's products and
// categories that don't exist (nil when all do).
func UnknownDiscountTargets(products, categories []string) error {
	var fe fieldErrors
	if len(products) > 0 {
		fe.add("input.appliesTo.productIds", "names no product: %s", strings.Join(products, ", "))
	}
	if len(categories) > 0 {
		fe.add("input.appliesTo.categoryIds", "names no category: %s", strings.Join(categories, ", "))
	}
	return fe.err()
}
