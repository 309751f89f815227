package store

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"shop/internal/testenv"
	"shop/models"
)

// bothBackends runs test on a fresh PostgreSQL database and SQLite file,
// each with a pool of conns connections.
func bothBackends(t *testing.T, conns int, test func(t *testing.T, s *Store)) {
	for _, kind := range []string{"PostgreSQL", "SQLite"} {
		t.Run(kind, func(t *testing.T) {
			var o Options
			if kind == "PostgreSQL" {
				o = Options{DatabaseURL: testenv.MustPostgres(t), MaxOpenConns: conns, MaxIdleConns: conns}
			} else {
				o = Options{SQLitePath: filepath.Join(t.TempDir(), "shop.db"), MaxOpenConns: conns, MaxIdleConns: conns}
			}
			s, err := Open(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			test(t, s)
		})
	}
}

// oldRead is how the store read products before scanProducts: GORM's Find.
func oldRead(q *gorm.DB) ([]scored, error) {
	var rows []scored
	err := q.Find(&rows).Error
	return rows, err
}

func describeTimes(ps []scored) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "%s created=%v(%s) updated=%v(%s) imgs=%#v\n", p.ID[:8], p.CreatedAt, p.CreatedAt.Location(), p.LastUpdated, p.LastUpdated.Location(), p.ImageURLs)
	}
	return b.String()
}

