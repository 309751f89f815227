package models

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"shop/errcode"
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
			if ErrorCode(err) != errcode.InvalidTransition {
				t.Errorf("%s → %s: code %q, want INVALID_TRANSITION", from, to, ErrorCode(err))
				continue
			}
			if msg := err.Error(); !strings.Contains(msg, from) || !strings.Contains(msg, to) {
				t.Errorf("%s → %s: message %q names neither state", from, to, msg)
			}
		}
	}
}

func TestParseOrderNote(t *testing.T) {
	t.Parallel()
	id := "6f1c2a4e-8b7d-4c3e-9a1b-2d3e4f5a6b7c"
	admin := Caller{UserID: "adm", Role: RoleAdmin}
	n, err := ParseOrderNote(id, " Your parcel is late. ", " carrier lost it ", admin)
	if err != nil || n != (OrderNote{OrderID: id, Message: "Your parcel is late.", Note: "carrier lost it", Actor: "adm"}) {
		t.Fatalf("%+v, %v", n, err)
	}
	if _, err := ParseOrderNote(id, "hello", "", Caller{UserID: "c", Role: RoleCustomer}); ErrorCode(err) != errcode.Forbidden {
		t.Errorf("a customer's note: %v, want FORBIDDEN", err)
	}
	if _, err := ParseOrderNote(id, " ", "", admin); fmt.Sprint(fields(t, err)) != "[message]" {
		t.Errorf("an empty note: %v", err)
	}
	if _, err := ParseOrderNote(id, "", strings.Repeat("x", MaxNoteSize+1), admin); fmt.Sprint(fields(t, err)) != "[note]" {
		t.Errorf("a long note: %v", err)
	}
}

func TestParseCancelKeepsTheNoteToAdmins(t *testing.T) {
	t.Parallel()
	id := "6f1c2a4e-8b7d-4c3e-9a1b-2d3e4f5a6b7c"
	admin := Caller{UserID: "adm", Role: RoleAdmin}
	customer := Caller{UserID: "c", Role: RoleCustomer}
	ch, err := ParseCancel(id, " out of stock ", " supplier late ", admin)
	if err != nil || ch.Message != "out of stock" || ch.Note != "supplier late" || ch.Actor != "adm" {
		t.Fatalf("admin: %+v, %v", ch, err)
	}
	ch, err = ParseCancel(id, "changed my mind", "", customer)
	if err != nil || ch.Message != "changed my mind" || ch.Note != "" {
		t.Fatalf("customer: %+v, %v", ch, err)
	}
	if _, err := ParseCancel(id, "", "psst", customer); fmt.Sprint(fields(t, err)) != "[note]" {
		t.Fatalf("a customer's internal note: %v, want the field note refused", err)
	}
}

