package models

import (
	"strings"
	"testing"
	"time"

	"shop/errcode"
)

func TestDashboardIsForAdmins(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		c    Caller
		want Code
	}{
		{Caller{}, errcode.Unauthenticated},
		{Caller{UserID: "u1", Role: RoleCustomer}, errcode.Forbidden},
		{Caller{UserID: "u2", Role: RoleAdmin}, ""},
	} {
		if got := ErrorCode(RequireAdmin(tt.c)); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.c, got, tt.want)
		}
	}
}

func TestSalesAreOrdersThatWerePaid(t *testing.T) {
	t.Parallel()
	want := map[string]bool{OrderStatusPending: false, OrderStatusPaid: true, OrderStatusShipped: true,
		OrderStatusDelivered: true, OrderStatusCancelled: false, "": false, "PAID": false}
	for status, sale := range want {
		if IsSale(status) != sale {
			t.Errorf("IsSale(%q) = %v, want %v", status, !sale, sale)
		}
	}
	// Every status of the lifecycle is decided.
	for _, s := range OrderStatuses {
		if _, ok := want[s]; !ok {
			t.Errorf("status %q is not in the table", s)
		}
	}
}

func TestParseSalesDays(t *testing.T) {
	t.Parallel()
	if d, err := ParseSalesDays(nil); d != DefaultSalesDays || err != nil {
		t.Errorf("default: %d, %v", d, err)
	}
	for _, ok := range []int{1, 30, MaxSalesDays} {
		if d, err := ParseSalesDays(ptr(ok)); d != ok || err != nil {
			t.Errorf("%d: %d, %v", ok, d, err)
		}
	}
	for _, bad := range []int{0, -1, MaxSalesDays + 1} {
		_, err := ParseSalesDays(ptr(bad))
		if got := fields(t, err); len(got) != 1 || got[0] != "days" {
			t.Errorf("%d: fields %v, want [days]", bad, got)
		}
	}
}

func TestParseLowStockThreshold(t *testing.T) {
	t.Parallel()
	if n, err := ParseLowStockThreshold(nil); n != 5 || err != nil {
		t.Errorf("default: %d, %v", n, err)
	}
	for _, ok := range []int{0, 1, MaxStockCount} {
		if n, err := ParseLowStockThreshold(ptr(ok)); n != ok || err != nil {
			t.Errorf("%d: %d, %v", ok, n, err)
		}
	}
	for _, bad := range []int{-1, MaxStockCount + 1} {
		_, err := ParseLowStockThreshold(ptr(bad))
		if got := fields(t, err); len(got) != 1 || got[0] != "lowStockThreshold" {
			t.Errorf("%d: fields %v", bad, got)
		}
	}
}

