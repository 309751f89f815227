package store

import (
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"shop/models"
)

// variantColumns are a variant's columns, in scan order.
const variantColumns = "variant_id, product_id, position, sku, title, price_cents, compare_at_price_cents, stock_count, options, option_key, image_url, weight_grams, created_at, last_updated"

// lockStock reads products with all their variants, locking the products'
// rows in id order for the rest of the transaction: the products named,
// and those of the variants named. Every write of a variant takes its
// product's lock first, so a product's row guards its variants and the
// totals kept on it (models.ProductTotals). Missing products and variants
// are absent from the result (on SQLite the transaction already holds the
// database's write lock).
func (s *Store) lockStock(tx *gorm.DB, productIDs, variantIDs []string) (map[string]models.ProductStock, error) {
	out := make(map[string]models.ProductStock, len(productIDs))
	if len(variantIDs) > 0 {
		var owners []string
		for start := 0; start < len(variantIDs); start += maxParams {
			batch := variantIDs[start:min(start+maxParams, len(variantIDs))]
			var ids []string
			if err := tx.Raw("SELECT DISTINCT product_id FROM product_variants WHERE variant_id IN ?", batch).Scan(&ids).Error; err != nil {
				return nil, fmt.Errorf("find the variants' products: %w", err)
			}
			owners = append(owners, ids...)
		}
		productIDs = dedupe(append(append([]string(nil), productIDs...), owners...))
	}
	for start := 0; start < len(productIDs); start += maxParams {
		batch := productIDs[start:min(start+maxParams, len(productIDs))]
		sql := "SELECT " + productColumns + " FROM products WHERE product_id IN ? ORDER BY product_id" + s.dialect.lockRows(false)
		ps, err := productsOf(scanProducts(tx.Raw(sql, batch), false))
		if err != nil {
			return nil, fmt.Errorf("lock products: %w", err)
		}
		for _, p := range ps {
			out[p.ID] = models.ProductStock{Product: p}
		}
	}
	if len(out) == 0 {
		return out, nil
	}
	ids := make([]string, 0, len(out))
	for id := range out {
		ids = append(ids, id)
	}
	vs, err := variantsOf(tx, ids)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		ps := out[v.ProductID]
		ps.Variants = append(ps.Variants, v)
		out[v.ProductID] = ps
	}
	return out, nil
}

// lockOne is lockStock of one product (by its id, or by one of its
// variants'), NOT_FOUND when there is none.
func (s *Store) lockOne(tx *gorm.DB, productID, variantID string) (models.ProductStock, error) {
	var pids, vids []string
	if productID != "" {
		pids = []string{productID}
	}
	if variantID != "" {
		vids = []string{variantID}
	}
	stock, err := s.lockStock(tx, pids, vids)
	if err != nil {
		return models.ProductStock{}, err
	}
	if productID != "" {
		ps, ok := stock[productID]
		if !ok {
			return models.ProductStock{}, models.ProductNotFound(productID)
		}
		return ps, nil
	}
	for _, ps := range stock {
		return ps, nil
	}
	return models.ProductStock{}, models.VariantNotFound(variantID, "")
}

// variantsOf reads the variants of products, by product and position.
func variantsOf(db *gorm.DB, productIDs []string) ([]models.ProductVariant, error) {
	var out []models.ProductVariant
	for start := 0; start < len(productIDs); start += maxParams {
		batch := productIDs[start:min(start+maxParams, len(productIDs))]
		var vs []models.ProductVariant
		if err := db.Raw("SELECT "+variantColumns+" FROM product_variants WHERE product_id IN ? ORDER BY product_id, position, variant_id", batch).
			Scan(&vs).Error; err != nil {
			return nil, fmt.Errorf("read variants: %w", err)
		}
		out = append(out, vs...)
	}
	return out, nil
}

// stockStatements write a stock change: each variant's new stock, then
// its product's totals (price, stock, SKU), every row already locked.
// pgArray binds the ids as one array (pgx) rather than a list GORM
// expands.
func stockStatements(ch models.StockChange, now time.Time, pgArray bool) []stmt {
	in := " IN ?"
	if pgArray {
		in = " = ANY(?)"
	}
	var out []stmt
	for start := 0; start < len(ch.Variants); start += maxParams / 2 {
		batch := ch.Variants[start:min(start+maxParams/2, len(ch.Variants))]
		var b strings.Builder
		args := make([]any, 0, 2*len(batch)+2)
		ids := make([]string, len(batch))
		b.WriteString("UPDATE product_variants SET stock_count = CASE variant_id")
		for i, v := range batch {
			b.WriteString(" WHEN ? THEN CAST(? AS BIGINT)")
			args = append(args, v.ID, v.StockCount)
			ids[i] = v.ID
		}
		b.WriteString(" END, last_updated = ? WHERE variant_id" + in)
		args = append(args, now, ids)
		out = append(out, stmt{b.String(), args})
	}
	out = append(out, totalsStatements(ch.Products, now, pgArray)...)
	if pgArray && len(out) == 2 {
		// One statement on PostgreSQL, where the order's batch counts
		// them: the variants' update as a WITH clause of the products'.
		out = []stmt{{"WITH sv AS (" + out[0].sql + ") " + out[1].sql, append(out[0].args, out[1].args...)}}
	}
	return out
}

// totalsStatements write products' stock and price totals
// (models.ProductTotals, already applied to them) after a change of stock,
// which never changes a SKU. The SKU is left out on purpose: PostgreSQL
// recomputes the stored search column whenever a column it is made from
// is set, even to the value it had, and that was to_tsvector over the
// name and description on every order (a fifth of an order's backend
// CPU, measured). Writes that can change the SKU (editVariants,
// UpdateProduct) write it themselves.
func totalsStatements(products []models.Product, now time.Time, pgArray bool) []stmt {
	in := " IN ?"
	if pgArray {
		in = " = ANY(?)"
	}
	var out []stmt
	for start := 0; start < len(products); start += maxParams / 4 {
		batch := products[start:min(start+maxParams/4, len(products))]
		var stock, price strings.Builder
		var sa, pa []any
		ids := make([]string, len(batch))
		for i, p := range batch {
			stock.WriteString(" WHEN ? THEN CAST(? AS BIGINT)")
			sa = append(sa, p.ID, p.StockCount)
			price.WriteString(" WHEN ? THEN CAST(? AS BIGINT)")
			pa = append(pa, p.ID, int64(p.Price))
			ids[i] = p.ID
		}
		args := append(append(sa, pa...), now, ids)
		out = append(out, stmt{"UPDATE products SET stock_count = CASE product_id" + stock.String() +
			" END, price_cents = CASE product_id" + price.String() +
			" END, last_updated = ? WHERE product_id" + in, args})
	}
	return out
}

// writeStock runs stockStatements in tx; each must find every row it
// names (they are locked).
func writeStock(tx *gorm.DB, ch models.StockChange, now time.Time) error {
	for _, st := range stockStatements(ch, now, false) {
		res := tx.Exec(st.sql, st.args...)
		if res.Error != nil {
			return fmt.Errorf("set stock: %w", res.Error)
		}
		if want := len(st.args[len(st.args)-1].([]string)); res.RowsAffected != int64(want) {
			return fmt.Errorf("set stock: %d of %d rows updated", res.RowsAffected, want)
		}
	}
	return nil
}
