package store

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"shop/errcode"
	"shop/models"
)

// AdjustStock applies an admin's correction to a variant's stock and
// records it in the ledger, in one transaction under its product's lock.
func (s *Store) AdjustStock(ctx context.Context, a models.Adjustment) (*models.Product, error) {
	var out *models.Product
	err := s.write(ctx, func(tx *gorm.DB) error {
		now := tx.NowFunc()
		ps, err := s.lockOne(tx, a.ProductID, a.VariantID)
		if err != nil {
			return err
		}
		v, err := models.PickVariant(ps.Product.ID, a.VariantID, ps.Variants)
		if err != nil {
			return err
		}
		a.ProductID = ps.Product.ID
		next, err := models.ApplyAdjustment(v.StockCount, a)
		if err != nil {
			return err
		}
		moves := []models.StockMovement{{
			ProductID: v.ProductID, VariantID: v.ID, Delta: a.Delta, Kind: models.MovementAdjustment, Reason: a.Reason,
			Actor: a.Actor, At: now, StockAfter: next,
		}}
		ch := models.ChangeStock(map[string]models.ProductStock{ps.Product.ID: ps}, map[string]int{v.ID: a.Delta}, now)
		if err := writeStock(tx, ch, now); err != nil {
			return err
		}
		w := rows{}
		w.movements(moves)
		if err := s.insert(tx, w); err != nil {
			return fmt.Errorf("record adjustment: %w", err)
		}
		out = &ch.Products[0]
		return nil
	})
	if err != nil {
		return nil, mapError(err, "adjust stock")
	}
	return out, nil
}

// lockProduct reads one product under its row lock.
func (s *Store) lockProduct(tx *gorm.DB, id string) (*models.Product, error) {
	sql := "SELECT " + productColumns + " FROM products WHERE product_id = ?" + s.dialect.lockRows(false)
	var ps []models.Product
	if err := tx.Raw(sql, id).Scan(&ps).Error; err != nil {
		return nil, fmt.Errorf("lock product: %w", err)
	}
	if len(ps) == 0 {
		return nil, models.Errorf(errcode.NotFound, "Product %s does not exist.", id)
	}
	return &ps[0], nil
}

// StockMovements pages through a product's ledger (one variant's, when
// variantID is not ""), oldest first.
func (s *Store) StockMovements(ctx context.Context, productID, variantID string, c models.LedgerConnection) (models.MovementPage, error) {
	q := s.db.WithContext(ctx).Where("product_id = ? AND id > ?", productID, c.AfterID).Order("id ASC").Limit(c.First + 1)
	if variantID != "" {
		q = s.db.WithContext(ctx).Where("variant_id = ? AND product_id = ? AND id > ?", variantID, productID, c.AfterID).Order("id ASC").Limit(c.First + 1)
	}
	var ms []models.StockMovement
	if err := q.Find(&ms).Error; err != nil {
		return models.MovementPage{}, mapError(err, "page stock movements")
	}
	ms, more := trimPage(ms, c.First)
	return models.MovementPage{Movements: ms, HasNext: more}, nil
}

// LowStock lists up to limit products with at most threshold in stock,
// fewest first (oldest first among equals).
func (s *Store) LowStock(ctx context.Context, threshold, limit int) ([]models.Product, error) {
	var ps []models.Product
	err := s.db.WithContext(ctx).Select(productColumns).Where("stock_count <= ?", threshold).
		Order("stock_count ASC, " + productOrder).Limit(limit).Find(&ps).Error
	return ps, mapError(err, "list low stock")
}
