package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"shop/errcode"
	"shop/internal/storetest"
	"shop/internal/testenv"
	"shop/models"
	"shop/store"
)

// placeAtOnce releases n orders of one customer at once and returns how
// many were placed and how many refused with PENDING_LIMIT; any other
// outcome fails the test.
func placeAtOnce(t *testing.T, s *store.Store, n int, req func(i int) models.OrderRequest) (placed, refused int) {
	t.Helper()
	start := make(chan struct{})
	codes := make(chan models.Code, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := s.CreateOrder(context.Background(), req(i))
			if c := models.ErrorCode(err); c != "" && c != errcode.PendingLimit {
				t.Errorf("order %d: %v", i, err)
			}
			codes <- models.ErrorCode(err)
		}()
	}
	close(start)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c == "" {
			placed++
		} else if c == errcode.PendingLimit {
			refused++
		}
	}
	return placed, refused
}

func capped(customer string, caps models.PendingCaps, lines ...models.OrderLine) models.OrderRequest {
	req, err := models.ParseOrder(customer, lines)
	if err != nil {
		panic(err)
	}
	req.Pending = caps
	req.Actor = customer
	return req
}

// A customer's concurrent orders never take its unpaid orders or units
// past the caps: each is judged under the customer's lock, against the
// orders committed before it.
func TestPendingCapsHoldUnderConcurrency(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := MustProduct(t, s, 100, 1_000_000)
		const n = 40

		// Orders of 2 units, at most 5 unpaid: exactly 5 are placed.
		placed, refused := placeAtOnce(t, s, n, func(int) models.OrderRequest {
			return capped("ann", models.PendingCaps{MaxOrders: 5, MaxUnits: 1000}, models.OrderLine{ProductID: p.ID, Quantity: 2})
		})
		if placed != 5 || refused != n-5 {
			t.Fatalf("orders cap: %d placed, %d refused; want 5 and %d", placed, refused, n-5)
		}
		// At most 9 units unpaid: 4 orders of 2.
		placed, refused = placeAtOnce(t, s, n, func(int) models.OrderRequest {
			return capped("bob", models.PendingCaps{MaxOrders: 100, MaxUnits: 9}, models.OrderLine{ProductID: p.ID, Quantity: 2})
		})
		if placed != 4 || refused != n-4 {
			t.Fatalf("units cap: %d placed, %d refused; want 4 and %d", placed, refused, n-4)
		}
		got, err := s.ProductByID(ctx, p.ID)
		if err != nil || got.StockCount != 1_000_000-2*9 {
			t.Fatalf("stock = %+v, %v; want %d", got, err, 1_000_000-2*9)
		}

		// Each customer is counted apart, and an order that is no longer
		// pending frees its place.
		os, err := s.ListOrders(ctx, models.Page{Limit: 100}, models.OrderFilter{CustomerID: "ann"})
		if err != nil || len(os) != 5 {
			t.Fatalf("ann's orders: %d, %v", len(os), err)
		}
		one := capped("ann", models.PendingCaps{MaxOrders: 5}, models.OrderLine{ProductID: p.ID, Quantity: 1})
		if _, err := s.CreateOrder(ctx, one); models.ErrorCode(err) != errcode.PendingLimit {
			t.Fatalf("a sixth order: %v", err)
		}
		if _, err := s.ChangeOrderStatus(ctx, models.StatusChange{OrderID: os[0].ID, To: models.OrderStatusPaid, Actor: models.ActorSystem}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateOrder(ctx, one); err != nil {
			t.Fatalf("after one was paid: %v", err)
		}
	})
}

// A retry under an idempotency key returns its order even when the
// customer is at a cap: it places nothing.
func TestPendingCapsLetReplaysThrough(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := MustProduct(t, s, 100, 1000)
		caps := models.PendingCaps{MaxOrders: 2, MaxUnits: 1000}
		first := capped("cat", caps, models.OrderLine{ProductID: p.ID, Quantity: 1})
		first.IdempotencyKey = "retry-me"
		o, err := s.CreateOrder(ctx, first)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateOrder(ctx, capped("cat", caps, models.OrderLine{ProductID: p.ID, Quantity: 1})); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateOrder(ctx, capped("cat", caps, models.OrderLine{ProductID: p.ID, Quantity: 1})); models.ErrorCode(err) != errcode.PendingLimit {
			t.Fatalf("a third order: %v", err)
		}
		again, err := s.CreateOrder(ctx, first)
		if err != nil || again.ID != o.ID {
			t.Fatalf("replay at the cap: %v, %v; want order %s", again, err, o.ID)
		}
		if got, _ := s.ProductByID(ctx, p.ID); got.StockCount != 998 {
			t.Fatalf("stock %d, want 998", got.StockCount)
		}
	})
}

// Without caps (an admin's order, or the caps turned off) nothing is
// counted or refused.
func TestNoPendingCaps(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		p := MustProduct(t, s, 100, 1000)
		for i := range 12 {
			if _, err := s.CreateOrder(context.Background(), capped("dan", models.PendingCaps{}, models.OrderLine{ProductID: p.ID, Quantity: 1})); err != nil {
				t.Fatal(fmt.Errorf("order %d: %w", i, err))
			}
		}
	})
}

// BenchmarkCreateOrderCaps is the store's createOrder of 3 lines on
// PostgreSQL by customers holding 5 unpaid orders each, with the caps on
// (counted under the customer's lock, never binding) and off: what the
// caps add to an honest customer's order. go test -run NONE -bench
// CreateOrderCaps ./store
func BenchmarkCreateOrderCaps(b *testing.B) {
	s := storetest.MustOpen(b, store.Options{DatabaseURL: testenv.MustPostgres(b), MaxOpenConns: 4, MaxIdleConns: 4})
	ctx := context.Background()
	var ids []string
	for range 30 {
		ids = append(ids, MustProduct(b, s, 100, 1_000_000_000).ID)
	}
	// 500 customers with 5 unpaid orders each.
	const customers = 500
	lines := func(i int) []models.OrderLine {
		return []models.OrderLine{{ProductID: ids[i%30], Quantity: 1}, {ProductID: ids[(i+7)%30], Quantity: 1}, {ProductID: ids[(i+13)%30], Quantity: 1}}
	}
	for i := range customers * 5 {
		if _, err := s.CreateOrder(ctx, capped(fmt.Sprint("c", i%customers), models.PendingCaps{}, lines(i)...)); err != nil {
			b.Fatal(err)
		}
	}
	// Alternately, as the machine's load changes.
	for _, bc := range []struct {
		name string
		caps models.PendingCaps
	}{{"off", models.PendingCaps{}}, {"on", models.PendingCaps{MaxOrders: 1 << 30, MaxUnits: 1 << 30}},
		{"off", models.PendingCaps{}}, {"on", models.PendingCaps{MaxOrders: 1 << 30, MaxUnits: 1 << 30}},
		{"off", models.PendingCaps{}}, {"on", models.PendingCaps{MaxOrders: 1 << 30, MaxUnits: 1 << 30}}} {
		b.Run(bc.name, func(b *testing.B) {
			// A customer's orders beyond its first 5 are placed by the
			// runs, a few each; they grow the count only slowly.
			for i := range b.N {
				if _, err := s.CreateOrder(ctx, capped(fmt.Sprint("c", i%customers), bc.caps, lines(i)...)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
