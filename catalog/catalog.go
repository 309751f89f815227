// Package catalog is the catalog's use cases: products, categories, stock
// adjustments and the ledger, search and low stock. It decides who may do
// what and turns raw input into requests with the rules of models, then
// makes one call on its ports: Reader for reads and Writer for writes, kept
// apart so that each can be wired to its own implementation (reads through
// the cache, writes to the store).
package catalog

import (
	"context"

	"shop/errcode"
	"shop/models"
)

// Reader is what the catalog reads.
type Reader interface {
	ListProducts(ctx context.Context, page models.Page, f models.ProductFilter) ([]models.Product, error)
	// ProductsPage is the products connection, oldest first.
	ProductsPage(ctx context.Context, c models.Connection, f models.ProductFilter) (models.ProductPage, error)
	// ProductByID returns an error with errcode.NotFound when there is none.
	ProductByID(ctx context.Context, id string) (*models.Product, error)
	// ProductsByIDs returns the products that exist, keyed by id.
	ProductsByIDs(ctx context.Context, ids []string) (map[string]*models.Product, error)
	// StockMovements pages through a product's ledger (one variant's, when
	// variantID is not ""), oldest first.
	StockMovements(ctx context.Context, productID, variantID string, c models.LedgerConnection) (models.MovementPage, error)
	// LowStock lists products with at most threshold in stock, fewest
	// first.
	LowStock(ctx context.Context, threshold, limit int) ([]models.Product, error)
	// Categories returns every category, each with the number of products
	// directly in it that f lets through.
	Categories(ctx context.Context, f models.ProductFilter) ([]models.Category, error)
	VariantReader
}

// Writer is what the catalog writes.
type Writer interface {
	CreateProduct(ctx context.Context, p models.NewProduct) (*models.Product, error)
	// UpdateProduct returns an error with errcode.NotFound when there is none.
	UpdateProduct(ctx context.Context, id string, patch models.ProductPatch) (*models.Product, error)
	// DeleteProduct reports whether a product was deleted.
	DeleteProduct(ctx context.Context, id string) (bool, error)
	// AdjustStock changes a product's stock by a delta, in the ledger.
	AdjustStock(ctx context.Context, a models.Adjustment) (*models.Product, error)
	CreateCategory(ctx context.Context, c models.NewCategory) (*models.Category, error)
	// UpdateCategory returns an error with errcode.NotFound when there is none.
	UpdateCategory(ctx context.Context, id string, patch models.CategoryPatch) (*models.Category, error)
	// DeleteCategory reports whether a category was deleted; it refuses
	// (errcode.Conflict) while the category has products or subcategories.
	DeleteCategory(ctx context.Context, id string) (bool, error)
	VariantWriter
}

// Service runs the catalog's use cases.
type Service struct {
	read        Reader
	write       Writer
	maxPageSize int
}

// New makes a Service over its ports. Lists return at most maxPageSize
// products.
func New(r Reader, w Writer, maxPageSize int) *Service {
	return &Service{read: r, write: w, maxPageSize: maxPageSize}
}

// Products is a page of the catalog (getProducts) as c may see it: admins
// see inactive products too. limit and offset are as the client sent them
// (nil when left out).
func (s *Service) Products(ctx context.Context, c models.Caller, limit, offset *int) ([]models.Product, error) {
	page, err := models.ParsePage(limit, offset, s.maxPageSize)
	if err != nil {
		return nil, err
	}
	return s.read.ListProducts(ctx, page, models.VisibleProducts(c))
}

// ProductsPage is the products connection: keyset pages of the catalog,
// searched, filtered and sorted as search asks, as c may see it. A filter
// by one category takes in its subcategories.
func (s *Service) ProductsPage(ctx context.Context, c models.Caller, first *int, after *string, search models.ProductSearch) (models.ProductPage, error) {
	conn, err := models.ParseConnection(first, after)
	if err != nil {
		return models.ProductPage{}, err
	}
	f, err := models.ParseProductSearch(search, models.VisibleProducts(c))
	if err != nil {
		return models.ProductPage{}, err
	}
	if len(f.CategoryIDs) == 1 {
		t, err := s.tree(ctx, c)
		if err != nil {
			return models.ProductPage{}, err
		}
		if f, err = t.WithSubcategories(f); err != nil {
			return models.ProductPage{}, err
		}
	}
	return s.read.ProductsPage(ctx, conn, f)
}

// Product is the product with id, or nil when there is none or c may not
// see it (an inactive product, to a shopper): the two look the same.
func (s *Service) Product(ctx context.Context, c models.Caller, id string) (*models.Product, error) {
	if err := models.ValidateID("id", id); err != nil {
		return nil, err
	}
	p, err := s.read.ProductByID(ctx, id)
	if models.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !models.Visible(c, p) {
		return nil, nil
	}
	return p, nil
}

// ProductsByIDs returns the products of ids that exist, keyed by id, in one
// call: the products of orders' items, which their readers may see whether
// active or not.
func (s *Service) ProductsByIDs(ctx context.Context, ids []string) (map[string]*models.Product, error) {
	return s.read.ProductsByIDs(ctx, ids)
}

// NewProduct is createProduct's input as the client sent it.
type NewProduct struct {
	Price      float64
	StockCount int
	Details    models.ProductDetails
	// Options and Variants, nil when left out.
	Options  []models.ProductOption
	Variants []models.VariantInput
}

// CreateProduct adds a product (admins).
func (s *Service) CreateProduct(ctx context.Context, c models.Caller, in NewProduct) (*models.Product, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	np, err := models.ParseNewProduct(in.Price, in.StockCount, in.Details)
	if err != nil {
		return nil, err
	}
	if in.Options != nil || in.Variants != nil {
		if np, err = np.WithVariants(in.Options, in.Variants); err != nil {
			return nil, err
		}
	}
	np.Actor = models.ActorOf(c)
	return s.write.CreateProduct(ctx, np)
}

// ProductUpdate is updateProduct's input as the client sent it; nil fields
// were left out.
type ProductUpdate struct {
	ID         string
	Price      *float64
	StockCount *int
	Details    models.ProductDetails
}

// UpdateProduct changes the fields of a product that in sets (admins); nil
// when there is no such product.
func (s *Service) UpdateProduct(ctx context.Context, c models.Caller, in ProductUpdate) (*models.Product, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	patch, err := models.ParseProductPatch(in.ID, in.Price, in.StockCount, in.Details)
	if err != nil {
		return nil, err
	}
	patch.Actor = models.ActorOf(c)
	p, err := s.write.UpdateProduct(ctx, in.ID, patch)
	if models.IsNotFound(err) {
		return nil, nil
	}
	return p, err
}

// DeleteProduct deletes a product (admins), reporting whether there was
// one.
func (s *Service) DeleteProduct(ctx context.Context, c models.Caller, id string) (bool, error) {
	if err := models.RequireAdmin(c); err != nil {
		return false, err
	}
	if err := models.ValidateID("productId", id); err != nil {
		return false, err
	}
	return s.write.DeleteProduct(ctx, id)
}

// WatchProduct refuses c the subscription to product id unless c may read
// it (an inactive product only admins): NOT_FOUND, as it would be null to
// getProductsById.
func (s *Service) WatchProduct(ctx context.Context, c models.Caller, id string) error {
	p, err := s.Product(ctx, c, id)
	if err != nil {
		return err
	}
	if p == nil {
		return models.Errorf(errcode.NotFound, "No product %s.", id)
	}
	return nil
}
