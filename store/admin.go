package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"shop/models"
)

// saleDay is the UTC day an order was created on, as "2006-01-02", in each
// database's SQL. PostgreSQL keeps created_at as timestamptz, so the day is
// taken in UTC whatever the session's time zone. SQLite keeps it as the
// text the driver writes ("2026-11-25 06:05:33.123456+00:00"), which
// strftime reads, offset included, and turns to UTC.
func (s *Store) saleDay() string {
	return s.dialect.saleDay()
}

// salesByDay groups the sales created in r by day, in SQL: only the days
// with sales come back. The status index (status, created_at) serves it.
func (s *Store) salesByDay(ctx context.Context, r models.SalesRange) ([]models.SalesDay, error) {
	var rows []struct {
		SaleDay string
		Orders  int
		Revenue int64
	}
	err := s.db.WithContext(ctx).Raw(`SELECT `+s.saleDay()+` AS sale_day, count(*) AS orders, coalesce(sum(total_amount_cents), 0) AS revenue
		FROM orders WHERE status IN ? AND created_at >= ? AND created_at < ?
		GROUP BY 1 ORDER BY 1`, models.SaleStatuses, r.Start, r.End()).Scan(&rows).Error
	if err != nil {
		return nil, mapError(err, "report sales")
	}
	out := make([]models.SalesDay, len(rows))
	for i, row := range rows {
		out[i] = models.SalesDay{Date: row.SaleDay, Orders: row.Orders, Revenue: models.Money(row.Revenue)}
	}
	return out, nil
}

// SalesReport is every day of r, those without sales as zeros.
func (s *Store) SalesReport(ctx context.Context, r models.SalesRange) ([]models.SalesDay, error) {
	found, err := s.salesByDay(ctx, r)
	if err != nil {
		return nil, err
	}
	return models.FillSalesDays(r, found), nil
}

// Overview counts in one statement, served by the orders' status index;
// the products' counts scan the products (an index on stock_count would
// be written by every order, for a count the dashboard reads now and then).
func (s *Store) Overview(ctx context.Context, threshold int, now time.Time) (models.Overview, error) {
	var c struct {
		ToShip, Awaiting, Low, OutOfStock, LowVariants int
	}
	err := s.db.WithContext(ctx).Raw(`SELECT
		(SELECT count(*) FROM orders WHERE status = ?) AS to_ship,
		(SELECT count(*) FROM orders WHERE status = ?) AS awaiting,
		(SELECT count(*) FROM products WHERE stock_count > 0 AND stock_count <= ?) AS low,
		(SELECT count(*) FROM products WHERE stock_count = 0) AS out_of_stock,
		(SELECT count(*) FROM product_variants WHERE stock_count > 0 AND stock_count <= ?) AS low_variants`,
		models.OrderStatusPaid, models.OrderStatusPending, threshold, threshold).Scan(&c).Error
	if err != nil {
		return models.Overview{}, mapError(err, "count the overview")
	}
	today, err := s.SalesReport(ctx, models.SalesDays(now, 1))
	if err != nil {
		return models.Overview{}, err
	}
	return models.Overview{
		OrdersToShip: c.ToShip, OrdersAwaitingPayment: c.Awaiting,
		LowStockProducts: c.Low, OutOfStockProducts: c.OutOfStock, LowStockVariants: c.LowVariants,
		LowStockThreshold: threshold, Today: today[0],
	}, nil
}

// CustomersPage reads a page of customer accounts newest first, by keyset
// on (created_at, user_id) along idx_users_role_created_id, and then their
// orders' counts and sums for that page only, grouped in SQL along the
// orders' customer index.
func (s *Store) CustomersPage(ctx context.Context, cs models.CustomerSearch) (models.CustomerPage, error) {
	q := s.db.WithContext(ctx).Model(&models.User{}).Select("user_id, email, name, role, created_at").
		Where("role = ?", models.RoleCustomer)
	if cs.Query != "" {
		like := likePattern(cs.Query)
		q = q.Where(`(email LIKE ? ESCAPE '\' OR lower(name) LIKE ? ESCAPE '\')`, like, like)
	}
	if cs.After != nil {
		q = q.Where("(created_at, user_id) < (?, ?)", cs.After.CreatedAt, cs.After.ID)
	}
	var users []models.User
	if err := q.Order("created_at DESC, user_id DESC").Limit(cs.First + 1).Find(&users).Error; err != nil {
		return models.CustomerPage{}, mapError(err, "page customers")
	}
	users, more := trimPage(users, cs.First)
	out := models.CustomerPage{Customers: make([]models.Customer, len(users)), HasNext: more}
	if len(users) == 0 {
		return out, nil
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
		out.Customers[i].User = u
	}
	var sums []struct {
		CustomerID  string
		OrderCount  int
		TotalSpent  int64
		LastOrderAt dbTime
	}
	err := s.db.WithContext(ctx).Raw(`SELECT customer_id, count(*) AS order_count,
		coalesce(sum(CASE WHEN status IN ? THEN total_amount_cents ELSE 0 END), 0) AS total_spent,
		max(created_at) AS last_order_at
		FROM orders WHERE customer_id IN ? GROUP BY customer_id`, models.SaleStatuses, ids).Scan(&sums).Error
	if err != nil {
		return models.CustomerPage{}, mapError(err, "sum customers' orders")
	}
	byID := make(map[string]int, len(ids))
	for i, id := range ids {
		byID[id] = i
	}
	for _, sum := range sums {
		c := &out.Customers[byID[sum.CustomerID]]
		c.OrderCount, c.TotalSpent = sum.OrderCount, models.Money(sum.TotalSpent)
		if sum.LastOrderAt.Valid {
			t := sum.LastOrderAt.Time
			c.LastOrderAt = &t
		}
	}
	return out, nil
}

