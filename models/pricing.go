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

// codeError is a DISCOUNT_CODE_* error; its details name the code as
// discountCode: extensions.code is the error's code.
func codeError(code Code, c DiscountCode, reason, format string, args ...any) error {
	return &Error{
		Code:    code,
		Message: fmt.Sprintf(format, args...),
		Details: map[string]any{"discountCode": c.Code, "reason": reason},
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

// Codes of a cart's warnings that are not error codes (errcode has those
// a warning shares with an error: NO_SHIPPING_METHOD and the discount
// codes'). docs/rules.md lists them all.
const (
	WarningVariantUnavailable = "VARIANT_UNAVAILABLE"
	WarningOutOfStock         = "OUT_OF_STOCK"
	WarningPriceChanged       = "PRICE_CHANGED"
)

// PricingInput is everything PriceCart needs, read by the caller: the
// lines with their variants' current prices, the shipping address (nil:
// none yet), the zones and tax rates of the shop, the method the cart
// selected, the code it applied (nil: none) with this customer's uses of
// it, and the time.
type PricingInput struct {
	Lines            []PricingLine
	Address          *Address
	Zones            []ShippingZone
	SelectedMethodID string
	TaxRates         []TaxRate
	PricesIncludeTax bool
	Code             *DiscountCode
	CodeUses         int // this customer's unreleased uses of Code
	Now              time.Time
}

// PriceCart works out a cart's money, exactly, by the rules of
// docs/rules.md ("Checkout money"):
//
//  1. Each line's subtotal is unit price × quantity. A line not Sold is
//     left out of every amount (a warning says so); one short of stock or
//     whose price changed since the shopper saw it is priced, with a
//     warning.
//  2. A code that does not apply (CodeApplies) or is used up
//     (CodeExhausted) is a warning and takes nothing off. A PERCENTAGE
//     code takes roundHalfUp(eligible subtotal × percent) off, a
//     FIXED_AMOUNT code min(amount, eligible subtotal); either is
//     allocated over the eligible lines by allocate. FREE_SHIPPING makes
//     the shipping total 0.
//  3. Methods are ShippingMethods for the address with the subtotal after
//     discounts: a discount that drops the subtotal below a FREE_ABOVE
//     threshold brings the shipping price back.
//  4. Every tax rate of the address's country (Region "") and region
//     taxes each line's discounted amount, rounded half up per line and
//     rate; rates with AppliesToShipping tax the shipping total too.
//     With PricesIncludeTax the tax is extracted: amount × r /
//     (100% + the sum of the rates that apply), and totals don't change.
//     No address: no methods and no tax.
//
// PriceCart never fails: what is wrong with a cart is a warning, and
// checkoutComplete refuses what can't be ordered. Amounts are int64 minor
// units; a cart within the shop's limits (100 lines × 10,000 units ×
// MaxPrice, about 10^16) is far from 2^63, products of two amounts are
// taken in 128 bits (mulDiv), and sums saturate rather than wrap, so even
// an input past the limits gives a large total that checkout refuses, not
// a negative one.
func PriceCart(in PricingInput) Priced {
	p := Priced{Lines: make([]PricedLine, len(in.Lines)), PricesIncludeTax: in.PricesIncludeTax}
	sold := make([]bool, len(in.Lines))
	weight := 0
	for i, l := range in.Lines {
		pl := PricedLine{LineID: l.LineID, VariantID: l.VariantID}
		if !l.Sold {
			p.warn(WarningVariantUnavailable, l.LineID, "This item is no longer sold; it is left out of the cart's total.")
			p.Lines[i] = pl
			continue
		}
		sold[i] = true
		q := max(l.Quantity, 0)
		pl.Subtotal = timesSat(max(l.UnitPrice, 0), q)
		pl.Total = pl.Subtotal
		p.Lines[i] = pl
		p.Subtotal = plusSat(p.Subtotal, pl.Subtotal)
		weight = addIntSat(weight, mulIntSat(max(l.WeightGrams, 0), q))
		switch {
		case l.StockCount <= 0:
			p.warn(WarningOutOfStock, l.LineID, "This item is out of stock.")
		case l.StockCount < q:
			p.warn(WarningOutOfStock, l.LineID, fmt.Sprintf("Only %d of this item are in stock; the cart has %d.", l.StockCount, q))
		}
		if l.PriceSeen != l.UnitPrice {
			p.warn(WarningPriceChanged, l.LineID, fmt.Sprintf("The price of this item changed from %s to %s; it is charged at %s.", l.PriceSeen, l.UnitPrice, l.UnitPrice))
		}
	}

	freeShipping := false
	if in.Code != nil {
		c := *in.Code
		err := CodeApplies(c, in.Lines, p.Subtotal, in.Now)
		if err == nil {
			err = CodeExhausted(c, in.CodeUses)
		}
		if err != nil {
			p.warn(string(ErrorCode(err)), "", err.Error())
		} else {
			p.DiscountCode = c.Code
			freeShipping = c.Kind == DiscountFreeShipping
			p.discount(c, in.Lines, sold)
		}
	}

	if in.Address != nil {
		p.Methods = ShippingMethods(in.Zones, *in.Address, p.Subtotal-p.DiscountTotal, weight)
	}
	if in.SelectedMethodID != "" {
		for _, m := range p.Methods {
			if m.ID == in.SelectedMethodID {
				p.Selected = &m // a copy: Methods stays as offered
				break
			}
		}
	}
	switch {
	case in.SelectedMethodID != "" && p.Selected == nil && in.Address == nil:
		p.warn(string(errcode.NoShippingMethod), "", "The shipping method selected needs a shipping address; set one, then choose a method.")
	case in.SelectedMethodID != "" && p.Selected == nil:
		p.warn(string(errcode.NoShippingMethod), "", "The shipping method selected is not offered for this address and cart; choose another.")
	case in.Address != nil && len(p.Methods) == 0:
		p.warn(string(errcode.NoShippingMethod), "", "No shipping method ships to this address.")
	}
	if p.Selected != nil && !freeShipping {
		p.ShippingTotal = p.Selected.Price
	}

	if in.Address != nil {
		p.tax(matchingRates(in.TaxRates, *in.Address), sold, in.PricesIncludeTax)
	}
	p.Total = plusSat(p.Subtotal-p.DiscountTotal, p.ShippingTotal)
	if !in.PricesIncludeTax {
		p.Total = plusSat(p.Total, p.TaxTotal)
	}
	return p
}

func (p *Priced) warn(code, lineID, message string) {
	p.Warnings = append(p.Warnings, CartWarning{Code: code, Message: message, LineID: lineID})
}

// discount takes code c off the eligible lines (sold, and covered by c):
// a PERCENTAGE code roundHalfUp(eligible subtotal × percent), a
// FIXED_AMOUNT code at most the eligible subtotal; FREE_SHIPPING takes
// nothing off the lines.
func (p *Priced) discount(c DiscountCode, lines []PricingLine, sold []bool) {
	var eligible []int
	var base Money
	for i, l := range lines {
		if sold[i] && codeCovers(c, l) {
			eligible = append(eligible, i)
			base = plusSat(base, p.Lines[i].Subtotal)
		}
	}
	var amount Money
	switch c.Kind {
	case DiscountPercentage:
		amount = Money(mulDiv(int64(base), int64(max(c.Percent, 0)), int64(PercentScale), true))
	case DiscountFixedAmount:
		amount = max(c.Amount, 0)
	}
	amount = min(amount, base)
	if amount == 0 {
		return
	}
	shares := allocate(amount, eligible, p.Lines)
	for k, i := range eligible {
		if shares[k] == 0 {
			continue
		}
		pl := &p.Lines[i]
		pl.Discounts = append(pl.Discounts, Allocation{Code: c.Code, Amount: shares[k]})
		pl.Total -= shares[k]
	}
	p.DiscountTotal = amount
}

// allocate splits amount (at most the lines' sum) over the lines
// eligible (indexes into lines), in proportion to their subtotals: each
// line's share rounded down, then the cents left over to the largest line
// (ties: the first in the cart). A line never carries more than its
// subtotal: where the largest can't take the whole remainder (tiny lines,
// an amount just under the sum) the rest goes to the next largest, and so
// on. The shares always sum to amount.
func allocate(amount Money, eligible []int, lines []PricedLine) []Money {
	var base Money
	for _, i := range eligible {
		base = plusSat(base, lines[i].Subtotal)
	}
	shares := make([]Money, len(eligible))
	left := amount
	for k, i := range eligible {
		shares[k] = Money(mulDiv(int64(amount), int64(lines[i].Subtotal), int64(base), false))
		left -= shares[k]
	}
	order := make([]int, len(eligible))
	for k := range order {
		order[k] = k
	}
	sort.SliceStable(order, func(a, b int) bool {
		return lines[eligible[order[a]]].Subtotal > lines[eligible[order[b]]].Subtotal
	})
	for _, k := range order {
		if left == 0 {
			break
		}
		room := lines[eligible[k]].Subtotal - shares[k]
		give := min(room, left)
		shares[k] += give
		left -= give
	}
	return shares
}

// matchingRates are the tax rates of addr: its country's (Region "")
// first, then its region's, each group in the order given.
func matchingRates(rates []TaxRate, addr Address) []TaxRate {
	var country, region []TaxRate
	for _, r := range rates {
		switch {
		case r.Country != addr.Country:
		case r.Region == "":
			country = append(country, r)
		case addr.Region != "" && strings.EqualFold(r.Region, addr.Region):
			region = append(region, r)
		}
	}
	return append(country, region...)
}

// tax adds a tax line per rate to every sold line, on its discounted
// amount, and to shipping for the rates that apply to it.
func (p *Priced) tax(rates []TaxRate, sold []bool, inclusive bool) {
	if len(rates) == 0 {
		return
	}
	for i := range p.Lines {
		if !sold[i] {
			continue
		}
		pl := &p.Lines[i]
		pl.Taxes = taxLines(pl.Total, rates, inclusive)
		for _, t := range pl.Taxes {
			p.TaxTotal = plusSat(p.TaxTotal, t.Amount)
			if !inclusive {
				pl.Total = plusSat(pl.Total, t.Amount)
			}
		}
	}
	if p.Selected == nil {
		return
	}
	var onShipping []TaxRate
	for _, r := range rates {
		if r.AppliesToShipping {
			onShipping = append(onShipping, r)
		}
	}
	p.ShippingTaxes = taxLines(p.ShippingTotal, onShipping, inclusive)
	for _, t := range p.ShippingTaxes {
		p.TaxTotal = plusSat(p.TaxTotal, t.Amount)
	}
}

// taxLines are the taxes on amount, one per rate, each rounded half up:
// amount × r on a price without tax, amount × r / (100% + Σr) extracted
// from a price with tax in it.
func taxLines(amount Money, rates []TaxRate, inclusive bool) []TaxLine {
	if len(rates) == 0 {
		return nil
	}
	den := int64(PercentScale)
	if inclusive {
		for _, r := range rates {
			den = addInt64Sat(den, int64(max(r.Rate, 0)))
		}
	}
	out := make([]TaxLine, len(rates))
	for k, r := range rates {
		rate := max(r.Rate, 0)
		out[k] = TaxLine{Title: r.Name, Rate: rate, Amount: Money(mulDiv(int64(max(amount, 0)), int64(rate), den, true))}
	}
	return out
}

// Saturating arithmetic for PriceCart, which never fails (see there).
func plusSat(a, b Money) Money {
	if s, err := a.Plus(b); err == nil {
		return s
	}
	return math.MaxInt64
}

func timesSat(m Money, q int) Money {
	if s, err := m.Times(q); err == nil {
		return s
	}
	return math.MaxInt64
}

func addIntSat(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

func mulIntSat(a, b int) int {
	if b != 0 && a > math.MaxInt/b {
		return math.MaxInt
	}
	return a * b
}

func addInt64Sat(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
