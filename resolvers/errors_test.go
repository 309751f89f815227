package resolvers

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"shop/errcode"
	"shop/models"
)

// TestFailKeepsTheCode: an error's details become its extensions, but
// never in place of its code or fields. A DISCOUNT_CODE_NOT_APPLICABLE's
// detail named "code" (the discount code) once went out as
// extensions.code, so clients read "SUMMER10" where the error's code was.
func TestFailKeepsTheCode(t *testing.T) {
	t.Parallel()
	r := &Resolver{logger: slog.New(slog.DiscardHandler)}
	err := r.fail(context.Background(), &models.Error{
		Code: errcode.DiscountCodeNotApplicable, Message: "no",
		Fields:  []models.FieldError{{Field: "code", Message: "bad"}},
		Details: map[string]any{"code": "SUMMER10", "fields": "x", "reason": "minimum"},
	})
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("fail returned %T", err)
	}
	ext := e.Extensions()
	if ext["code"] != string(errcode.DiscountCodeNotApplicable) || ext["reason"] != "minimum" {
		t.Fatalf("extensions %v: want the error's code and the other details", ext)
	}
	if f, ok := ext["fields"].([]models.FieldError); !ok || len(f) != 1 {
		t.Fatalf("extensions.fields %v: want the error's fields", ext["fields"])
	}
}

// TestCodeErrorsNameTheCodeApart: the DISCOUNT_CODE_* errors name the
// discount code as discountCode, which does not clash with
// extensions.code.
func TestCodeErrorsNameTheCodeApart(t *testing.T) {
	t.Parallel()
	r := &Resolver{logger: slog.New(slog.DiscardHandler)}
	code := models.DiscountCode{Code: "Summer10", Kind: models.DiscountPercentage, Percent: 10_000, Active: true, MinSubtotal: 50_00}
	lines := []models.PricingLine{{LineID: "l1", ProductID: "p1", UnitPrice: 10_00, Quantity: 1, Sold: true}}
	err := r.fail(context.Background(), models.CodeApplies(code, lines, 10_00, time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)))
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("fail returned %T", err)
	}
	if ext := e.Extensions(); ext["code"] != string(errcode.DiscountCodeNotApplicable) || ext["discountCode"] != "Summer10" || ext["reason"] != "minimum" {
		t.Fatalf("extensions %v", ext)
	}
}
