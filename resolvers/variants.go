package resolvers

import (
	"context"
	"sync"

	"github.com/graphql-go/graphql"

	"shop/auth"
	"shop/catalog"
	"shop/models"
)

// variantLoader holds the variants one request has read, by product. The
// resolvers that return lists of products prime it with all of theirs in
// one call when the query selects variants (primeVariants), so a page of
// products costs one read of variants, not one per product.
type variantLoader struct {
	ctx  context.Context
	svc  *catalog.Service
	mu   sync.Mutex
	done map[string][]models.ProductVariant
	err  map[string]error
}

type variantLoaderKey struct{}

func variantsFrom(ctx context.Context) *variantLoader {
	l, _ := ctx.Value(variantLoaderKey{}).(*variantLoader)
	return l
}

// load reads the variants of ids not read yet, in one call.
func (l *variantLoader) load(ids []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var want []string
	seen := map[string]bool{}
	for _, id := range ids {
		if _, ok := l.done[id]; !ok && !seen[id] {
			seen[id] = true
			want = append(want, id)
		}
	}
	if len(want) == 0 {
		return
	}
	got, err := l.svc.VariantsOf(l.ctx, want)
	for _, id := range want {
		if err != nil {
			l.err[id] = err
			l.done[id] = nil
			continue
		}
		l.done[id] = got[id]
	}
}

func (l *variantLoader) get(id string) ([]models.ProductVariant, error) {
	l.load([]string{id})
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.done[id], l.err[id]
}

// primeVariants loads the variants of products in one call when the
// selection under p (at path) asks for them.
func primeVariants(p graphql.ResolveParams, products []models.Product, path ...string) {
	l := variantsFrom(p.Context)
	if l == nil || len(products) < 2 || !selects(p.Info.FieldASTs, p.Info.Fragments, append(path, "variants")...) {
		return
	}
	ids := make([]string, len(products))
	for i := range products {
		ids[i] = products[i].ID
	}
	l.load(ids)
}

// VariantOf is a variant with its product's active flag, as
// ProductVariant's fields see it (available depends on it).
type VariantOf struct {
	models.ProductVariant
	active bool
}

// VariantAvailable is ProductVariant.available.
func VariantAvailable(v *VariantOf) bool { return v.Available(v.active) }

func productOf(src any) *models.Product {
	switch v := src.(type) {
	case models.Product:
		return &v
	case *models.Product:
		return v
	}
	return nil
}

// ProductVariants is Product.variants, by position.
func (r *Resolver) ProductVariants(p graphql.ResolveParams) (any, error) {
	prod := productOf(p.Source)
	if prod == nil {
		return []VariantOf{}, nil
	}
	vs, err := variantsFrom(p.Context).get(prod.ID)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	out := make([]VariantOf, len(vs))
	for i, v := range vs {
		out[i] = VariantOf{ProductVariant: v, active: prod.Active}
	}
	return out, nil
}

// VariantProduct is ProductVariant.product.
func (r *Resolver) VariantProduct(p graphql.ResolveParams) (any, error) {
	var id string
	switch v := p.Source.(type) {
	case VariantOf:
		id = v.ProductID
	case *VariantOf:
		id = v.ProductID
	}
	ps, err := r.catalog.ProductsByIDs(p.Context, []string{id})
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	if ps[id] == nil {
		return nil, r.fail(p.Context, models.ProductNotFound(id))
	}
	return ps[id], nil
}

