package resolvers

import (
	"context"
	"sync"

	"shop/catalog"
	"shop/models"
)

// productLoader holds the products one request has fetched. The resolvers
// that return orders prime it with all their items' products in one call
// before graphql-go descends into the items, so no thunks are needed
// (graphql-go v0.8.1 resolves thunks in a slow, separate pass).
type productLoader struct {
	ctx context.Context // the request's: the loader lives as long as it
	svc productsByIDs

	mu   sync.Mutex
	done map[string]loaded
}

type loaded struct {
	p   *models.Product
	err error
}

// productsByIDs is the catalog's batch read (catalog.Service).
type productsByIDs interface {
	ProductsByIDs(ctx context.Context, ids []string) (map[string]*models.Product, error)
}

func newProductLoader(ctx context.Context, svc productsByIDs) *productLoader {
	return &productLoader{ctx: ctx, svc: svc, done: map[string]loaded{}}
}

type loaderKey struct{}

// WithLoaders returns ctx carrying fresh per-request loaders. The HTTP
// handler calls it once per request, so nothing is shared between callers.
func (r *Resolver) WithLoaders(ctx context.Context) context.Context {
	ctx = context.WithValue(ctx, refusalsKey{}, &refusals{seen: map[string]bool{}})
	ctx = catalog.WithMemo(ctx)
	ctx = context.WithValue(ctx, variantLoaderKey{}, &variantLoader{ctx: ctx, svc: r.catalog, done: map[string][]models.ProductVariant{}, err: map[string]error{}})
	return context.WithValue(ctx, loaderKey{}, newProductLoader(ctx, r.catalog))
}

func loaderFrom(ctx context.Context) *productLoader {
	l, _ := ctx.Value(loaderKey{}).(*productLoader)
	return l
}

// prime fetches the products of ids in one call, so that later lookups of
// them are answered at once, without thunks (which graphql-go resolves in a
// slow, separate pass). A failure is remembered for those ids and reported
// by the fields that need them.
func (l *productLoader) prime(ids []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	// A page of 1,000 orders of 100 lines names up to 100,000 ids: dedupe
	// through a set, in linear time.
	want := make([]string, 0, len(ids))
	seen := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		if _, ok := l.done[id]; ok {
			continue
		}
		if _, dup := seen[id]; !dup {
			seen[id] = struct{}{}
			want = append(want, id)
		}
	}
	if len(want) == 0 {
		return
	}
	found, err := l.svc.ProductsByIDs(l.ctx, want)
	for _, id := range want {
		l.done[id] = loaded{p: found[id], err: err}
	}
}

// peek returns a product already fetched.
func (l *productLoader) peek(id string) (loaded, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.done[id]
	return r, ok
}