// TestEventsAsEachReaderSeesThem: the same events, read by an admin, by the
// order's customer and by another customer (who never gets the order,
// but the rule doesn't rely on that).
func TestEventsAsEachReaderSeesThem(t *testing.T) {
	t.Parallel()
	admin := Caller{UserID: "adm", Role: RoleAdmin}
	owner := Caller{UserID: "cust", Role: RoleCustomer}
	other := Caller{UserID: "other", Role: RoleCustomer}
	events := []OrderEvent{
		{Status: "pending", Actor: "cust"},
		{Status: "paid", Actor: ActorSystem, Message: "Paid 25.00 USD.", Note: "Paid 25.00 USD through local (lpi_1), payment p1."},
		{Status: "shipped", Actor: "adm", Message: "On its way.", Note: "customer was rude on the phone"},
		{Status: "cancelled", Actor: "cust", Message: "changed my mind"},
	}
	for _, tt := range []struct {
		name   string
		c      Caller
		actors []string
		notes  []string
	}{
		{"admin", admin, []string{"cust", "system", "adm", "cust"}, []string{"", events[1].Note, events[2].Note, ""}},
		{"the order's customer", owner, []string{"cust", "system", "the shop", "cust"}, []string{"", "", "", ""}},
		{"another customer", other, []string{"cust", "system", "the shop", "cust"}, []string{"", "", "", ""}},
		{"anonymous", Caller{}, []string{"cust", "system", "the shop", "cust"}, []string{"", "", "", ""}},
	} {
		for i, e := range events {
			got := e.VisibleTo(tt.c, "cust")
			if got.Actor != tt.actors[i] || got.Note != tt.notes[i] || got.Message != e.Message || got.Status != e.Status {
				t.Errorf("%s reads event %d as %+v, want actor %q and note %q", tt.name, i, got, tt.actors[i], tt.notes[i])
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
		{Caller{}, "pending", errcode.Unauthenticated},
		{owner, "pending", ""},
		{owner, "paid", errcode.Forbidden},
		// No one may cancel these: the lifecycle's answer, not the role's.
		{owner, "cancelled", errcode.InvalidTransition},
		{owner, "shipped", errcode.InvalidTransition},
		{owner, "delivered", errcode.InvalidTransition},
		{other, "cancelled", errcode.NotFound},
		{other, "pending", errcode.NotFound},
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
	if err != nil || ch.TrackingNumber != "1Z999" || ch.Note != "sent" || ch.Message != "" || ch.Actor != "adm" {
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
		_, err := ParseAdjustment(id, "", bad.delta, bad.reason, admin)
		if got := fields(t, err); len(got) != 1 || got[0] != bad.field {
			t.Errorf("%+v: fields %v, want [%s]", bad, got, bad.field)
		}
	}
	a, err := ParseAdjustment(id, "", -3, "broken in the warehouse", admin)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := ApplyAdjustment(5, a); n != 2 || err != nil {
		t.Errorf("5 - 3 = %d, %v", n, err)
	}
	if _, err := ApplyAdjustment(2, a); ErrorCode(err) != errcode.InsufficientStock {
		t.Errorf("2 - 3: %v, want INSUFFICIENT_STOCK", err)
	}
	a.Delta = 10
	if _, err := ApplyAdjustment(MaxStockCount-5, a); ErrorCode(err) != errcode.BadUserInput {
		t.Errorf("over the maximum: %v", err)
	}
	// Cancellations can leave a stock over the maximum: it may be lowered,
	// not raised.
	if _, err := ApplyAdjustment(MaxStockCount+30, a); ErrorCode(err) != errcode.BadUserInput {
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
		if _, err := ParseIdempotencyKey(bad[0], bad[1]); ErrorCode(err) != errcode.BadUserInput {
			t.Errorf("%q accepted", bad)
		}
	}
	p1, p2 := "6f1c2a4e-8b7d-4c3e-9a1b-2d3e4f5a6b7c", "7f1c2a4e-8b7d-4c3e-9a1b-2d3e4f5a6b7c"
	a, _ := ParseOrder("c", []OrderLine{{ProductID: p1, Quantity: 1}, {ProductID: p2, Quantity: 2}})
	b, _ := ParseOrder("c", []OrderLine{{ProductID: p2, Quantity: 1}, {ProductID: p2, Quantity: 1}, {ProductID: p1, Quantity: 1}})
	c, _ := ParseOrder("c", []OrderLine{{ProductID: p1, Quantity: 2}, {ProductID: p2, Quantity: 1}})
	if a.Fingerprint() != b.Fingerprint() {
		t.Error("the same order written two ways has two fingerprints")
	}
	if a.Fingerprint() == c.Fingerprint() {
		t.Error("different quantities share a fingerprint")
	}
	if err := ReplayIdempotent(IdempotencyKey{Fingerprint: a.Fingerprint()}, c.Fingerprint()); ErrorCode(err) != errcode.IdempotencyKeyReused {
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
		if _, err := ParseLedgerConnection(nil, &bad); ErrorCode(err) != errcode.BadUserInput {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestTimelineEntry(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 123456000, time.UTC)
	events := []OrderEvent{
		{ID: 1, Status: "pending", At: t0},
		{ID: 2, Status: "paid", At: t0.Add(time.Second)},
		{ID: 3, Status: "paid", Message: "noted", At: t0.Add(time.Second)},
		{ID: 4, Status: "shipped", At: t0.Add(2 * time.Second)},
	}
	for _, tt := range []struct {
		name string
		at   time.Time
		want int64
	}{
		{"the first", t0, 1},
		{"the last of one time", t0.Add(time.Second), 3},
		{"the same instant in another zone", t0.Add(2 * time.Second).In(time.FixedZone("X", 3600)), 4},
		{"none", t0.Add(time.Millisecond), 0},
	} {
		got := TimelineEntry(events, tt.at)
		switch {
		case tt.want == 0 && got != nil:
			t.Errorf("%s: got row %d, want none", tt.name, got.ID)
		case tt.want != 0 && (got == nil || got.ID != tt.want):
			t.Errorf("%s: got %+v, want row %d", tt.name, got, tt.want)
		}
	}
}
