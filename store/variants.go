package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"shop/errcode"
	"shop/models"
)

// CreateProduct records the product, its variants (models.NewProduct.Build)
// and their initial stock in the ledger.
func (s *Store) CreateProduct(ctx context.Context, np models.NewProduct) (*models.Product, error) {
	now := s.db.NowFunc()
	p, vs, err := np.Build(uuid.NewString(), now, newID)
	if err != nil {
		return nil, err
	}
	var skuField, sku string
	err = s.write(ctx, func(tx *gorm.DB) error {
		if err := s.lockCategory(tx, p.CategoryID); err != nil {
			return err
		}
		skuField, sku = skuOf(vs, len(np.Variants) > 0)
		if err := checkSKUs(tx, vs, len(np.Variants) > 0, models.SKUTakenAt); err != nil {
			return err
		}
		w := rows{}
		lo, hi := variantSpan(vs)
		w.add("products", "product_id, price_cents, stock_count, created_at, last_updated, name, description, sku, image_urls, active, category_id, options, variant_skus, price_min_cents, price_max_cents",
			p.ID, p.Price, p.StockCount, p.CreatedAt, p.LastUpdated, p.Name, p.Description, p.SKU, p.ImageURLs, p.Active, p.CategoryID, p.Options, variantSKUs(vs), lo, hi)
		ids := make([]string, len(vs))
		var moves []models.StockMovement
		for i, v := range vs {
			addVariant(&w, v)
			ids[i] = v.ID
			if v.StockCount != 0 {
				moves = append(moves, models.StockMovement{
					ProductID: p.ID, VariantID: v.ID, Delta: v.StockCount, Kind: models.MovementInitial, Actor: np.Actor, At: now, StockAfter: v.StockCount,
				})
			}
		}
		w.record(models.NewEvent(models.EventProductCreated, p.ID, models.ProductChanged{ProductID: p.ID, VariantIDs: ids, Actor: np.Actor}, now))
		w.movements(moves)
		return s.insert(tx, w)
	})
	if err != nil {
		if skuField == "" {
			return nil, mapError(err, "create product")
		}
		return nil, uniqueError(err, models.SKUTakenAt(skuField, sku), "create product")
	}
	return &p, nil
}

// skuOf names the SKU a unique violation most likely concerns: the
// product's (field "sku", as before variants), or the first variant's that
// has one.
func skuOf(vs []models.ProductVariant, perVariant bool) (field, sku string) {
	for i, v := range vs {
		if v.SKU != nil {
			if perVariant {
				return fmt.Sprintf("input.variants[%d].sku", i), *v.SKU
			}
			return "sku", *v.SKU
		}
	}
	return "", ""
}

// checkSKUs refuses variants whose SKU another variant has, whatever its
// case, naming the field (a concurrent writer that takes it between this
// read and the insert meets the unique index instead). takenErr words the
// error: a product's write keeps the contract's message, a variant's own
// write says a sibling may hold the SKU.
func checkSKUs(tx *gorm.DB, vs []models.ProductVariant, perVariant bool, takenErr func(field, sku string) error) error {
	var lower []string
	for _, v := range vs {
		if v.SKU != nil {
			lower = append(lower, strings.ToLower(*v.SKU))
		}
	}
	if len(lower) == 0 {
		return nil
	}
	var taken []struct {
		VariantID string
		SKU       string
	}
	if err := tx.Raw("SELECT variant_id, lower(sku) AS sku FROM product_variants WHERE lower(sku) IN ?", lower).Scan(&taken).Error; err != nil {
		return fmt.Errorf("check SKUs: %w", err)
	}
	for _, t := range taken {
		for i, v := range vs {
			if v.SKU != nil && strings.ToLower(*v.SKU) == t.SKU && v.ID != t.VariantID {
				field := "sku"
				if perVariant {
					field = fmt.Sprintf("input.variants[%d].sku", i)
				}
				return takenErr(field, *v.SKU)
			}
		}
	}
	seen := map[string]int{}
	for i, v := range vs {
		if v.SKU == nil {
			continue
		}
		if j, dup := seen[strings.ToLower(*v.SKU)]; dup {
			return models.Errorf(errcode.BadUserInput, "Invalid input: input.variants[%d].sku repeats input.variants[%d].sku (%q).", i, j, *v.SKU)
		}
		seen[strings.ToLower(*v.SKU)] = i
	}
	return nil
}