// GetVariantByID is getVariantById: null when there is none, or the caller
// may not see its product.
func (r *Resolver) GetVariantByID(p graphql.ResolveParams) (any, error) {
	v, err := r.catalog.Variant(p.Context, auth.CallerFrom(p.Context), str(p.Args, "variantId"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	if v == nil {
		return nil, nil
	}
	return &VariantOf{ProductVariant: v.ProductVariant, active: v.ProductActive}, nil
}

// owned is v with its product's active flag.
func (r *Resolver) owned(ctx context.Context, v *models.ProductVariant) (any, error) {
	ps, err := r.catalog.ProductsByIDs(ctx, []string{v.ProductID})
	if err != nil {
		return nil, r.fail(ctx, err)
	}
	active := ps[v.ProductID] != nil && ps[v.ProductID].Active
	return &VariantOf{ProductVariant: *v, active: active}, nil
}

// variantInput reads a ProductVariantInput.
func variantInput(in map[string]any) models.VariantInput {
	v := models.VariantInput{
		SKU: optString(in, "sku"), Price: optFloat(in, "price"), StockCount: optInt(in, "stockCount"),
		ImageURL: optString(in, "imageUrl"), WeightGrams: optInt(in, "weightGrams"),
	}
	v.CompareAtPrice = optFloat(in, "compareAtPrice")
	if list, ok := in["options"].([]any); ok {
		opts := selectedOptions(list)
		v.Options = &opts
	}
	return v
}

func selectedOptions(list []any) []models.SelectedOption {
	out := make([]models.SelectedOption, 0, len(list))
	for _, o := range list {
		m, _ := o.(map[string]any)
		out = append(out, models.SelectedOption{Name: str(m, "name"), Value: str(m, "value")})
	}
	return out
}

func productOptions(list []any) []models.ProductOption {
	out := make([]models.ProductOption, 0, len(list))
	for _, o := range list {
		m, _ := o.(map[string]any)
		vals, _ := m["values"].([]any)
		opt := models.ProductOption{Name: str(m, "name"), Values: make([]string, 0, len(vals))}
		for _, v := range vals {
			s, _ := v.(string)
			opt.Values = append(opt.Values, s)
		}
		out = append(out, opt)
	}
	return out
}

func (r *Resolver) CreateVariant(p graphql.ResolveParams) (any, error) {
	in, _ := p.Args["input"].(map[string]any)
	v, err := r.catalog.CreateVariant(p.Context, auth.CallerFrom(p.Context), str(p.Args, "productId"), variantInput(in))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return r.owned(p.Context, v)
}

func (r *Resolver) UpdateVariant(p graphql.ResolveParams) (any, error) {
	in, _ := p.Args["input"].(map[string]any)
	v, err := r.catalog.UpdateVariant(p.Context, auth.CallerFrom(p.Context), str(p.Args, "variantId"), variantInput(in))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	if v == nil {
		return nil, nil
	}
	return r.owned(p.Context, v)
}

func (r *Resolver) DeleteVariant(p graphql.ResolveParams) (any, error) {
	ok, err := r.catalog.DeleteVariant(p.Context, auth.CallerFrom(p.Context), str(p.Args, "variantId"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return ok, nil
}

func (r *Resolver) SetProductOptions(p graphql.ResolveParams) (any, error) {
	list, _ := p.Args["options"].([]any)
	prod, err := r.catalog.SetProductOptions(p.Context, auth.CallerFrom(p.Context), str(p.Args, "productId"), productOptions(list))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return prod, nil
}

func (r *Resolver) GenerateVariants(p graphql.ResolveParams) (any, error) {
	price, _ := p.Args["price"].(float64)
	stock, _ := p.Args["stockCount"].(int)
	prod, err := r.catalog.GenerateVariants(p.Context, auth.CallerFrom(p.Context), str(p.Args, "productId"), price, stock)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return prod, nil
}

// LowStockVariants lists the variants at or under a threshold, fewest
// first (admins).
func (r *Resolver) LowStockVariants(p graphql.ResolveParams) (any, error) {
	vs, err := r.catalog.LowStockVariants(p.Context, auth.CallerFrom(p.Context), optInt(p.Args, "threshold"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	ids := make([]string, len(vs))
	for i, v := range vs {
		ids[i] = v.ProductID
	}
	ps, err := r.catalog.ProductsByIDs(p.Context, ids)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	out := make([]VariantOf, len(vs))
	for i, v := range vs {
		out[i] = VariantOf{ProductVariant: v, active: ps[v.ProductID] != nil && ps[v.ProductID].Active}
	}
	return out, nil
}

// VariantStockMovements is ProductVariant.stockMovements: one variant's
// ledger (admins).
func (r *Resolver) VariantStockMovements(p graphql.ResolveParams) (any, error) {
	var pid, vid string
	switch v := p.Source.(type) {
	case VariantOf:
		pid, vid = v.ProductID, v.ID
	case *VariantOf:
		pid, vid = v.ProductID, v.ID
	}
	page, err := r.catalog.StockMovements(p.Context, auth.CallerFrom(p.Context), pid, vid, optInt(p.Args, "first"), optString(p.Args, "after"))
	if err != nil {
		if refused(err) && refusedBefore(p.Context, "stockMovements") {
			return nil, nil
		}
		return nil, r.fail(p.Context, err)
	}
	return page, nil
}
