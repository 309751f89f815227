package store_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"

	"shop/internal/storetest"
	"shop/models"
	"shop/store"
)

// MustOrderFor places an order of qty units of product p for customer and
// moves it along the lifecycle to each of path in turn.
func MustOrderFor(tb testing.TB, s *store.Store, customer string, p *models.Product, qty int, path ...string) *models.Order {
	tb.Helper()
	ctx := context.Background()
	req, err := models.ParseOrder(customer, []models.OrderLine{{ProductID: p.ID, Quantity: qty}})
	if err != nil {
		tb.Fatal(err)
	}
	o, err := s.CreateOrder(ctx, req)
	if err != nil {
		tb.Fatalf("create order: %v", err)
	}
	for _, to := range path {
		if o, err = s.ChangeOrderStatus(ctx, models.StatusChange{OrderID: o.ID, To: to, Actor: models.ActorSystem}); err != nil {
			tb.Fatalf("%s: %v", to, err)
		}
	}
	return o
}

// MustBackdate sets when an order was created, in SQL, as a past day's
// order would have it.
func MustBackdate(tb testing.TB, s *store.Store, orderID string, at time.Time) {
	tb.Helper()
	db, err := s.DB()
	if err != nil {
		tb.Fatal(err)
	}
	stmt := "UPDATE orders SET created_at = ? WHERE order_id = ?"
	if s.Kind() == "PostgreSQL" {
		stmt = "UPDATE orders SET created_at = $1 WHERE order_id = $2"
	}
	res, err := db.Exec(stmt, at.UTC(), orderID)
	if n, _ := res.RowsAffected(); err != nil || n != 1 {
		tb.Fatalf("backdate %s: %v (%d rows)", orderID, err, n)
	}
}

func MustUser(tb testing.TB, s *store.Store, email, name string, role models.Role, created time.Time) models.User {
	tb.Helper()
	u := models.User{ID: uuid.NewString(), Email: email, Name: name, Role: role, PasswordHash: "x", CreatedAt: created.UTC()}
	if err := s.CreateUser(context.Background(), &u); err != nil {
		tb.Fatal(err)
	}
	return u
}

func TestSalesReportByUTCDay(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		p := MustProduct(t, s, 1250, 1000) // 12.50
		now := time.Date(2030, 6, 15, 10, 0, 0, 0, time.UTC)
		day := func(d int, h, m int) time.Time { return time.Date(2030, 6, d, h, m, 0, 0, time.UTC) }
		// Each sale status counts; pending and cancelled do not.
		for _, o := range []struct {
			at   time.Time
			qty  int
			path []string
		}{
			{day(15, 0, 0), 1, []string{"paid"}},                           // today's first instant
			{day(15, 9, 59), 2, []string{"paid", "shipped"}},               // today
			{day(13, 23, 59), 3, []string{"paid", "shipped", "delivered"}}, // the 13th, at its end
			{day(13, 12, 0), 4, nil},                                       // pending: not a sale
			{day(13, 12, 0), 5, []string{"cancelled"}},                     // cancelled: not a sale
			{day(13, 12, 30), 6, []string{"paid", "cancelled"}},            // paid, then refunded and cancelled
			{day(11, 23, 59), 7, []string{"paid"}},                         // before the 3 days
			{day(16, 0, 0), 8, []string{"paid"}},                           // after today (a clock ahead)
		} {
			MustBackdate(t, s, MustOrderFor(t, s, "c1", p, o.qty, o.path...).ID, o.at)
		}
		// 00:30 on the 14th at UTC+2 is still the 13th in UTC.
		MustBackdate(t, s, MustOrderFor(t, s, "c2", p, 10, "paid").ID, time.Date(2030, 6, 14, 0, 30, 0, 0, time.FixedZone("CEST", 2*3600)))

		got, err := s.SalesReport(ctx, models.SalesDays(now, 3))
		if err != nil {
			t.Fatal(err)
		}
		want := []models.SalesDay{
			{Date: "2030-06-13", Orders: 2, Revenue: 13 * 1250},
			{Date: "2030-06-14", Orders: 0, Revenue: 0}, // a day without sales is there
			{Date: "2030-06-15", Orders: 2, Revenue: 3 * 1250},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("report\n got %+v\nwant %+v", got, want)
		}
		// 366 days, every one present, the sales on theirs.
		year, err := s.SalesReport(ctx, models.SalesDays(now, 366))
		if err != nil || len(year) != 366 || year[0].Date != "2029-06-15" || year[365] != want[2] {
			t.Fatalf("a year: %d days, %+v … %+v, %v", len(year), year[0], year[len(year)-1], err)
		}
		total := 0
		for _, d := range year {
			total += d.Orders
		}
		if total != 5 {
			t.Fatalf("%d sales in the year, want 5", total)
		}

		// The overview's today is the same day.
		ov, err := s.Overview(ctx, 5, now)
		if err != nil {
			t.Fatal(err)
		}
		if ov.Today != want[2] {
			t.Fatalf("today %+v, want %+v", ov.Today, want[2])
		}
	})
}

