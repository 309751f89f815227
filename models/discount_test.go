package models

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseDiscountCodeInput(t *testing.T) {
	t.Parallel()
	f := func(v float64) *float64 { return &v }
	n := func(v int) *int { return &v }
	s := func(v string) *string { return &v }
	at := func(v string) *time.Time {
		tm, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			t.Fatal(err)
		}
		tm = tm.UTC()
		return &tm
	}
	const p1, c1 = "00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"
	for _, tt := range []struct {
		name    string
		in      DiscountCodeInput
		want    *DiscountCode
		wantBad []string
	}{
		{"a percentage", DiscountCodeInput{Code: " Summer-10_b ", Kind: "PERCENTAGE", Value: f(10)},
			&DiscountCode{Code: "Summer-10_b", CodeKey: "SUMMER-10_B", Kind: DiscountPercentage, Percent: 10000, Active: true}, nil},
		{"a third, with 3 decimals", DiscountCodeInput{Code: "third", Kind: "PERCENTAGE", Value: f(33.333)},
			&DiscountCode{Code: "third", CodeKey: "THIRD", Kind: DiscountPercentage, Percent: 33333, Active: true}, nil},
		{"everything off", DiscountCodeInput{Code: "ALL", Kind: "PERCENTAGE", Value: f(100)},
			&DiscountCode{Code: "ALL", CodeKey: "ALL", Kind: DiscountPercentage, Percent: 100000, Active: true}, nil},
		{"a fixed amount, with everything", DiscountCodeInput{Code: "FIVE", Kind: "FIXED_AMOUNT", Value: f(5.5),
			AppliesTo: &DiscountTargets{ProductIDs: []string{p1, p1}, CategoryIDs: []string{c1}}, MinSubtotal: f(20),
			StartsAt: s("2026-11-27T00:00:00+01:00"), EndsAt: s("2026-11-30T23:59:59.1234567Z"), UsageLimit: n(100), UsageLimitPerCustomer: n(1)},
			&DiscountCode{Code: "FIVE", CodeKey: "FIVE", Kind: DiscountFixedAmount, Amount: 550, ProductIDs: []string{p1}, CategoryIDs: []string{c1},
				MinSubtotal: 2000, StartsAt: at("2026-11-26T23:00:00Z"), EndsAt: at("2026-11-30T23:59:59.123456Z"), UsageLimit: n(100), UsageLimitPerCustomer: n(1), Active: true}, nil},
		{"free shipping", DiscountCodeInput{Code: "SHIP", Kind: "FREE_SHIPPING", AppliesTo: &DiscountTargets{}},
			&DiscountCode{Code: "SHIP", CodeKey: "SHIP", Kind: DiscountFreeShipping, ProductIDs: []string{}, CategoryIDs: []string{}, Active: true}, nil},
		{"a code of 64", DiscountCodeInput{Code: strings.Repeat("a", 64), Kind: "FREE_SHIPPING"},
			&DiscountCode{Code: strings.Repeat("a", 64), CodeKey: strings.Repeat("A", 64), Kind: DiscountFreeShipping, Active: true}, nil},

		{"a code of 65", DiscountCodeInput{Code: strings.Repeat("a", 65), Kind: "FREE_SHIPPING"}, nil, []string{"input.code"}},
		{"an empty code", DiscountCodeInput{Code: " ", Kind: "FREE_SHIPPING"}, nil, []string{"input.code"}},
		{"a space in the code", DiscountCodeInput{Code: "SUMMER 10", Kind: "FREE_SHIPPING"}, nil, []string{"input.code"}},
		{"a look-alike letter", DiscountCodeInput{Code: "ſale", Kind: "FREE_SHIPPING"}, nil, []string{"input.code"}},
		{"a percentage without value", DiscountCodeInput{Code: "X", Kind: "PERCENTAGE"}, nil, []string{"input.value"}},
		{"0%", DiscountCodeInput{Code: "X", Kind: "PERCENTAGE", Value: f(0)}, nil, []string{"input.value"}},
		{"over 100%", DiscountCodeInput{Code: "X", Kind: "PERCENTAGE", Value: f(100.5)}, nil, []string{"input.value"}},
		{"4 decimals", DiscountCodeInput{Code: "X", Kind: "PERCENTAGE", Value: f(12.3456)}, nil, []string{"input.value"}},
		{"a fixed amount of 0", DiscountCodeInput{Code: "X", Kind: "FIXED_AMOUNT", Value: f(0)}, nil, []string{"input.value"}},
		{"a fixed amount of 3 decimals", DiscountCodeInput{Code: "X", Kind: "FIXED_AMOUNT", Value: f(1.005)}, nil, []string{"input.value"}},
		{"free shipping with a value", DiscountCodeInput{Code: "X", Kind: "FREE_SHIPPING", Value: f(5)}, nil, []string{"input.value"}},
		{"an unknown kind", DiscountCodeInput{Code: "X", Kind: "BOGO", Value: f(5)}, nil, []string{"input.kind"}},
		{"ends before it starts", DiscountCodeInput{Code: "X", Kind: "FREE_SHIPPING", StartsAt: s("2026-12-01T00:00:00Z"), EndsAt: s("2026-12-01T00:00:00Z")}, nil, []string{"input.endsAt"}},
		{"not RFC 3339", DiscountCodeInput{Code: "X", Kind: "FREE_SHIPPING", StartsAt: s("2026-12-01"), EndsAt: s("tomorrow")}, nil, []string{"input.startsAt", "input.endsAt"}},
		{"limits of 0", DiscountCodeInput{Code: "X", Kind: "FREE_SHIPPING", UsageLimit: n(0), UsageLimitPerCustomer: n(-1)}, nil, []string{"input.usageLimit", "input.usageLimitPerCustomer"}},
		{"bad ids", DiscountCodeInput{Code: "X", Kind: "FREE_SHIPPING", AppliesTo: &DiscountTargets{ProductIDs: []string{p1, "p2"}, CategoryIDs: []string{"C1"}}}, nil,
			[]string{"input.appliesTo.productIds[1]", "input.appliesTo.categoryIds[0]"}},
		{"a negative minimum", DiscountCodeInput{Code: "X", Kind: "FREE_SHIPPING", MinSubtotal: f(-1)}, nil, []string{"input.minSubtotal"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := ParseDiscountCodeInput(tt.in)
			if got := badFields(t, err); !reflect.DeepEqual(got, tt.wantBad) {
				t.Fatalf("bad fields = %v (%v), want %v", got, err, tt.wantBad)
			}
			if tt.want != nil && !reflect.DeepEqual(d, *tt.want) {
				t.Fatalf("code =\n%+v\nwant\n%+v", d, *tt.want)
			}
		})
	}
	many := make([]string, MaxDiscountTargets+1)
	for i := range many {
		many[i] = p1
	}
	_, err := ParseDiscountCodeInput(DiscountCodeInput{Code: "X", Kind: "FREE_SHIPPING", AppliesTo: &DiscountTargets{ProductIDs: many}})
	if got := badFields(t, err); !reflect.DeepEqual(got, []string{"input.appliesTo.productIds"}) {
		t.Fatalf("%d products: %v", len(many), err)
	}
}

