package expiry_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"shop/errcode"
	"shop/expiry"
	"shop/internal/storetest"
	"shop/models"
	"shop/store"
)

// A pass cancels every due order, however many batches that takes, and
// leaves younger and paid orders alone.
func TestPassExpiresEveryDueOrder(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p, err := s.CreateProduct(ctx, models.NewProduct{Price: 100, StockCount: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for i := 0; i < 230; i++ {
			req, _ := models.ParseOrder("c", []models.OrderLine{{ProductID: p.ID, Quantity: 1}})
			o, err := s.CreateOrder(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, o.ID)
		}
		pay, _ := models.ParseStatusChange(ids[0], "paid", "", "", "", models.Caller{UserID: "a", Role: models.RoleAdmin})
		if _, err := s.ChangeOrderStatus(ctx, pay); err != nil {
			t.Fatal(err)
		}
		w := &expiry.Worker{Store: s, TTL: time.Hour, Every: time.Hour, Logger: slog.New(slog.DiscardHandler)}
		w.Pass(ctx) // nothing is an hour old yet
		if w.Expired() != 0 {
			t.Fatalf("expired %d young orders", w.Expired())
		}
		w.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
		w.Pass(ctx)
		if w.Expired() != 229 {
			t.Fatalf("expired %d, want the 229 unpaid", w.Expired())
		}
		if now, _ := s.ProductByID(ctx, p.ID); now.StockCount != 999 {
			t.Errorf("stock %d, want 999", now.StockCount)
		}
		evs, _ := s.OrderEvents(ctx, []string{ids[1]})
		last := evs[ids[1]][len(evs[ids[1]])-1]
		if last.Actor != models.ActorSystem || last.Message != models.ExpiryNote(time.Hour) {
			t.Errorf("expiry event %+v", last)
		}
		w.TTL = 0 // off: nothing more happens, keys are still purged
		w.Pass(ctx)
		if w.Expired() != 229 {
			t.Errorf("TTL 0 expired orders")
		}
	})
}

// A pass deletes the open carts unchanged for CART_TTL, however many
// batches that takes, and none younger.
func TestPassDeletesStaleCarts(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for i := 0; i < 130; i++ {
			if _, err := s.CreateCart(ctx, models.Cart{ID: models.NewCartID(), Status: models.CartOpen}); err != nil {
				t.Fatal(err)
			}
		}
		kept, err := s.CreateCart(ctx, models.Cart{ID: models.NewCartID(), Status: models.CartOpen})
		if err != nil {
			t.Fatal(err)
		}
		w := &expiry.Worker{Store: s, CartTTL: 24 * time.Hour, Every: time.Hour, Logger: slog.New(slog.DiscardHandler)}
		w.Pass(ctx)
		if _, err := s.CartByID(ctx, kept.ID); err != nil {
			t.Fatalf("a fresh cart went: %v", err)
		}
		w.Now = func() time.Time { return time.Now().Add(25 * time.Hour) }
		w.Pass(ctx)
		if n, err := s.DeleteStaleCarts(ctx, time.Now().Add(48*time.Hour), 1000); err != nil || n != 0 {
			t.Fatalf("%d carts left after the pass (%v), want 0", n, err)
		}
		if _, err := s.CartByID(ctx, kept.ID); models.ErrorCode(err) != errcode.CartNotFound {
			t.Fatalf("a stale cart stayed: %v", err)
		}
	})
}
