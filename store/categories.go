package store

import (
	"context"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"shop/errcode"
	"shop/models"
)

// categoryLock is the PostgreSQL advisory lock under which the category
// tree changes: a placement rule reads the whole tree, and two moves
// checked side by side could together make a cycle. (SQLite's write
// transactions are serial already.)
const categoryLock = 7_130_411_003

func (s *Store) Categories(ctx context.Context, f models.ProductFilter) ([]models.Category, error) {
	var cs []models.Category
	db := s.db.WithContext(ctx)
	if err := db.Order("name, category_id").Find(&cs).Error; err != nil {
		return nil, mapError(err, "list categories")
	}
	var counts []struct {
		CategoryID string
		N          int
	}
	q := s.products(ctx, f).Model(&models.Product{}).Select("category_id, COUNT(*) AS n").Where("category_id IS NOT NULL").Group("category_id")
	if err := q.Scan(&counts).Error; err != nil {
		return nil, mapError(err, "count products by category")
	}
	n := make(map[string]int, len(counts))
	for _, c := range counts {
		n[c.CategoryID] = c.N
	}
	for i := range cs {
		cs[i].Products = n[cs[i].ID]
	}
	return cs, nil
}

// lockTree takes the category tree's lock for the transaction and reads
// the whole tree.
func (s *Store) lockTree(tx *gorm.DB) ([]models.Category, error) {
	if err := s.dialect.lockKey(tx, categoryLock); err != nil {
		return nil, err
	}
	var all []models.Category
	return all, tx.Find(&all).Error
}

func (s *Store) CreateCategory(ctx context.Context, nc models.NewCategory) (*models.Category, error) {
	c := models.Category{ID: uuid.NewString(), Name: nc.Name, Slug: nc.Slug, ParentID: nc.ParentID, CreatedAt: s.db.NowFunc()}
	err := s.write(ctx, func(tx *gorm.DB) error {
		all, err := s.lockTree(tx)
		if err != nil {
			return err
		}
		if err := models.CheckNewCategory(all, c.ParentID); err != nil {
			return err
		}
		record(tx, categoryEvent(c.ID, "created", tx))
		return tx.Create(&c).Error
	})
	if err != nil {
		return nil, slugError(err, c.Slug, "create category")
	}
	return &c, nil
}

func (s *Store) UpdateCategory(ctx context.Context, id string, patch models.CategoryPatch) (*models.Category, error) {
	var out *models.Category
	slug := ""
	err := s.write(ctx, func(tx *gorm.DB) error {
		all, err := s.lockTree(tx)
		if err != nil {
			return err
		}
		var c *models.Category
		for i := range all {
			if all[i].ID == id {
				c = &all[i]
			}
		}
		if c == nil {
			return models.Errorf(errcode.NotFound, "Category %s does not exist.", id)
		}
		if err := patch.Apply(all, c); err != nil {
			return err
		}
		slug = c.Slug
		out = c
		record(tx, categoryEvent(c.ID, "updated", tx))
		return tx.Model(c).Select("name", "slug", "parent_id").Updates(c).Error
	})
	if err != nil {
		return nil, slugError(err, slug, "update category")
	}
	return out, nil
}

// DeleteCategory locks the category's row, which a product being put in
// it holds shared (lockCategory), so no product lands in a deleted
// category.
func (s *Store) DeleteCategory(ctx context.Context, id string) (bool, error) {
	deleted := false
	err := s.write(ctx, func(tx *gorm.DB) error {
		all, err := s.lockTree(tx)
		if err != nil {
			return err
		}
		lock := "SELECT category_id FROM categories WHERE category_id = ?" + s.dialect.lockRows(false)
		var found []string
		if err := tx.Raw(lock, id).Scan(&found).Error; err != nil {
			return err
		}
		if len(found) == 0 {
			return nil
		}
		var products int64
		if err := tx.Model(&models.Product{}).Where("category_id = ?", id).Count(&products).Error; err != nil {
			return err
		}
		// The tree read under its lock has the subcategories.
		if err := models.CheckDeletable(all, id, int(products)); err != nil {
			return err
		}
		deleted = true
		record(tx, categoryEvent(id, "deleted", tx))
		return tx.Where("category_id = ?", id).Delete(&models.Category{}).Error
	})
	if err != nil {
		return false, mapError(err, "delete category")
	}
	return deleted, nil
}

// lockCategory checks that the category a product goes in exists, and
// holds its row shared until the transaction ends, so it can't be deleted
// meanwhile (DeleteCategory).
func (s *Store) lockCategory(tx *gorm.DB, id *string) error {
	if id == nil {
		return nil
	}
	q := "SELECT category_id FROM categories WHERE category_id = ?" + s.dialect.shareRows()
	var found []string
	if err := tx.Raw(q, *id).Scan(&found).Error; err != nil {
		return err
	}
	if len(found) == 0 {
		return models.UnknownCategory()
	}
	return nil
}

// slugError maps a unique violation of a category write to the field-named
// error: the slug is the categories' only unique column a client sets.
func slugError(err error, slug, doing string) error {
	return uniqueError(err, models.SlugTaken(slug), doing)
}

func categoryEvent(id, op string, tx *gorm.DB) models.Event {
	return models.NewEvent(models.EventCategoryChanged, id, models.CategoryChanged{CategoryID: id, Op: op}, tx.NowFunc())
}
