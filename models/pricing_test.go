package models

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"shop/errcode"
)

func TestCodeKey(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"summer10", "SUMMER10"},
		{"  Summer-10_x \t", "SUMMER-10_X"},
		{"SUMMER10", "SUMMER10"},
		{"", ""},
		// Look-alikes strings.ToUpper would fold onto ASCII stay as they
		// are, so they match no (ASCII) code.
		{"ſale", "ſALE"},
		{"ıt", "ıT"},
		{"\u212aEY", "\u212aEY"}, // KELVIN SIGN
		{"ﬀ", "ﬀ"},
	}
	for _, tt := range tests {
		if got := CodeKey(tt.in); got != tt.want {
			t.Errorf("CodeKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if CodeKey("ſale") == CodeKey("sale") {
		t.Error(`"ſale" matches "sale"`)
	}
}

func ptrTime(t time.Time) *time.Time { return &t }
func ptrInt(n int) *int              { return &n }
func ptrMoney(m Money) *Money        { return &m }

func codeErr(t *testing.T, err error) (Code, string, string) {
	t.Helper()
	if err == nil {
		return "", "", ""
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want a *models.Error", err)
	}
	reason, _ := e.Details["reason"].(string)
	return e.Code, e.Message, reason
}

func TestCodeApplies(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	code := DiscountCode{Code: "Summer10", Kind: DiscountPercentage, Percent: 10_000, Active: true}
	lines := []PricingLine{
		{LineID: "l1", ProductID: "p1", CategoryIDs: []string{"shoes", "clothes"}, UnitPrice: 10_00, Quantity: 2, Sold: true},
		{LineID: "l2", ProductID: "p2", UnitPrice: 5_00, Quantity: 1, Sold: true},
		{LineID: "l3", ProductID: "p3", CategoryIDs: []string{"hats"}, UnitPrice: 5_00, Quantity: 1, Sold: false},
	}
	tests := []struct {
		name     string
		edit     func(*DiscountCode)
		lines    []PricingLine
		subtotal Money
		code     Code
		reason   string
		message  string
	}{
		{"applies", nil, lines, 25_00, "", "", ""},
		{"inactive", func(c *DiscountCode) { c.Active = false }, lines, 25_00,
			errcode.DiscountCodeInvalid, "inactive", "The discount code Summer10 is not active."},
		{"not started", func(c *DiscountCode) { c.StartsAt = ptrTime(now.Add(time.Hour)) }, lines, 25_00,
			errcode.DiscountCodeNotApplicable, "notStarted", "The discount code Summer10 starts on 2025-06-01 13:00 UTC."},
		{"starts now", func(c *DiscountCode) { c.StartsAt = ptrTime(now) }, lines, 25_00, "", "", ""},
		{"ended", func(c *DiscountCode) { c.EndsAt = ptrTime(now.Add(-24 * time.Hour)) }, lines, 25_00,
			errcode.DiscountCodeNotApplicable, "ended", "The discount code Summer10 ended on 2025-05-31 12:00 UTC."},
		{"ends now: no longer", func(c *DiscountCode) { c.EndsAt = ptrTime(now) }, lines, 25_00,
			errcode.DiscountCodeNotApplicable, "ended", "ended on"},
		{"ends in a second", func(c *DiscountCode) { c.EndsAt = ptrTime(now.Add(time.Second)) }, lines, 25_00, "", "", ""},
		{"product listed", func(c *DiscountCode) { c.ProductIDs = []string{"p2"} }, lines, 25_00, "", "", ""},
		{"category listed", func(c *DiscountCode) { c.CategoryIDs = []string{"clothes"} }, lines, 25_00, "", "", ""},
		{"product not in cart", func(c *DiscountCode) { c.ProductIDs = []string{"p9"} }, lines, 25_00,
			errcode.DiscountCodeNotApplicable, "products", "applies only to certain products, none of which is in the cart"},
		{"category not in cart", func(c *DiscountCode) { c.CategoryIDs = []string{"bags"} }, lines, 25_00,
			errcode.DiscountCodeNotApplicable, "products", "products of certain categories"},
		{"both listed, neither in cart", func(c *DiscountCode) { c.ProductIDs, c.CategoryIDs = []string{"p9"}, []string{"bags"} }, lines, 25_00,
			errcode.DiscountCodeNotApplicable, "products", "certain products and categories"},
		{"only a line no longer sold is eligible", func(c *DiscountCode) { c.CategoryIDs = []string{"hats"} }, lines, 25_00,
			errcode.DiscountCodeNotApplicable, "products", "applies only to"},
		{"empty cart", nil, nil, 0, errcode.DiscountCodeNotApplicable, "products", "this one has none"},
		{"minimum met exactly", func(c *DiscountCode) { c.MinSubtotal = 25_00 }, lines, 25_00, "", "", ""},
		{"minimum counts the whole cart, not the eligible lines", func(c *DiscountCode) {
			c.MinSubtotal, c.ProductIDs = 25_00, []string{"p2"}
		}, lines, 25_00, "", "", ""},
		{"below minimum", func(c *DiscountCode) { c.MinSubtotal = 50_00 }, lines, 25_00,
			errcode.DiscountCodeNotApplicable, "minimum", "needs a subtotal of at least 50.00; the cart's is 25.00"},
		{"inactive wins over dates", func(c *DiscountCode) { c.Active, c.EndsAt = false, ptrTime(now.Add(-time.Hour)) }, lines, 25_00,
			errcode.DiscountCodeInvalid, "inactive", "not active"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := code
			if tt.edit != nil {
				tt.edit(&c)
			}
			gotCode, msg, reason := codeErr(t, CodeApplies(c, tt.lines, tt.subtotal, now))
			if gotCode != tt.code || reason != tt.reason || !strings.Contains(msg, tt.message) {
				t.Fatalf("got (%q, %q, %q), want (%q, %q, containing %q)", gotCode, reason, msg, tt.code, tt.reason, tt.message)
			}
		})
	}
}

