package models

import (
	"strings"
	"testing"
)

func TestTransitionsAreTheLifecycle(t *testing.T) {
	t.Parallel()
	allowed := map[[2]string]bool{
		{"pending", "paid"}: true, {"paid", "shipped"}: true, {"shipped", "delivered"}: true,
		{"pending", "cancelled"}: true, {"paid", "cancelled"}: true,
	}
	for _, from := range OrderStatuses {
		for _, to := range OrderStatuses {
			err := Transition(from, to)
			if allowed[[2]string{from, to}] {
				if err != nil {
					t.Errorf("%s → %s refused: %v", from, to, err)
				}
				continue
			}
			if ErrorCode(err) != CodeInvalidTransition {
				t.Errorf("%s → %s: code %q, want INVALID_TRANSITION", from, to, ErrorCode(err))
				continue
			}
			if msg := err.Error(); !strings.Contains(msg, from) || !strings.Contains(msg, to) {
				t.Errorf("%s → %s: message %q names neither state", from, to, msg)
			}
		}
	}
}

func TestWhoMayCancel(t *testing.T) {
	t.Parallel()
	admin := Caller{UserID: "adm", Role: RoleAdmin}
	owner := Caller{UserID: "a", Role: RoleCustomer}
	other := Caller{UserID: "b", Role: RoleCustomer}
	for _, tt := range []struct {
		c      Caller
		status string
		want   Code
	}{
		{Caller{}, "pending", CodeUnauthenticated},
		{owner, "pending", ""},
		{owner, "paid", CodeForbidden},
		// No one may cancel these: the lifecycle's answer, not the role's.
		{owner, "cancelled", CodeInvalidTransition},
		{owner, "shipped", CodeInvalidTransition},
		{owner, "delivered", CodeInvalidTransition},
		{other, "cancelled", CodeNotFound},
		{other, "pending", CodeNotFound},
		{admin, "pending", ""},
		{admin, "paid", ""},
	} {
		err := CanCancel(tt.c, Order{ID: "o", CustomerID: "a", Status: tt.status})
		if ErrorCode(err) != tt.want {
			t.Errorf("%+v cancels a %s order: %q, want %q", tt.c, tt.status, ErrorCode(err), tt.want)
		}
	}
}

func TestParseStatusChange(t *testing.T) {
	t.Parallel()
	id := "6f1c2a4e-8b7d-4c3e-9a1b-2d3e4f5a6b7c"
	admin := Caller{UserID: "adm", Role: RoleAdmin}
	ch, err := ParseStatusChange(id, "shipped", " sent ", " 1Z999 ", "UPS", admin)
	if err != nil || ch.TrackingNumber != "1Z999" || ch.Note != "sent" || ch.Actor != "adm" {
		t.Fatalf("shipped: %+v, %v", ch, err)
	}
	for _, bad := range []struct{ to, tracking, carrier, field string }{
		{"lost", "", "", "status"},
		{"paid", "1Z", "", "trackingNumber"},
		{"paid", "", "UPS", "carrier"}, // the field sent is the one named
		{"shipped", strings.Repeat("x", MaxTrackingSize+1), "", "trackingNumber"},
		{"shipped", "a\x00b", "", "trackingNumber"},
	} {
		_, err := ParseStatusChange(id, bad.to, "", bad.tracking, bad.carrier, admin)
		if got := fields(t, err); len(got) != 1 || got[0] != bad.field {
			t.Errorf("%+v: fields %v, want [%s]", bad, got, bad.field)
		}
	}
}

