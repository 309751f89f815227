package cache_test

import (
	"context"
	"testing"
	"time"

	"shop/cache"
	"shop/errcode"
	"shop/models"
)

// lostAnswerStore is a real store whose orders commit and whose answer is
// then lost, as when the database connection breaks at the COMMIT: the
// store can only say the database could not be reached.
type lostAnswerStore struct{ cache.Store }

func (s lostAnswerStore) CreateOrder(ctx context.Context, req models.OrderRequest) (*models.Order, error) {
	if _, err := s.Store.CreateOrder(ctx, req); err != nil {
		return nil, err
	}
	return nil, &models.Error{Code: errcode.ServiceUnavailable, Message: "The database cannot be reached; retry in a moment."}
}

// An order that failed with SERVICE_UNAVAILABLE may have been committed, so
// the catalog invalidates as it does after a success: the next read shows
// the stock the order took, not the cached stock from before.
func TestUnavailableOrderInvalidates(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, b cache.Backend) {
		ctx := context.Background()
		c := cache.NewCatalog(lostAnswerStore{MustStore(t)}, b, time.Minute, nil)
		p, err := c.CreateProduct(ctx, models.NewProduct{Price: 500, StockCount: 4})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := c.ProductByID(ctx, p.ID); err != nil || got.StockCount != 4 {
			t.Fatalf("before the order: %+v, %v", got, err)
		}
		req, _ := models.ParseOrder("c", []models.OrderLine{{ProductID: p.ID, Quantity: 3}})
		if _, err := c.CreateOrder(ctx, req); models.ErrorCode(err) != errcode.ServiceUnavailable {
			t.Fatalf("order: %v; want %s", err, errcode.ServiceUnavailable)
		}
		if got, err := c.ProductByID(ctx, p.ID); err != nil || got.StockCount != 1 {
			t.Fatalf("after an order whose answer was lost: %+v, %v; want stock 1", got, err)
		}
	})
}