func TestSalesDaysEndToday(t *testing.T) {
	t.Parallel()
	// 23:30 on the 1st of March in UTC-5 is already the 2nd in UTC.
	now := time.Date(2028, 3, 1, 23, 30, 0, 0, time.FixedZone("EST", -5*3600))
	r := SalesDays(now, 3)
	if !r.Start.Equal(time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC)) || r.Days != 3 {
		t.Fatalf("range %+v", r)
	}
	if !r.End().Equal(time.Date(2028, 3, 3, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("end %v", r.End())
	}
	if one := SalesDays(now, 1); !one.Start.Equal(time.Date(2028, 3, 2, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("today %+v", one)
	}
}

func TestFillSalesDays(t *testing.T) {
	t.Parallel()
	r := SalesRange{Start: time.Date(2027, 12, 30, 0, 0, 0, 0, time.UTC), Days: 4}
	got := FillSalesDays(r, []SalesDay{
		{Date: "2027-12-31", Orders: 2, Revenue: 1050},
		{Date: "2027-12-29", Orders: 9, Revenue: 9}, // before the range
		{Date: "2028-01-02", Orders: 1, Revenue: 1},
	})
	want := []SalesDay{{Date: "2027-12-30"}, {Date: "2027-12-31", Orders: 2, Revenue: 1050}, {Date: "2028-01-01"}, {Date: "2028-01-02", Orders: 1, Revenue: 1}}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("day %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if empty := FillSalesDays(SalesRange{Start: r.Start, Days: 1}, nil); len(empty) != 1 || empty[0] != (SalesDay{Date: "2027-12-30"}) {
		t.Errorf("no sales: %+v", empty)
	}
}

func TestParseCustomerSearch(t *testing.T) {
	t.Parallel()
	s, err := ParseCustomerSearch(nil, nil, nil)
	if err != nil || s.First != DefaultPageFirst || s.After != nil || s.Query != "" {
		t.Fatalf("defaults: %+v, %v", s, err)
	}
	s, err = ParseCustomerSearch(ptr(100), ptr(""), ptr("  Ann@Example "))
	if err != nil || s.First != 100 || s.Query != "ann@example" {
		t.Fatalf("query: %+v, %v", s, err)
	}
	// Every bad argument at once.
	_, err = ParseCustomerSearch(ptr(0), ptr("garbage!"), ptr(strings.Repeat("a", MaxSearchSize+1)))
	if got := fields(t, err); strings.Join(got, ",") != "first,after,query" {
		t.Fatalf("fields %v", got)
	}
	for _, bad := range []string{"a\x00b", "\xff"} {
		_, err := ParseCustomerSearch(nil, nil, ptr(bad))
		if got := fields(t, err); len(got) != 1 || got[0] != "query" {
			t.Errorf("%q: fields %v", bad, got)
		}
	}
	if _, err := ParseCustomerSearch(nil, nil, ptr(strings.Repeat("é", MaxSearchSize))); err != nil {
		t.Errorf("200 characters refused: %v", err)
	}
}

func TestCustomerCursorRoundTrips(t *testing.T) {
	t.Parallel()
	c := Customer{User: User{ID: idA, CreatedAt: time.Date(2026, 11, 25, 6, 5, 33, 123456000, time.UTC)}}
	conn, err := ParseConnection(nil, ptr(CustomerCursor(c).Encode()))
	if err != nil || conn.After == nil || conn.After.ID != idA || !conn.After.CreatedAt.Equal(c.User.CreatedAt) {
		t.Fatalf("%+v, %v", conn.After, err)
	}
}

func TestOrderQuery(t *testing.T) {
	t.Parallel()
	f, err := ParseOrderFilter(nil, ptr("paid"), ptr(" Ann@EXAMPLE.com "))
	if err != nil || f.Query != "ann@example.com" || f.Status != "paid" {
		t.Fatalf("%+v, %v", f, err)
	}
	if f, err := ParseOrderFilter(nil, nil, ptr("")); err != nil || f.Query != "" {
		t.Fatalf("empty: %+v, %v", f, err)
	}
	for _, bad := range []string{strings.Repeat("a", MaxSearchSize+1), "a\x00", "\xfe"} {
		_, err := ParseOrderFilter(nil, nil, ptr(bad))
		if got := fields(t, err); len(got) != 1 || got[0] != "query" {
			t.Errorf("%q: fields %v", bad, got)
		}
	}
	// A customer's search stays within its own orders.
	v, ok := VisibleOrders(Caller{UserID: "c1", Role: RoleCustomer}, OrderFilter{Query: "x"})
	if !ok || v.CustomerID != "c1" || v.Query != "x" {
		t.Fatalf("customer: %+v, %v", v, ok)
	}
	if v, ok := VisibleOrders(Caller{UserID: "a1", Role: RoleAdmin}, OrderFilter{Query: "x"}); !ok || v.CustomerID != "" {
		t.Fatalf("admin: %+v, %v", v, ok)
	}
}

func TestMaxStockFilter(t *testing.T) {
	t.Parallel()
	f, err := ParseProductSearch(ProductSearch{MaxStock: ptr(0), InStock: ptr(true)}, ProductFilter{})
	if err != nil || f.MaxStock == nil || *f.MaxStock != 0 || !f.ReadsStock() {
		t.Fatalf("%+v, %v", f, err)
	}
	if f, _ := ParseProductSearch(ProductSearch{MaxStock: ptr(MaxStockCount)}, ProductFilter{}); f.MaxStock == nil || !f.ReadsStock() || f.InStock {
		t.Fatalf("max: %+v", f)
	}
	if f, _ := ParseProductSearch(ProductSearch{}, ProductFilter{}); f.ReadsStock() {
		t.Fatal("a filter without stock reads stock")
	}
	for _, bad := range []int{-1, MaxStockCount + 1} {
		_, err := ParseProductSearch(ProductSearch{MaxStock: ptr(bad)}, ProductFilter{})
		if got := fields(t, err); len(got) != 1 || got[0] != "filter.maxStock" {
			t.Errorf("%d: fields %v", bad, got)
		}
	}
}
