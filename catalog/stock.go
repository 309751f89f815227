package catalog

import (
	"context"

	"shop/models"
)

// AdjustStock corrects a variant's stock (or a single-variant product's)
// by delta, with a reason, in the ledger (admins).
func (s *Service) AdjustStock(ctx context.Context, c models.Caller, productID, variantID string, delta int, reason string) (*models.Product, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	a, err := models.ParseAdjustment(productID, variantID, delta, reason, c)
	if err != nil {
		return nil, err
	}
	return s.write.AdjustStock(ctx, a)
}

// StockMovements is a page of a product's ledger (or one variant's, when
// variantID is not ""), oldest first (admins: anyone else is refused
// before the arguments are read).
func (s *Service) StockMovements(ctx context.Context, c models.Caller, productID, variantID string, first *int, after *string) (models.MovementPage, error) {
	if err := models.RequireAdmin(c); err != nil {
		return models.MovementPage{}, err
	}
	conn, err := models.ParseLedgerConnection(first, after)
	if err != nil {
		return models.MovementPage{}, err
	}
	if variantID != "" {
		if err := models.ValidateID("variantId", variantID); err != nil {
			return models.MovementPage{}, err
		}
	}
	return s.read.StockMovements(ctx, productID, variantID, conn)
}

// LowStock lists the products at or under a threshold (nil: the default),
// fewest first (admins).
func (s *Service) LowStock(ctx context.Context, c models.Caller, threshold *int) ([]models.Product, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	t, err := models.ParseLowStock(threshold)
	if err != nil {
		return nil, err
	}
	return s.read.LowStock(ctx, t, models.MaxLowStockResults)
}
