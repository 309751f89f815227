package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"shop/errcode"
	"shop/models"
)

// searchDocument is the text full-text search reads on PostgreSQL, stored
// in the generated column search (migrateSearch), which has the GIN index.
// Stored rather than an index on the expression: ranking reads every
// match's tsvector, and recomputing 1,000 of them made a search 3 times
// slower (6.2 ms against 2.0 ms for a word matching 1% of 100k products).
// No read of products selects it (productColumns).
//
// ASCII punctuation becomes spaces first: PostgreSQL's parser otherwise
// keeps "-1", "2.5", "a/b" or "e@f.com" as single tokens, while a query is
// split into runs of letters and digits (models.SearchWords), so the SKU
// "MUG-1" could never be found by "mug-1" or "mug 1". FTS5's unicode61
// tokenizer already splits there, so both databases now agree.
//
// A product with several variants has no SKU of its own (products.sku is
// its only variant's): their SKUs are in variant_skus (variantSKUs), so
// "TEE-M-RED" finds the T-shirt.
const searchDocument = `to_tsvector('english', translate(name || ' ' || description || ' ' || coalesce(sku, '') || ' ' || coalesce(variant_skus, ''), ` +
	"'" + searchPunctuation + "', '" + searchSpaces + "'))"

// searchPunctuation is every ASCII punctuation character, quote doubled
// for SQL; searchSpaces has one space for each.
const (
	searchPunctuation = "!\"#$%&''()*+,-./:;<=>?@[\\]^_`{|}~"
	searchSpaces      = "                                "
)

// productColumns are the columns of models.Product, which every read of
// products names rather than *, to leave the search column behind.
const productColumns = "products.product_id, products.price_cents, products.stock_count, products.created_at, products.last_updated, " +
	"products.name, products.description, products.sku, products.image_urls, products.active, products.category_id, products.options"

// migrateSearch makes the full-text index: on PostgreSQL the stored
// column search and its GIN index; on SQLite an FTS5 table over the products (external
// content, kept by triggers), with the Porter stemmer, so "mugs" finds
// "mug" on both. Both read products.variant_skus, which it adds with the
// other variantColumnsOnProducts (NULL until migrateVariantSearch, after
// the variants' migration, fills them).
func migrateSearch(db *gorm.DB, d dialect) error {
	if d.serverSide() {
		for _, col := range variantColumnsOnProducts {
			if err := db.Exec("ALTER TABLE products ADD COLUMN IF NOT EXISTS " + col).Error; err != nil {
				return err
			}
		}
		// A column made by an older searchDocument is made again:
		// ADD COLUMN IF NOT EXISTS would keep its expression.
		var stale int64
		if err := db.Raw(`SELECT count(*) FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = 'products' AND column_name = 'search'
			AND (generation_expression NOT LIKE '%translate%' OR generation_expression NOT LIKE '%variant_skus%')`).Scan(&stale).Error; err != nil {
			return err
		}
		if stale > 0 {
			if err := db.Exec("ALTER TABLE products DROP COLUMN search").Error; err != nil {
				return err
			}
		}
		for _, st := range []string{
			"ALTER TABLE products ADD COLUMN IF NOT EXISTS search tsvector GENERATED ALWAYS AS (" + searchDocument + ") STORED",
			"CREATE INDEX IF NOT EXISTS idx_products_search_doc ON products USING GIN (search)",
		} {
			if err := db.Exec(st).Error; err != nil {
				return err
			}
		}
		return nil
	}
	for _, col := range variantColumnsOnProducts {
		if db.Migrator().HasColumn("products", strings.Fields(col)[0]) {
			continue
		}
		if err := db.Exec("ALTER TABLE products ADD COLUMN " + col).Error; err != nil {
			return err
		}
	}
	// An FTS table from before variant_skus is made again, with its
	// triggers: FTS5 can't add a column.
	var made []string
	if err := db.Raw("SELECT sql FROM sqlite_master WHERE name = 'products_fts'").Scan(&made).Error; err != nil {
		return err
	}
	if len(made) > 0 && !strings.Contains(made[0], "variant_skus") {
		for _, st := range []string{"DROP TRIGGER IF EXISTS products_fts_ai", "DROP TRIGGER IF EXISTS products_fts_ad",
			"DROP TRIGGER IF EXISTS products_fts_au", "DROP TABLE products_fts"} {
			if err := db.Exec(st).Error; err != nil {
				return err
			}
		}
		made = nil
	}
	// The FTS columns are named as the products' columns: highlight()
	// reads the text from there (external content).
	const cols = "name, description, sku, variant_skus"
	doc := func(row string) string {
		return row + ".rowid, " + row + ".name, " + row + ".description, coalesce(" + row + ".sku, ''), coalesce(" + row + ".variant_skus, '')"
	}
	for _, st := range []string{
		`CREATE VIRTUAL TABLE IF NOT EXISTS products_fts USING fts5(` + cols + `, content='products', content_rowid='rowid', tokenize='porter unicode61')`,
		`CREATE TRIGGER IF NOT EXISTS products_fts_ai AFTER INSERT ON products BEGIN
			INSERT INTO products_fts(rowid, ` + cols + `) VALUES (` + doc("new") + `); END`,
		`CREATE TRIGGER IF NOT EXISTS products_fts_ad AFTER DELETE ON products BEGIN
			INSERT INTO products_fts(products_fts, rowid, ` + cols + `) VALUES ('delete', ` + doc("old") + `); END`,
		`CREATE TRIGGER IF NOT EXISTS products_fts_au AFTER UPDATE OF ` + cols + ` ON products BEGIN
			INSERT INTO products_fts(products_fts, rowid, ` + cols + `) VALUES ('delete', ` + doc("old") + `);
			INSERT INTO products_fts(rowid, ` + cols + `) VALUES (` + doc("new") + `); END`,
	} {
		if err := db.Exec(st).Error; err != nil {
			return err
		}
	}
	if len(made) == 0 {
		// Products from before the index (or before this form of it).
		return db.Exec("INSERT INTO products_fts(products_fts) VALUES ('rebuild')").Error
	}
	return nil
}

