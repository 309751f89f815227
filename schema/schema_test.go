package schema_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/graphql-go/graphql"

	"shop/auth"
	"shop/cache"
	"shop/catalog"
	"shop/models"
	"shop/ordering"
	"shop/reports"
	"shop/resolvers"
	"shop/schema"
	"shop/store"
)

// MustSchema is the schema over services whose every port is s; status
// changes go to s directly, with no payments service.
func MustSchema(tb testing.TB, reads shopReads, writes shopWrites) (graphql.Schema, *resolvers.Resolver) {
	tb.Helper()
	r := resolvers.New(resolvers.Services{
		Catalog:  catalog.New(reads, writes, 1000),
		Ordering: ordering.New(ordering.Options{Reader: reads, Writer: writes, Status: writes, MaxPageSize: 1000}),
		Reports:  reports.New(reads),
	}, nil)
	sch, err := schema.New(r, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return sch, r
}

// shopReads and shopWrites are the services' ports: reads through the
// cache, writes to the store, as app wires them.
type shopReads interface {
	catalog.Reader
	ordering.Reader
	reports.Store
}

type shopWrites interface {
	catalog.Writer
	ordering.Writer
	ordering.StatusChanger
}

// do runs query as an admin, who may read every order.
func do(sch graphql.Schema, r *resolvers.Resolver, query string) *graphql.Result {
	ctx := auth.WithCaller(context.Background(), models.Caller{UserID: "00000000-0000-4000-8000-0000000000ad", Role: models.RoleAdmin})
	return graphql.Do(graphql.Params{Schema: sch, RequestString: query, Context: r.WithLoaders(ctx)})
}

// TestOrderPageStatementsDoNotGrow: a page of orders with items and their
// products costs the same number of SQL statements for 2 orders as for 40.
func TestOrderPageStatementsDoNotGrow(t *testing.T) {
	t.Parallel()
	st, err := store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(t.TempDir(), "s.db"), MaxOpenConns: 4, MaxIdleConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Through the cache too, as in production, but with a cold cache for
	// each measurement (a fresh in-process backend).
	ctx := context.Background()
	var ids []string
	for i := 0; i < 40; i++ {
		p, err := st.CreateProduct(ctx, models.NewProduct{Price: models.Money(100 + i), StockCount: 100})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	for i := 0; i < 40; i++ {
		req, err := models.ParseOrder("c", []models.OrderLine{{ProductID: ids[i], Quantity: 1}, {ProductID: ids[(i+1)%40], Quantity: 2}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateOrder(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	cost := func(limit int) (uint64, int) {
		sch, r := MustSchema(t, cache.NewCatalog(st, cache.NewInvalidator(cache.NewMemory(1000, 1<<20, time.Minute), time.Minute, nil)), st)
		before := st.Statements()
		res := do(sch, r, fmt.Sprintf(`{ getOrders(limit: %d) { orderId items { productId product { productId price } } } }`, limit))
		if res.HasErrors() {
			t.Fatalf("errors: %v", res.Errors)
		}
		b, _ := json.Marshal(res.Data)
		var out struct {
			GetOrders []struct {
				Items []struct{ Product *struct{ ProductID string } }
			}
		}
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		for _, o := range out.GetOrders {
			for _, it := range o.Items {
				if it.Product == nil {
					t.Fatalf("an item's product did not resolve: %s", b)
				}
			}
		}
		return st.Statements() - before, len(out.GetOrders)
	}
	small, n1 := cost(2)
	large, n2 := cost(40)
	if n1 != 2 || n2 != 40 {
		t.Fatalf("pages of %d and %d orders", n1, n2)
	}
	if small != large || large > 3 {
		t.Fatalf("2 orders cost %d statements, 40 cost %d; want the same, at most 3 (orders, items, products)", small, large)
	}
}

// panicStore panics in the ways a bug could: with a non-error value in a
// resolver, and in the batch lookup of the items' products.
type panicStore struct {
	shopReads
	shopWrites
}

func (panicStore) ListProducts(context.Context, models.Page, models.ProductFilter) ([]models.Product, error) {
	panic("boom: secret detail")
}

func (panicStore) ListOrders(context.Context, models.Page, models.OrderFilter) ([]models.Order, error) {
	return []models.Order{{ID: "o1", Items: []models.OrderItem{{ID: "i1", ProductID: "p1", Quantity: 1}}}}, nil
}

func (panicStore) ProductsByIDs(context.Context, []string) (map[string]*models.Product, error) {
	panic(fmt.Errorf("batch boom: secret detail"))
}

func TestPanicsBecomeGenericInternalErrors(t *testing.T) {
	t.Parallel()
	sch, r := MustSchema(t, panicStore{}, panicStore{})
	for _, q := range []string{
		`{ getProducts { productId } }`,
		`{ getOrders { orderId items { product { productId } } } }`,
	} {
		res := do(sch, r, q)
		if len(res.Errors) != 1 {
			t.Fatalf("%s: errors = %v", q, res.Errors)
		}
		e := res.Errors[0]
		if e.Extensions["code"] != "INTERNAL_SERVER_ERROR" || strings.Contains(e.Message, "secret") || strings.Contains(e.Message, "boom") {
			t.Fatalf("%s: error = %+v", q, e)
		}
		if len(e.Path) == 0 || len(e.Locations) == 0 {
			t.Fatalf("%s: error has no path or location: %+v", q, e)
		}
	}
}
