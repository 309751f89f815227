package resolvers

import (
	"github.com/graphql-go/graphql"

	"shop/auth"
	"shop/models"
)

func optString(m map[string]any, key string) *string {
	if v, ok := m[key].(string); ok {
		return &v
	}
	return nil
}

// Products is the products connection: keyset pages of the catalog.
func (r *Resolver) Products(p graphql.ResolveParams) (any, error) {
	conn, err := models.ParseConnection(optInt(p.Args, "first"), optString(p.Args, "after"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	in, _ := p.Args["filter"].(map[string]any)
	search := models.ProductSearch{
		Query: optString(in, "query"), CategoryID: optString(in, "categoryId"),
		MinPrice: optFloat(in, "minPrice"), MaxPrice: optFloat(in, "maxPrice"),
		MaxStock: optInt(in, "maxStock"), Sort: optString(p.Args, "sort"),
	}
	if v, ok := in["inStock"].(bool); ok {
		search.InStock = &v
	}
	f, err := models.ParseProductSearch(search, productFilter(p))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	if len(f.CategoryIDs) == 1 {
		t, err := r.categoryTree(p.Context)
		if err != nil {
			return nil, r.fail(p.Context, err)
		}
		if f, err = t.WithSubcategories(f); err != nil {
			return nil, r.fail(p.Context, err)
		}
	}
	page, err := r.store.ProductsPage(p.Context, conn, f)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return page, nil
}

// Orders is the orders connection, optionally for one customer or status,
// narrowed to the orders the caller may see: a customer asking for another
// customer's orders gets an empty page.
func (r *Resolver) Orders(p graphql.ResolveParams) (any, error) {
	caller := auth.CallerFrom(p.Context)
	if err := models.RequireSignedIn(caller); err != nil {
		return nil, r.fail(p.Context, err)
	}
	conn, err := models.ParseConnection(optInt(p.Args, "first"), optString(p.Args, "after"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	filter, err := models.ParseOrderFilter(optString(p.Args, "customerId"), optString(p.Args, "status"), optString(p.Args, "query"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	filter, visible := models.VisibleOrders(caller, filter)
	if !visible {
		return models.OrderPage{}, nil
	}
	filter.WithoutItems = !selects(p.Info.FieldASTs, p.Info.Fragments, "edges", "node", "items")
	page, err := r.store.OrdersPage(p.Context, conn, filter)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	if err := r.attachEvents(p, page.Orders, "edges", "node"); err != nil {
		return nil, err
	}
	if err := r.attachPayments(p, page.Orders, "edges", "node"); err != nil {
		return nil, err
	}
	// primeProducts finds nothing to load when no node is selected.
	primeProducts(withInner(p, "edges", "node"), page.Orders...)
	return page, nil
}
