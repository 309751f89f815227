package models

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Money is an exact amount in minor units (cents). Amounts are never held in
// binary floating point: the API's Float values are converted at the edge by
// MoneyFromFloat and Money.Float64, and all arithmetic here is on integers.
type Money int64

// MaxPrice is the largest unit price the shop accepts: 99,999,999.99.
const MaxPrice Money = 99_999_999_99

// maxTotal keeps order totals within the integers a float64 represents
// exactly (2^53), so the Float the contract shows for totalAmount is exact.
const maxTotal Money = 1 << 53

// ParseMoney reads a plain decimal string ("12", "12.5", "12.50") with at
// most two decimal places. More places are an error, never rounded away:
// silently charging a different price than the one sent is worse than asking.
func ParseMoney(s string) (Money, error) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || (hasDot && frac == "") || !digitsOnly(whole) || !digitsOnly(frac) {
		return 0, fmt.Errorf("%q is not a decimal number", s)
	}
	if len(frac) > 2 {
		return 0, fmt.Errorf("has more than 2 decimal places")
	}
	if len(whole) > 15 {
		return 0, fmt.Errorf("is too large")
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("is too large")
	}
	for len(frac) < 2 {
		frac += "0"
	}
	f, _ := strconv.ParseInt(frac, 10, 64)
	m := Money(w*100 + f)
	if neg {
		m = -m
	}
	return m, nil
}

// MoneyFromFloat converts an API Float to Money through its shortest decimal
// representation, which is exactly what the client wrote: 0.1 arrives as the
// float64 nearest to 0.1, whose shortest form is "0.1", i.e. 10 cents.
func MoneyFromFloat(f float64) (Money, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("is not a finite number")
	}
	if math.Abs(f) >= 1e15 {
		return 0, fmt.Errorf("is too large")
	}
	return ParseMoney(strconv.FormatFloat(f, 'f', -1, 64))
}

// Float64 is the value the API shows. Dividing two exactly representable
// integers is correctly rounded, so the result is the float64 nearest to the
// decimal amount and prints as that decimal.
func (m Money) Float64() float64 { return float64(m) / 100 }

func (m Money) String() string {
	sign := ""
	v := int64(m)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// Times multiplies a unit price by a quantity, failing instead of overflowing.
func (m Money) Times(q int) (Money, error) {
	if q < 0 || m < 0 {
		return 0, fmt.Errorf("negative amount")
	}
	if q != 0 && int64(m) > math.MaxInt64/int64(q) {
		return 0, fmt.Errorf("amount overflows")
	}
	return m * Money(q), nil
}

// Plus adds two non-negative amounts, failing instead of overflowing.
func (m Money) Plus(o Money) (Money, error) {
	if m < 0 || o < 0 {
		return 0, fmt.Errorf("negative amount")
	}
	if m > math.MaxInt64-o {
		return 0, fmt.Errorf("amount overflows")
	}
	return m + o, nil
}

func digitsOnly(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