// addVariant adds a variant's row.
func addVariant(w *rows, v models.ProductVariant) {
	var compareAt *int64
	if v.CompareAtPrice != nil {
		c := int64(*v.CompareAtPrice)
		compareAt = &c
	}
	w.add("product_variants", variantColumns,
		v.ID, v.ProductID, v.Position, v.SKU, v.Title, v.Price, compareAt, v.StockCount, v.Options, v.OptionKey, v.ImageURL, v.WeightGrams, v.CreatedAt, v.LastUpdated)
}

// UpdateProduct reads the product and its variants under its lock,
// applies the patch rule and writes it back in one transaction, so
// concurrent updates and orders serialise. Price, stock and SKU are its
// only variant's (VARIANT_REQUIRED with several); a new stockCount is
// recorded in the ledger as the difference.
func (s *Store) UpdateProduct(ctx context.Context, id string, patch models.ProductPatch) (*models.Product, error) {
	var out *models.Product
	var sku *string // the SKU written, for its error
	err := s.write(ctx, func(tx *gorm.DB) error {
		ps, err := s.lockOne(tx, id, "")
		if err != nil {
			return err
		}
		p := ps.Product
		if patch.SetsVariant() && len(ps.Variants) != 1 {
			return models.VariantRequired(p.ID, ps.Variants)
		}
		if !patch.Apply(&p) {
			out = &ps.Product
			return nil
		}
		sku = p.SKU
		if err := s.lockCategory(tx, patch.SetsCategory()); err != nil {
			return err
		}
		now := tx.NowFunc()
		var moves []models.StockMovement
		var touched []string
		if patch.SetsVariant() {
			v := ps.Variants[0]
			before := v.StockCount
			v.Price, v.StockCount, v.SKU, v.LastUpdated = p.Price, p.StockCount, p.SKU, now
			if err := checkSKUs(tx, []models.ProductVariant{v}, false, models.SKUTakenAt); err != nil {
				return err
			}
			if err := tx.Exec("UPDATE product_variants SET price_cents = ?, stock_count = ?, sku = ?, last_updated = ? WHERE variant_id = ?",
				int64(v.Price), v.StockCount, v.SKU, now, v.ID).Error; err != nil {
				return fmt.Errorf("update the product's variant: %w", err)
			}
			if v.StockCount != before {
				moves = append(moves, models.StockMovement{
					ProductID: p.ID, VariantID: v.ID, Delta: v.StockCount - before, Kind: models.MovementUpdate, Reason: "updateProduct set stockCount",
					Actor: patch.Actor, At: now, StockAfter: v.StockCount,
				})
			}
			ps.Variants = []models.ProductVariant{v}
			touched = []string{v.ID}
		}
		if p.Active != ps.Product.Active {
			// Every variant read by id shows its product's active flag
			// (models.VariantOfProduct): the event names them all, so
			// that each one's cached reads are retired.
			touched = variantIDs(ps.Variants)
		}
		// Active moves the price too: it is the lowest of those for sale.
		models.ProductTotals(p.Active, ps.Variants).Apply(&p)
		p.LastUpdated = now
		if err := tx.Model(&p).Select("price_cents", "stock_count", "last_updated", "name", "description", "sku", "image_urls", "active", "category_id").Updates(&p).Error; err != nil {
			return err
		}
		out = &p
		w := rows{}
		w.record(models.NewEvent(models.EventProductUpdated, p.ID, models.ProductChanged{
			ProductID: p.ID, Changes: patch.Changes(), VariantIDs: touched, Actor: patch.Actor,
		}, now))
		w.movements(moves)
		return s.insert(tx, w)
	})
	if err != nil {
		return nil, skuError(err, sku, "update product")
	}
	return out, nil
}

