package resolvers

import (
	"github.com/graphql-go/graphql"

	"shop/auth"
	"shop/catalog"
	"shop/models"
)

func (r *Resolver) GetProducts(p graphql.ResolveParams) (any, error) {
	ps, err := r.catalog.Products(p.Context, auth.CallerFrom(p.Context), optInt(p.Args, "limit"), optInt(p.Args, "offset"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	primeVariants(p, ps)
	return ps, nil
}

func (r *Resolver) GetProductByID(p graphql.ResolveParams) (any, error) {
	prod, err := r.catalog.Product(p.Context, auth.CallerFrom(p.Context), str(p.Args, "id"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	if prod == nil {
		return nil, nil
	}
	return prod, nil
}

// Products is the products connection: keyset pages of the catalog.
func (r *Resolver) Products(p graphql.ResolveParams) (any, error) {
	in, _ := p.Args["filter"].(map[string]any)
	search := models.ProductSearch{
		Query: optString(in, "query"), CategoryID: optString(in, "categoryId"),
		MinPrice: optFloat(in, "minPrice"), MaxPrice: optFloat(in, "maxPrice"),
		MaxStock: optInt(in, "maxStock"), Sort: optString(p.Args, "sort"),
	}
	if v, ok := in["inStock"].(bool); ok {
		search.InStock = &v
	}
	if list, ok := in["options"].([]any); ok {
		search.Options = productOptions(list)
	}
	page, err := r.catalog.ProductsPage(p.Context, auth.CallerFrom(p.Context), optInt(p.Args, "first"), optString(p.Args, "after"), search)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	primeVariants(p, page.Products, "edges", "node")
	return page, nil
}

func (r *Resolver) CreateProduct(p graphql.ResolveParams) (any, error) {
	in, _ := p.Args["input"].(map[string]any)
	price, _ := in["price"].(float64)
	stock, _ := in["stockCount"].(int)
	np := catalog.NewProduct{Price: price, StockCount: stock, Details: productDetails(in)}
	if list, ok := in["options"].([]any); ok {
		np.Options = productOptions(list)
	}
	if list, ok := in["variants"].([]any); ok {
		np.Variants = make([]models.VariantInput, len(list))
		for i, v := range list {
			m, _ := v.(map[string]any)
			np.Variants[i] = variantInput(m)
		}
	}
	prod, err := r.catalog.CreateProduct(p.Context, auth.CallerFrom(p.Context), np)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return prod, nil
}

func (r *Resolver) UpdateProduct(p graphql.ResolveParams) (any, error) {
	in, _ := p.Args["input"].(map[string]any)
	prod, err := r.catalog.UpdateProduct(p.Context, auth.CallerFrom(p.Context), catalog.ProductUpdate{
		ID: str(in, "productId"), Price: optFloat(in, "price"), StockCount: optInt(in, "stockCount"), Details: productDetails(in),
	})
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	if prod == nil {
		return nil, nil
	}
	return prod, nil
}

func (r *Resolver) DeleteProduct(p graphql.ResolveParams) (any, error) {
	deleted, err := r.catalog.DeleteProduct(p.Context, auth.CallerFrom(p.Context), str(p.Args, "productId"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return deleted, nil
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

// AdjustStock corrects a product's stock by a delta, with a reason
// (admins).
func (r *Resolver) AdjustStock(p graphql.ResolveParams) (any, error) {
	delta, _ := p.Args["delta"].(int)
	prod, err := r.catalog.AdjustStock(p.Context, auth.CallerFrom(p.Context), str(p.Args, "productId"), str(p.Args, "variantId"), delta, str(p.Args, "reason"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return prod, nil
}

// StockMovements is Product.stockMovements: the product's ledger (admins).
// A caller who may not read it is told once per request, however many
// products the query lists: graphql-go's cost per error (it locates each
// in the document) would otherwise let a cheap query of many products
// produce a response of thousands of errors.
func (r *Resolver) StockMovements(p graphql.ResolveParams) (any, error) {
	var id string
	switch v := p.Source.(type) {
	case models.Product:
		id = v.ID
	case *models.Product:
		id = v.ID
	}
	page, err := r.catalog.StockMovements(p.Context, auth.CallerFrom(p.Context), id, str(p.Args, "variantId"), optInt(p.Args, "first"), optString(p.Args, "after"))
	if err != nil {
		if refused(err) && refusedBefore(p.Context, "stockMovements") {
			return nil, nil
		}
		return nil, r.fail(p.Context, err)
	}
	return page, nil
}

// LowStock lists the products at or under a threshold, fewest first
// (admins).
func (r *Resolver) LowStock(p graphql.ResolveParams) (any, error) {
	ps, err := r.catalog.LowStock(p.Context, auth.CallerFrom(p.Context), optInt(p.Args, "threshold"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return ps, nil
}
