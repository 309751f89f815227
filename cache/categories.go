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