// likePattern matches s anywhere in a text, with LIKE's wildcards in s
// escaped (by '\', which the statements name as their ESCAPE).
func likePattern(s string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}

// fewCustomers is how many customers an order search's email may match for
// their orders to be read through the orders-by-customer index and sorted.
// A search that matches more (a mail domain) walks the orders newest first
// instead, and stops at the page's end.
const fewCustomers = 100

// orderSearch is an order search resolved against the customers: the ids
// of the few whose email matches, or many.
type orderSearch struct {
	query     string
	customers []string
	many      bool
}

// resolveOrderSearch finds the customers whose email contains query
// (emails are stored lower-case, and query is lower-cased by
// ParseOrderFilter). With one statement for both halves of the search,
// the planner had one plan for every search: walking every order newest
// first and testing each (33 ms at 50,000 orders for a search that found
// two) or, written the other way, reading every order of every match and
// sorting them (57 ms when the search was a mail domain).
func (s *Store) resolveOrderSearch(ctx context.Context, query string) (orderSearch, error) {
	os := orderSearch{query: query}
	err := s.db.WithContext(ctx).Model(&models.User{}).Where(`email LIKE ? ESCAPE '\'`, likePattern(query)).
		Limit(fewCustomers+1).Pluck("user_id", &os.customers).Error
	if err != nil {
		return os, mapError(err, "search orders by customer")
	}
	if len(os.customers) > fewCustomers {
		os.customers, os.many = nil, true
	}
	// Padded (with the last id again) to 8, 16, 32, 64 or 128 ids, so the
	// statement has five texts, not one per count, in pgx's statement cache.
	if n := len(os.customers); n > 0 {
		size := 8
		for size < n {
			size *= 2
		}
		for len(os.customers) < size {
			os.customers = append(os.customers, os.customers[n-1])
		}
	}
	return os, nil
}

// where narrows q to the orders whose id is the query or whose customer's
// email contains it.
func (os orderSearch) where(q *gorm.DB) *gorm.DB {
	if os.many {
		return q.Where(`(order_id = ? OR customer_id IN (SELECT user_id FROM users WHERE email LIKE ? ESCAPE '\'))`, os.query, likePattern(os.query))
	}
	if len(os.customers) == 0 {
		return q.Where("order_id = ?", os.query)
	}
	return q.Where("(order_id = ? OR customer_id IN ?)", os.query, os.customers)
}

// dbTime reads a timestamp computed by SQL (max(created_at)): PostgreSQL
// gives a time, SQLite the text the driver wrote, which no declared column
// type tells the driver to parse.
type dbTime struct {
	Time  time.Time
	Valid bool
}

// sqliteTimeLayouts are how the SQLite driver writes times (its first
// layout), and the same without an offset.
var sqliteTimeLayouts = []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999"}

func (t *dbTime) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*t = dbTime{}
		return nil
	case time.Time:
		*t = dbTime{Time: v.UTC(), Valid: true}
		return nil
	case []byte:
		return t.Scan(string(v))
	case string:
		for _, layout := range sqliteTimeLayouts {
			if p, err := time.ParseInLocation(layout, v, time.UTC); err == nil {
				*t = dbTime{Time: p.UTC(), Valid: true}
				return nil
			}
		}
		return fmt.Errorf("read a time from %q", v)
	}
	return fmt.Errorf("read a time from %T", v)
}

// Value makes dbTime a type GORM scans into (it reads only types that
// are both Scanner and Valuer as columns).
func (t dbTime) Value() (driver.Value, error) {
	if !t.Valid {
		return nil, nil
	}
	return t.Time, nil
}
