package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"shop/errcode"
	"shop/internal/storetest"
	"shop/internal/testenv"
	"shop/models"
	"shop/store"
)

func MustProduct(tb testing.TB, s *store.Store, price models.Money, stock int) *models.Product {
	tb.Helper()
	p, err := s.CreateProduct(context.Background(), models.NewProduct{Price: price, StockCount: stock})
	if err != nil {
		tb.Fatalf("create product: %v", err)
	}
	return p
}

func order(lines ...models.OrderLine) models.OrderRequest {
	req, err := models.ParseOrder("customer-1", lines)
	if err != nil {
		panic(err)
	}
	return req
}

func TestProductCRUD(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := MustProduct(t, s, 1999, 5)
		if p.CreatedAt.Location().String() != "UTC" || p.LastUpdated.IsZero() {
			t.Fatalf("timestamps not set in UTC: %+v", p)
		}
		got, err := s.ProductByID(ctx, p.ID)
		if err != nil || got.Price != 1999 || got.StockCount != 5 || !got.LastUpdated.Equal(p.LastUpdated) {
			t.Fatalf("ProductByID = %+v, %v; want %+v", got, err, p)
		}

		stock := 9
		up, err := s.UpdateProduct(ctx, p.ID, models.ProductPatch{StockCount: &stock})
		if err != nil || up.StockCount != 9 || up.Price != 1999 || up.LastUpdated.Before(p.LastUpdated) {
			t.Fatalf("UpdateProduct = %+v, %v", up, err)
		}
		if _, err := s.UpdateProduct(ctx, "00000000-0000-4000-8000-000000000000", models.ProductPatch{StockCount: &stock}); !models.IsNotFound(err) {
			t.Fatalf("update unknown: err = %v, want NOT_FOUND", err)
		}

		MustProduct(t, s, 5, 1)
		list, err := s.ListProducts(ctx, models.Page{Limit: 10}, models.ProductFilter{})
		if err != nil || len(list) != 2 || list[0].ID != p.ID {
			t.Fatalf("ListProducts = %+v, %v", list, err)
		}
		page, err := s.ListProducts(ctx, models.Page{Limit: 1, Offset: 1}, models.ProductFilter{})
		if err != nil || len(page) != 1 || page[0].ID == p.ID {
			t.Fatalf("second page = %+v, %v", page, err)
		}

		byIDs, err := s.ProductsByIDs(ctx, []string{p.ID, "00000000-0000-4000-8000-000000000000"})
		if err != nil || len(byIDs) != 1 || byIDs[p.ID] == nil {
			t.Fatalf("ProductsByIDs = %v, %v", byIDs, err)
		}

		deleted, err := s.DeleteProduct(ctx, p.ID)
		if err != nil || !deleted {
			t.Fatalf("delete = %v, %v", deleted, err)
		}
		deleted, err = s.DeleteProduct(ctx, p.ID)
		if err != nil || deleted {
			t.Fatalf("second delete = %v, %v; want false", deleted, err)
		}
		if _, err := s.ProductByID(ctx, p.ID); !models.IsNotFound(err) {
			t.Fatalf("deleted product: err = %v, want NOT_FOUND", err)
		}
	})
}

func TestCreateOrderExactTotals(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		dime, twenty := MustProduct(t, s, 10, 10), MustProduct(t, s, 20, 10)
		o, err := s.CreateOrder(ctx, order(models.OrderLine{ProductID: dime.ID, Quantity: 3}, models.OrderLine{ProductID: twenty.ID, Quantity: 1}))
		if err != nil {
			t.Fatal(err)
		}
		if o.TotalAmount != 50 || o.TotalAmount.Float64() != 0.50 || o.Status != "pending" || len(o.Items) != 2 {
			t.Fatalf("order = %+v", o)
		}
		a, b := MustProduct(t, s, 3999, 10), MustProduct(t, s, 1010, 10)
		o, err = s.CreateOrder(ctx, order(models.OrderLine{ProductID: a.ID, Quantity: 2}, models.OrderLine{ProductID: b.ID, Quantity: 1}))
		if err != nil || o.TotalAmount.Float64() != 90.08 {
			t.Fatalf("order = %+v, %v; want total 90.08", o, err)
		}
		got, err := s.OrderByID(ctx, o.ID)
		if err != nil || got.TotalAmount != 9008 || len(got.Items) != 2 || got.CustomerID != "customer-1" {
			t.Fatalf("OrderByID = %+v, %v", got, err)
		}
		if p, _ := s.ProductByID(ctx, a.ID); p.StockCount != 8 {
			t.Fatalf("stock after order = %d, want 8", p.StockCount)
		}
	})
}