func TestOverviewCounts(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		for _, stock := range []int{0, 0, 1, 5, 6, 100} {
			MustProduct(t, s, 100, stock)
		}
		// An inactive product with little stock is low too: the admin
		// restocks it before putting it back on sale.
		inactive := MustProduct(t, s, 100, 3)
		patch, err := models.ParseProductPatch(inactive.ID, nil, nil, models.ProductDetails{Active: ptr(false)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateProduct(ctx, inactive.ID, patch); err != nil {
			t.Fatal(err)
		}
		p := MustProduct(t, s, 100, 1000)
		now := time.Date(2030, 6, 15, 12, 0, 0, 0, time.UTC)
		for _, path := range [][]string{nil, nil, {"paid"}, {"paid", "shipped"}, {"cancelled"}} {
			MustBackdate(t, s, MustOrderFor(t, s, "c1", p, 1, path...).ID, now.Add(-time.Hour))
		}
		ov, err := s.Overview(ctx, 5, now)
		if err != nil {
			t.Fatal(err)
		}
		want := models.Overview{OrdersToShip: 1, OrdersAwaitingPayment: 2, LowStockProducts: 3, OutOfStockProducts: 2, LowStockVariants: 3, LowStockThreshold: 5,
			Today: models.SalesDay{Date: "2030-06-15", Orders: 2, Revenue: 200}}
		if ov != want {
			t.Fatalf("overview\n got %+v\nwant %+v", ov, want)
		}
		// The threshold moves the line between low and plenty; 0 counts
		// no product as low.
		if ov, _ := s.Overview(ctx, 6, now); ov.LowStockProducts != 4 || ov.OutOfStockProducts != 2 {
			t.Fatalf("threshold 6: %+v", ov)
		}
		if ov, _ := s.Overview(ctx, 0, now); ov.LowStockProducts != 0 || ov.LowStockThreshold != 0 {
			t.Fatalf("threshold 0: %+v", ov)
		}
	})
}

func TestCustomersPage(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		type made struct {
			id      string
			created time.Time
		}
		var users []made
		// 13 customers, some created at the same instant (ties broken by
		// id), and an admin, who is no customer.
		for i := 0; i < 13; i++ {
			at := base.Add(time.Duration(i/3) * time.Minute)
			u := MustUser(t, s, fmt.Sprintf("cust%02d@shop.test", i), fmt.Sprintf("Customer %02d", i), models.RoleCustomer, at)
			users = append(users, made{u.ID, at})
		}
		MustUser(t, s, "boss@shop.test", "Boss", models.RoleAdmin, base.Add(time.Hour))
		// Newest first: by created_at, then by id, both descending.
		sort.Slice(users, func(i, j int) bool {
			if !users[i].created.Equal(users[j].created) {
				return users[i].created.After(users[j].created)
			}
			return users[i].id > users[j].id
		})
		var want []string
		for _, u := range users {
			want = append(want, u.id)
		}
		var seen []string
		var after *models.Cursor
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("paging does not end")
			}
			pg, err := s.CustomersPage(ctx, models.CustomerSearch{Connection: models.Connection{First: 4, After: after}})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range pg.Customers {
				seen = append(seen, c.User.ID)
				if c.User.Role != models.RoleCustomer || c.User.PasswordHash != "" {
					t.Fatalf("customer %+v", c.User)
				}
			}
			if !pg.HasNext {
				break
			}
			cur := models.CustomerCursor(pg.Customers[len(pg.Customers)-1])
			after = &cur
		}
		if fmt.Sprint(seen) != fmt.Sprint(want) {
			t.Fatalf("paged\n got %v\nwant %v", seen, want)
		}
	})
}

