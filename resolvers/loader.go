package resolvers

import (
	"context"
	"sync"

	"shop/models"
)

// productLoader batches product lookups within one request. graphql-go
// (v0.8.1) resolves a whole level of the response, collecting thunks, before
// it calls any of them, so the first thunk called fetches every id asked for
// so far in one query, with no timer to wait on (which is why this is not
// graph-gophers/dataloader, whose batches close on a timer).
type productLoader struct {
	ctx context.Context // the request's: the loader lives as long as it
	svc models.ProductService

	mu      sync.Mutex
	pending map[string]struct{}
	done    map[string]loaded
}

type loaded struct {
	p   *models.Product
	err error
}

func newProductLoader(ctx context.Context, svc models.ProductService) *productLoader {
	return &productLoader{ctx: ctx, svc: svc, pending: map[string]struct{}{}, done: map[string]loaded{}}
}

type loaderKey struct{}

// WithLoaders returns ctx carrying fresh per-request loaders. The HTTP
// handler calls it once per request, so nothing is shared between callers.
func (r *Resolver) WithLoaders(ctx context.Context) context.Context {
	return context.WithValue(ctx, loaderKey{}, newProductLoader(ctx, r.store))
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
		delete(l.pending, id)
	}
}

// peek returns a product already fetched.
func (l *productLoader) peek(id string) (loaded, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.done[id]
	return r, ok
}

// load registers id and returns a function that yields its product (nil if
// there is none).
func (l *productLoader) load(id string) func() (*models.Product, error) {
	l.mu.Lock()
	if _, ok := l.done[id]; !ok {
		l.pending[id] = struct{}{}
	}
	l.mu.Unlock()
	return func() (*models.Product, error) { return l.get(id) }
}

func (l *productLoader) get(id string) (*models.Product, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r, ok := l.done[id]; ok {
		return r.p, r.err
	}
	ids := make([]string, 0, len(l.pending))
	for k := range l.pending {
		ids = append(ids, k)
	}
	l.pending = map[string]struct{}{}
	found, err := l.svc.ProductsByIDs(l.ctx, ids)
	for _, k := range ids {
		l.done[k] = loaded{p: found[k], err: err}
	}
	return l.done[id].p, l.done[id].err
}
