package catalog

import (
	"context"

	"shop/models"
)

// VariantReader is what the catalog reads of variants.
type VariantReader interface {
	// VariantByID returns the variant with its product's active flag, or
	// an error with errcode.NotFound when there is none.
	VariantByID(ctx context.Context, id string) (*models.VariantOfProduct, error)
	// VariantsOf returns the variants of products, by product id, each
	// product's by position.
	VariantsOf(ctx context.Context, productIDs []string) (map[string][]models.ProductVariant, error)
	// LowStockVariants lists variants with at most threshold in stock,
	// fewest first.
	LowStockVariants(ctx context.Context, threshold, limit int) ([]models.ProductVariant, error)
}

// VariantWriter is what the catalog writes of variants; each write takes
// the product's lock and keeps its totals (models.ProductTotals).
type VariantWriter interface {
	CreateVariant(ctx context.Context, productID string, d models.VariantDraft, actor string) (*models.ProductVariant, error)
	// UpdateVariant returns nil, nil when there is no such variant.
	UpdateVariant(ctx context.Context, variantID string, d models.VariantDraft, actor string) (*models.ProductVariant, error)
	// DeleteVariant reports whether a variant was deleted.
	DeleteVariant(ctx context.Context, variantID, actor string) (bool, error)
	SetProductOptions(ctx context.Context, productID string, options models.ProductOptions, actor string) (*models.ProductStock, error)
	GenerateVariants(ctx context.Context, productID string, price models.Money, stock int, actor string) (*models.ProductStock, error)
}

// Variant is the variant with id and its product's active flag, or nil
// when there is none or c may not see its product (an inactive one, to a
// shopper). The flag comes with the variant, not from a read of the
// product, so that a cached answer depends on the variant alone.
func (s *Service) Variant(ctx context.Context, c models.Caller, id string) (*models.VariantOfProduct, error) {
	if err := models.ValidateID("variantId", id); err != nil {
		return nil, err
	}
	v, err := s.read.VariantByID(ctx, id)
	if models.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !v.VisibleTo(c) {
		return nil, nil
	}
	return v, nil
}

// VariantsOf returns the variants of products (already shown to their
// reader), by product id.
func (s *Service) VariantsOf(ctx context.Context, productIDs []string) (map[string][]models.ProductVariant, error) {
	return s.read.VariantsOf(ctx, productIDs)
}

// CreateVariant adds a variant to a product (admins): its values of the
// product's options, a price, and a stock (0 when left out).
func (s *Service) CreateVariant(ctx context.Context, c models.Caller, productID string, in models.VariantInput) (*models.ProductVariant, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	if err := models.ValidateID("productId", productID); err != nil {
		return nil, err
	}
	d, err := models.ParseVariant("input", in)
	if err != nil {
		return nil, err
	}
	return s.write.CreateVariant(ctx, productID, d, models.ActorOf(c))
}

// UpdateVariant changes what in sets of a variant (admins); nil when
// there is none.
func (s *Service) UpdateVariant(ctx context.Context, c models.Caller, variantID string, in models.VariantInput) (*models.ProductVariant, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	if err := models.ValidateID("variantId", variantID); err != nil {
		return nil, err
	}
	d, err := models.ParseVariant("input", in)
	if err != nil {
		return nil, err
	}
	return s.write.UpdateVariant(ctx, variantID, d, models.ActorOf(c))
}

// DeleteVariant deletes a variant (admins), reporting whether there was
// one; a product's last variant stays.
func (s *Service) DeleteVariant(ctx context.Context, c models.Caller, variantID string) (bool, error) {
	if err := models.RequireAdmin(c); err != nil {
		return false, err
	}
	if err := models.ValidateID("variantId", variantID); err != nil {
		return false, err
	}
	return s.write.DeleteVariant(ctx, variantID, models.ActorOf(c))
}

// SetProductOptions replaces a product's options (admins).
func (s *Service) SetProductOptions(ctx context.Context, c models.Caller, productID string, options []models.ProductOption) (*models.Product, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	if err := models.ValidateID("productId", productID); err != nil {
		return nil, err
	}
	opts, err := models.ParseOptions("options", options)
	if err != nil {
		return nil, err
	}
	ps, err := s.write.SetProductOptions(ctx, productID, opts, models.ActorOf(c))
	if err != nil {
		return nil, err
	}
	return &ps.Product, nil
}

// GenerateVariants creates the combinations of a product's options that
// have no variant yet, each with price and stock (admins).
func (s *Service) GenerateVariants(ctx context.Context, c models.Caller, productID string, price float64, stock int) (*models.Product, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	if err := models.ValidateID("productId", productID); err != nil {
		return nil, err
	}
	m, n, err := models.ParsePriceAndStock(price, stock)
	if err != nil {
		return nil, err
	}
	ps, err := s.write.GenerateVariants(ctx, productID, m, n, models.ActorOf(c))
	if err != nil {
		return nil, err
	}
	return &ps.Product, nil
}

// LowStockVariants lists the variants at or under a threshold (nil: the
// default), fewest first (admins).
func (s *Service) LowStockVariants(ctx context.Context, c models.Caller, threshold *int) ([]models.ProductVariant, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	t, err := models.ParseLowStock(threshold)
	if err != nil {
		return nil, err
	}
	return s.read.LowStockVariants(ctx, t, models.MaxLowStockResults)
}
