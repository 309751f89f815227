package store

import (
	"context"
	"fmt"

	"shop/models"
)

// SeedForTest writes orders of lines items each, every item a product of
// its own, in three statements and without taking stock: for tests of the
// largest pages, which would take minutes through CreateOrder (or through
// GORM's row-by-row inserts under the race detector). Ids are valid UUIDs
// numbered from 0; every order is pending, customer "seed", at one time.
// It returns the products' ids.
func (s *Store) SeedForTest(ctx context.Context, orders, lines int) ([]string, error) {
	n := orders * lines
	pad := s.dialect.pad12("g")
	id := func(prefix string, g string) string {
		return "'" + prefix + "-0000-4000-8000-' || " + g
	}
	series := func(count int) string {
		return fmt.Sprintf("WITH RECURSIVE s(g) AS (SELECT 0 UNION ALL SELECT g + 1 FROM s WHERE g < %d) ", count-1)
	}
	now := s.db.NowFunc()
	db := s.db.WithContext(ctx)
	steps := []struct {
		what, sql string
		args      []any
	}{
		{"products", series(n) + `INSERT INTO products (product_id, price_cents, stock_count, created_at, last_updated, name, variant_skus)
			SELECT ` + id("10000000", pad) + `, 100, 1, ?, ?, 'Product 10000000', '' FROM s`, []any{now, now}},
		// Each its default variant, as every product has (searches by
		// price read the variants).
		{"variants", series(n) + `INSERT INTO product_variants (variant_id, product_id, position, title, price_cents, stock_count, options, option_key, created_at, last_updated)
			SELECT ` + id("10000000", pad) + `, ` + id("10000000", pad) + `, 0, ?, 100, 1, '[]', '', ?, ? FROM s`, []any{models.DefaultVariantTitle, now, now}},
		{"orders", series(orders) + `INSERT INTO orders (order_id, customer_id, total_amount_cents, status, created_at, last_updated)
			SELECT ` + id("00000000", pad) + `, 'seed', ?, 'pending', ?, ? FROM s`, []any{100 * lines, now, now}},
		{"items", series(n) + `INSERT INTO order_items (id, order_id, product_id, quantity, price_at_purchase_cents, position)
			SELECT ` + id("20000000", pad) + `, ` + id("00000000", "o") + `, ` + id("10000000", pad) + `, 1, 100, g % ` + fmt.Sprint(lines) + `
			FROM (SELECT g, ` + s.dialect.pad12(fmt.Sprintf("g / %d", lines)) + ` AS o FROM s) AS t`, nil},
	}
	for _, st := range steps {
		if err := db.Exec(st.sql, st.args...).Error; err != nil {
			return nil, fmt.Errorf("seed %s: %w", st.what, err)
		}
	}
	ids := make([]string, n)
	for g := range ids {
		ids[g] = fmt.Sprintf("10000000-0000-4000-8000-%012d", g)
	}
	return ids, nil
}
