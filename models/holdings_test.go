package models

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"shop/errcode"
)

var defaultLimits = OrderLimits{MaxLineQuantity: 100, MaxOrderUnits: 1000, MaxPendingOrders: 10, MaxPendingUnits: 1000}

func mustOrder(t *testing.T, lines ...OrderLine) OrderRequest {
	t.Helper()
	req, err := ParseOrder("c", lines)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestCheckOrderUnits(t *testing.T) {
	t.Parallel()
	// 11 products of 100 units: each line at the maximum, the order past it.
	var eleven []OrderLine
	for i := range 11 {
		eleven = append(eleven, OrderLine{ProductID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Quantity: 100})
	}
	tests := []struct {
		name   string
		lines  []OrderLine
		limits OrderLimits
		want   []string // substrings of the message, one per problem; none: accepted
	}{
		{"at the line maximum", []OrderLine{{ProductID: idA, Quantity: 100}}, defaultLimits, nil},
		{"one past it", []OrderLine{{ProductID: idA, Quantity: 101}}, defaultLimits, []string{"at most 100 units of one product (MAX_LINE_QUANTITY), got 101"}},
		// Two lines of one product are one line: 60 + 60 is 120 of it.
		{"merged lines past it", []OrderLine{{ProductID: idA, Quantity: 60}, {ProductID: idB, Quantity: 1}, {ProductID: idA, Quantity: 60}}, defaultLimits, []string{"got 120 of product " + idA}},
		{"the issue's line", []OrderLine{{ProductID: idA, Quantity: 10_000}}, defaultLimits, []string{"got 10000", "at most 1000 units in one order (MAX_ORDER_UNITS), got 10000"}},
		{"order past its maximum", eleven, defaultLimits, []string{"at most 1000 units in one order (MAX_ORDER_UNITS), got 1100"}},
		{"order at its maximum", eleven[:10], defaultLimits, nil},
		{"no limits", []OrderLine{{ProductID: idA, Quantity: 10_000}}, OrderLimits{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := CheckOrderUnits(mustOrder(t, tt.lines...), tt.limits)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if got := fields(t, err); len(got) != len(tt.want) {
				t.Fatalf("fields %v, want %d problems: %v", got, len(tt.want), err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestCheckPending(t *testing.T) {
	t.Parallel()
	caps := defaultLimits.Pending()
	tests := []struct {
		name      string
		held      Holdings
		units     int
		caps      PendingCaps
		wantLimit string // "" accepted
		value     int
	}{
		{"nothing held", Holdings{}, 1000, caps, "", 0},
		{"the tenth order", Holdings{Orders: 9, Units: 9}, 1, caps, "", 0},
		{"the eleventh", Holdings{Orders: 10, Units: 10}, 1, caps, "MAX_PENDING_ORDERS", 10},
		{"units to the cap", Holdings{Orders: 3, Units: 900}, 100, caps, "", 0},
		{"one unit past it", Holdings{Orders: 3, Units: 900}, 101, caps, "MAX_PENDING_UNITS", 1001},
		{"orders judged first", Holdings{Orders: 10, Units: 1000}, 1, caps, "MAX_PENDING_ORDERS", 10},
		{"orders uncapped", Holdings{Orders: 500, Units: 0}, 1, PendingCaps{MaxUnits: 1000}, "", 0},
		{"units uncapped", Holdings{Orders: 1, Units: 1 << 40}, 1, PendingCaps{MaxOrders: 10}, "", 0},
		{"off", Holdings{Orders: 1 << 20, Units: 1 << 40}, 1, PendingCaps{}, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := CheckPending(tt.held, tt.units, tt.caps)
			if tt.wantLimit == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != errcode.PendingLimit {
				t.Fatalf("err = %v, want PENDING_LIMIT", err)
			}
			if e.Details["limit"] != tt.wantLimit || e.Details["value"] != tt.value {
				t.Fatalf("details %v, want limit %s value %d", e.Details, tt.wantLimit, tt.value)
			}
			max := e.Details["max"].(int)
			for _, s := range []string{tt.wantLimit, itoa(tt.value), itoa(max)} {
				if !strings.Contains(e.Message, s) {
					t.Errorf("message %q does not give %s", e.Message, s)
				}
			}
		})
	}
	if (PendingCaps{}).On() || !caps.On() || !(PendingCaps{MaxUnits: 1}).On() {
		t.Error("PendingCaps.On")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestCheckMutations(t *testing.T) {
	t.Parallel()
	customer, admin := Caller{UserID: "u", Role: RoleCustomer}, Caller{UserID: "a", Role: RoleAdmin}
	for _, tt := range []struct {
		caller Caller
		n      int
		ok     bool
	}{
		{Caller{}, 0, true}, {Caller{}, 1, true}, {Caller{}, 2, false},
		{customer, 1, true}, {customer, 2, false}, {customer, 100, false},
		{admin, 100, true},
	} {
		err := CheckMutations(tt.caller, tt.n)
		if (err == nil) != tt.ok {
			t.Errorf("%+v with %d: %v", tt.caller, tt.n, err)
			continue
		}
		if err != nil && (ErrorCode(err) != errcode.TooManyMutations || !strings.Contains(err.Error(), itoa(tt.n)+" mutation fields, and at most 1")) {
			t.Errorf("%+v with %d: %v", tt.caller, tt.n, err)
		}
	}
	if !ExemptFromOrderLimits(Caller{UserID: "a", Role: RoleAdmin}) || ExemptFromOrderLimits(Caller{UserID: "u", Role: RoleCustomer}) || ExemptFromOrderLimits(Caller{}) {
		t.Error("ExemptFromOrderLimits")
	}
}

// LimitOrder: a customer's order is judged and carries the caps for its
// transaction; an admin's passes as it is, with no caps.
func TestLimitOrder(t *testing.T) {
	l := OrderLimits{MaxLineQuantity: 5, MaxOrderUnits: 8, MaxPendingOrders: 2, MaxPendingUnits: 9}
	customer, admin := Caller{UserID: "u", Role: RoleCustomer}, Caller{UserID: "a", Role: RoleAdmin}
	req := mustOrder(t, OrderLine{ProductID: "00000000-0000-4000-8000-000000000001", Quantity: 6})
	if err := LimitOrder(customer, &req, l); ErrorCode(err) != errcode.BadUserInput || req.Pending.On() {
		t.Fatalf("a customer's 6 of one product past 5: %v, caps %+v", err, req.Pending)
	}
	if err := LimitOrder(admin, &req, l); err != nil || req.Pending.On() {
		t.Fatalf("an admin's: %v, caps %+v", err, req.Pending)
	}
	ok := mustOrder(t, OrderLine{ProductID: "00000000-0000-4000-8000-000000000001", Quantity: 3})
	if err := LimitOrder(customer, &ok, l); err != nil || ok.Pending != (PendingCaps{MaxOrders: 2, MaxUnits: 9}) {
		t.Fatalf("a customer's 3: %v, caps %+v", err, ok.Pending)
	}
}