func TestCreateOrderAllOrNothing(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		plenty, short := MustProduct(t, s, 100, 10), MustProduct(t, s, 100, 1)
		unknown := "ffffffff-ffff-4fff-bfff-ffffffffffff"

		_, err := s.CreateOrder(ctx, order(models.OrderLine{ProductID: plenty.ID, Quantity: 5}, models.OrderLine{ProductID: short.ID, Quantity: 2}))
		var me *models.Error
		if !errors.As(err, &me) || me.Code != errcode.InsufficientStock || me.Details["productId"] != short.ID ||
			me.Details["available"] != 1 || me.Details["requested"] != 2 {
			t.Fatalf("err = %#v, want INSUFFICIENT_STOCK naming %s with 1 available and 2 requested", err, short.ID)
		}
		_, err = s.CreateOrder(ctx, order(models.OrderLine{ProductID: plenty.ID, Quantity: 5}, models.OrderLine{ProductID: unknown, Quantity: 1}))
		if !models.IsNotFound(err) {
			t.Fatalf("err = %v, want NOT_FOUND", err)
		}
		for _, p := range []*models.Product{plenty, short} {
			got, _ := s.ProductByID(ctx, p.ID)
			if got.StockCount != p.StockCount {
				t.Fatalf("stock of %s changed to %d by failed orders", p.ID, got.StockCount)
			}
		}
		if os, err := s.ListOrders(ctx, models.Page{Limit: 10}, models.OrderFilter{}); err != nil || len(os) != 0 {
			t.Fatalf("orders after failures = %d, %v; want none", len(os), err)
		}
	})
}

func TestDeletedProductKeepsOrderHistory(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := MustProduct(t, s, 1234, 3)
		o, err := s.CreateOrder(ctx, order(models.OrderLine{ProductID: p.ID, Quantity: 2}))
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := s.DeleteProduct(ctx, p.ID); err != nil || !ok {
			t.Fatalf("delete = %v, %v", ok, err)
		}
		got, err := s.OrderByID(ctx, o.ID)
		if err != nil || len(got.Items) != 1 || got.Items[0].ProductID != p.ID || got.Items[0].PriceAtPurchase != 1234 {
			t.Fatalf("order after delete = %+v, %v", got, err)
		}
	})
}

func TestListOrdersNewestFirstWithItems(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := MustProduct(t, s, 100, 100)
		var ids []string
		for i := 0; i < 3; i++ {
			o, err := s.CreateOrder(ctx, order(models.OrderLine{ProductID: p.ID, Quantity: i + 1}))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, o.ID)
		}
		os, err := s.ListOrders(ctx, models.Page{Limit: 2}, models.OrderFilter{})
		if err != nil || len(os) != 2 {
			t.Fatalf("ListOrders = %d, %v", len(os), err)
		}
		if os[0].ID != ids[2] || os[1].ID != ids[1] || len(os[0].Items) != 1 || os[0].Items[0].Quantity != 3 {
			t.Fatalf("orders not newest first with items: %+v", os)
		}
		if _, err := s.OrderByID(ctx, "00000000-0000-4000-8000-000000000000"); !models.IsNotFound(err) {
			t.Fatalf("unknown order: err = %v", err)
		}
		// Filtered by customer, as a customer's getOrders is.
		req, _ := models.ParseOrder("customer-2", []models.OrderLine{{ProductID: p.ID, Quantity: 1}})
		theirs, err := s.CreateOrder(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		os, err = s.ListOrders(ctx, models.Page{Limit: 10}, models.OrderFilter{CustomerID: "customer-2"})
		if err != nil || len(os) != 1 || os[0].ID != theirs.ID {
			t.Fatalf("customer-2's orders = %+v, %v", os, err)
		}
		os, err = s.ListOrders(ctx, models.Page{Limit: 10, Offset: 1}, models.OrderFilter{CustomerID: "customer-1", Status: models.OrderStatusPending})
		if err != nil || len(os) != 2 || os[0].ID != ids[1] {
			t.Fatalf("customer-1's orders from the second = %+v, %v", os, err)
		}
	})
}

// TestHammerStock releases many one-unit orders at once against a product
// with less stock: exactly the stock is sold, never more.
func TestHammerStock(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		const stock, buyers = 25, 100
		ctx := context.Background()
		p := MustProduct(t, s, 999, stock)
		other := MustProduct(t, s, 1, 1_000_000)
		start := make(chan struct{})
		var sold, short atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, buyers)
		for i := 0; i < buyers; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				// Half the orders also take another product, in both
				// orders of listing, to exercise lock ordering.
				lines := []models.OrderLine{{ProductID: p.ID, Quantity: 1}}
				if i%2 == 0 {
					lines = append([]models.OrderLine{{ProductID: other.ID, Quantity: 1}}, lines...)
				} else if i%3 == 0 {
					lines = append(lines, models.OrderLine{ProductID: other.ID, Quantity: 1})
				}
				_, err := s.CreateOrder(ctx, order(lines...))
				switch models.ErrorCode(err) {
				case "":
					sold.Add(1)
				case errcode.InsufficientStock:
					short.Add(1)
				default:
					errs <- fmt.Errorf("order %d: %w", i, err)
				}
			}(i)
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if sold.Load() != stock || short.Load() != buyers-stock {
			t.Fatalf("sold %d, refused %d; want %d and %d", sold.Load(), short.Load(), stock, buyers-stock)
		}
		got, err := s.ProductByID(ctx, p.ID)
		if err != nil || got.StockCount != 0 {
			t.Fatalf("stock = %+v, %v; want 0", got, err)
		}
		os, err := s.ListOrders(ctx, models.Page{Limit: 1000}, models.OrderFilter{})
		if err != nil || len(os) != stock {
			t.Fatalf("orders = %d, %v; want %d", len(os), err, stock)
		}
		o, _ := s.ProductByID(ctx, other.ID)
		var otherSold int
		for _, ord := range os {
			for _, it := range ord.Items {
				if it.ProductID == other.ID {
					otherSold += it.Quantity
				}
			}
		}
		if o.StockCount != 1_000_000-otherSold {
			t.Fatalf("other product stock %d, but orders hold %d of it", o.StockCount, otherSold)
		}
	})
}