// DeleteProduct deletes the product and its variants; order lines and
// the ledger keep what they recorded.
func (s *Store) DeleteProduct(ctx context.Context, id string) (bool, error) {
	deleted := false
	err := s.write(ctx, func(tx *gorm.DB) error {
		ps, err := s.lockOne(tx, id, "")
		if models.ErrorCode(err) == errcode.NotFound {
			return nil
		}
		if err != nil {
			return err
		}
		if err := tx.Exec("DELETE FROM product_variants WHERE product_id = ?", id).Error; err != nil {
			return fmt.Errorf("delete variants: %w", err)
		}
		res := tx.Where("product_id = ?", id).Delete(&models.Product{})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		deleted = true
		record(tx, models.NewEvent(models.EventProductDeleted, id, models.ProductChanged{ProductID: id, VariantIDs: variantIDs(ps.Variants)}, tx.NowFunc()))
		return nil
	})
	if err != nil {
		return false, mapError(err, "delete product")
	}
	return deleted, nil
}

func variantIDs(vs []models.ProductVariant) []string {
	ids := make([]string, len(vs))
	for i, v := range vs {
		ids[i] = v.ID
	}
	return ids
}

// variantByIDSQL reads a variant with its product's active flag.
var variantByIDSQL = "SELECT v." + strings.ReplaceAll(variantColumns, ", ", ", v.") +
	", p.active AS product_active FROM product_variants v JOIN products p ON p.product_id = v.product_id WHERE v.variant_id = ?"

// VariantByID reads one variant with its product's active flag, in one
// statement; NOT_FOUND when there is none.
func (s *Store) VariantByID(ctx context.Context, id string) (*models.VariantOfProduct, error) {
	var vs []models.VariantOfProduct
	if err := s.db.WithContext(ctx).Raw(variantByIDSQL, id).Scan(&vs).Error; err != nil {
		return nil, mapError(err, "get variant")
	}
	if len(vs) == 0 {
		return nil, models.VariantNotFound(id, "")
	}
	return &vs[0], nil
}

// VariantsOf reads the variants of products, by product id, each
// product's by position.
func (s *Store) VariantsOf(ctx context.Context, productIDs []string) (map[string][]models.ProductVariant, error) {
	vs, err := variantsOf(s.db.WithContext(ctx), productIDs)
	if err != nil {
		return nil, mapError(err, "get variants")
	}
	out := make(map[string][]models.ProductVariant, len(productIDs))
	for _, v := range vs {
		out[v.ProductID] = append(out[v.ProductID], v)
	}
	return out, nil
}

// variantWrite runs fn on a product and its variants under the product's
// lock, then writes what fn changed: the variants it returns as created,
// changed or deleted, the ledger's movements for their stock, the
// product's totals and options, and a product.updated event.
type variantEdit struct {
	created, changed []models.ProductVariant
	deleted          []string
	options          models.ProductOptions // nil: unchanged
	changes          []string
	moves            []models.StockMovement
}