func TestAdjustments(t *testing.T) {
	t.Parallel()
	id := "6f1c2a4e-8b7d-4c3e-9a1b-2d3e4f5a6b7c"
	admin := Caller{UserID: "adm", Role: RoleAdmin}
	for _, bad := range []struct {
		delta  int
		reason string
		field  string
	}{{0, "count", "delta"}, {MaxStockCount + 1, "count", "delta"}, {5, "  ", "reason"}} {
		_, err := ParseAdjustment(id, bad.delta, bad.reason, admin)
		if got := fields(t, err); len(got) != 1 || got[0] != bad.field {
			t.Errorf("%+v: fields %v, want [%s]", bad, got, bad.field)
		}
	}
	a, err := ParseAdjustment(id, -3, "broken in the warehouse", admin)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := ApplyAdjustment(5, a); n != 2 || err != nil {
		t.Errorf("5 - 3 = %d, %v", n, err)
	}
	if _, err := ApplyAdjustment(2, a); ErrorCode(err) != CodeInsufficientStock {
		t.Errorf("2 - 3: %v, want INSUFFICIENT_STOCK", err)
	}
	a.Delta = 10
	if _, err := ApplyAdjustment(MaxStockCount-5, a); ErrorCode(err) != CodeBadUserInput {
		t.Errorf("over the maximum: %v", err)
	}
	// Cancellations can leave a stock over the maximum: it may be lowered,
	// not raised.
	if _, err := ApplyAdjustment(MaxStockCount+30, a); ErrorCode(err) != CodeBadUserInput {
		t.Errorf("further over the maximum: %v", err)
	}
	a.Delta = -1
	if n, err := ApplyAdjustment(MaxStockCount+30, a); n != MaxStockCount+29 || err != nil {
		t.Errorf("lowering a stock over the maximum: %d, %v", n, err)
	}
}

func TestIdempotencyKeys(t *testing.T) {
	t.Parallel()
	if k, err := ParseIdempotencyKey(" abc-1 ", ""); k != "abc-1" || err != nil {
		t.Errorf("header: %q, %v", k, err)
	}
	if k, err := ParseIdempotencyKey("", "abc-2"); k != "abc-2" || err != nil {
		t.Errorf("input: %q, %v", k, err)
	}
	if k, err := ParseIdempotencyKey("same", "same"); k != "same" || err != nil {
		t.Errorf("both alike: %q, %v", k, err)
	}
	for _, bad := range [][2]string{{"a", "b"}, {"has space", ""}, {"", "é"}, {strings.Repeat("k", MaxIdempotencyKeySize+1), ""}} {
		if _, err := ParseIdempotencyKey(bad[0], bad[1]); ErrorCode(err) != CodeBadUserInput {
			t.Errorf("%q accepted", bad)
		}
	}
	p1, p2 := "6f1c2a4e-8b7d-4c3e-9a1b-2d3e4f5a6b7c", "7f1c2a4e-8b7d-4c3e-9a1b-2d3e4f5a6b7c"
	a, _ := ParseOrder("c", []OrderLine{{p1, 1}, {p2, 2}})
	b, _ := ParseOrder("c", []OrderLine{{p2, 1}, {p2, 1}, {p1, 1}})
	c, _ := ParseOrder("c", []OrderLine{{p1, 2}, {p2, 1}})
	if a.Fingerprint() != b.Fingerprint() {
		t.Error("the same order written two ways has two fingerprints")
	}
	if a.Fingerprint() == c.Fingerprint() {
		t.Error("different quantities share a fingerprint")
	}
	if err := ReplayIdempotent(IdempotencyKey{Fingerprint: a.Fingerprint()}, c.Fingerprint()); ErrorCode(err) != CodeIdempotencyKeyReused {
		t.Errorf("another request under the key: %v", err)
	}
	if err := ReplayIdempotent(IdempotencyKey{Fingerprint: a.Fingerprint()}, b.Fingerprint()); err != nil {
		t.Errorf("the same request under the key: %v", err)
	}
}

func TestLedgerCursors(t *testing.T) {
	t.Parallel()
	cur := MovementCursor(StockMovement{ID: 42})
	c, err := ParseLedgerConnection(nil, &cur)
	if err != nil || c.AfterID != 42 || c.First != DefaultPageFirst {
		t.Fatalf("%+v, %v", c, err)
	}
	for _, bad := range []string{"garbage!", OrderCursor(Order{ID: "6f1c2a4e-8b7d-4c3e-9a1b-2d3e4f5a6b7c"}).Encode(), MovementCursor(StockMovement{ID: 0})} {
		if _, err := ParseLedgerConnection(nil, &bad); ErrorCode(err) != CodeBadUserInput {
			t.Errorf("%q accepted", bad)
		}
	}
}