func TestCodeExhausted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		limit, per  *int
		count, uses int
		reason      string
		message     string
	}{
		{"no limits", nil, nil, 1000, 1000, "", ""},
		{"under the limit", ptrInt(100), nil, 99, 0, "", ""},
		{"at the limit", ptrInt(100), nil, 100, 0, "usageLimit", "has been used as many times as it may be (100)"},
		{"over the limit (limit lowered)", ptrInt(5), nil, 7, 0, "usageLimit", "(5)"},
		{"limit 0", ptrInt(0), nil, 0, 0, "usageLimit", "(0)"},
		{"customer under", nil, ptrInt(2), 50, 1, "", ""},
		{"customer at: once", nil, ptrInt(1), 50, 1, "usageLimitPerCustomer", "may be used once per customer"},
		{"customer at: twice", nil, ptrInt(2), 50, 2, "usageLimitPerCustomer", "twice"},
		{"customer at: 3 times", nil, ptrInt(3), 50, 3, "usageLimitPerCustomer", "3 times"},
		{"both: the total is said first", ptrInt(10), ptrInt(1), 10, 1, "usageLimit", "(10)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := DiscountCode{Code: "X", Active: true, UsageLimit: tt.limit, UsageLimitPerCustomer: tt.per, UsageCount: tt.count}
			code, msg, reason := codeErr(t, CodeExhausted(c, tt.uses))
			want := Code("")
			if tt.reason != "" {
				want = errcode.DiscountCodeExhausted
			}
			if code != want || reason != tt.reason || !strings.Contains(msg, tt.message) {
				t.Fatalf("got (%q, %q, %q), want (%q, %q, containing %q)", code, reason, msg, want, tt.reason, tt.message)
			}
		})
	}
}