func (s *Store) editVariants(ctx context.Context, productID, variantID, actor string, fn func(ps models.ProductStock, now func() string) (variantEdit, error)) (models.ProductStock, error) {
	var out models.ProductStock
	err := s.write(ctx, func(tx *gorm.DB) error {
		ps, err := s.lockOne(tx, productID, variantID)
		if err != nil {
			return err
		}
		now := tx.NowFunc()
		ed, err := fn(ps, newID)
		if err != nil {
			return err
		}
		if err := checkSKUs(tx, append(append([]models.ProductVariant(nil), ed.created...), ed.changed...), false, models.VariantSKUTaken); err != nil {
			return err
		}
		w := rows{}
		var touched []string
		if len(ed.deleted) > 0 {
			if err := tx.Exec("DELETE FROM product_variants WHERE variant_id IN ?", ed.deleted).Error; err != nil {
				return fmt.Errorf("delete variants: %w", err)
			}
			touched = append(touched, ed.deleted...)
		}
		for _, v := range ed.changed {
			v.LastUpdated = now
			var compareAt *int64
			if v.CompareAtPrice != nil {
				c := int64(*v.CompareAtPrice)
				compareAt = &c
			}
			if err := tx.Exec(`UPDATE product_variants SET position = ?, sku = ?, title = ?, price_cents = ?, compare_at_price_cents = ?, stock_count = ?,
				options = ?, option_key = ?, image_url = ?, weight_grams = ?, last_updated = ? WHERE variant_id = ?`,
				v.Position, v.SKU, v.Title, int64(v.Price), compareAt, v.StockCount, v.Options, v.OptionKey, v.ImageURL, v.WeightGrams, now, v.ID).Error; err != nil {
				return fmt.Errorf("update variant: %w", err)
			}
			touched = append(touched, v.ID)
		}
		for _, v := range ed.created {
			v.CreatedAt, v.LastUpdated = now, now
			addVariant(&w, v)
			touched = append(touched, v.ID)
		}
		// The variants as they now are, for the totals and the answer.
		next := applyEdit(ps.Variants, ed)
		p := ps.Product
		if ed.options != nil {
			p.Options = ed.options
		}
		models.ProductTotals(p.Active, next).Apply(&p)
		p.LastUpdated = now
		lo, hi := variantSpan(next)
		if err := tx.Exec("UPDATE products SET price_cents = ?, stock_count = ?, sku = ?, options = ?, variant_skus = ?, price_min_cents = ?, price_max_cents = ?, last_updated = ? WHERE product_id = ?",
			int64(p.Price), p.StockCount, p.SKU, p.Options, variantSKUs(next), lo, hi, now, p.ID).Error; err != nil {
			return fmt.Errorf("update the product's totals: %w", err)
		}
		for i := range ed.moves {
			ed.moves[i].At = now
		}
		w.movements(ed.moves)
		w.record(models.NewEvent(models.EventProductUpdated, p.ID, models.ProductChanged{
			ProductID: p.ID, Changes: ed.changes, VariantIDs: touched, Actor: actor,
		}, now))
		if err := s.insert(tx, w); err != nil {
			return err
		}
		out = models.ProductStock{Product: p, Variants: next}
		return nil
	})
	return out, err
}

