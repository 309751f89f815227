package models

import (
	"fmt"
	"strings"
	"time"

	"shop/errcode"
)

// Limits of discount codes.
const (
	MaxCodeSize = 64
	// MaxDiscountTargets bounds each of a code's lists of products and
	// categories.
	MaxDiscountTargets = 100
	// MaxUsageLimit bounds usageLimit and usageLimitPerCustomer.
	MaxUsageLimit = 1_000_000_000
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
		Message: "Invalid input: input.code " + truncate(code, MaxCodeSize) + " is taken by another discount code (codes match whatever their case).",
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

// DiscountTargets is what a code applies to, as sent: both empty, the
// whole order.
type DiscountTargets struct {
	ProductIDs  []string
	CategoryIDs []string
}

// DiscountCodeInput is createDiscountCode's input as sent (nil: left
// out). Dates are RFC 3339.
type DiscountCodeInput struct {
	Code                  string
	Kind                  string
	Value                 *float64
	AppliesTo             *DiscountTargets
	MinSubtotal           *float64
	StartsAt              *string
	EndsAt                *string
	UsageLimit            *int
	UsageLimitPerCustomer *int
}

// ParseDiscountCodeInput validates createDiscountCode's input into the
// code to create (no id, uses or times yet; active):
//   - code: 1 to 64 of A-Z, a-z, 0-9, '_' and '-', kept as written, its key
//     (CodeKey) unique;
//   - value: for PERCENTAGE a percentage above 0 and at most 100 (3 decimal
//     places at most), for FIXED_AMOUNT an amount above 0 like a price,
//     for FREE_SHIPPING none;
//   - endsAt after startsAt; limits at least 1 (left out: none).
func ParseDiscountCodeInput(in DiscountCodeInput) (DiscountCode, error) {
	var fe fieldErrors
	d := DiscountCode{Code: parseCode(&fe, in.Code), Kind: DiscountKind(in.Kind), Active: true}
	d.CodeKey = CodeKey(d.Code)
	if checkDiscountKind(&fe, in.Kind) {
		d.Percent, d.Amount = parseDiscountValue(&fe, d.Kind, in.Value, true)
	}
	if in.AppliesTo != nil {
		d.ProductIDs, d.CategoryIDs = parseTargets(&fe, *in.AppliesTo)
	}
	if in.MinSubtotal != nil {
		d.MinSubtotal = parsePrice(&fe, "input.minSubtotal", *in.MinSubtotal)
	}
	if in.StartsAt != nil {
		d.StartsAt = parseInstant(&fe, "input.startsAt", *in.StartsAt, false)
	}
	if in.EndsAt != nil {
		d.EndsAt = parseInstant(&fe, "input.endsAt", *in.EndsAt, false)
	}
	if in.UsageLimit != nil {
		d.UsageLimit = parseLimit(&fe, "input.usageLimit", *in.UsageLimit, false)
	}
	if in.UsageLimitPerCustomer != nil {
		d.UsageLimitPerCustomer = parseLimit(&fe, "input.usageLimitPerCustomer", *in.UsageLimitPerCustomer, false)
	}
	checkPeriod(&fe, d)
	if err := fe.err(); err != nil {
		return DiscountCode{}, err
	}
	return d, nil
}

// DiscountCodeUpdate is updateDiscountCode's input as sent (nil: left
// out). graphql-go passes no null on within an input object, so values
// clear what they can't set: startsAt or endsAt "" removes the date, a
// negative limit the limit, a minSubtotal of 0 the minimum, empty lists in
// appliesTo make the code the whole order's.
type DiscountCodeUpdate struct {
	Code                  *string
	Kind                  *string
	Value                 *float64
	AppliesTo             *DiscountTargets
	MinSubtotal           *float64
	StartsAt              *string
	EndsAt                *string
	UsageLimit            *int
	UsageLimitPerCustomer *int
	Active                *bool
}

// DiscountPatch is a validated updateDiscountCode; Apply makes the change
// to the code as it is.
type DiscountPatch struct {
	code, codeKey         *string
	kind                  *DiscountKind
	value                 *float64
	appliesTo             *DiscountTargets
	minSubtotal           *Money
	startsAt, endsAt      **time.Time
	usageLimit, perCustom **int
	active                *bool
}

// Deactivation is deactivateDiscountCode's patch: the code stays, with its
// uses, and no cart can apply it.
func Deactivation() DiscountPatch {
	off := false
	return DiscountPatch{active: &off}
}

// ParseDiscountPatch validates updateDiscountCode's arguments. The value
// is read in Apply, against the code's kind (the new one when kind
// changes).
func ParseDiscountPatch(id string, in DiscountCodeUpdate) (DiscountPatch, error) {
	var fe fieldErrors
	checkID(&fe, "discountCodeId", id)
	var p DiscountPatch
	if in.Code != nil {
		c := parseCode(&fe, *in.Code)
		k := CodeKey(c)
		p.code, p.codeKey = &c, &k
	}
	if in.Kind != nil && checkDiscountKind(&fe, *in.Kind) {
		k := DiscountKind(*in.Kind)
		p.kind = &k
	}
	p.value = in.Value
	if in.AppliesTo != nil {
		ps, cs := parseTargets(&fe, *in.AppliesTo)
		p.appliesTo = &DiscountTargets{ProductIDs: ps, CategoryIDs: cs}
	}
	if in.MinSubtotal != nil {
		m := parsePrice(&fe, "input.minSubtotal", *in.MinSubtotal)
		p.minSubtotal = &m
	}
	if in.StartsAt != nil {
		t := parseInstant(&fe, "input.startsAt", *in.StartsAt, true)
		p.startsAt = &t
	}
	if in.EndsAt != nil {
		t := parseInstant(&fe, "input.endsAt", *in.EndsAt, true)
		p.endsAt = &t
	}
	if in.UsageLimit != nil {
		l := parseLimit(&fe, "input.usageLimit", *in.UsageLimit, true)
		p.usageLimit = &l
	}
	if in.UsageLimitPerCustomer != nil {
		l := parseLimit(&fe, "input.usageLimitPerCustomer", *in.UsageLimitPerCustomer, true)
		p.perCustom = &l
	}
	p.active = in.Active
	if err := fe.err(); err != nil {
		return DiscountPatch{}, err
	}
	return p, nil
}

// Apply changes d as the patch says, and checks what holds across fields:
// the value fits the kind (a kind that changes to PERCENTAGE or
// FIXED_AMOUNT needs a value with it), and endsAt is after startsAt. d is
// left as it was when the patch is refused.
func (p DiscountPatch) Apply(d *DiscountCode) error {
	var fe fieldErrors
	next := *d
	if p.code != nil {
		next.Code, next.CodeKey = *p.code, *p.codeKey
	}
	if p.kind != nil || p.value != nil {
		if p.kind != nil {
			next.Kind = *p.kind
		}
		// A kind that doesn't change keeps its value unless one is sent.
		need := p.kind != nil && *p.kind != d.Kind
		if p.value != nil || need || next.Kind == DiscountFreeShipping {
			next.Percent, next.Amount = parseDiscountValue(&fe, next.Kind, p.value, need)
		}
	}
	if p.appliesTo != nil {
		next.ProductIDs, next.CategoryIDs = p.appliesTo.ProductIDs, p.appliesTo.CategoryIDs
	}
	if p.minSubtotal != nil {
		next.MinSubtotal = *p.minSubtotal
	}
	if p.startsAt != nil {
		next.StartsAt = *p.startsAt
	}
	if p.endsAt != nil {
		next.EndsAt = *p.endsAt
	}
	if p.usageLimit != nil {
		next.UsageLimit = *p.usageLimit
	}
	if p.perCustom != nil {
		next.UsageLimitPerCustomer = *p.perCustom
	}
	if p.active != nil {
		next.Active = *p.active
	}
	checkPeriod(&fe, next)
	if err := fe.err(); err != nil {
		return err
	}
	*d = next
	return nil
}

func parseCode(fe *fieldErrors, raw string) string {
	c := strings.TrimSpace(raw)
	switch {
	case c == "":
		fe.add("input.code", "must not be empty")
	case len(c) > MaxCodeSize:
		fe.add("input.code", "must be at most %d characters", MaxCodeSize)
	default:
		if !codeChars(c) {
			fe.add("input.code", "may hold only the letters A to Z (either case), digits, '_' and '-', got %q", truncate(c, MaxCodeSize))
		}
	}
	return c
}

// codeChars reports whether c holds only what codes are made of.
func codeChars(c string) bool {
	for _, r := range c {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// ShopperCodeKey is the key (CodeKey) of a code a shopper typed, and
// whether it could be a code at all: 1 to MaxCodeSize of the characters
// codes are made of. Anything else matches no code and need not be looked
// up (a NUL was an error to PostgreSQL, not a miss).
func ShopperCodeKey(typed string) (string, bool) {
	key := CodeKey(typed)
	return key, key != "" && len(key) <= MaxCodeSize && codeChars(key)
}

func checkDiscountKind(fe *fieldErrors, kind string) bool {
	switch DiscountKind(kind) {
	case DiscountPercentage, DiscountFixedAmount, DiscountFreeShipping:
		return true
	}
	fe.add("input.kind", "must be PERCENTAGE, FIXED_AMOUNT or FREE_SHIPPING, got %q", truncate(kind, 20))
	return false
}

// parseDiscountValue reads value for kind: a Percent for PERCENTAGE, Money
// for FIXED_AMOUNT (required when required is set), nothing for
// FREE_SHIPPING.
func parseDiscountValue(fe *fieldErrors, kind DiscountKind, value *float64, required bool) (Percent, Money) {
	const field = "input.value"
	if value == nil {
		if required && kind != DiscountFreeShipping {
			fe.add(field, "is required for a %s code", kind)
		}
		return 0, 0
	}
	switch kind {
	case DiscountPercentage:
		var local fieldErrors
		pct := ParsePercent(&local, field, *value)
		if len(local) == 0 && pct == 0 {
			local.add(field, "must be above 0")
		}
		*fe = append(*fe, local...)
		return pct, 0
	case DiscountFixedAmount:
		var local fieldErrors
		m := parsePrice(&local, field, *value)
		if len(local) == 0 && m == 0 {
			local.add(field, "must be above 0")
		}
		*fe = append(*fe, local...)
		return 0, m
	default:
		fe.add(field, "must be left out for a FREE_SHIPPING code")
		return 0, 0
	}
}

func parseTargets(fe *fieldErrors, in DiscountTargets) (products, categories []string) {
	ids := func(field string, list []string) []string {
		if len(list) > MaxDiscountTargets {
			fe.add(field, "must contain at most %d ids, got %d", MaxDiscountTargets, len(list))
			return nil
		}
		out := []string{}
		seen := map[string]bool{}
		for i, id := range list {
			if checkID(fe, fmt.Sprintf("%s[%d]", field, i), id) && !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
		return out
	}
	return ids("input.appliesTo.productIds", in.ProductIDs), ids("input.appliesTo.categoryIds", in.CategoryIDs)
}

// parseInstant reads an RFC 3339 time, in UTC, to the microsecond (what
// PostgreSQL keeps); "" is nil when clear is set.
func parseInstant(fe *fieldErrors, field, s string, clear bool) *time.Time {
	s = strings.TrimSpace(s)
	if s == "" && clear {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		fe.add(field, "is not an RFC 3339 time such as 2026-11-27T00:00:00Z, got %q", truncate(s, 40))
		return nil
	}
	if t.Year() < 2000 || t.Year() > 9999 {
		fe.add(field, "must be between the years 2000 and 9999")
		return nil
	}
	t = t.UTC().Truncate(time.Microsecond)
	return &t
}

// parseLimit reads a usage limit: at least 1; when clear is set, a
// negative one is nil (no limit). 0 is refused rather than taken as "no
// limit" or "no more uses": a code nobody may use is deactivated.
func parseLimit(fe *fieldErrors, field string, n int, clear bool) *int {
	switch {
	case n < 0 && clear:
		return nil
	case n < 1 && clear:
		fe.add(field, "must be at least 1, or negative to remove the limit")
	case n < 1:
		fe.add(field, "must be at least 1 (left out: no limit)")
	case n > MaxUsageLimit:
		fe.add(field, "must be at most %d", MaxUsageLimit)
	}
	return &n
}

func checkPeriod(fe *fieldErrors, d DiscountCode) {
	if d.StartsAt != nil && d.EndsAt != nil && !d.EndsAt.After(*d.StartsAt) {
		fe.add("input.endsAt", "must be after startsAt (%s)", d.StartsAt.Format(time.RFC3339))
	}
}

// ParseCodePage validates discountCodes' arguments: first from 1 to
// MaxPageFirst (DefaultPageFirst when left out), and after, the code last
// read (any case), as the key the page starts after.
func ParseCodePage(first *int, after *string) (int, string, error) {
	var fe fieldErrors
	n := DefaultPageFirst
	n = pageSize(&fe, first)
	key := ""
	if after != nil {
		key = CodeKey(*after)
		if len(key) > MaxCodeSize {
			fe.add("after", "must be a code, at most %d characters", MaxCodeSize)
		} else {
			checkText(&fe, "after", key, MaxCodeSize)
		}
	}
	if err := fe.err(); err != nil {
		return 0, "", err
	}
	return n, key, nil
}