// variantColumnsOnProducts are what products keep of their variants for
// search and filters, beside the totals (models.ProductTotals): the SKUs
// (variantSKUs) and the span of prices (variantSpan), NULL until the
// migration fills them (migrateVariantSearch). No read of products selects
// them (productColumns).
var variantColumnsOnProducts = []string{"variant_skus text", "price_min_cents bigint", "price_max_cents bigint"}

// variantSKUs is what products.variant_skus holds for a product with
// these variants: their SKUs, separated by spaces, when it has several;
// "" with one, whose SKU is the product's own (products.sku), so a
// product's SKU is searched once (and UpdateProduct, which sets it only
// on a product with one variant, need not write it). NULL is a product
// the migration has not filled yet (migrateVariantSearch); search reads
// it as "".
func variantSKUs(vs []models.ProductVariant) string {
	if len(vs) < 2 {
		return ""
	}
	var b strings.Builder
	for _, v := range vs {
		if v.SKU == nil {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(*v.SKU)
	}
	return b.String()
}

// variantSpan is what products.price_min_cents and price_max_cents hold
// for a product with these variants: their lowest and highest prices when
// it has several; NULL with one, whose price is the product's
// (price_cents). A price range can then be tested on the product's row
// first (priceSpanLow, priceSpanHigh), which the index
// idx_products_price_span holds in the price order: a page by price walks
// past the products that can't match in the index alone (PRICE_ASC from
// 500 to 510 on 100,000 products: 3.5 ms, against 1.25 s testing each
// product's variants on the way).
func variantSpan(vs []models.ProductVariant) (lo, hi *int64) {
	if len(vs) < 2 {
		return nil, nil
	}
	l, h := int64(vs[0].Price), int64(vs[0].Price)
	for _, v := range vs[1:] {
		l, h = min(l, int64(v.Price)), max(h, int64(v.Price))
	}
	return &l, &h
}

// The span of a product's prices (variantSpan), whatever its number of
// variants: a product has a variant priced in a range only if its span
// meets the range.
const (
	priceSpanLow  = "coalesce(price_min_cents, price_cents)"
	priceSpanHigh = "coalesce(price_max_cents, price_cents)"
)

// fillBatch is how many products migrateVariantSearch fills at a time.
const fillBatch = 5000

// migrateVariantSearch runs after every product has its variants: it
// fills variantColumnsOnProducts where variant_skus is NULL (products from
// before them, or written by an older instance since), which the partial
// index finds at once, so later starts do nothing; and it makes the
// indexes the variants' filters use (searchPage). None names stock_count,
// so an order's update of a variant's stock stays a HOT update on
// PostgreSQL.
func migrateVariantSearch(db *gorm.DB, d dialect) error {
	if err := db.Exec("CREATE INDEX IF NOT EXISTS idx_products_variant_skus_unset ON products (product_id) WHERE variant_skus IS NULL").Error; err != nil {
		return fmt.Errorf("index products without variant_skus: %w", err)
	}
	of := func(agg string) string {
		return "(SELECT " + agg + " FROM product_variants v WHERE v.product_id = products.product_id)"
	}
	list := of("group_concat(v.sku, ' ')")
	if d.serverSide() {
		list = of("string_agg(v.sku, ' ' ORDER BY v.position, v.variant_id)")
	}
	several := of("count(*)") + " > 1"
	fill := `UPDATE products SET variant_skus = CASE WHEN ` + several + ` THEN coalesce(` + list + `, '') ELSE '' END,
		price_min_cents = CASE WHEN ` + several + ` THEN ` + of("min(v.price_cents)") + ` END,
		price_max_cents = CASE WHEN ` + several + ` THEN ` + of("max(v.price_cents)") + ` END
		WHERE product_id IN ? AND variant_skus IS NULL`
	// In batches, each its own transaction: a product's row stays locked
	// (orders of it wait) for one batch, not for the whole catalog (100,000
	// products took 9 s in one statement).
	for {
		var ids []string
		if err := db.Raw("SELECT product_id FROM products WHERE variant_skus IS NULL LIMIT ?", fillBatch).Scan(&ids).Error; err != nil {
			return fmt.Errorf("find products without variant_skus: %w", err)
		}
		if len(ids) == 0 {
			break
		}
		if err := db.Exec(fill, ids).Error; err != nil {
			return fmt.Errorf("fill products' variant_skus and prices: %w", err)
		}
	}
	indexes := []string{
		"CREATE INDEX IF NOT EXISTS idx_product_variants_price ON product_variants (price_cents, product_id)",
		"CREATE INDEX IF NOT EXISTS idx_products_price_span ON products (price_cents, product_id, (" + priceSpanLow + "), (" + priceSpanHigh + "))",
	}
	if d.serverSide() {
		indexes = append(indexes, "CREATE INDEX IF NOT EXISTS idx_product_variants_option_values ON product_variants USING GIN ("+optionsDocument+" jsonb_path_ops)")
	}
	for _, st := range indexes {
		if err := db.Exec(st).Error; err != nil {
			return fmt.Errorf("index variants for filters: %w", err)
		}
	}
	return nil
}

// sqliteRank scores the FTS5 matches of its second parameter (lower is
// better) from each row alone, so that a RELEVANCE cursor keeps its place
// while products are added: every occurrence of a query word counts 4 in
// the name and 2 in the SKU (the product's, or its variants'), and a
// description with any of the words (its first parameter, a column
// filter) counts 1. highlight() marks the
// occurrences in the name and the SKUs (char(1), which no stored text has:
// control characters are refused); those are at most 200, 64 and 250 × 65
// characters. It is not run on the description: it tokenizes the whole
// column again, and 3,000 products with 10,000-character descriptions
// matching a word kept a RELEVANCE search busy for more than 10 s (past
// the request's timeout, which does not stop SQLite); the description's
// part is read from the index instead. bm25() is not used: it weighs a
// word by how many rows have it and a row by the average row's length, so
// adding any product moved every score, and a cursor's score pointed
// somewhere else (pages skipped or repeated matches). PostgreSQL's ts_rank
// reads only the row already.
var sqliteRank = `SELECT frow, -(4 * ` + hits("hn") + ` + 2 * ` + hits("hs") + ` + 2 * ` + hits("hv") + `
		+ CASE WHEN frow IN (SELECT rowid FROM products_fts WHERE products_fts MATCH ?) THEN 1 ELSE 0 END) AS score FROM (
	SELECT rowid AS frow, highlight(products_fts, 0, char(1), '') AS hn,
		coalesce(highlight(products_fts, 2, char(1), ''), '') AS hs,
		coalesce(highlight(products_fts, 3, char(1), ''), '') AS hv
	FROM products_fts WHERE products_fts MATCH ?)`

// hits counts the marks highlight() put in column col.
func hits(col string) string {
	return "(length(" + col + ") - length(replace(" + col + ", char(1), '')))"
}

// scored is a product read with its relevance (lower is better).
type scored struct {
	models.Product `gorm:"embedded"`
	Score          float64 `gorm:"column:score"`
}

// searchPage reads one page of products that f lets through, in f's
// order, after the cursor: keyset pagination on (sort key, id), each order
// served by an index (see models.Product), so a deep page costs what the
// first does.
func (s *Store) searchPage(ctx context.Context, c models.Connection, f models.ProductFilter) (models.ProductPage, error) {
	pg := s.dialect.serverSide()
	q := s.products(ctx, f)
	match := strings.Join(f.Words, " ")
	fts := ""
	if len(f.Words) > 0 {
		if pg {
			q = q.Where("search @@ plainto_tsquery('english', ?)", match)
		} else {
			// Each word quoted: FTS5 takes them as terms that must all
			// appear, and SearchWords left no syntax in them.
			fts = `"` + strings.Join(f.Words, `" "`) + `"`
			q = q.Where("products.rowid IN (SELECT rowid FROM products_fts WHERE products_fts MATCH ?)", fts)
		}
	}
	if len(f.CategoryIDs) > 0 {
		q = q.Where("category_id IN ?", f.CategoryIDs)
	}
	if f.MinPrice != nil {
		q = q.Where(priceSpanHigh+" >= ?", int64(*f.MinPrice))
	}
	if f.MaxPrice != nil {
		q = q.Where(priceSpanLow+" <= ?", int64(*f.MaxPrice))
	}
	if f.ReadsVariants() {
		cond, args := variantMatch(f, pg)
		limit := s.fewMatchLimit
		if f.MinPrice == nil && f.MaxPrice == nil {
			// Options alone: no index bounds the variants the probe reads,
			// and each costs a parse of its JSON.
			limit /= optionsOnlyShare
		}
		ids, all, err := s.fewMatches(ctx, cond, args, limit)
		switch {
		case err != nil:
			return models.ProductPage{}, mapError(err, "search variants")
		case all:
			// None: IN (NULL), which the primary key answers at once.
			q = q.Where("products.product_id IN ?", ids)
		default:
			q = q.Where("EXISTS (SELECT 1 FROM product_variants v WHERE v.product_id = products.product_id"+cond+")", args...)
		}
	}
	if f.NeedsAvailable() {
		// Implied by the variant's stock; it lets a product without any
		// be passed over without looking at its variants.
		q = q.Where("stock_count > 0")
	}
	if f.MaxStock != nil {
		q = q.Where("stock_count <= ?", *f.MaxStock)
	}
	var order, after string
	var args []any
	switch f.Sort {
	case models.SortNewest:
		order, after = "created_at DESC, product_id DESC", "(created_at, product_id) < (?, ?)"
		if c.After != nil {
			args = []any{c.After.CreatedAt, c.After.ID}
		}
	case models.SortPriceAsc:
		order, after = "price_cents ASC, product_id ASC", "(price_cents, product_id) > (?, ?)"
		if c.After != nil {
			args = []any{c.After.Num, c.After.ID}
		}
	case models.SortPriceDesc:
		order, after = "price_cents DESC, product_id DESC", "(price_cents, product_id) < (?, ?)"
		if c.After != nil {
			args = []any{c.After.Num, c.After.ID}
		}
	case models.SortName:
		order, after = "name ASC, product_id ASC", "(name, product_id) > (?, ?)"
		if c.After != nil {
			args = []any{c.After.Text, c.After.ID}
		}
	case models.SortRelevance:
		order, after = "score ASC, product_id ASC", "(score, product_id) > (?, ?)"
		if c.After != nil {
			args = []any{c.After.Score, c.After.ID}
		}
	default:
		order, after = productOrder, "(created_at, product_id) > (?, ?)"
		if c.After != nil {
			args = []any{c.After.CreatedAt, c.After.ID}
		}
	}

	if c.After != nil && c.After.Sort != f.Sort && !(c.After.Sort == "" && f.Sort == models.SortOldest) {
		return models.ProductPage{}, models.Errorf(errcode.BadUserInput, "Invalid input: after is a cursor of another sort order.")
	}
	var rows []scored
	if f.Sort == models.SortRelevance {
		// The score is computed in a subquery, so the keyset can compare it.
		if pg {
			q = q.Select(productColumns+", -ts_rank(search, plainto_tsquery('english', ?))::float8 AS score", match)
		} else {
			q = q.Select(productColumns+", f.score AS score").
				Joins("JOIN ("+sqliteRank+") AS f ON f.frow = products.rowid", `{description} : ("`+strings.Join(f.Words, `" OR "`)+`")`, fts)
		}
		outer := s.db.WithContext(ctx).Table("(?) AS t", q.Table("products"))
		if c.After != nil {
			outer = outer.Where(after, args...)
		}
		var err error
		if rows, err = scanProducts(outer.Order(order).Limit(c.First+1), true); err != nil {
			return models.ProductPage{}, mapError(err, "search products")
		}
	} else {
		q = q.Table("products")
		if c.After != nil {
			q = q.Where(after, args...)
		}
		var err error
		if rows, err = scanProducts(q.Order(order).Limit(c.First+1), false); err != nil {
			return models.ProductPage{}, mapError(err, "page products")
		}
	}
	rows, more := trimPage(rows, c.First)
	out := models.ProductPage{Products: make([]models.Product, len(rows)), HasNext: more}
	if f.Sort != "" && f.Sort != models.SortOldest {
		out.Cursors = make([]string, len(rows))
	}
	for i, r := range rows {
		out.Products[i] = r.Product
		if out.Cursors != nil {
			out.Cursors[i] = models.ProductCursorFor(r.Product, f.Sort, r.Score).Encode()
		}
	}
	return out, nil
}

// maxFewMatches is how many variants a filter with a price range may
// match for a page to be read from them (fewMatches) rather than by
// walking the products in the page's order; a filter of options alone,
// a share of it.
const (
	maxFewMatches    = 10_000
	optionsOnlyShare = 20
)

// fewMatches reads the products of the variants that match cond (a
// variantMatch) when there are at most limit such variants (all: true),
// through the variants' indexes (the price, or on PostgreSQL the
// options'). A page of those is then read by their ids and sorted: its
// cost follows the matches, not the catalog. With more matches, the page
// walks the products in its order and tests each (an EXISTS): with so
// many, it meets a page of them soon.
//
// Left to itself, PostgreSQL's planner walks the products whatever the
// filter, expecting the matches spread evenly along the order; they are
// not always. On 100,000 products of 3 variants: a price range of 1% of
// the variants by creation walked ~2,000 products in parallel workers
// (80 ms, against 7 ms from the 3,135 variants); a pair of common values
// that no variant has together (Size M, Colour Teal) walked the whole
// catalog to find nothing (385 ms, against 2.5 ms through the options'
// index). The probe costs an index range of at most limit+1 entries with
// a price range (the price index), or up to ~1,000 variants read for
// options alone (the whole list of a common value's GIN entries, 50 ms,
// would cost more than the walk it spares).
func (s *Store) fewMatches(ctx context.Context, cond string, args []any, limit int) ([]string, bool, error) {
	var rows []string
	err := s.db.WithContext(ctx).Raw("SELECT v.product_id FROM product_variants v WHERE "+strings.TrimPrefix(cond, " AND ")+" LIMIT ?",
		append(slices.Clone(args), limit+1)...).Scan(&rows).Error
	if err != nil || len(rows) > limit {
		return nil, false, err
	}
	return dedupe(rows), true, nil
}

// variantMatch is the condition on a product's variant v that f asks for
// (ReadsVariants), after "AND": a price in the range; with inStock or
// options, in stock; with options, one of the values of each option
// named, whatever their case. All on one variant, so "Size M, at most
// 20" and "in stock, at most 20" find a variant that is both. The
// product's active flag is the list's own (shoppers see active products
// only; admins, who see the others too, filter by stock as ever).
//
// An option is matched in the variant's options (JSON [{"name", "value"}])
// lower-cased as SQL lowers them, on both sides: on PostgreSQL by
// containment in optionsDocument, which a GIN index serves, a test per
// value; on SQLite through json_each (whose lower() folds ASCII letters
// only).
func variantMatch(f models.ProductFilter, pg bool) (string, []any) {
	var b strings.Builder
	var args []any
	if f.MinPrice != nil {
		b.WriteString(" AND v.price_cents >= ?")
		args = append(args, int64(*f.MinPrice))
	}
	if f.MaxPrice != nil {
		b.WriteString(" AND v.price_cents <= ?")
		args = append(args, int64(*f.MaxPrice))
	}
	if f.NeedsAvailable() {
		b.WriteString(" AND v.stock_count > 0")
	}
	for _, o := range f.Options {
		if pg {
			b.WriteString(" AND (")
			for i, val := range o.Values {
				if i > 0 {
					b.WriteString(" OR ")
				}
				sel, _ := json.Marshal(models.SelectedOptions{{Name: o.Name, Value: val}})
				b.WriteString("(lower(v.options)::jsonb) @> lower(CAST(? AS text))::jsonb")
				args = append(args, string(sel))
			}
			b.WriteString(")")
			continue
		}
		b.WriteString(" AND EXISTS (SELECT 1 FROM json_each(v.options) o WHERE lower(json_extract(o.value, '$.name')) = lower(?)" +
			" AND lower(json_extract(o.value, '$.value')) IN (")
		args = append(args, o.Name)
		for i, val := range o.Values {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("lower(?)")
			args = append(args, val)
		}
		b.WriteString("))")
	}
	return b.String(), args
}

// optionsDocument is a variant's options as PostgreSQL compares them with
// a filter's (variantMatch, which spells it with v.): the JSON text
// lower-cased, then parsed (JSON's escapes are lower-case letters and
// digits already, so lowering the text lowers the names and values only).
// The GIN index idx_product_variants_option_values is on this expression.
const optionsDocument = "(lower(options)::jsonb)"