// Every product read gives what GORM's Find gave: the same values, the same
// time Locations, the same nil/empty lists.
func TestScanProductsMatchesFind(t *testing.T) {
	bothBackends(t, 4, func(t *testing.T, s *Store) {
		ctx := context.Background()
		long := strings.Repeat("mug words ", 10_000)
		cat, err := s.CreateCategory(ctx, models.NewCategory{Name: "Mugs", Slug: "mugs"})
		if err != nil {
			t.Fatal(err)
		}
		now := s.db.NowFunc()
		images := []string{"[]", `["https://a.example/x.png","https://b.example/y.png"]`, "null", ""}
		for i, img := range images {
			sku := any(nil)
			if i%2 == 0 {
				sku = fmt.Sprintf("MUG-%d", i)
			}
			catID := any(nil)
			switch i {
			case 1:
				catID = cat.ID
			case 2:
				catID = "00000000-0000-0000-0000-00000000dead" // a deleted category
			}
			desc := ""
			if i == 3 {
				desc = long
			}
			id := fmt.Sprintf("0000000%d-0000-0000-0000-000000000000", i)
			if err := s.db.Exec(`INSERT INTO products (product_id, price_cents, stock_count, created_at, last_updated, name, description, sku, image_urls, active, category_id)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, 100+i, i, now.Add(time.Duration(i)*time.Second), now, "mug "+fmt.Sprint(i), desc, sku, img, i != 3, catID).Error; err != nil {
				t.Fatal(err)
			}
		}
		compare := func(name string, q func() *gorm.DB, withScore bool) {
			t.Helper()
			old, oerr := oldRead(q())
			neu, nerr := scanProducts(q(), withScore)
			if (oerr != nil) != (nerr != nil) {
				t.Errorf("%s: errors differ: old %v, new %v", name, oerr, nerr)
				return
			}
			if !withScore {
				for i := range old {
					old[i].Score = 0
				}
			}
			if !reflect.DeepEqual(old, neu) {
				t.Errorf("%s: rows differ\nold:\n%snew:\n%s", name, describeTimes(old), describeTimes(neu))
			}
		}
		all := models.ProductFilter{IncludeInactive: true}
		compare("list", func() *gorm.DB {
			return s.products(ctx, all).Table("products").Order(productOrder)
		}, false)
		// The RELEVANCE query, built as searchPage builds it.
		words := []string{"mug"}
		match := strings.Join(words, " ")
		fts := `"` + strings.Join(words, `" "`) + `"`
		compare("relevance", func() *gorm.DB {
			q := s.products(ctx, all)
			if s.dialect.serverSide() {
				q = q.Where("search @@ plainto_tsquery('english', ?)", match).
					Select(productColumns+", -ts_rank(search, plainto_tsquery('english', ?))::float8 AS score", match)
			} else {
				q = q.Where("products.rowid IN (SELECT rowid FROM products_fts WHERE products_fts MATCH ?)", fts).
					Select(productColumns+", f.score AS score").
					Joins("JOIN ("+sqliteRank+") AS f ON f.frow = products.rowid", `{description} : ("`+strings.Join(words, `" OR "`)+`")`, fts)
			}
			return s.db.WithContext(ctx).Table("(?) AS t", q.Table("products")).Order("score ASC, product_id ASC")
		}, true)

		// Cursors of every sort, taken before and after, still page the same.
		for _, sort := range []models.ProductSort{"", models.SortNewest, models.SortRelevance, models.SortName, models.SortPriceAsc} {
			f := models.ProductFilter{IncludeInactive: true, Sort: sort}
			if sort == models.SortRelevance {
				f.Words = words
			}
			var seen []string
			c := models.Connection{First: 1}
			for i := 0; i < 10; i++ {
				pg, err := s.searchPage(ctx, c, f)
				if err != nil {
					t.Fatalf("sort %q: %v", sort, err)
				}
				if len(pg.Products) == 0 {
					break
				}
				seen = append(seen, pg.Products[0].ID)
				var cur models.Cursor
				if pg.Cursors != nil {
					cc, err := models.ParseConnection(&c.First, &pg.Cursors[0])
					if err != nil {
						t.Fatal(err)
					}
					cur = *cc.After
				} else {
					cur = models.ProductCursor(pg.Products[0])
				}
				c.After = &cur
				if !pg.HasNext {
					break
				}
			}
			if len(seen) != len(images) {
				t.Errorf("sort %q: paged %d products, want %d: %v", sort, len(seen), len(images), seen)
			}
		}
	})
}

// An order's lines read with the page are what Preload read.
func TestScanOrdersMatchesPreload(t *testing.T) {
	bothBackends(t, 4, func(t *testing.T, s *Store) {
		ctx := context.Background()
		now := s.db.NowFunc()
		// An order with no items, one with items written out of position
		// order, one with duplicate positions (ties).
		orders := []struct {
			id    string
			items [][2]int // position, quantity
		}{
			{"a0000000-0000-0000-0000-000000000000", nil},
			{"b0000000-0000-0000-0000-000000000000", [][2]int{{2, 1}, {0, 2}, {1, 3}}},
			{"c0000000-0000-0000-0000-000000000000", [][2]int{{0, 1}, {0, 2}, {0, 3}}},
		}
		for i, o := range orders {
			if err := s.db.Exec(`INSERT INTO orders (order_id, customer_id, total_amount_cents, status, created_at, last_updated, tracking_number, carrier) VALUES (?, ?, ?, ?, ?, ?, '', '')`,
				o.id, "customer-1", 100, models.OrderStatusPending, now.Add(time.Duration(i)*time.Second), now).Error; err != nil {
				t.Fatal(err)
			}
			for j, it := range o.items {
				if err := s.db.Exec(`INSERT INTO order_items (id, order_id, product_id, quantity, price_at_purchase_cents, position) VALUES (?, ?, ?, ?, ?, ?)`,
					fmt.Sprintf("%s-%d", o.id[:8], j), o.id, "p", it[1], 10, it[0]).Error; err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, f := range []models.OrderFilter{{}, {CustomerID: "customer-1"}, {Status: models.OrderStatusPending}, {Query: "b0000000-0000-0000-0000-000000000000"}, {Status: "shipped"}} {
			q, err := s.filterOrders(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var old []models.Order
			if err := q.Order(orderOrder).Preload("Items", itemsInOrder).Find(&old).Error; err != nil {
				t.Fatal(err)
			}
			q, _ = s.filterOrders(ctx, f)
			neu, err := s.scanOrders(ctx, q.Table("orders").Order(orderOrder), true, true)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(old, neu) {
				for i := range old {
					if i < len(neu) && !reflect.DeepEqual(old[i], neu[i]) {
						t.Errorf("filter %+v: order %s differs:\nold %#v\nnew %#v", f, old[i].ID[:8], old[i], neu[i])
					}
				}
				if len(old) != len(neu) {
					t.Errorf("filter %+v: %d orders, want %d", f, len(neu), len(old))
				}
				if len(old) == 0 && len(neu) == 0 {
					t.Errorf("filter %+v: no orders: new nil=%v, old nil=%v", f, neu == nil, old == nil)
				}
			}
		}
		// The page and the single order agree on an order without lines.
		one, err := s.OrderByID(ctx, orders[0].id)
		if err != nil {
			t.Fatal(err)
		}
		list, err := s.ListOrders(ctx, models.Page{Limit: 10}, models.OrderFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range list {
			if o.ID == one.ID && (o.Items == nil) != (one.Items == nil) {
				t.Errorf("order without lines: ListOrders Items nil=%v, OrderByID Items nil=%v", o.Items == nil, one.Items == nil)
			}
		}
	})
}

// Order searches by email (few and many customers) read what Find read, and
// a one-connection pool neither deadlocks nor leaks.
func TestOrderSearchOnOneConnection(t *testing.T) {
	bothBackends(t, 1, func(t *testing.T, s *Store) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		now := s.db.NowFunc()
		for i := 0; i < 120; i++ {
			uid := fmt.Sprintf("u%03d", i)
			if err := s.db.Exec(`INSERT INTO users (user_id, email, name, role, password_hash, created_at) VALUES (?, ?, 'n', 'customer', 'x', ?)`,
				uid, fmt.Sprintf("c%03d@shop.example", i), now).Error; err != nil {
				t.Fatal(err)
			}
			for j := 0; j < 3; j++ {
				oid := fmt.Sprintf("%08d-0000-0000-0000-%012d", i, j)
				if err := s.db.Exec(`INSERT INTO orders (order_id, customer_id, total_amount_cents, status, created_at, last_updated, tracking_number, carrier) VALUES (?, ?, 1, 'pending', ?, ?, '', '')`,
					oid, uid, now.Add(time.Duration(i*3+j)*time.Millisecond), now).Error; err != nil {
					t.Fatal(err)
				}
				for k := 2; k >= 0; k-- {
					if err := s.db.Exec(`INSERT INTO order_items (id, order_id, product_id, quantity, price_at_purchase_cents, position) VALUES (?, ?, 'p', 1, 1, ?)`,
						fmt.Sprintf("i%03d-%d-%d", i, j, k), oid, k).Error; err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		for _, f := range []models.OrderFilter{{Query: "c007@"}, {Query: "shop.example"}, {Query: "shop.example", Status: "pending"}, {Query: "c00", CustomerID: "u003"}} {
			q, err := s.filterOrders(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var old []models.Order
			if err := q.Order(orderOrder).Limit(50).Preload("Items", itemsInOrder).Find(&old).Error; err != nil {
				t.Fatal(err)
			}
			q, _ = s.filterOrders(ctx, f)
			neu, err := s.scanOrders(ctx, q.Table("orders").Order(orderOrder).Limit(50), true, true)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(old, neu) {
				t.Errorf("filter %+v: %d orders vs %d, differ", f, len(neu), len(old))
			}
			// Paging with the cursor of every page reaches every order.
			var n int
			c := models.Connection{First: 7}
			for {
				pg, err := s.OrdersPage(ctx, c, f)
				if err != nil {
					t.Fatal(err)
				}
				n += len(pg.Orders)
				for _, o := range pg.Orders {
					if len(o.Items) != 3 || o.Items[0].Position != 0 || o.Items[2].Position != 2 {
						t.Fatalf("order %s items %+v", o.ID, o.Items)
					}
				}
				if !pg.HasNext {
					break
				}
				cur := models.OrderCursor(pg.Orders[len(pg.Orders)-1])
				enc := cur.Encode()
				cc, err := models.ParseConnection(&c.First, &enc)
				if err != nil {
					t.Fatal(err)
				}
				c.After = cc.After
			}
			var want int64
			q, _ = s.filterOrders(ctx, f)
			q.Model(&models.Order{}).Count(&want)
			if int64(n) != want {
				t.Errorf("filter %+v: paged %d orders, want %d", f, n, want)
			}
		}
		// Every read gave its one connection back (cancelled reads:
		// TestScanCancelledAndManyOrders, at each statement).
		sqlDB, _ := s.db.DB()
		if st := sqlDB.Stats(); st.InUse != 0 {
			t.Errorf("connections in use after the reads: %d", st.InUse)
		}
	})
}

// A read cancelled just after its statement ran (orders, then items, then
// products) fails, and gives its connection back; more orders than
// maxParams get every item.
func TestScanCancelledAndManyOrders(t *testing.T) {
	bothBackends(t, 4, func(t *testing.T, s *Store) {
		ctx := context.Background()
		n := maxParams + 5
		gen := `WITH RECURSIVE g(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM g WHERE i < ?) `
		if s.dialect.serverSide() {
			gen = `WITH g(i) AS (SELECT generate_series(0, ?::int)) `
		}
		now := s.db.NowFunc()
		if err := s.db.Exec(gen+`INSERT INTO orders (order_id, customer_id, total_amount_cents, status, created_at, last_updated, tracking_number, carrier)
			SELECT 'o' || i, 'c', 1, 'pending', ?, ?, '', '' FROM g`, n-1, now, now).Error; err != nil {
			t.Fatal(err)
		}
		if err := s.db.Exec(gen+`INSERT INTO order_items (id, order_id, product_id, quantity, price_at_purchase_cents, position)
			SELECT 'i' || i || '-' || k, 'o' || i, 'p', 1, 1, k FROM g, (SELECT 0 AS k UNION ALL SELECT 1) AS ks`, n-1).Error; err != nil {
			t.Fatal(err)
		}
		os, err := s.scanOrders(ctx, s.db.WithContext(ctx).Table("orders").Order(orderOrder), true, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(os) != n {
			t.Fatalf("%d orders, want %d", len(os), n)
		}
		for _, o := range os {
			if len(o.Items) != 2 || o.Items[0].Position != 0 || o.Items[1].Position != 1 {
				t.Fatalf("order %s: items %+v", o.ID, o.Items)
			}
		}

		// Cancel right after the k-th statement of a read has run.
		var k, seen int
		var cancel context.CancelFunc
		if err := s.db.Callback().Row().After("gorm:row").Register("test:cancel", func(db *gorm.DB) {
			seen++
			if seen == k && cancel != nil {
				cancel()
			}
		}); err != nil {
			t.Fatal(err)
		}
		defer s.db.Callback().Row().Remove("test:cancel")
		sqlDB, _ := s.db.DB()
		for k = 1; k <= 2; k++ {
			var cctx context.Context
			cctx, cancel = context.WithCancel(ctx)
			seen = 0
			got, err := s.ListOrders(cctx, models.Page{Limit: 1000}, models.OrderFilter{})
			cancel()
			if err == nil {
				// Read before the cancellation took: then it must be whole.
				t.Logf("orders cancelled after statement %d: no error", k)
				for _, o := range got {
					if len(o.Items) != 2 {
						t.Errorf("orders cancelled after statement %d: no error, but order %s has %d items", k, o.ID, len(o.Items))
						break
					}
				}
			}
			if st := sqlDB.Stats(); st.InUse != 0 {
				t.Errorf("orders cancelled after statement %d: %d connections in use", k, st.InUse)
			}
		}
		k = 1
		var cctx context.Context
		cctx, cancel = context.WithCancel(ctx)
		seen = 0
		if _, err := s.ListProducts(cctx, models.Page{Limit: 1000}, models.ProductFilter{}); err == nil {
			t.Log("products cancelled after its statement: no error (no rows)")
		}
		cancel()
		if st := sqlDB.Stats(); st.InUse != 0 {
			t.Errorf("products cancelled: %d connections in use", st.InUse)
		}
		if _, err := s.ListOrders(ctx, models.Page{Limit: 1000}, models.OrderFilter{}); err != nil {
			t.Errorf("after cancelled reads: %v", err)
		}
	})
}
