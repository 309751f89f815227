package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"shop/errcode"
	"shop/internal/storetest"
	"shop/internal/testenv"
	"shop/models"
	"shop/store"
)

var (
	admin    = models.Caller{UserID: "admin-1", Role: models.RoleAdmin}
	customer = models.Caller{UserID: "customer-1", Role: models.RoleCustomer}
)

// ledgerSum is the sum of the product's movements, read page by page.
func ledgerSum(t *testing.T, s *store.Store, id string) (sum, movements int) {
	t.Helper()
	c := models.LedgerConnection{First: 2}
	for {
		page, err := s.StockMovements(context.Background(), id, "", c)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page.Movements {
			sum += m.Delta
			movements++
			if m.StockAfter < 0 {
				t.Errorf("movement %d leaves %d in stock", m.ID, m.StockAfter)
			}
		}
		if !page.HasNext {
			return sum, movements
		}
		c.AfterID = page.Movements[len(page.Movements)-1].ID
	}
}

func mustLedgerHolds(t *testing.T, s *store.Store, ids ...string) {
	t.Helper()
	for _, id := range ids {
		p, err := s.ProductByID(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if sum, _ := ledgerSum(t, s, id); sum != p.StockCount {
			t.Errorf("product %s: stock %d, ledger says %d", id, p.StockCount, sum)
		}
	}
}

func TestLifecycleAndLedger(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := MustProduct(t, s, 250, 10), MustProduct(t, s, 100, 3)
		req := order(models.OrderLine{ProductID: a.ID, Quantity: 4}, models.OrderLine{ProductID: b.ID, Quantity: 3})
		req.Actor = customer.UserID
		o, err := s.CreateOrder(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		mustLedgerHolds(t, s, a.ID, b.ID)

		paid, err := models.ParseStatusChange(o.ID, "paid", "card", "", "", admin)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.ChangeOrderStatus(ctx, paid); err != nil || got.Status != "paid" || len(got.Items) != 2 {
			t.Fatalf("pay: %+v, %v", got, err)
		}
		// The customer may no longer cancel; paying twice is refused.
		cancel, _ := models.ParseCancel(o.ID, "changed my mind", "", customer)
		if _, err := s.ChangeOrderStatus(ctx, cancel); models.ErrorCode(err) != errcode.Forbidden {
			t.Fatalf("customer cancels a paid order: %v", err)
		}
		if _, err := s.ChangeOrderStatus(ctx, paid); models.ErrorCode(err) != errcode.InvalidTransition {
			t.Fatalf("paid twice: %v", err)
		}
		cancel, _ = models.ParseCancel(o.ID, "out of business", "supplier bankrupt", admin)
		got, err := s.ChangeOrderStatus(ctx, cancel)
		if err != nil || got.Status != "cancelled" {
			t.Fatalf("admin cancels: %+v, %v", got, err)
		}
		for _, p := range []*models.Product{a, b} {
			now, _ := s.ProductByID(ctx, p.ID)
			if now.StockCount != p.StockCount {
				t.Errorf("product %s: stock %d after the cancellation, want %d back", p.ID, now.StockCount, p.StockCount)
			}
		}
		mustLedgerHolds(t, s, a.ID, b.ID)

		evs, err := s.OrderEvents(ctx, []string{o.ID})
		if err != nil {
			t.Fatal(err)
		}
		var trail []string
		for _, e := range evs[o.ID] {
			trail = append(trail, e.Status+"/"+e.Actor+"/"+e.Message+"/"+e.Note)
		}
		if want := "[pending/customer-1// paid/admin-1//card cancelled/admin-1/out of business/supplier bankrupt]"; fmt.Sprint(trail) != want {
			t.Errorf("events %v, want %s", trail, want)
		}

		// Adjustments and updates are movements too.
		adj, _ := models.ParseAdjustment(a.ID, "", -7, "water damage", admin)
		if p, err := s.AdjustStock(ctx, adj); err != nil || p.StockCount != 3 {
			t.Fatalf("adjust: %+v, %v", p, err)
		}
		adj.Delta = -4
		if _, err := s.AdjustStock(ctx, adj); models.ErrorCode(err) != errcode.InsufficientStock {
			t.Fatalf("adjust below zero: %v", err)
		}
		stock := 12
		if _, err := s.UpdateProduct(ctx, a.ID, models.ProductPatch{StockCount: &stock, Actor: admin.UserID}); err != nil {
			t.Fatal(err)
		}
		sum, n := ledgerSum(t, s, a.ID)
		if sum != 12 || n != 5 { // initial, order, cancellation, adjustment, update
			t.Errorf("ledger of a: sum %d over %d movements, want 12 over 5", sum, n)
		}

		low, err := s.LowStock(ctx, 3, 10)
		if err != nil || len(low) != 1 || low[0].ID != b.ID {
			t.Errorf("lowStock(3) = %+v, %v; want only b", low, err)
		}
	})
}

