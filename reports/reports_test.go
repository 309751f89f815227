package reports_test

import (
	"context"
	"testing"
	"time"

	"shop/errcode"
	"shop/models"
	"shop/reports"
)

type fakeStore struct {
	calls     int
	threshold int
	days      models.SalesRange
}

func (f *fakeStore) Overview(_ context.Context, threshold int, _ time.Time) (models.Overview, error) {
	f.calls++
	f.threshold = threshold
	return models.Overview{}, nil
}

func (f *fakeStore) SalesReport(_ context.Context, r models.SalesRange) ([]models.SalesDay, error) {
	f.calls++
	f.days = r
	return nil, nil
}

func (f *fakeStore) CustomersPage(context.Context, models.CustomerSearch) (models.CustomerPage, error) {
	f.calls++
	return models.CustomerPage{}, nil
}

// The reports are for admins only, and their arguments are parsed before
// the store is read.
func TestReportsAreForAdmins(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := &fakeStore{}
	s := reports.New(f)
	customer := models.Caller{UserID: "00000000-0000-4000-8000-0000000000c1", Role: models.RoleCustomer}
	admin := models.Caller{UserID: "00000000-0000-4000-8000-0000000000ad", Role: models.RoleAdmin}
	calls := map[string]func(models.Caller) error{
		"Overview":    func(c models.Caller) error { _, err := s.Overview(ctx, c, nil); return err },
		"SalesReport": func(c models.Caller) error { _, err := s.SalesReport(ctx, c, nil); return err },
		"Customers":   func(c models.Caller) error { _, err := s.Customers(ctx, c, nil, nil, nil); return err },
	}
	for name, call := range calls {
		if err := call(models.Caller{}); models.ErrorCode(err) != errcode.Unauthenticated {
			t.Errorf("%s, anonymous: %v, want UNAUTHENTICATED", name, err)
		}
		if err := call(customer); models.ErrorCode(err) != errcode.Forbidden {
			t.Errorf("%s, customer: %v, want FORBIDDEN", name, err)
		}
	}
	if f.calls != 0 {
		t.Fatalf("%d reads for callers refused", f.calls)
	}
	for name, call := range calls {
		if err := call(admin); err != nil {
			t.Errorf("%s, admin: %v", name, err)
		}
	}
	if f.calls != 3 {
		t.Fatalf("%d reads for 3 reports", f.calls)
	}
	zero := 0
	if _, err := s.SalesReport(ctx, admin, &zero); models.ErrorCode(err) != errcode.BadUserInput {
		t.Fatalf("0 days: %v, want BAD_USER_INPUT", err)
	}
	seven := 7
	if _, err := s.SalesReport(ctx, admin, &seven); err != nil || f.days.Days != 7 {
		t.Fatalf("7 days: range %+v, %v", f.days, err)
	}
}
