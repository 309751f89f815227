package catalog

import (
	"context"
	"sync"

	"shop/models"
)

// treeMemo holds the category tree one request has read: a page of
// products each showing its category reads it once.
type treeMemo struct {
	once sync.Once
	tree *models.CategoryTree
	err  error
}

type memoKey struct{}

// WithMemo returns ctx carrying a fresh memo of the category tree for one
// request (the HTTP handler's per-request preparation calls it), so
// nothing is shared between callers.
func WithMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, memoKey{}, &treeMemo{})
}

// tree is the tree as c may see it (product counts of active products
// only, but for admins), read once per request.
func (s *Service) tree(ctx context.Context, c models.Caller) (*models.CategoryTree, error) {
	load := func() (*models.CategoryTree, error) {
		cs, err := s.read.Categories(ctx, models.VisibleProducts(c))
		if err != nil {
			return nil, err
		}
		return models.BuildCategoryTree(cs), nil
	}
	m, _ := ctx.Value(memoKey{}).(*treeMemo)
	if m == nil {
		return load()
	}
	m.once.Do(func() { m.tree, m.err = load() })
	return m.tree, m.err
}

// Categories is every category, depth first, siblings by name, with the
// products c may see counted.
func (s *Service) Categories(ctx context.Context, c models.Caller) ([]*models.CategoryNode, error) {
	t, err := s.tree(ctx, c)
	if err != nil {
		return nil, err
	}
	return t.Nodes, nil
}

// Category is the category with id placed in its tree as c sees it, or nil
// when there is none (a product's category).
func (s *Service) Category(ctx context.Context, c models.Caller, id string) (*models.CategoryNode, error) {
	t, err := s.tree(ctx, c)
	if err != nil {
		return nil, err
	}
	return t.Node(id), nil
}

// node reads the tree again after a write, to return the category with
// its parent, children and counts.
func (s *Service) node(ctx context.Context, id string) (*models.CategoryNode, error) {
	cs, err := s.read.Categories(ctx, models.ProductFilter{IncludeInactive: true})
	if err != nil {
		return nil, err
	}
	return models.BuildCategoryTree(cs).Node(id), nil
}

// CreateCategory adds a category under parentID (nil: at the top), and
// returns it placed in the tree (admins).
func (s *Service) CreateCategory(ctx context.Context, c models.Caller, name string, parentID *string) (*models.CategoryNode, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	nc, err := models.ParseNewCategory(name, parentID)
	if err != nil {
		return nil, err
	}
	cat, err := s.write.CreateCategory(ctx, nc)
	if err != nil {
		return nil, err
	}
	return s.node(ctx, cat.ID)
}

// UpdateCategory renames or moves a category (nil fields are left as they
// are), and returns it placed in the tree; nil when there is no such
// category (admins).
func (s *Service) UpdateCategory(ctx context.Context, c models.Caller, id string, name, parentID *string) (*models.CategoryNode, error) {
	if err := models.RequireAdmin(c); err != nil {
		return nil, err
	}
	patch, err := models.ParseCategoryPatch(id, name, parentID)
	if err != nil {
		return nil, err
	}
	if _, err := s.write.UpdateCategory(ctx, id, patch); models.IsNotFound(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return s.node(ctx, id)
}

// DeleteCategory deletes an empty category (admins), reporting whether
// there was one.
func (s *Service) DeleteCategory(ctx context.Context, c models.Caller, id string) (bool, error) {
	if err := models.RequireAdmin(c); err != nil {
		return false, err
	}
	if err := models.ValidateID("id", id); err != nil {
		return false, err
	}
	return s.write.DeleteCategory(ctx, id)
}
