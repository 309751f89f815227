package models

import (
	"fmt"
	"math"
	"math/bits"
	"sort"
	"strings"
	"time"

	"shop/errcode"
)

// The money rules of checkout (docs/rules.md, "Checkout money"): which
// discount codes apply, which shipping methods are offered, and PriceCart.
// All of it is integer arithmetic on minor units; the only divisions are
// by RoundHalfUp and mulDiv, on 128-bit products, so nothing overflows
// silently and no float is ever rounded.

// CodeKey is the form of a discount code that lookups use and that is
// unique: trimmed, with ASCII letters uppercased. Only ASCII letters are
// folded: codes are ASCII (the admin's input is refused otherwise), and
// strings.ToUpper would turn "ſale" (long s) or "ıt" (dotless i) into
// "SALE" or "IT", letting a look-alike match a real code. Non-ASCII stays
// as it is, so it matches nothing.
func CodeKey(code string) string {
	b := []byte(strings.TrimSpace(code))
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// Why a code does not apply, in the details of the error (the message says
// it in words).
const (
	codeReasonInactive = "inactive"
	codeReasonNotYet   = "notStarted"
	codeReasonEnded    = "ended"
	codeReasonProducts = "products"
	codeReasonMinimum  = "minimum"
	codeReasonAll      = "usageLimit"
	codeReasonCustomer = "usageLimitPerCustomer"
)

func codeError(code Code, c DiscountCode, reason, format string, args ...any) error {
	return &Error{
		Code:    code,
		Message: fmt.Sprintf(format, args...),
		Details: map[string]any{"code": c.Code, "reason": reason},
	}
}

// CodeApplies reports whether code c applies to a cart, as of now:
// DISCOUNT_CODE_INVALID when it is not active (deactivated codes are
// unknown to shoppers), DISCOUNT_CODE_NOT_APPLICABLE before StartsAt, from
// EndsAt on (EndsAt is the first instant it no longer applies), when no
// line is eligible (ProductIDs and CategoryIDs; none listed: every line),
// or when subtotal (the whole cart's, before discounts, not only the
// eligible lines') is below MinSubtotal. Lines not Sold count for nothing.
func CodeApplies(c DiscountCode, lines []PricingLine, subtotal Money, now time.Time) error {
	if !c.Active {
		return codeError(errcode.DiscountCodeInvalid, c, codeReasonInactive, "The discount code %s is not active.", c.Code)
	}
	if c.StartsAt != nil && now.Before(*c.StartsAt) {
		return codeError(errcode.DiscountCodeNotApplicable, c, codeReasonNotYet,
			"The discount code %s starts on %s.", c.Code, c.StartsAt.UTC().Format(codeTimeLayout))
	}
	if c.EndsAt != nil && !now.Before(*c.EndsAt) {
		return codeError(errcode.DiscountCodeNotApplicable, c, codeReasonEnded,
			"The discount code %s ended on %s.", c.Code, c.EndsAt.UTC().Format(codeTimeLayout))
	}
	eligible := false
	for _, l := range lines {
		if l.Sold && l.Quantity > 0 && codeCovers(c, l) {
			eligible = true
			break
		}
	}
	if !eligible {
		what := "certain products"
		switch {
		case len(c.ProductIDs) == 0 && len(c.CategoryIDs) == 0:
			what = "the items of a cart, and this one has none"
		case len(c.ProductIDs) == 0:
			what = "products of certain categories, none of which is in the cart"
		case len(c.CategoryIDs) == 0:
			what += ", none of which is in the cart"
		default:
			what += " and categories, none of which is in the cart"
		}
		return codeError(errcode.DiscountCodeNotApplicable, c, codeReasonProducts, "The discount code %s applies only to %s.", c.Code, what)
	}
	if subtotal < c.MinSubtotal {
		return codeError(errcode.DiscountCodeNotApplicable, c, codeReasonMinimum,
			"The discount code %s needs a subtotal of at least %s; the cart's is %s.", c.Code, c.MinSubtotal, subtotal)
	}
	return nil
}

const codeTimeLayout = "2006-01-02 15:04 MST"

// codeCovers reports whether line l is one c discounts.
func codeCovers(c DiscountCode, l PricingLine) bool {
	if len(c.ProductIDs) == 0 && len(c.CategoryIDs) == 0 {
		return true
	}
	for _, p := range c.ProductIDs {
		if p == l.ProductID {
			return true
		}
	}
	for _, want := range c.CategoryIDs {
		for _, have := range l.CategoryIDs {
			if want == have {
				return true
			}
		}
	}
	return false
}

// CodeExhausted reports DISCOUNT_CODE_EXHAUSTED when c has been used
// UsageLimit times in all, or UsageLimitPerCustomer times by this
// customer (customerUses: their uses not released by a cancelled or
// expired order).
func CodeExhausted(c DiscountCode, customerUses int) error {
	if c.UsageLimit != nil && c.UsageCount >= *c.UsageLimit {
		return codeError(errcode.DiscountCodeExhausted, c, codeReasonAll,
			"The discount code %s has been used as many times as it may be (%d).", c.Code, *c.UsageLimit)
	}
	if c.UsageLimitPerCustomer != nil && customerUses >= *c.UsageLimitPerCustomer {
		return codeError(errcode.DiscountCodeExhausted, c, codeReasonCustomer,
			"The discount code %s may be used %s per customer, and you have used it already.", c.Code, times(*c.UsageLimitPerCustomer))
	}
	return nil
}

func times(n int) string {
	switch n {
	case 1:
		return "once"
	case 2:
		return "twice"
	}
	return fmt.Sprintf("%d times", n)
}

// ShippingMethods are the rates offered for an address, priced: those of
// every zone that covers it (its country listed and, where the zone lists
// regions of that country, the address's region among them; a zone
// listing no region of a country covers all of it), FLAT at its price,
// FREE_ABOVE at 0 once the subtotal after discounts reaches FreeAbove,
// BY_WEIGHT only when weightGrams is within its bounds (nil: unbounded).
// Every covering zone's rates are offered, not only the most precise
// zone's: the shopper picks. Sorted by price, then name, then id.
func ShippingMethods(zones []ShippingZone, addr Address, subtotalAfterDiscounts Money, weightGrams int) []ShippingMethod {
	var out []ShippingMethod
	seen := map[string]bool{}
	for _, z := range zones {
		if !zoneCovers(z, addr) {
			continue
		}
		for _, r := range z.Rates {
			price, ok := rateFor(r, subtotalAfterDiscounts, weightGrams)
			if !ok || seen[r.ID] {
				continue
			}
			seen[r.ID] = true
			out = append(out, ShippingMethod{ID: r.ID, Name: r.Name, Price: price})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Price != b.Price {
			return a.Price < b.Price
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.ID < b.ID
	})
	return out
}

// zoneCovers reports whether z ships to addr.
func zoneCovers(z ShippingZone, addr Address) bool {
	listed := false
	for _, c := range z.Countries {
		if c == addr.Country {
			listed = true
			break
		}
	}
	if !listed {
		return false
	}
	prefix := addr.Country + "-"
	namesRegions := false
	for _, r := range z.Regions {
		if !strings.HasPrefix(r, prefix) {
			continue
		}
		if r == prefix+addr.Region {
			return true
		}
		namesRegions = true
	}
	return !namesRegions
}

// rateFor is what r charges, and whether it is offered at all.
func rateFor(r ShippingRate, subtotal Money, weightGrams int) (Money, bool) {
	switch r.Kind {
	case RateFlat:
		return r.Price, true
	case RateFreeAbove:
		if r.FreeAbove != nil && subtotal >= *r.FreeAbove {
			return 0, true
		}
		return r.Price, true
	case RateByWeight:
		if r.MinWeightGrams != nil && weightGrams < *r.MinWeightGrams {
			return 0, false
		}
		if r.MaxWeightGrams != nil && weightGrams > *r.MaxWeightGrams {
			return 0, false
		}
		return r.Price, true
	}
	return 0, false // a kind this version does not know is not offered
}

// RoundHalfUp is num/den rounded to the nearest integer, halves up
// (2.5 → 3), for num >= 0 and den > 0: the rounding of every tax and
// percentage discount. It never overflows (num + den/2 could).
func RoundHalfUp(num, den int64) int64 {
	return mulDiv(num, 1, den, true)
}

// mulDiv is a*b/den, rounded down, or half up when halfUp, for a, b >= 0
// and den > 0, with the product in 128 bits: a discount's share of a line
// (amount × line subtotal) or a tax (amount × rate) can pass 2^63 when
// the amounts are large. A quotient beyond int64 saturates at
// math.MaxInt64; the callers' quotients are at most one of a and b.
func mulDiv(a, b, den int64, halfUp bool) int64 {
	if a < 0 || b < 0 || den <= 0 {
		panic(fmt.Sprintf("models.mulDiv(%d, %d, %d): negative operand or non-positive divisor", a, b, den))
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	d := uint64(den)
	if hi >= d {
		return math.MaxInt64
	}
	q, r := bits.Div64(hi, lo, d)
	if halfUp && r >= d-r {
		q++
	}
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(q)
}
