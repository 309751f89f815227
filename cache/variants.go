package cache

import (
	"context"

	"shop/models"
)

// Variants are cached per variant and per product:
//
//   - a product's variants (Product.variants) under the product's version
//     key, as the product itself: every write of a variant records an
//     event of its product (product.updated, or stock.changed with the
//     product as subject), which bumps that key;
//   - a variant read by id (getVariantById) under its own version key,
//     v:var:<id>, with its product's active flag (all it reads of its
//     product). Events name the variants they change (stock.changed's
//     variantId; product.*'s VariantIDs, which name every variant of the
//     product when it is created, deleted or its active flag changes), so
//     an order for variant M retires M's key and its product's, and a
//     read by id of the product's other variant L stays cached (unless
//     it also asks for L's product, which records the product's key).
//
// A deleted variant's keys are bumped, not deleted: the event doesn't say
// which of the variants it names were deleted. They expire with CACHE_TTL
// like every other key. A deleted product's are deleted with it.

func variantVersionKey(id string) string { return "v:var:" + id }
func variantDataKey(id string) string    { return "d:var:" + id }

// variantsDataKey holds the variants of the product id, by position.
func variantsDataKey(id string) string { return "d:pv:" + id }

// VariantByID reads a variant and its product's active flag under the
// variant's version key.
func (c *Catalog) VariantByID(ctx context.Context, id string) (*models.VariantOfProduct, error) {
	load := func(ctx context.Context) (*models.VariantOfProduct, error) { return c.next.VariantByID(ctx, id) }
	if !keyable(id) {
		recorderFrom(ctx).spoil()
		return load(ctx)
	}
	return readThrough(ctx, c, variantVersionKey(id), variantDataKey(id), load)
}

// VariantsOf reads each product's variants under the product's version
// key, as ProductsByIDs reads the products: the local tier first, the rest
// in one round trip, the misses in one query.
func (c *Catalog) VariantsOf(ctx context.Context, productIDs []string) (map[string][]models.ProductVariant, error) {
	return readMany(ctx, c, productIDs, productVersionKey, variantsDataKey, c.next.VariantsOf)
}