func TestShippingKeepsTracking(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := MustProduct(t, s, 100, 5)
		o, err := s.CreateOrder(ctx, order(models.OrderLine{ProductID: p.ID, Quantity: 1}))
		if err != nil {
			t.Fatal(err)
		}
		for _, step := range []struct{ to, tracking, carrier string }{{"paid", "", ""}, {"shipped", "1Z999", "UPS"}, {"delivered", "", ""}} {
			ch, err := models.ParseStatusChange(o.ID, step.to, "", step.tracking, step.carrier, admin)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.ChangeOrderStatus(ctx, ch); err != nil {
				t.Fatalf("%s: %v", step.to, err)
			}
		}
		got, err := s.OrderByID(ctx, o.ID)
		if err != nil || got.Status != "delivered" || got.TrackingNumber != "1Z999" || got.Carrier != "UPS" {
			t.Fatalf("delivered order: %+v, %v", got, err)
		}
		cancel, _ := models.ParseCancel(o.ID, "", "", admin)
		if _, err := s.ChangeOrderStatus(ctx, cancel); models.ErrorCode(err) != errcode.InvalidTransition {
			t.Fatalf("cancel a delivered order: %v", err)
		}
	})
}

// A cancellation restocks whatever the stock holds by then, so a product
// can end up over the maximum; an admin must still be able to lower it.
func TestStockOverTheMaximumCanBeLowered(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := MustProduct(t, s, 100, models.MaxStockCount)
		o, err := s.CreateOrder(ctx, order(models.OrderLine{ProductID: p.ID, Quantity: 10}))
		if err != nil {
			t.Fatal(err)
		}
		refill, _ := models.ParseAdjustment(p.ID, "", 10, "delivery", admin)
		if _, err := s.AdjustStock(ctx, refill); err != nil {
			t.Fatal(err)
		}
		cancel, _ := models.ParseCancel(o.ID, "", "", admin)
		if _, err := s.ChangeOrderStatus(ctx, cancel); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AdjustStock(ctx, refill); models.ErrorCode(err) != errcode.BadUserInput {
			t.Fatalf("raising a stock over the maximum: %v", err)
		}
		lower, _ := models.ParseAdjustment(p.ID, "", -1, "count", admin)
		got, err := s.AdjustStock(ctx, lower)
		if err != nil || got.StockCount != models.MaxStockCount+9 {
			t.Fatalf("lowering a stock over the maximum: %+v, %v", got, err)
		}
		mustLedgerHolds(t, s, p.ID)
	})
}

// Two transitions of one order released together: exactly one wins.
func TestConcurrentTransitionsOneWins(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := MustProduct(t, s, 100, 100)
		for round := 0; round < 5; round++ {
			o, err := s.CreateOrder(ctx, order(models.OrderLine{ProductID: p.ID, Quantity: 1}))
			if err != nil {
				t.Fatal(err)
			}
			pay, _ := models.ParseStatusChange(o.ID, "paid", "", "", "", admin)
			cancel, _ := models.ParseCancel(o.ID, "", "", customer)
			release := make(chan struct{})
			errs := make([]error, 4)
			var wg sync.WaitGroup
			for i, ch := range []models.StatusChange{pay, pay, cancel, cancel} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-release
					_, errs[i] = s.ChangeOrderStatus(ctx, ch)
				}()
			}
			close(release)
			wg.Wait()
			wins := 0
			for _, err := range errs {
				switch models.ErrorCode(err) {
				case "":
					wins++
				case errcode.InvalidTransition, errcode.Forbidden:
				default:
					t.Errorf("round %d: unexpected %v", round, err)
				}
			}
			// A payment and a cancellation can both win only in that order
			// (an admin may cancel a paid order, a customer may not).
			if wins != 1 {
				t.Errorf("round %d: %d transitions won: %v", round, wins, errs)
			}
		}
		mustLedgerHolds(t, s, p.ID)
	})
}

