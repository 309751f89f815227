package store

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"shop/errcode"
	"shop/models"
)

// Products are listed oldest first, with the id breaking ties, so pages are
// stable while the catalog grows.
const productOrder = "created_at ASC, product_id ASC"

// products starts a query of the products f lets through.
func (s *Store) products(ctx context.Context, f models.ProductFilter) *gorm.DB {
	q := s.db.WithContext(ctx).Select(productColumns)
	if !f.IncludeInactive {
		q = q.Where("active = ?", true)
	}
	return q
}

func (s *Store) ListProducts(ctx context.Context, page models.Page, f models.ProductFilter) ([]models.Product, error) {
	ps, err := productsOf(scanProducts(s.products(ctx, f).Table("products").Order(productOrder).Limit(page.Limit).Offset(page.Offset), false))
	return ps, mapError(err, "list products")
}

func (s *Store) ProductByID(ctx context.Context, id string) (*models.Product, error) {
	var p models.Product
	err := s.db.WithContext(ctx).Select(productColumns).Where("product_id = ?", id).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, models.Errorf(errcode.NotFound, "Product %s does not exist.", id)
	}
	return &p, mapError(err, "get product")
}

// maxParams bounds the ids bound in one IN list: PostgreSQL takes at most
// 65,535 parameters in a statement and SQLite 32,766; the largest legal
// page (1,000 orders of 100 lines) can name 100,000 products.
const maxParams = 10_000

func (s *Store) ProductsByIDs(ctx context.Context, ids []string) (map[string]*models.Product, error) {
	out := make(map[string]*models.Product, len(ids))
	for start := 0; start < len(ids); start += maxParams {
		batch := ids[start:min(start+maxParams, len(ids))]
		ps, err := productsOf(scanProducts(s.db.WithContext(ctx).Table("products").Select(productColumns).Where("product_id IN ?", batch), false))
		if err != nil {
			return nil, mapError(err, "get products")
		}
		for i := range ps {
			out[ps[i].ID] = &ps[i]
		}
	}
	return out, nil
}

// CreateProduct records the product and its initial stock in the ledger.
func (s *Store) CreateProduct(ctx context.Context, np models.NewProduct) (*models.Product, error) {
	now := s.db.NowFunc()
	p := np.Product(uuid.NewString(), now)
	err := s.write(ctx, func(tx *gorm.DB) error {
		if err := s.lockCategory(tx, p.CategoryID); err != nil {
			return err
		}
		w := rows{}
		w.add("products", "product_id, price_cents, stock_count, created_at, last_updated, name, description, sku, image_urls, active, category_id",
			p.ID, p.Price, p.StockCount, p.CreatedAt, p.LastUpdated, p.Name, p.Description, p.SKU, p.ImageURLs, p.Active, p.CategoryID)
		w.record(models.NewEvent(models.EventProductCreated, p.ID, models.ProductChanged{ProductID: p.ID, Actor: np.Actor}, now))
		if p.StockCount != 0 {
			w.movements([]models.StockMovement{{
				ProductID: p.ID, Delta: p.StockCount, Kind: models.MovementInitial, Actor: np.Actor, At: now, StockAfter: p.StockCount,
			}})
		}
		return s.insert(tx, w)
	})
	if err != nil {
		return nil, skuError(err, p.SKU, "create product")
	}
	return &p, nil
}

// UpdateProduct reads the row under a lock, applies the patch rule and writes
// it back in one transaction, so concurrent updates and orders serialise. A
// new stockCount is recorded in the ledger as the difference.
func (s *Store) UpdateProduct(ctx context.Context, id string, patch models.ProductPatch) (*models.Product, error) {
	var out *models.Product
	var sku *string // the SKU written, for its error
	err := s.write(ctx, func(tx *gorm.DB) error {
		p, err := s.lockProduct(tx, id)
		if err != nil {
			return err
		}
		before := p.StockCount
		if !patch.Apply(p) {
			out = p
			return nil
		}
		sku = p.SKU
		if err := s.lockCategory(tx, patch.SetsCategory()); err != nil {
			return err
		}
		p.LastUpdated = tx.NowFunc()
		if err := tx.Model(p).Select("price_cents", "stock_count", "last_updated", "name", "description", "sku", "image_urls", "active", "category_id").Updates(p).Error; err != nil {
			return err
		}
		out = p
		w := rows{}
		w.record(models.NewEvent(models.EventProductUpdated, p.ID, models.ProductChanged{
			ProductID: p.ID, Changes: patch.Changes(), Actor: patch.Actor,
		}, p.LastUpdated))
		if p.StockCount == before {
			return s.insert(tx, w)
		}
		w.movements([]models.StockMovement{{
			ProductID: p.ID, Delta: p.StockCount - before, Kind: models.MovementUpdate, Reason: "updateProduct set stockCount",
			Actor: patch.Actor, At: p.LastUpdated, StockAfter: p.StockCount,
		}})
		return s.insert(tx, w)
	})
	if err != nil {
		return nil, skuError(err, sku, "update product")
	}
	return out, nil
}

func (s *Store) DeleteProduct(ctx context.Context, id string) (bool, error) {
	deleted := false
	err := s.write(ctx, func(tx *gorm.DB) error {
		res := tx.Where("product_id = ?", id).Delete(&models.Product{})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		deleted = true
		record(tx, models.NewEvent(models.EventProductDeleted, id, models.ProductChanged{ProductID: id}, tx.NowFunc()))
		return nil
	})
	if err != nil {
		return false, mapError(err, "delete product")
	}
	return deleted, nil
}

// ProductsPage reads one page after the cursor by keyset (searchPage).
func (s *Store) ProductsPage(ctx context.Context, c models.Connection, f models.ProductFilter) (models.ProductPage, error) {
	return s.searchPage(ctx, c, f)
}

// skuError maps a unique violation of a write that set a SKU to the
// field-named error: the SKU is the products' only unique column a client
// chooses.
func skuError(err error, sku *string, doing string) error {
	if sku == nil {
		return mapError(err, doing)
	}
	return uniqueError(err, models.SKUTaken(*sku), doing)
}

// uniqueError is taken when err is a unique violation (and not already
// the shop's own error), else err mapped as any other.
func uniqueError(err, taken error, doing string) error {
	var me *models.Error
	if !errors.As(err, &me) && classify(err) == failUnique {
		return taken
	}
	return mapError(err, doing)
}

// trimPage cuts the one extra row a page query reads to learn whether
// there is a next page.
func trimPage[T any](rows []T, first int) ([]T, bool) {
	if len(rows) > first {
		return rows[:first], true
	}
	return rows, false
}
