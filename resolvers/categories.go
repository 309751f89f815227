package resolvers

import (
	"context"
	"sync"

	"github.com/graphql-go/graphql"

	"shop/auth"
	"shop/models"
)

// categoryMemo holds the category tree one request has read: a page of
// products each showing its category reads it once.
type categoryMemo struct {
	once sync.Once
	tree *models.CategoryTree
	err  error
}

type categoriesKey struct{}

// categoryTree is the tree as the caller may see it (product counts of
// active products only, but for admins), read once per request.
func (r *Resolver) categoryTree(ctx context.Context) (*models.CategoryTree, error) {
	load := func() (*models.CategoryTree, error) {
		cs, err := r.store.Categories(ctx, models.VisibleProducts(auth.CallerFrom(ctx)))
		if err != nil {
			return nil, err
		}
		return models.BuildCategoryTree(cs), nil
	}
	m, _ := ctx.Value(categoriesKey{}).(*categoryMemo)
	if m == nil {
		return load()
	}
	m.once.Do(func() { m.tree, m.err = load() })
	return m.tree, m.err
}

// Categories is every category, depth first, siblings by name.
func (r *Resolver) Categories(p graphql.ResolveParams) (any, error) {
	t, err := r.categoryTree(p.Context)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return t.Nodes, nil
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
	t, err := r.categoryTree(p.Context)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	if n := t.Node(*cat); n != nil {
		return n, nil
	}
	return nil, nil
}

// node reads the tree again after a write, to return the category with
// its parent, children and counts.
func (r *Resolver) node(ctx context.Context, id string) (any, error) {
	cs, err := r.store.Categories(ctx, models.ProductFilter{IncludeInactive: true})
	if err != nil {
		return nil, err
	}
	if n := models.BuildCategoryTree(cs).Node(id); n != nil {
		return n, nil
	}
	return nil, nil
}

func (r *Resolver) CreateCategory(p graphql.ResolveParams) (any, error) {
	if err := models.RequireAdmin(auth.CallerFrom(p.Context)); err != nil {
		return nil, r.fail(p.Context, err)
	}
	name, _ := p.Args["name"].(string)
	nc, err := models.ParseNewCategory(name, optString(p.Args, "parentId"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	c, err := r.store.CreateCategory(p.Context, nc)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	n, err := r.node(p.Context, c.ID)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return n, nil
}

func (r *Resolver) UpdateCategory(p graphql.ResolveParams) (any, error) {
	if err := models.RequireAdmin(auth.CallerFrom(p.Context)); err != nil {
		return nil, r.fail(p.Context, err)
	}
	id, _ := p.Args["id"].(string)
	patch, err := models.ParseCategoryPatch(id, optString(p.Args, "name"), optString(p.Args, "parentId"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	if _, err := r.store.UpdateCategory(p.Context, id, patch); models.IsNotFound(err) {
		return nil, nil
	} else if err != nil {
		return nil, r.fail(p.Context, err)
	}
	n, err := r.node(p.Context, id)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return n, nil
}

func (r *Resolver) DeleteCategory(p graphql.ResolveParams) (any, error) {
	if err := models.RequireAdmin(auth.CallerFrom(p.Context)); err != nil {
		return nil, r.fail(p.Context, err)
	}
	id, _ := p.Args["id"].(string)
	if err := models.ValidateID("id", id); err != nil {
		return nil, r.fail(p.Context, err)
	}
	deleted, err := r.store.DeleteCategory(p.Context, id)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return deleted, nil
}