func TestIdempotentOrders(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := MustProduct(t, s, 100, 100)
		req := order(models.OrderLine{ProductID: p.ID, Quantity: 2})
		req.Actor, req.IdempotencyKey = customer.UserID, "key-1"
		first, err := s.CreateOrder(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		again, err := s.CreateOrder(ctx, req)
		if err != nil || again.ID != first.ID || len(again.Items) != 1 {
			t.Fatalf("retry: %+v, %v; want order %s", again, err, first.ID)
		}
		if now, _ := s.ProductByID(ctx, p.ID); now.StockCount != 98 {
			t.Errorf("stock %d after an order and its retry, want 98", now.StockCount)
		}
		other := req
		other.Lines = []models.OrderLine{{ProductID: p.ID, Quantity: 3}}
		if _, err := s.CreateOrder(ctx, other); models.ErrorCode(err) != errcode.IdempotencyKeyReused {
			t.Errorf("another request under the key: %v", err)
		}
		// Keys are the caller's: another caller's same key is its own.
		mine := req
		mine.Actor = "customer-2"
		if o, err := s.CreateOrder(ctx, mine); err != nil || o.ID == first.ID {
			t.Errorf("another caller's key: %+v, %v", o, err)
		}
		// A key older than its time to live no longer answers.
		purged, err := s.PurgeIdempotencyKeys(ctx, time.Now().Add(time.Hour))
		if err != nil || purged != 2 {
			t.Fatalf("purged %d, %v; want 2", purged, err)
		}
		if o, err := s.CreateOrder(ctx, req); err != nil || o.ID == first.ID {
			t.Errorf("after the purge: %+v, %v; want a new order", o, err)
		}
		mustLedgerHolds(t, s, p.ID)
	})
}

// The same key sent at once many times takes stock once.
func TestIdempotentOrdersAtOnce(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := MustProduct(t, s, 100, 1000)
		for round := 0; round < 5; round++ {
			req := order(models.OrderLine{ProductID: p.ID, Quantity: 1})
			req.Actor, req.IdempotencyKey = customer.UserID, fmt.Sprintf("round-%d", round)
			release := make(chan struct{})
			ids := make([]string, 6)
			errs := make([]error, 6)
			var wg sync.WaitGroup
			for i := range ids {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-release
					if o, err := s.CreateOrder(ctx, req); err == nil {
						ids[i] = o.ID
					} else {
						errs[i] = err
					}
				}()
			}
			close(release)
			wg.Wait()
			seen := map[string]bool{}
			for i := range ids {
				switch {
				case errs[i] == nil:
					seen[ids[i]] = true
				case models.ErrorCode(errs[i]) != errcode.IdempotencyKeyInUse:
					t.Errorf("round %d: %v", round, errs[i])
				}
			}
			if len(seen) != 1 {
				t.Errorf("round %d: %d different orders under one key", round, len(seen))
			}
		}
		if now, _ := s.ProductByID(ctx, p.ID); now.StockCount != 995 {
			t.Errorf("stock %d after 5 keys, want 995", now.StockCount)
		}
	})
}

func TestExpireOrders(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := MustProduct(t, s, 100, 50)
		var ids []string
		for i := 0; i < 6; i++ {
			o, err := s.CreateOrder(ctx, order(models.OrderLine{ProductID: p.ID, Quantity: 2}))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, o.ID)
		}
		pay, _ := models.ParseStatusChange(ids[0], "paid", "", "", "", admin)
		if _, err := s.ChangeOrderStatus(ctx, pay); err != nil {
			t.Fatal(err)
		}
		cutoff := time.Now().Add(time.Second)
		// Two workers at once, in small batches: every unpaid order is
		// cancelled once.
		var mu sync.Mutex
		got := map[string]int{}
		var wg sync.WaitGroup
		for w := 0; w < 2; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					os, err := s.ExpireOrders(ctx, cutoff, "unpaid", 2)
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					for _, o := range os {
						got[o.ID]++
					}
					mu.Unlock()
					if len(os) == 0 {
						return
					}
				}
			}()
		}
		wg.Wait()
		if len(got) != 5 {
			t.Errorf("%d orders expired, want the 5 unpaid", len(got))
		}
		for id, n := range got {
			if n != 1 || id == ids[0] {
				t.Errorf("order %s expired %d times", id, n)
			}
		}
		if now, _ := s.ProductByID(ctx, p.ID); now.StockCount != 48 {
			t.Errorf("stock %d, want 48 (only the paid order's 2 taken)", now.StockCount)
		}
		mustLedgerHolds(t, s, p.ID)
		evs, _ := s.OrderEvents(ctx, []string{ids[1]})
		last := evs[ids[1]][len(evs[ids[1]])-1]
		if last.Status != "cancelled" || last.Actor != models.ActorSystem || last.Message != "unpaid" || last.Note != "" {
			t.Errorf("expiry event %+v", last)
		}
	})
}

