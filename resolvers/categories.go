package resolvers

import (
	"github.com/graphql-go/graphql"

	"shop/auth"
	"shop/models"
)

// Categories is every category, depth first, siblings by name.
func (r *Resolver) Categories(p graphql.ResolveParams) (any, error) {
	nodes, err := r.catalog.Categories(p.Context, auth.CallerFrom(p.Context))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return nodes, nil
}

// ProductCategory is a product's category, or null.
func (r *Resolver) ProductCategory(p graphql.ResolveParams) (any, error) {
	var cat *string
	switch v := p.Source.(type) {
	case *models.Product:
		cat = v.CategoryID
	case models.Product:
		cat = v.CategoryID
	}
	if cat == nil {
		return nil, nil
	}
	n, err := r.catalog.Category(p.Context, auth.CallerFrom(p.Context), *cat)
	return r.category(p, n, err)
}

func (r *Resolver) CreateCategory(p graphql.ResolveParams) (any, error) {
	n, err := r.catalog.CreateCategory(p.Context, auth.CallerFrom(p.Context), str(p.Args, "name"), optString(p.Args, "parentId"))
	return r.category(p, n, err)
}

func (r *Resolver) UpdateCategory(p graphql.ResolveParams) (any, error) {
	n, err := r.catalog.UpdateCategory(p.Context, auth.CallerFrom(p.Context), str(p.Args, "id"), optString(p.Args, "name"), optString(p.Args, "parentId"))
	return r.category(p, n, err)
}

func (r *Resolver) DeleteCategory(p graphql.ResolveParams) (any, error) {
	deleted, err := r.catalog.DeleteCategory(p.Context, auth.CallerFrom(p.Context), str(p.Args, "id"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return deleted, nil
}

// category is a category the catalog returned: null when there is none (never
// a nil pointer in an interface, which graphql-go would not see as null).
func (r *Resolver) category(p graphql.ResolveParams, n *models.CategoryNode, err error) (any, error) {
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	if n == nil {
		return nil, nil
	}
	return n, nil
}