func TestShippingMethods(t *testing.T) {
	t.Parallel()
	zones := []ShippingZone{
		{ID: "z-us", Countries: []string{"US"}, Rates: []ShippingRate{
			{ID: "r-std", Name: "Standard", Kind: RateFreeAbove, Price: 5_00, FreeAbove: ptrMoney(50_00)},
			{ID: "r-exp", Name: "Express", Kind: RateFlat, Price: 15_00},
			{ID: "r-light", Name: "Light parcel", Kind: RateByWeight, Price: 4_00, MaxWeightGrams: ptrInt(1000)},
			{ID: "r-mid", Name: "Parcel", Kind: RateByWeight, Price: 8_00, MinWeightGrams: ptrInt(1001), MaxWeightGrams: ptrInt(5000)},
			{ID: "r-heavy", Name: "Freight", Kind: RateByWeight, Price: 30_00, MinWeightGrams: ptrInt(5001)},
			{ID: "r-odd", Name: "Teleport", Kind: "TELEPORT", Price: 1},
		}},
		{ID: "z-west", Countries: []string{"US", "CA"}, Regions: []string{"US-CA", "US-OR"}, Rates: []ShippingRate{
			{ID: "r-local", Name: "Local courier", Kind: RateFlat, Price: 15_00},
			{ID: "r-a", Name: "Express", Kind: RateFlat, Price: 15_00},
		}},
		{ID: "z-eu", Countries: []string{"DE", "FR"}, Rates: []ShippingRate{{ID: "r-eu", Name: "EU", Kind: RateFlat, Price: 9_00}}},
	}
	type m = ShippingMethod
	tests := []struct {
		name     string
		addr     Address
		subtotal Money
		weight   int
		want     []ShippingMethod
	}{
		{"US, light, below free", Address{Country: "US", Region: "NY"}, 49_99, 1000,
			[]m{{"r-light", "Light parcel", 4_00}, {"r-std", "Standard", 5_00}, {"r-exp", "Express", 15_00}}},
		{"US, free at exactly the threshold", Address{Country: "US", Region: "NY"}, 50_00, 1001,
			[]m{{"r-std", "Standard", 0}, {"r-mid", "Parcel", 8_00}, {"r-exp", "Express", 15_00}}},
		{"US, heavy", Address{Country: "US", Region: "NY"}, 0, 5001,
			[]m{{"r-std", "Standard", 5_00}, {"r-exp", "Express", 15_00}, {"r-heavy", "Freight", 30_00}}},
		{"California: both zones, ties by name then id", Address{Country: "US", Region: "CA"}, 0, 0,
			[]m{{"r-light", "Light parcel", 4_00}, {"r-std", "Standard", 5_00}, {"r-a", "Express", 15_00}, {"r-exp", "Express", 15_00}, {"r-local", "Local courier", 15_00}}},
		{"Canada: listed with no region of its own, so all of it", Address{Country: "CA", Region: "ON"}, 0, 0,
			[]m{{"r-a", "Express", 15_00}, {"r-local", "Local courier", 15_00}}},
		{"France", Address{Country: "FR"}, 0, 0, []m{{"r-eu", "EU", 9_00}}},
		{"no zone", Address{Country: "JP"}, 100_00, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ShippingMethods(zones, tt.addr, tt.subtotal, tt.weight)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestRoundHalfUp(t *testing.T) {
	t.Parallel()
	tests := []struct{ num, den, want int64 }{
		{0, 7, 0},
		{5, 10, 1},
		{4, 10, 0},
		{15, 10, 2},
		{25, 10, 3}, // half up, not to even
		{14999, 10000, 1},
		{15000, 10000, 2},
		{33333 * 1000, 100000, 333},
		{99999, 100000, 1},
		{math.MaxInt64, 1, math.MaxInt64},
		{math.MaxInt64, 2, 1 << 62},             // (2^63-1)/2 = 2^62 - 0.5: up
		{math.MaxInt64, math.MaxInt64, 1},       // no overflow of num + den/2
		{math.MaxInt64 - 1, math.MaxInt64, 1},   // just under 1
		{math.MaxInt64 / 2, math.MaxInt64, 0},   // just under a half
		{math.MaxInt64/2 + 1, math.MaxInt64, 1}, // a half
	}
	for _, tt := range tests {
		if got := RoundHalfUp(tt.num, tt.den); got != tt.want {
			t.Errorf("RoundHalfUp(%d, %d) = %d, want %d", tt.num, tt.den, got, tt.want)
		}
	}
}

func TestMulDiv(t *testing.T) {
	t.Parallel()
	big := int64(1e16) // 100 lines × 10,000 units × 99,999,999.99, about
	tests := []struct {
		a, b, den int64
		halfUp    bool
		want      int64
	}{
		{big, 100_000, 100_000, false, big}, // a 100% discount of a huge cart: the product passes 2^63
		{big, 8_250, 100_000, true, big / 1000 * 825 / 10},
		{big - 1, big, big, false, big - 1},
		{2, 1, 3, false, 0},
		{2, 1, 3, true, 1},
		{1, 1, 2, true, 1},
		{math.MaxInt64, math.MaxInt64, 1, false, math.MaxInt64}, // saturates
	}
	for _, tt := range tests {
		if got := mulDiv(tt.a, tt.b, tt.den, tt.halfUp); got != tt.want {
			t.Errorf("mulDiv(%d, %d, %d, %v) = %d, want %d", tt.a, tt.b, tt.den, tt.halfUp, got, tt.want)
		}
	}
}