// A cutoff is an instant, whatever zone the caller's clock is in: the
// worker passes time.Now(), local to the server. SQLite keeps times as
// text, where an instant in another zone than the stored UTC compares by
// its wall clock, hours off.
func TestCutoffsInAnyZone(t *testing.T) {
	t.Parallel()
	east, west := time.FixedZone("UTC+9", 9*3600), time.FixedZone("UTC-9", -9*3600)
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := MustProduct(t, s, 100, 50)
		req := order(models.OrderLine{ProductID: p.ID, Quantity: 1})
		req.Actor, req.IdempotencyKey = customer.UserID, "zoned"
		o, err := s.CreateOrder(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		anHourAgo := time.Now().Add(-time.Hour)
		if os, err := s.ExpireOrders(ctx, anHourAgo.In(east), "unpaid", 10); err != nil || len(os) != 0 {
			t.Fatalf("an order placed just now expired with a cutoff an hour ago (UTC+9): %d, %v", len(os), err)
		}
		if n, err := s.PurgeIdempotencyKeys(ctx, anHourAgo.In(east)); err != nil || n != 0 {
			t.Fatalf("a key stored just now purged with a cutoff an hour ago (UTC+9): %d, %v", n, err)
		}
		if again, err := s.CreateOrder(ctx, req); err != nil || again.ID != o.ID {
			t.Fatalf("retry: %+v, %v; want order %s", again, err, o.ID)
		}
		soon := time.Now().Add(time.Second)
		if os, err := s.ExpireOrders(ctx, soon.In(west), "unpaid", 10); err != nil || len(os) != 1 {
			t.Fatalf("a cutoff after the order (UTC-9) expired %d, %v; want 1", len(os), err)
		}
		if n, err := s.PurgeIdempotencyKeys(ctx, soon.In(west)); err != nil || n != 1 {
			t.Fatalf("a cutoff after the key (UTC-9) purged %d, %v; want 1", n, err)
		}
		mustLedgerHolds(t, s, p.ID)
	})
}

// A large order and a large expiry stay under the drivers' parameter
// limits.
func TestLargeOrdersFitOneStatement(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		var lines []models.OrderLine
		var ids []string
		for i := 0; i < models.MaxOrderLines; i++ {
			p := MustProduct(t, s, 100, 1000)
			lines = append(lines, models.OrderLine{ProductID: p.ID, Quantity: 1})
			ids = append(ids, p.ID)
		}
		for i := 0; i < 60; i++ {
			if _, err := s.CreateOrder(ctx, order(lines...)); err != nil {
				t.Fatal(err)
			}
		}
		os, err := s.ExpireOrders(ctx, time.Now().Add(time.Second), "unpaid", 100)
		if err != nil || len(os) != 60 {
			t.Fatalf("expired %d, %v", len(os), err)
		}
		mustLedgerHolds(t, s, ids[:3]...)
	})
}

func TestAddOrderNote(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := MustProduct(t, s, 100, 5)
		o, err := s.CreateOrder(ctx, order(models.OrderLine{ProductID: p.ID, Quantity: 1}))
		if err != nil {
			t.Fatal(err)
		}
		n, _ := models.ParseOrderNote(o.ID, "Your parcel is late.", "carrier lost it", admin)
		got, err := s.AddOrderNote(ctx, n)
		if err != nil || got.ID != o.ID || got.Status != "pending" || len(got.Items) != 1 {
			t.Fatalf("AddOrderNote = %+v, %v", got, err)
		}
		evs, _ := s.OrderEvents(ctx, []string{o.ID})
		if last := evs[o.ID][len(evs[o.ID])-1]; len(evs[o.ID]) != 2 || last.Status != "pending" || last.Message != n.Message || last.Note != n.Note || last.Actor != admin.UserID {
			t.Fatalf("events %+v", evs[o.ID])
		}
		n.OrderID = "00000000-0000-4000-8000-000000000000"
		if _, err := s.AddOrderNote(ctx, n); models.ErrorCode(err) != errcode.NotFound {
			t.Fatalf("a note on no order: %v", err)
		}
	})
}