func TestCustomersWithTheirOrders(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		ann := MustUser(t, s, "ann.lee@example.com", "Ann Lee", models.RoleCustomer, base)
		bob := MustUser(t, s, "bob@shop.test", "Bob O'Brien", models.RoleCustomer, base.Add(time.Minute))
		MustUser(t, s, "odd_100%@shop.test", "Zed", models.RoleCustomer, base.Add(2*time.Minute))
		p := MustProduct(t, s, 999, 1000) // 9.99
		MustOrderFor(t, s, ann.ID, p, 1, "paid")
		MustOrderFor(t, s, ann.ID, p, 2, "paid", "shipped", "delivered")
		MustOrderFor(t, s, ann.ID, p, 4)              // pending: counted, not spent
		MustOrderFor(t, s, ann.ID, p, 8, "cancelled") // cancelled: counted, not spent
		last := MustOrderFor(t, s, ann.ID, p, 1, "paid", "shipped")
		MustBackdate(t, s, last.ID, base.Add(48*time.Hour))

		pg, err := s.CustomersPage(ctx, models.CustomerSearch{Connection: models.Connection{First: 10}})
		if err != nil || len(pg.Customers) != 3 || pg.HasNext {
			t.Fatalf("%+v, %v", pg, err)
		}
		byEmail := map[string]models.Customer{}
		for _, c := range pg.Customers {
			byEmail[c.User.Email] = c
		}
		a := byEmail[ann.Email]
		if a.OrderCount != 5 || a.TotalSpent != 4*999 || a.LastOrderAt == nil || !a.LastOrderAt.Equal(base.Add(48*time.Hour)) {
			t.Fatalf("ann: %+v (last %v)", a, a.LastOrderAt)
		}
		if b := byEmail[bob.Email]; b.OrderCount != 0 || b.TotalSpent != 0 || b.LastOrderAt != nil {
			t.Fatalf("bob: %+v", b)
		}

		search := func(q string) []string {
			t.Helper()
			pg, err := s.CustomersPage(ctx, models.CustomerSearch{Connection: models.Connection{First: 10}, Query: q})
			if err != nil {
				t.Fatalf("%q: %v", q, err)
			}
			var emails []string
			for _, c := range pg.Customers {
				emails = append(emails, c.User.Email)
			}
			return emails
		}
		for q, want := range map[string]string{
			"ann.lee":   "[ann.lee@example.com]",
			"lee":       "[ann.lee@example.com]", // the name, whatever its case
			"o'brien":   "[bob@shop.test]",
			"shop.test": "[odd_100%@shop.test bob@shop.test]",
			"_":         "[odd_100%@shop.test]", // LIKE's wildcards are literal
			"100%":      "[odd_100%@shop.test]",
			"%":         "[odd_100%@shop.test]",
			"boss":      "[]",
			"nobody":    "[]",
		} {
			if got := fmt.Sprint(search(q)); got != want {
				t.Errorf("%q: %s, want %s", q, got, want)
			}
		}
	})
}

