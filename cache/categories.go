package cache

import (
	"context"

	"shop/models"
)

// Categories are read under the membership version: its product counts
// change with the same writes that change lists (creates, deletes,
// changes of active or category), and category writes, which are rare,
// change it too.
func (c *Catalog) Categories(ctx context.Context, f models.ProductFilter) ([]models.Category, error) {
	return readThrough(ctx, c, membershipKey, "d:categories:"+filterKey(f), func(ctx context.Context) ([]models.Category, error) {
		return c.next.Categories(ctx, f)
	})
}

func (c *Catalog) CreateCategory(ctx context.Context, nc models.NewCategory) (*models.Category, error) {
	begun := c.begin(membershipKey)
	cat, err := c.next.CreateCategory(ctx, nc)
	c.after(ctx, err, begun, []Change{{Key: membershipKey}})
	return cat, err
}

func (c *Catalog) UpdateCategory(ctx context.Context, id string, patch models.CategoryPatch) (*models.Category, error) {
	begun := c.begin(membershipKey)
	cat, err := c.next.UpdateCategory(ctx, id, patch)
	c.after(ctx, err, begun, []Change{{Key: membershipKey}})
	return cat, err
}

func (c *Catalog) DeleteCategory(ctx context.Context, id string) (bool, error) {
	begun := c.begin(membershipKey)
	deleted, err := c.next.DeleteCategory(ctx, id)
	if err == nil && !deleted {
		c.pend.end(begun)
		return false, nil
	}
	c.after(ctx, err, begun, []Change{{Key: membershipKey}})
	return deleted, err
}
