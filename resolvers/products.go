package resolvers

import (
	"github.com/graphql-go/graphql"

	"shop/auth"
	"shop/models"
)

func (r *Resolver) GetProducts(p graphql.ResolveParams) (any, error) {
	page, err := r.page(p)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	ps, err := r.store.ListProducts(p.Context, page, productFilter(p))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return ps, nil
}

func (r *Resolver) GetProductByID(p graphql.ResolveParams) (any, error) {
	id, _ := p.Args["id"].(string)
	if err := models.ValidateID("id", id); err != nil {
		return nil, r.fail(p.Context, err)
	}
	prod, err := r.store.ProductByID(p.Context, id)
	if models.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	if !models.Visible(auth.CallerFrom(p.Context), prod) {
		return nil, nil
	}
	return prod, nil
}

func (r *Resolver) CreateProduct(p graphql.ResolveParams) (any, error) {
	if err := models.RequireAdmin(auth.CallerFrom(p.Context)); err != nil {
		return nil, r.fail(p.Context, err)
	}
	in, _ := p.Args["input"].(map[string]any)
	price, _ := in["price"].(float64)
	stock, _ := in["stockCount"].(int)
	np, err := models.ParseNewProduct(price, stock, productDetails(in))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	np.Actor = models.ActorOf(auth.CallerFrom(p.Context))
	prod, err := r.store.CreateProduct(p.Context, np)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return prod, nil
}

func (r *Resolver) UpdateProduct(p graphql.ResolveParams) (any, error) {
	if err := models.RequireAdmin(auth.CallerFrom(p.Context)); err != nil {
		return nil, r.fail(p.Context, err)
	}
	in, _ := p.Args["input"].(map[string]any)
	id, _ := in["productId"].(string)
	patch, err := models.ParseProductPatch(id, optFloat(in, "price"), optInt(in, "stockCount"), productDetails(in))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	patch.Actor = models.ActorOf(auth.CallerFrom(p.Context))
	prod, err := r.store.UpdateProduct(p.Context, id, patch)
	if models.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return prod, nil
}

func (r *Resolver) DeleteProduct(p graphql.ResolveParams) (any, error) {
	if err := models.RequireAdmin(auth.CallerFrom(p.Context)); err != nil {
		return nil, r.fail(p.Context, err)
	}
	id, _ := p.Args["productId"].(string)
	if err := models.ValidateID("productId", id); err != nil {
		return nil, r.fail(p.Context, err)
	}
	deleted, err := r.store.DeleteProduct(p.Context, id)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return deleted, nil
}

// productFilter is what the caller may list: admins see inactive products
// too.
func productFilter(p graphql.ResolveParams) models.ProductFilter {
	return models.VisibleProducts(auth.CallerFrom(p.Context))
}

// productDetails reads the optional catalog fields of a product input.
func productDetails(in map[string]any) models.ProductDetails {
	d := models.ProductDetails{
		Name:        optString(in, "name"),
		Description: optString(in, "description"),
		SKU:         optString(in, "sku"),
		CategoryID:  optString(in, "categoryId"),
	}
	if v, ok := in["active"].(bool); ok {
		d.Active = &v
	}
	if list, ok := in["imageUrls"].([]any); ok {
		urls := make([]string, len(list))
		for i, u := range list {
			urls[i], _ = u.(string)
		}
		d.ImageURLs = &urls
	}
	return d
}