func TestOrdersQuery(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ann := MustUser(t, s, "ann@example.com", "Ann", models.RoleCustomer, time.Now())
		bob := MustUser(t, s, "bob@example.org", "Bob", models.RoleCustomer, time.Now())
		p := MustProduct(t, s, 100, 1000)
		a1 := MustOrderFor(t, s, ann.ID, p, 1)
		a2 := MustOrderFor(t, s, ann.ID, p, 1, "paid")
		b1 := MustOrderFor(t, s, bob.ID, p, 1, "paid")
		walkIn := MustOrderFor(t, s, "walk-in", p, 1)
		var crowd []models.User
		for i := 0; i < 105; i++ {
			crowd = append(crowd, MustUser(t, s, fmt.Sprintf("crowd%d@many.test", i), "Crowd", models.RoleCustomer, time.Now()))
		}
		many1 := MustOrderFor(t, s, crowd[3].ID, p, 1)
		many2 := MustOrderFor(t, s, crowd[104].ID, p, 1, "paid")
		ids := func(f models.OrderFilter) string {
			t.Helper()
			pg, err := s.OrdersPage(ctx, models.Connection{First: 10}, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, o := range pg.Orders {
				out = append(out, o.ID)
			}
			list, err := s.ListOrders(ctx, models.Page{Limit: 10}, f)
			if err != nil || len(list) != len(out) {
				t.Fatalf("ListOrders disagrees: %d, %v", len(list), err)
			}
			return fmt.Sprint(out)
		}
		for _, tt := range []struct {
			name string
			f    models.OrderFilter
			want []string
		}{
			{"by id", models.OrderFilter{Query: a1.ID}, []string{a1.ID}},
			{"by another id", models.OrderFilter{Query: walkIn.ID}, []string{walkIn.ID}},
			{"a part of an id is no match", models.OrderFilter{Query: a1.ID[:8]}, nil},
			{"by email", models.OrderFilter{Query: "ann@example.com"}, []string{a2.ID, a1.ID}},
			{"by a part of the email", models.OrderFilter{Query: "example"}, []string{b1.ID, a2.ID, a1.ID}},
			{"with the status", models.OrderFilter{Query: "example", Status: "paid"}, []string{b1.ID, a2.ID}},
			{"within a customer", models.OrderFilter{Query: "example", CustomerID: ann.ID}, []string{a2.ID, a1.ID}},
			{"another's id within a customer", models.OrderFilter{Query: b1.ID, CustomerID: ann.ID}, nil},
			{"wildcards are literal", models.OrderFilter{Query: "%"}, nil},
			{"nothing", models.OrderFilter{Query: "nobody"}, nil},
			// More matching customers than the store reads by id: the
			// search is answered by the other plan, with the same result.
			{"many customers match", models.OrderFilter{Query: "many.test"}, []string{many2.ID, many1.ID}},
			{"many customers match, with the status", models.OrderFilter{Query: "many.test", Status: "paid"}, []string{many2.ID}},
		} {
			want := fmt.Sprint(tt.want)
			if tt.want == nil {
				want = "[]"
			}
			if got := ids(tt.f); got != want {
				t.Errorf("%s: %s, want %s", tt.name, got, want)
			}
		}
	})
}

func TestMaxStock(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		var byStock = map[int]string{}
		for _, stock := range []int{0, 1, 2, 5, 6, 50} {
			byStock[stock] = MustProduct(t, s, models.Money(1000-stock), stock).ID
		}
		page := func(search models.ProductSearch) []string {
			t.Helper()
			f, err := models.ParseProductSearch(search, models.ProductFilter{})
			if err != nil {
				t.Fatal(err)
			}
			pg, err := s.ProductsPage(ctx, models.Connection{First: 10}, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, p := range pg.Products {
				out = append(out, p.ID)
			}
			return out
		}
		ids := func(stocks ...int) string {
			var out []string
			for _, s := range stocks {
				out = append(out, byStock[s])
			}
			return fmt.Sprint(out)
		}
		n := func(v int) *int { return &v }
		yes := true
		srt := "PRICE_ASC"
		for _, tt := range []struct {
			name   string
			search models.ProductSearch
			want   string
		}{
			{"out of stock", models.ProductSearch{MaxStock: n(0)}, ids(0)},
			{"at most 5", models.ProductSearch{MaxStock: n(5)}, ids(0, 1, 2, 5)},
			{"low: in stock and at most 5", models.ProductSearch{MaxStock: n(5), InStock: &yes}, ids(1, 2, 5)},
			{"sorted by price", models.ProductSearch{MaxStock: n(5), InStock: &yes, Sort: &srt}, ids(5, 2, 1)},
			{"with a price filter", models.ProductSearch{MaxStock: n(5), MaxPrice: ptr(9.98)}, ids(2, 5)},
		} {
			if got := fmt.Sprint(page(tt.search)); got != tt.want {
				t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
			}
		}
	})
}