// An order keeps at most models.MaxOrderEvents events, which the cost of
// a query that reads them counts on: an admin's note past it is refused,
// and nothing is written.
func TestOrderEventsAreBounded(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := MustProduct(t, s, 100, 5)
		o, err := s.CreateOrder(ctx, order(models.OrderLine{ProductID: p.ID, Quantity: 1}))
		if err != nil {
			t.Fatal(err)
		}
		n, _ := models.ParseOrderNote(o.ID, "", "again", admin)
		for i := 1; i < models.MaxOrderEvents; i++ { // the creation is the first
			if _, err := s.AddOrderNote(ctx, n); err != nil {
				t.Fatalf("note %d: %v", i, err)
			}
		}
		if _, err := s.AddOrderNote(ctx, n); models.ErrorCode(err) != errcode.BadUserInput {
			t.Fatalf("a note past %d events: %v", models.MaxOrderEvents, err)
		}
		evs, _ := s.OrderEvents(ctx, []string{o.ID})
		if len(evs[o.ID]) != models.MaxOrderEvents {
			t.Fatalf("%d events, want %d", len(evs[o.ID]), models.MaxOrderEvents)
		}
	})
}

// TestEventNotesSplitOnce: order_events from before messages had only a
// note, which customers read. When the message column arrives, what the
// service and the order's customer wrote becomes the message; what an
// admin wrote stays a note, which customers no longer read. Later starts
// leave events alone.
func TestEventNotesSplitOnce(t *testing.T) {
	t.Parallel()
	for name, o := range map[string]func(t *testing.T) store.Options{
		"PostgreSQL": func(t *testing.T) store.Options {
			return store.Options{DatabaseURL: testenv.MustPostgres(t), MaxOpenConns: 4, MaxIdleConns: 2}
		},
		"SQLite": func(t *testing.T) store.Options {
			return store.Options{SQLitePath: filepath.Join(t.TempDir(), "shop.db"), MaxOpenConns: 4, MaxIdleConns: 2}
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			opts := o(t)
			s, err := store.Open(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			p := MustProduct(t, s, 100, 5)
			ord, err := s.CreateOrder(ctx, order(models.OrderLine{ProductID: p.ID, Quantity: 1}))
			if err != nil {
				t.Fatal(err)
			}
			db, _ := s.DB()
			// The table as it was: no message column, every text a note.
			for _, q := range []string{
				"ALTER TABLE order_events DROP COLUMN message",
				"INSERT INTO order_events (order_id, status, note, actor, at) VALUES ('" + ord.ID + "', 'pending', 'Payment p failed: declined', 'system', CURRENT_TIMESTAMP)",
				"INSERT INTO order_events (order_id, status, note, actor, at) VALUES ('" + ord.ID + "', 'pending', 'rude on the phone', 'admin-1', CURRENT_TIMESTAMP)",
				"INSERT INTO order_events (order_id, status, note, actor, at) VALUES ('" + ord.ID + "', 'cancelled', 'changed my mind', 'customer-1', CURRENT_TIMESTAMP)",
			} {
				if _, err := db.ExecContext(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			_ = s.Close()
			want := "[pending/// pending/system/Payment p failed: declined/ pending/admin-1//rude on the phone cancelled/customer-1/changed my mind/]"
			for start := 1; start <= 2; start++ {
				s = storetest.MustOpen(t, opts)
				evs, err := s.OrderEvents(ctx, []string{ord.ID})
				if err != nil {
					t.Fatal(err)
				}
				var trail []string
				for _, e := range evs[ord.ID] {
					trail = append(trail, e.Status+"/"+e.Actor+"/"+e.Message+"/"+e.Note)
				}
				if fmt.Sprint(trail) != want {
					t.Fatalf("start %d: events %v\nwant %s", start, trail, want)
				}
				if start == 1 {
					// A note the service writes from now on stays a note.
					db, _ := s.DB()
					if _, err := db.ExecContext(ctx, "UPDATE order_events SET message = '', note = 'Payment p failed: declined' WHERE actor = 'system'"); err != nil {
						t.Fatal(err)
					}
					want = "[pending/// pending/system//Payment p failed: declined pending/admin-1//rude on the phone cancelled/customer-1/changed my mind/]"
					_ = s.Close()
				}
			}
		})
	}
}
