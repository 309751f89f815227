package cache_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"shop/cache"
	"shop/errcode"
	"shop/internal/storetest"
	"shop/internal/testenv"
	"shop/models"
	"shop/store"
)

// lostCommit is a store's sink whose writes commit but whose COMMIT's
// answer is lost, as when the database connection breaks at the COMMIT:
// the invalidator hears of the write with that error.
type lostCommit struct{ store.Sink }

var errLostCommit = errors.New("driver: bad connection (at the COMMIT)")

func (l lostCommit) Writing(evs []models.Event) func(context.Context, error) {
	done := l.Sink.Writing(evs)
	return func(ctx context.Context, err error) {
		if err != nil {
			panic("lostCommit: the test's writes must commit")
		}
		done(ctx, errLostCommit)
	}
}

// lostAnswerStore is a store whose orders commit and whose answer is then
// lost: the store can only say the database could not be reached.
type lostAnswerStore struct{ *store.Store }

func (s lostAnswerStore) CreateOrder(ctx context.Context, req models.OrderRequest) (*models.Order, error) {
	if _, err := s.Store.CreateOrder(ctx, req); err != nil {
		return nil, err
	}
	return nil, &models.Error{Code: errcode.ServiceUnavailable, Message: "The database cannot be reached; retry in a moment."}
}

// An order that failed with SERVICE_UNAVAILABLE may have been committed, so
// it is invalidated as after a success: the next read shows the stock the
// order took, not the cached stock from before. The store's sink hears of
// it after the COMMIT whatever the COMMIT answered. On both databases:
// PostgreSQL's orders take a path of their own (createOrderPG).
func TestUnavailableOrderInvalidates(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, b cache.Backend) {
		for _, db := range []struct {
			name string
			opts func(t *testing.T) store.Options
		}{
			{"SQLite", func(t *testing.T) store.Options { return store.Options{SQLitePath: dbPath(t)} }},
			{"PostgreSQL", func(t *testing.T) store.Options {
				return store.Options{DatabaseURL: testenv.MustPostgres(t), MaxOpenConns: 4, MaxIdleConns: 4}
			}},
		} {
			t.Run(db.name, func(t *testing.T) {
				ctx := context.Background()
				inv := cache.NewInvalidator(b, time.Minute, nil)
				o := db.opts(t)
				o.Sink = lostCommit{inv}
				st := lostAnswerStore{storetest.MustOpen(t, o)}
				c := cache.NewCatalog(st, inv)
				t.Cleanup(func() { _ = c.Close() })
				p, err := st.CreateProduct(ctx, models.NewProduct{Price: 500, StockCount: 4})
				if err != nil {
					t.Fatal(err)
				}
				if got, err := c.ProductByID(ctx, p.ID); err != nil || got.StockCount != 4 {
					t.Fatalf("before the order: %+v, %v", got, err)
				}
				if got, err := c.ProductByID(ctx, p.ID); err != nil || got.StockCount != 4 || c.Stats().Hits.Load() == 0 {
					t.Fatalf("before the order, cached: %+v, %v, %d hits", got, err, c.Stats().Hits.Load())
				}
				req, _ := models.ParseOrder("c", []models.OrderLine{{ProductID: p.ID, Quantity: 3}})
				if _, err := st.CreateOrder(ctx, req); models.ErrorCode(err) != errcode.ServiceUnavailable {
					t.Fatalf("order: %v; want %s", err, errcode.ServiceUnavailable)
				}
				if got, err := c.ProductByID(ctx, p.ID); err != nil || got.StockCount != 1 {
					t.Fatalf("after an order whose answer was lost: %+v, %v; want stock 1", got, err)
				}
			})
		}
	})
}