// applyEdit is vs after ed, by position.
func applyEdit(vs []models.ProductVariant, ed variantEdit) []models.ProductVariant {
	gone := map[string]bool{}
	for _, id := range ed.deleted {
		gone[id] = true
	}
	changed := map[string]models.ProductVariant{}
	for _, v := range ed.changed {
		changed[v.ID] = v
	}
	var out []models.ProductVariant
	for _, v := range vs {
		if gone[v.ID] {
			continue
		}
		if c, ok := changed[v.ID]; ok {
			v = c
		}
		out = append(out, v)
	}
	out = append(out, ed.created...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].Position < out[j-1].Position; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// variantError maps a write's error: a SKU taken (named by the error
// already, or met at the unique index), a combination taken by a
// concurrent writer.
func variantError(err error, doing string) error {
	var me *models.Error
	if errors.As(err, &me) {
		return err
	}
	if classify(err) == failUnique {
		return models.Errorf(errcode.Conflict, "Another write took this SKU or combination of options at the same time; read the product again.")
	}
	return mapError(err, doing)
}

// CreateVariant adds a variant to a product, with the next position.
func (s *Store) CreateVariant(ctx context.Context, productID string, d models.VariantDraft, actor string) (*models.ProductVariant, error) {
	var made models.ProductVariant
	_, err := s.editVariants(ctx, productID, "", actor, func(ps models.ProductStock, newID func() string) (variantEdit, error) {
		if len(ps.Variants) >= models.MaxVariants {
			return variantEdit{}, models.Errorf(errcode.BadUserInput, "Invalid input: product %s has %d variants, the most a product may have.", productID, len(ps.Variants))
		}
		if d.Price == nil {
			return variantEdit{}, models.Errorf(errcode.BadUserInput, "Invalid input: input.price must be given for a new variant.")
		}
		pos := 0
		for _, v := range ps.Variants {
			pos = max(pos, v.Position+1)
		}
		v, err := d.NewVariant("input", ps.Product, newID(), pos, models.Totals{}, ps.Product.LastUpdated)
		if err != nil {
			return variantEdit{}, err
		}
		for _, o := range ps.Variants {
			if o.OptionKey == v.OptionKey {
				return variantEdit{}, models.Errorf(errcode.Conflict, "Invalid input: variant %s already is %s; update it instead.", o.ID, o.Title)
			}
		}
		made = v
		ed := variantEdit{created: []models.ProductVariant{v}, changes: []string{models.ChangedFields, models.ChangedStock}}
		if v.StockCount != 0 {
			ed.moves = []models.StockMovement{{ProductID: v.ProductID, VariantID: v.ID, Delta: v.StockCount, Kind: models.MovementInitial, Actor: actor, StockAfter: v.StockCount}}
		}
		return ed, nil
	})
	if err != nil {
		return nil, variantError(err, "create variant")
	}
	made.CreatedAt, made.LastUpdated = s.db.NowFunc(), s.db.NowFunc()
	return &made, nil
}

// UpdateVariant changes a variant; nil, nil when there is none. A new
// stockCount is recorded in the ledger as the difference.
func (s *Store) UpdateVariant(ctx context.Context, variantID string, d models.VariantDraft, actor string) (*models.ProductVariant, error) {
	var out *models.ProductVariant
	ps, err := s.editVariants(ctx, "", variantID, actor, func(ps models.ProductStock, _ func() string) (variantEdit, error) {
		v, err := models.PickVariant(ps.Product.ID, variantID, ps.Variants)
		if err != nil {
			return variantEdit{}, err
		}
		before := v
		changed, err := d.Apply("input", ps.Product.Options, &v)
		if err != nil || !changed {
			return variantEdit{}, err
		}
		for _, o := range ps.Variants {
			if o.ID != v.ID && o.OptionKey == v.OptionKey {
				return variantEdit{}, models.Errorf(errcode.Conflict, "Invalid input: variant %s already is %s.", o.ID, o.Title)
			}
		}
		ed := variantEdit{changed: []models.ProductVariant{v}, changes: []string{models.ChangedFields}}
		if v.StockCount != before.StockCount {
			ed.changes = append(ed.changes, models.ChangedStock)
			ed.moves = []models.StockMovement{{ProductID: v.ProductID, VariantID: v.ID, Delta: v.StockCount - before.StockCount, Kind: models.MovementUpdate,
				Reason: "updateVariant set stockCount", Actor: actor, StockAfter: v.StockCount}}
		}
		return ed, nil
	})
	if models.ErrorCode(err) == errcode.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, variantError(err, "update variant")
	}
	for i := range ps.Variants {
		if ps.Variants[i].ID == variantID {
			out = &ps.Variants[i]
		}
	}
	return out, nil
}

// DeleteVariant deletes a variant; false when there is none. A product
// keeps at least one.
func (s *Store) DeleteVariant(ctx context.Context, variantID, actor string) (bool, error) {
	_, err := s.editVariants(ctx, "", variantID, actor, func(ps models.ProductStock, _ func() string) (variantEdit, error) {
		if _, err := models.PickVariant(ps.Product.ID, variantID, ps.Variants); err != nil {
			return variantEdit{}, err
		}
		if len(ps.Variants) == 1 {
			return variantEdit{}, models.Errorf(errcode.BadUserInput, "Invalid input: variant %s is the only variant of product %s; delete the product instead.", variantID, ps.Product.ID)
		}
		return variantEdit{deleted: []string{variantID}, changes: []string{models.ChangedFields, models.ChangedStock}}, nil
	})
	if models.ErrorCode(err) == errcode.NotFound {
		return false, nil
	}
	if err != nil {
		return false, variantError(err, "delete variant")
	}
	return true, nil
}