// TestDiscountPatch: each field of updateDiscountCode on its own, on one
// code, and what holds across fields.
func TestDiscountPatch(t *testing.T) {
	t.Parallel()
	const id, p1 = "00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000003"
	f := func(v float64) *float64 { return &v }
	n := func(v int) *int { return &v }
	s := func(v string) *string { return &v }
	b := func(v bool) *bool { return &v }
	starts := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	ends := starts.Add(24 * time.Hour)
	code := func() DiscountCode {
		return DiscountCode{ID: id, Code: "TEN", CodeKey: "TEN", Kind: DiscountPercentage, Percent: 10000, MinSubtotal: 1000,
			ProductIDs: []string{p1}, CategoryIDs: []string{}, StartsAt: &starts, EndsAt: &ends, UsageLimit: n(5), UsageLimitPerCustomer: n(1),
			UsageCount: 3, Active: true}
	}
	with := func(change func(*DiscountCode)) DiscountCode {
		d := code()
		change(&d)
		return d
	}
	later := ends.Add(time.Hour)
	for _, tt := range []struct {
		name      string
		in        DiscountCodeUpdate
		want      DiscountCode
		wantParse []string
		wantBad   []string
	}{
		{"nothing", DiscountCodeUpdate{}, code(), nil, nil},
		{"code", DiscountCodeUpdate{Code: s("ten-off")}, with(func(d *DiscountCode) { d.Code, d.CodeKey = "ten-off", "TEN-OFF" }), nil, nil},
		{"value of the same kind", DiscountCodeUpdate{Value: f(12.5)}, with(func(d *DiscountCode) { d.Percent = 12500 }), nil, nil},
		{"the same kind again keeps the value", DiscountCodeUpdate{Kind: s("PERCENTAGE")}, code(), nil, nil},
		{"kind and value", DiscountCodeUpdate{Kind: s("FIXED_AMOUNT"), Value: f(7)}, with(func(d *DiscountCode) { d.Kind, d.Percent, d.Amount = DiscountFixedAmount, 0, 700 }), nil, nil},
		{"to free shipping", DiscountCodeUpdate{Kind: s("FREE_SHIPPING")}, with(func(d *DiscountCode) { d.Kind, d.Percent = DiscountFreeShipping, 0 }), nil, nil},
		{"appliesTo emptied: the whole order", DiscountCodeUpdate{AppliesTo: &DiscountTargets{}}, with(func(d *DiscountCode) { d.ProductIDs = []string{} }), nil, nil},
		{"minSubtotal 0: none", DiscountCodeUpdate{MinSubtotal: f(0)}, with(func(d *DiscountCode) { d.MinSubtotal = 0 }), nil, nil},
		{"startsAt cleared", DiscountCodeUpdate{StartsAt: s("")}, with(func(d *DiscountCode) { d.StartsAt = nil }), nil, nil},
		{"endsAt moved", DiscountCodeUpdate{EndsAt: s(later.Format(time.RFC3339))}, with(func(d *DiscountCode) { d.EndsAt = &later }), nil, nil},
		{"endsAt cleared", DiscountCodeUpdate{EndsAt: s(" ")}, with(func(d *DiscountCode) { d.EndsAt = nil }), nil, nil},
		{"usageLimit raised", DiscountCodeUpdate{UsageLimit: n(50)}, with(func(d *DiscountCode) { d.UsageLimit = n(50) }), nil, nil},
		{"usageLimit below the uses: exhausted, allowed", DiscountCodeUpdate{UsageLimit: n(1)}, with(func(d *DiscountCode) { d.UsageLimit = n(1) }), nil, nil},
		{"usageLimit removed", DiscountCodeUpdate{UsageLimit: n(-1)}, with(func(d *DiscountCode) { d.UsageLimit = nil }), nil, nil},
		{"usageLimitPerCustomer removed", DiscountCodeUpdate{UsageLimitPerCustomer: n(-5)}, with(func(d *DiscountCode) { d.UsageLimitPerCustomer = nil }), nil, nil},
		{"deactivated", DiscountCodeUpdate{Active: b(false)}, with(func(d *DiscountCode) { d.Active = false }), nil, nil},

		{"a kind change needs a value", DiscountCodeUpdate{Kind: s("FIXED_AMOUNT")}, code(), nil, []string{"input.value"}},
		{"a value for free shipping", DiscountCodeUpdate{Kind: s("FREE_SHIPPING"), Value: f(1)}, code(), nil, []string{"input.value"}},
		{"a percentage over 100", DiscountCodeUpdate{Value: f(120)}, code(), nil, []string{"input.value"}},
		{"startsAt after endsAt", DiscountCodeUpdate{StartsAt: s(ends.Add(time.Second).Format(time.RFC3339))}, code(), nil, []string{"input.endsAt"}},
		{"usageLimit 0", DiscountCodeUpdate{UsageLimit: n(0)}, code(), []string{"input.usageLimit"}, nil},
		{"a bad code and kind", DiscountCodeUpdate{Code: s("no spaces"), Kind: s("BOGO")}, code(), []string{"input.code", "input.kind"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := ParseDiscountPatch(id, tt.in)
			if got := badFields(t, err); !reflect.DeepEqual(got, tt.wantParse) {
				t.Fatalf("parse: bad fields = %v (%v), want %v", got, err, tt.wantParse)
			}
			if err != nil {
				return
			}
			d := code()
			err = p.Apply(&d)
			if got := badFields(t, err); !reflect.DeepEqual(got, tt.wantBad) {
				t.Fatalf("apply: bad fields = %v (%v), want %v", got, err, tt.wantBad)
			}
			if !reflect.DeepEqual(d, tt.want) {
				t.Fatalf("code =\n%+v\nwant\n%+v", d, tt.want)
			}
		})
	}
	if _, err := ParseDiscountPatch("x", DiscountCodeUpdate{}); !reflect.DeepEqual(badFields(t, err), []string{"discountCodeId"}) {
		t.Fatalf("a bad id: %v", err)
	}
	d := code()
	if err := Deactivation().Apply(&d); err != nil || d.Active || !reflect.DeepEqual(with(func(d *DiscountCode) { d.Active = false }), d) {
		t.Fatalf("deactivated: %+v, %v", d, err)
	}
}

// TestShopperCodeKey: a typed code is matched by its key only when it
// could be a code; NUL, look-alikes and invisible characters never reach
// a lookup.
func TestShopperCodeKey(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		typed, key string
		ok         bool
	}{
		{" save-10_a\t", "SAVE-10_A", true},
		{strings.Repeat("a", MaxCodeSize), strings.Repeat("A", MaxCodeSize), true},
		{strings.Repeat("a", MaxCodeSize+1), "", false},
		{"", "", false},
		{"SAVE\x00", "", false},
		{"ſave", "", false},
		{"SAVE\u200b", "", false},
		{"SA VE", "", false},
	} {
		key, ok := ShopperCodeKey(tt.typed)
		if ok != tt.ok || (ok && key != tt.key) {
			t.Errorf("ShopperCodeKey(%q) = %q, %v; want %q, %v", tt.typed, key, ok, tt.key, tt.ok)
		}
	}
}
