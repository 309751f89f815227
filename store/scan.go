package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"gorm.io/gorm"

	"shop/models"
)

// scanProducts runs q, which selects productColumns (and, when withScore,
// a score after them), and reads its rows with a plain Scan. GORM's
// reflective scan was three fifths of a page's cost in the store (a deep
// page of 50 at a random cursor, make bench scenario 3), and every page,
// search and batch of products reads these same columns. The columns are
// read by position, in productColumns' order; TestScanProductsMatchesFind
// compares every field with what GORM's Find reads.
func scanProducts(q *gorm.DB, withScore bool) ([]scored, error) {
	rows, err := q.Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []scored
	var (
		r            scored
		price, stock int64
		sku, cat     sql.NullString
	)
	dest := []any{&r.ID, &price, &stock, timeCol{&r.CreatedAt}, timeCol{&r.LastUpdated}, &r.Name, &r.Description, &sku, &r.ImageURLs, &r.Active, &cat, &r.Options}
	if withScore {
		dest = append(dest, &r.Score)
	}
	for rows.Next() {
		r = scored{}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		r.Price, r.StockCount = models.Money(price), int(stock)
		if sku.Valid {
			v := sku.String
			r.SKU = &v
		}
		if cat.Valid {
			v := cat.String
			r.CategoryID = &v
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// productsOf is scanProducts' rows as products.
func productsOf(rows []scored, err error) ([]models.Product, error) {
	if err != nil {
		return nil, err
	}
	ps := make([]models.Product, len(rows))
	for i := range rows {
		ps[i] = rows[i].Product
	}
	return ps, nil
}

// timeCol reads a timestamp column. Both drivers give a time, kept as it is
// (SQLite's for a declared datetime column, through a subquery too); text,
// which only a column with no declared type would give, is parsed with
// dbTime's layouts as UTC.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(v any) error {
	if t, ok := v.(time.Time); ok {
		*c.t = t
		return nil
	}
	var d dbTime
	if err := d.Scan(v); err != nil {
		return err
	}
	if !d.Valid {
		return fmt.Errorf("read a time from NULL")
	}
	*c.t = d.Time
	return nil
}

// orderColumns are an order's columns in the order scanOrders reads them.
const orderColumns = "order_id, customer_id, total_amount_cents, status, created_at, last_updated, tracking_number, carrier, checkout"

// scanOrders runs q, which selects orderColumns, and reads its rows with a
// plain Scan, then, with items, their items (withItems): a page of orders
// is what an admin's list and a customer's poll read, and GORM's
// reflective scan and Preload were most of the store's share of it.
func (s *Store) scanOrders(ctx context.Context, q *gorm.DB, items, variants bool) ([]models.Order, error) {
	rows, err := q.Select(orderColumns).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []models.Order{} // empty, not nil, when none match, as GORM's Find gave
	var total int64
	for rows.Next() {
		var o models.Order
		var checkout *string
		if err := rows.Scan(&o.ID, &o.CustomerID, &total, &o.Status, timeCol{&o.CreatedAt}, timeCol{&o.LastUpdated}, &o.TrackingNumber, &o.Carrier, &checkout); err != nil {
			return nil, err
		}
		if o.Checkout, err = models.ParseCheckoutSnapshot(checkout); err != nil {
			return nil, fmt.Errorf("order %s: %w", o.ID, err)
		}
		o.TotalAmount = models.Money(total)
		if items {
			// An empty list, not nil, for an order with no lines, as
			// GORM's Preload gave.
			o.Items = []models.OrderItem{}
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if !items {
		return out, nil
	}
	return out, s.withItems(ctx, out, variants)
}

// withItems reads the items of orders, in their order, into them, with
// the variants they bought when variants is set.
func (s *Store) withItems(ctx context.Context, orders []models.Order, variants bool) error {
	if len(orders) == 0 {
		return nil
	}
	at := make(map[string]int, len(orders))
	ids := make([]string, len(orders))
	for i, o := range orders {
		at[o.ID], ids[i] = i, o.ID
	}
	for start := 0; start < len(ids); start += maxParams {
		batch := ids[start:min(start+maxParams, len(ids))]
		columns := "id, order_id, product_id, quantity, price_at_purchase_cents, position"
		if variants {
			columns += ", variant_id, sku, title, options"
		}
		rows, err := s.db.WithContext(ctx).Table("order_items").Select(columns).
			Where("order_id IN ?", batch).Order("order_id, position").Rows()
		if err != nil {
			return err
		}
		var it models.OrderItem
		var qty, price, pos int64
		var sku sql.NullString
		dest := []any{&it.ID, &it.OrderID, &it.ProductID, &qty, &price, &pos}
		if variants {
			dest = append(dest, &it.VariantID, &sku, &it.Title, &it.Options)
		}
		for rows.Next() {
			it, sku = models.OrderItem{}, sql.NullString{}
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return err
			}
			it.Quantity, it.PriceAtPurchase, it.Position = int(qty), models.Money(price), int(pos)
			if sku.Valid {
				v := sku.String
				it.SKU = &v
			}
			if i, ok := at[it.OrderID]; ok {
				orders[i].Items = append(orders[i].Items, it)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