// SetProductOptions replaces a product's options, giving its variants
// their values under them (models.Reselect refuses to drop a value in
// use).
func (s *Store) SetProductOptions(ctx context.Context, productID string, options models.ProductOptions, actor string) (*models.ProductStock, error) {
	ps, err := s.editVariants(ctx, productID, "", actor, func(ps models.ProductStock, _ func() string) (variantEdit, error) {
		sels, err := models.Reselect("options", options, ps.Variants)
		if err != nil {
			return variantEdit{}, err
		}
		ed := variantEdit{options: options, changes: []string{models.ChangedFields}}
		if ed.options == nil {
			ed.options = models.ProductOptions{}
		}
		for i, v := range ps.Variants {
			if sels[i].Key() == v.OptionKey && sels[i].Title() == v.Title && sameOptions(sels[i], v.Options) {
				continue
			}
			v.Options, v.OptionKey, v.Title = sels[i], sels[i].Key(), sels[i].Title()
			ed.changed = append(ed.changed, v)
		}
		return ed, nil
	})
	if err != nil {
		return nil, variantError(err, "set product options")
	}
	return &ps, nil
}

func sameOptions(a, b models.SelectedOptions) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// GenerateVariants creates the combinations of a product's options it has
// no variant for, each with price and stock.
func (s *Store) GenerateVariants(ctx context.Context, productID string, price models.Money, stock int, actor string) (*models.ProductStock, error) {
	ps, err := s.editVariants(ctx, productID, "", actor, func(ps models.ProductStock, newID func() string) (variantEdit, error) {
		have := map[string]bool{}
		pos := 0
		for _, v := range ps.Variants {
			have[v.OptionKey] = true
			pos = max(pos, v.Position+1)
		}
		var ed variantEdit
		var tooMany bool
		ps.Product.Options.Each(func(sel models.SelectedOptions) bool {
			if have[sel.Key()] {
				return true
			}
			if len(ps.Variants)+len(ed.created) >= models.MaxVariants {
				tooMany = true
				return false
			}
			v := models.ProductVariant{ID: newID(), ProductID: ps.Product.ID, Position: pos, Title: sel.Title(), Options: sel, OptionKey: sel.Key(),
				Price: price, StockCount: stock}
			pos++
			ed.created = append(ed.created, v)
			if stock != 0 {
				ed.moves = append(ed.moves, models.StockMovement{ProductID: v.ProductID, VariantID: v.ID, Delta: stock, Kind: models.MovementInitial, Actor: actor, StockAfter: stock})
			}
			return true
		})
		if tooMany {
			return variantEdit{}, models.Errorf(errcode.BadUserInput, "Invalid input: the options of product %s make %d combinations; a product has at most %d variants.",
				ps.Product.ID, ps.Product.Options.Combinations(), models.MaxVariants)
		}
		if len(ed.created) > 0 {
			ed.changes = []string{models.ChangedFields, models.ChangedStock}
		}
		return ed, nil
	})
	if err != nil {
		return nil, variantError(err, "generate variants")
	}
	return &ps, nil
}

// LowStockVariants lists up to limit variants with at most threshold in
// stock, fewest first (oldest product first among equals), with their
// products.
func (s *Store) LowStockVariants(ctx context.Context, threshold, limit int) ([]models.ProductVariant, error) {
	var vs []models.ProductVariant
	err := s.db.WithContext(ctx).Raw("SELECT "+prefixed("v.", variantColumns)+" FROM product_variants v JOIN products p ON p.product_id = v.product_id"+
		" WHERE v.stock_count <= ? ORDER BY v.stock_count, p.created_at, p.product_id, v.position LIMIT ?", threshold, limit).Scan(&vs).Error
	return vs, mapError(err, "list low stock variants")
}

// prefixed qualifies each of a list of columns.
func prefixed(prefix, columns string) string {
	parts := strings.Split(columns, ", ")
	for i := range parts {
		parts[i] = prefix + parts[i]
	}
	return strings.Join(parts, ", ")
}
