package store

import (
	"context"
	"errors"

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