func TestCancelledContext(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := s.ListProducts(ctx, models.Page{Limit: 1}, models.ProductFilter{})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}

// Instances started at the same moment on an empty database all come up:
// one migrates while the others wait for it, then find nothing to do.
func TestConcurrentMigrations(t *testing.T) {
	t.Parallel()
	url := testenv.MustPostgres(t)
	for round := 0; round < 3; round++ {
		start := make(chan struct{})
		errs := make(chan error, 3)
		var wg sync.WaitGroup
		for i := 0; i < 3; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				s, err := store.Open(context.Background(), store.Options{DatabaseURL: url, MaxOpenConns: 2, MaxIdleConns: 1})
				if err == nil {
					err = s.Close()
				}
				errs <- err
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if round == 0 {
			continue
		}
		// Later rounds start from an empty database again.
		url = testenv.MustPostgres(t)
	}
}

// The largest legal page: 1,000 orders of 100 lines each name 100,000
// products, more than either database takes as parameters in one statement.
func TestLargestOrderPage(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		const orders, lines = 1000, 100
		ids, err := s.SeedForTest(ctx, orders, lines)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.ListOrders(ctx, models.Page{Limit: orders}, models.OrderFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != orders {
			t.Fatalf("%d orders, want %d", len(got), orders)
		}
		var want []string
		for _, o := range got {
			if len(o.Items) != lines {
				t.Fatalf("order %s has %d items, want %d", o.ID, len(o.Items), lines)
			}
			for _, it := range o.Items {
				want = append(want, it.ProductID)
			}
		}
		found, err := s.ProductsByIDs(ctx, want)
		if err != nil {
			t.Fatal(err)
		}
		if len(found) != len(ids) {
			t.Fatalf("found %d of %d products", len(found), len(ids))
		}
	})
}

// The embedded database holds password hashes and orders: a new one, and
// its folder and journal, are the service's user's alone.
func TestSQLiteFilesArePrivate(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	path := filepath.Join(dir, "shop.db")
	s := storetest.MustOpen(t, store.Options{SQLitePath: path, MaxOpenConns: 2, MaxIdleConns: 1})
	MustProduct(t, s, 100, 1) // a write, so the journal exists
	for name, want := range map[string]os.FileMode{dir: 0o700, path: 0o600, path + "-wal": 0o600} {
		info, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s: mode %o, want %o", name, got, want)
		}
	}
}

// Orders rewrite their products' stock; the products table keeps room on
// each page so those updates stay in place (HOT) instead of adding an
// entry to every index. Opening again leaves the setting alone.
func TestProductsLeaveRoomForStockUpdates(t *testing.T) {
	t.Parallel()
	url := testenv.MustPostgres(t)
	// The first start sets 80; an operator's 70 then stands.
	for i, want := range []string{"fillfactor=80", "fillfactor=70"} {
		s, err := store.Open(context.Background(), store.Options{DatabaseURL: url, MaxOpenConns: 2, MaxIdleConns: 1})
		if err != nil {
			t.Fatal(err)
		}
		db, err := s.DB()
		if err != nil {
			t.Fatal(err)
		}
		var opts string
		if err := db.QueryRow("SELECT coalesce(array_to_string(reloptions, ','), '') FROM pg_class WHERE oid = 'products'::regclass").Scan(&opts); err != nil {
			t.Fatal(err)
		}
		if opts != want {
			t.Fatalf("start %d: products reloptions = %q, want %s", i+1, opts, want)
		}
		// Variants, whose stock every order rewrites too.
		if err := db.QueryRow("SELECT coalesce(array_to_string(reloptions, ','), '') FROM pg_class WHERE oid = 'product_variants'::regclass").Scan(&opts); err != nil {
			t.Fatal(err)
		}
		if opts != "fillfactor=80" {
			t.Fatalf("start %d: product_variants reloptions = %q, want fillfactor=80", i+1, opts)
		}
		if i == 0 {
			if _, err := db.Exec("ALTER TABLE products SET (fillfactor = 70)"); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
