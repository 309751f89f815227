package models

import (
	"testing"

	"shop/errcode"
)

// The kinds of caller every rule is tested with.
var (
	anonymous = Caller{}
	customerA = Caller{UserID: idA, Role: RoleCustomer}
	customerB = Caller{UserID: idB, Role: RoleCustomer}
	admin     = Caller{UserID: "00000000-0000-4000-8000-0000000000ad", Role: RoleAdmin}
)

func TestRequireSignedInAndAdmin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                 string
		c                    Caller
		wantSignedIn, wantAd Code
	}{
		{"anonymous", anonymous, errcode.Unauthenticated, errcode.Unauthenticated},
		{"customer", customerA, "", errcode.Forbidden},
		{"another customer", customerB, "", errcode.Forbidden},
		{"admin", admin, "", ""},
		{"unknown role is no admin", Caller{UserID: idA, Role: "root"}, "", errcode.Forbidden},
		{"admin role without a user is anonymous", Caller{Role: RoleAdmin}, errcode.Unauthenticated, errcode.Unauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ErrorCode(RequireSignedIn(tt.c)); got != tt.wantSignedIn {
				t.Errorf("RequireSignedIn = %q, want %q", got, tt.wantSignedIn)
			}
			if got := ErrorCode(RequireAdmin(tt.c)); got != tt.wantAd {
				t.Errorf("RequireAdmin = %q, want %q", got, tt.wantAd)
			}
		})
	}
}

func TestOrderCustomer(t *testing.T) {
	t.Parallel()
	str := func(s string) *string { return &s }
	tests := []struct {
		name      string
		c         Caller
		requested *string
		want      string
		wantCode  Code
	}{
		{"anonymous, omitted", anonymous, nil, "", errcode.Unauthenticated},
		{"anonymous, naming someone", anonymous, str("c1"), "", errcode.Unauthenticated},
		{"customer, omitted: itself", customerA, nil, idA, ""},
		{"customer, its own id", customerA, str(idA), idA, ""},
		{"customer, its own id with spaces", customerA, str(" " + idA + " "), idA, ""},
		{"customer, another customer's id", customerA, str(idB), "", errcode.Forbidden},
		{"customer, a free-form id", customerA, str("c1"), "", errcode.Forbidden},
		{"customer, empty: left to input validation", customerA, str(""), "", ""},
		{"another customer, A's id", customerB, str(idA), "", errcode.Forbidden},
		{"admin, omitted: itself", admin, nil, admin.UserID, ""},
		{"admin, a customer's id", admin, str(idA), idA, ""},
		{"admin, a free-form id", admin, str("walk-in"), "walk-in", ""},
		{"admin, empty: left to input validation", admin, str(""), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := OrderCustomer(tt.c, tt.requested)
			if ErrorCode(err) != tt.wantCode {
				t.Fatalf("error %v, want code %q", err, tt.wantCode)
			}
			if got != tt.want {
				t.Fatalf("customer = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCanSeeOrder(t *testing.T) {
	t.Parallel()
	ofA := Order{ID: idB, CustomerID: idA}
	walkIn := Order{ID: idB, CustomerID: "walk-in"}
	tests := []struct {
		name string
		c    Caller
		o    Order
		want bool
	}{
		{"anonymous", anonymous, ofA, false},
		{"anonymous, order with no customer id", anonymous, Order{}, false},
		{"its customer", customerA, ofA, true},
		{"another customer", customerB, ofA, false},
		{"customer, an order for no account", customerA, walkIn, false},
		{"admin", admin, ofA, true},
		{"admin, an order for no account", admin, walkIn, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := CanSeeOrder(tt.c, tt.o); got != tt.want {
				t.Fatalf("CanSeeOrder = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestVisibleOrders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		c      Caller
		filter OrderFilter
		want   OrderFilter
		wantOK bool
	}{
		{"anonymous sees nothing", anonymous, OrderFilter{}, OrderFilter{}, false},
		{"customer, no filter: its own", customerA, OrderFilter{}, OrderFilter{CustomerID: idA}, true},
		{"customer, status kept", customerA, OrderFilter{Status: OrderStatusPending}, OrderFilter{CustomerID: idA, Status: OrderStatusPending}, true},
		{"customer, its own id", customerA, OrderFilter{CustomerID: idA}, OrderFilter{CustomerID: idA}, true},
		{"customer, another's id: nothing", customerA, OrderFilter{CustomerID: idB}, OrderFilter{}, false},
		{"another customer, A's id: nothing", customerB, OrderFilter{CustomerID: idA}, OrderFilter{}, false},
		{"admin, no filter: all", admin, OrderFilter{}, OrderFilter{}, true},
		{"admin, any customer", admin, OrderFilter{CustomerID: idB, Status: OrderStatusPending}, OrderFilter{CustomerID: idB, Status: OrderStatusPending}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := VisibleOrders(tt.c, tt.filter)
			if ok != tt.wantOK || (ok && got != tt.want) {
				t.Fatalf("VisibleOrders = %+v, %v; want %+v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestCostLimit(t *testing.T) {
	t.Parallel()
	admin := Caller{UserID: "a", Role: RoleAdmin}
	for _, tt := range []struct {
		name             string
		c                Caller
		everyone, admins int
		want             int
	}{
		{"anonymous", Caller{}, 100, 1000, 100},
		{"customer", Caller{UserID: "c", Role: RoleCustomer}, 100, 1000, 100},
		{"admin", admin, 100, 1000, 1000},
		{"admin, no admin limit set", admin, 100, 0, 100},
	} {
		if got := CostLimit(tt.c, tt.everyone, tt.admins); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestVisibleProducts(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		c    Caller
		want bool
	}{{Caller{}, false}, {Caller{UserID: "u", Role: RoleCustomer}, false}, {Caller{UserID: "a", Role: RoleAdmin}, true}} {
		if got := VisibleProducts(tt.c).IncludeInactive; got != tt.want {
			t.Errorf("%+v sees inactive products: %v, want %v", tt.c, got, tt.want)
		}
	}
}
