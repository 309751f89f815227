package cache_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"shop/cache"
	"shop/models"
	"shop/store"
)

func (l *loadCounter) VariantByID(ctx context.Context, id string) (*models.VariantOfProduct, error) {
	l.add("variant " + id)
	return l.Store.VariantByID(ctx, id)
}

func (l *loadCounter) VariantsOf(ctx context.Context, ids []string) (map[string][]models.ProductVariant, error) {
	for _, id := range ids {
		l.add("variants " + id)
	}
	return l.Store.VariantsOf(ctx, ids)
}

// mustSized creates a product with a Size option of values (one variant
// each, price 10.00, stock 5) and returns it with its variants by
// position.
func mustSized(t *testing.T, st *store.Store, values ...string) (*models.Product, []models.ProductVariant) {
	t.Helper()
	ctx := context.Background()
	np, err := models.NewProduct{Price: 1000, StockCount: 5}.WithVariants([]models.ProductOption{{Name: "Size", Values: values}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.CreateProduct(ctx, np)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := st.VariantsOf(ctx, []string{p.ID})
	if err != nil || len(vs[p.ID]) != len(values) {
		t.Fatalf("variants of %s: %+v %v", p.ID, vs, err)
	}
	return p, vs[p.ID]
}

// variantViews are the reads of a product p with the variants S, M and L
// and of a product q (one variant), each as the data entries it reads
// and as whole responses:
//
//   - "p", "p variants", "q", "q variants": the products and their
//     variants (Product.variants);
//   - "M", "L": getVariantById's read of the variant (with its product's
//     active flag);
//   - "p page": the response of getProductsById(p) { variants };
//   - "q page": the same of q;
//   - "L alone": the response of getVariantById(L) { price stockCount
//     available }, which reads L alone;
//   - "L with product": getVariantById(L) { product { ... } }, which
//     reads L and then its product.
func variantViews(t *testing.T, c *cache.Catalog, lc *loadCounter, p *models.Product, m, l models.ProductVariant, q *models.Product) []view {
	ctx := context.Background()
	loaded := func(key string, read func() error) bool {
		t.Helper()
		before := lc.loads(key)
		if err := read(); err != nil && !models.IsNotFound(err) {
			t.Fatal(err)
		}
		return lc.loads(key) > before
	}
	product := func(name, id string) view {
		return view{name, func() bool {
			return loaded("product "+id, func() error { _, err := c.ProductByID(ctx, id); return err })
		}}
	}
	variants := func(name, id string) view {
		return view{name, func() bool {
			return loaded("variants "+id, func() error { _, err := c.VariantsOf(ctx, []string{id}); return err })
		}}
	}
	variant := func(name, id string) view {
		return view{name, func() bool {
			return loaded("variant "+id, func() error { _, err := c.VariantByID(ctx, id); return err })
		}}
	}
	// response reports whether the response under key was computed by
	// read (a miss), and stores what it computed.
	response := func(name string, read func(context.Context) error) view {
		return view{name, func() bool {
			_, hit, exec, fill := c.Response(ctx, "variants-test:"+strings.ReplaceAll(name, " ", "-"))
			if hit {
				return false
			}
			if err := read(exec); err != nil && !models.IsNotFound(err) {
				t.Fatal(err)
			}
			fill([]byte(name))
			return true
		}}
	}
	page := func(id string) func(context.Context) error {
		return func(ctx context.Context) error {
			if _, err := c.ProductByID(ctx, id); err != nil {
				return err
			}
			_, err := c.VariantsOf(ctx, []string{id})
			return err
		}
	}
	return []view{
		product("p", p.ID),
		variants("p variants", p.ID),
		product("q", q.ID),
		variants("q variants", q.ID),
		variant("M", m.ID),
		variant("L", l.ID),
		response("p page", page(p.ID)),
		response("q page", page(q.ID)),
		response("L alone", func(ctx context.Context) error { _, err := c.VariantByID(ctx, l.ID); return err }),
		response("L with product", func(ctx context.Context) error {
			v, err := c.VariantByID(ctx, l.ID)
			if err != nil {
				return err
			}
			_, err = c.ProductsByIDs(ctx, []string{v.ProductID})
			return err
		}),
	}
}

// TestVariantKeysRetireWhatTheyChange: variants are cached per variant
// and per product. A write for variant M of p (an order, an update, an
// adjustment) retires M's reads and p's (its product, its variants and
// every response that reads p), and nothing else: getVariantById(L) of
// p's variant L stays cached unless it reads p too, and q stays cached. A
// change of p's own fields leaves M and L; a change of p's active flag,
// which every variant read by id shows, retires all of them; a product
// deleted drops its variants' entries.
func TestVariantKeysRetireWhatTheyChange(t *testing.T) {
	t.Parallel()
	tieredCatalogs(t, func(t *testing.T, b cache.Backend, st *store.Store, c *cache.Catalog) {
		ctx := context.Background()
		lc := &loadCounter{Store: st}
		c = cache.NewCatalog(lc, c.Invalidator)
		p, vs := mustSized(t, st, "S", "M", "L")
		s, m, l := vs[0], vs[1], vs[2]
		q, err := st.CreateProduct(ctx, models.NewProduct{Price: 500, StockCount: 10})
		if err != nil {
			t.Fatal(err)
		}
		views := variantViews(t, c, lc, p, m, l, q)
		ofP := []string{"p", "p variants", "p page", "L with product"}
		with := func(extra ...string) []string { return append(slices.Clone(ofP), extra...) }
		order := func(productID, variantID string) {
			t.Helper()
			req, err := models.ParseOrder("alice", []models.OrderLine{{ProductID: productID, VariantID: variantID, Quantity: 1}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.CreateOrder(ctx, req); err != nil {
				t.Fatal(err)
			}
		}
		updateVariant := func(id string, in models.VariantInput) {
			t.Helper()
			d, err := models.ParseVariant("input", in)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.UpdateVariant(ctx, id, d, "adm"); err != nil {
				t.Fatal(err)
			}
		}
		details := func(d models.ProductDetails) {
			t.Helper()
			patch, err := models.ParseProductPatch(p.ID, nil, nil, d)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.UpdateProduct(ctx, p.ID, patch); err != nil {
				t.Fatal(err)
			}
		}
		for _, step := range []struct {
			name    string
			write   func()
			retired []string
		}{
			{"an order for M", func() { order(p.ID, m.ID) }, with("M")},
			{"M's price", func() { updateVariant(m.ID, models.VariantInput{Price: ptr(12.5)}) }, with("M")},
			{"L's stock", func() { updateVariant(l.ID, models.VariantInput{StockCount: ptr(9)}) }, with("L", "L alone")},
			{"an adjustment of L", func() {
				if _, err := st.AdjustStock(ctx, models.Adjustment{ProductID: p.ID, VariantID: l.ID, Delta: -1, Reason: "lost", Actor: "adm"}); err != nil {
					t.Fatal(err)
				}
			}, with("L", "L alone")},
			{"p renamed", func() { details(models.ProductDetails{Name: ptr("Tee")}) }, ofP},
			{"p inactive", func() { details(models.ProductDetails{Active: ptr(false)}) }, with("M", "L", "L alone")},
			{"p active again", func() { details(models.ProductDetails{Active: ptr(true)}) }, with("M", "L", "L alone")},
			{"p's options gain XL", func() {
				if _, err := st.SetProductOptions(ctx, p.ID, models.ProductOptions{{Name: "Size", Values: []string{"S", "M", "L", "XL"}}}, "adm"); err != nil {
					t.Fatal(err)
				}
			}, ofP},
			{"a new variant XL", func() {
				d, err := models.ParseVariant("input", models.VariantInput{Price: ptr(20.0), Options: &[]models.SelectedOption{{Name: "Size", Value: "XL"}}})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := st.CreateVariant(ctx, p.ID, d, "adm"); err != nil {
					t.Fatal(err)
				}
			}, ofP},
			{"a second L, refused", func() {
				d, err := models.ParseVariant("input", models.VariantInput{Price: ptr(20.0), Options: &[]models.SelectedOption{{Name: "Size", Value: "L"}}})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := st.CreateVariant(ctx, p.ID, d, "adm"); err == nil {
					t.Fatal("a second L was created")
				}
			}, nil},
			{"S deleted", func() {
				if ok, err := st.DeleteVariant(ctx, s.ID, "adm"); err != nil || !ok {
					t.Fatalf("delete S: %v %v", ok, err)
				}
			}, ofP},
			{"an order for q", func() { order(q.ID, "") }, []string{"q", "q variants", "q page"}},
		} {
			warmViews(t, views)
			step.write()
			checkViews(t, step.name, views, step.retired...)
		}

		// What the reads show after those writes.
		got, err := c.VariantByID(ctx, m.ID)
		if err != nil || got.Price != 1250 || got.StockCount != 4 || !got.ProductActive {
			t.Fatalf("M = %+v, %v; want price 12.50, stock 4, active", got, err)
		}
		all, err := c.VariantsOf(ctx, []string{p.ID})
		if err != nil || len(all[p.ID]) != 3 || all[p.ID][0].ID != m.ID || all[p.ID][1].ID != l.ID || all[p.ID][1].StockCount != 8 || all[p.ID][2].Title != "XL" {
			t.Fatalf("p's variants = %+v, %v; want M, L with 8, XL", all[p.ID], err)
		}

		// p deleted: its variants' entries are dropped, not only retired.
		warmViews(t, views)
		entry := func(key string) []byte {
			vals, err := b.MGet(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			return vals[0]
		}
		keys := []string{"d:var:" + m.ID, "d:var:" + l.ID, "d:pv:" + p.ID}
		for _, k := range keys {
			if entry(k) == nil {
				t.Fatalf("%s is not in the backend before p's delete: the check below proves nothing", k)
			}
		}
		if ok, err := st.DeleteProduct(ctx, p.ID); err != nil || !ok {
			t.Fatalf("delete p: %v %v", ok, err)
		}
		for _, k := range keys {
			if e := entry(k); e != nil {
				t.Errorf("%s is left in the backend after p's delete: %q", k, e)
			}
		}
		checkViews(t, "p deleted", views, with("M", "L", "L alone")...)
		if _, err := c.VariantByID(ctx, l.ID); !models.IsNotFound(err) {
			t.Fatalf("L after p's delete: %v, want NOT_FOUND", err)
		}
	})
}

// TestHandleVariantEvents: the outbox's consumer retires variants from
// the events alone: stock.changed its variant's key and its product's (an
// event without a variantId, recorded before variants, the product's
// default variant, whose id is the product's); product.updated the
// variants it names.
func TestHandleVariantEvents(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, b cache.Backend) {
		ctx := context.Background()
		st, c := mustCached(t, b)
		lc := &loadCounter{Store: st}
		c = cache.NewCatalog(lc, c.Invalidator)
		p, vs := mustSized(t, st, "M", "L")
		m, l := vs[0], vs[1]
		q, err := st.CreateProduct(ctx, models.NewProduct{Price: 500, StockCount: 10})
		if err != nil {
			t.Fatal(err)
		}
		views := variantViews(t, c, lc, p, m, l, q)
		views = append(views, view{"q by id", func() bool {
			before := lc.loads("variant " + q.ID)
			if _, err := c.VariantByID(ctx, q.ID); err != nil {
				t.Fatal(err)
			}
			return lc.loads("variant "+q.ID) > before
		}})
		ofP := []string{"p", "p variants", "p page", "L with product"}
		event := func(typ, subject string, payload any) models.Event {
			e := models.NewEvent(typ, subject, payload, time.Now())
			e.Write = randomWrite()
			return e
		}
		for _, step := range []struct {
			name    string
			event   models.Event
			retired []string
		}{
			{"stock.changed of M", event(models.EventStockChanged, p.ID,
				models.StockChanged{ProductID: p.ID, VariantID: m.ID, Delta: -1, StockAfter: 4}), append(ofP, "M")},
			{"stock.changed of q without a variantId", event(models.EventStockChanged, q.ID,
				models.StockChanged{ProductID: q.ID, Delta: -1, StockAfter: 9}), []string{"q", "q variants", "q page", "q by id"}},
			{"product.updated naming L", event(models.EventProductUpdated, p.ID,
				models.ProductChanged{ProductID: p.ID, Changes: []string{models.ChangedFields}, VariantIDs: []string{l.ID}}), append(ofP, "L", "L alone")},
			{"product.updated naming no variant", event(models.EventProductUpdated, p.ID,
				models.ProductChanged{ProductID: p.ID, Changes: []string{models.ChangedFields}}), ofP},
		} {
			warmViews(t, views)
			if err := c.Handle(ctx, []models.Event{step.event}); err != nil {
				t.Fatal(err)
			}
			checkViews(t, step.name, views, step.retired...)
		}
	})
}

// TestVariantFillAfterWriteIsNeverServed: a variant read before a write
// and stored after the write's invalidation is stored under the version
// the write replaced, and never served.
func TestVariantFillAfterWriteIsNeverServed(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, b cache.Backend) {
		ctx := context.Background()
		st, c := mustCached(t, b)
		_, vs := mustSized(t, st, "M", "L")
		m := vs[0]
		gate := &gatedVariants{Reader: st, read: make(chan struct{}), release: make(chan struct{})}
		gc := cache.NewCatalog(gate, c.Invalidator)
		done := make(chan *models.VariantOfProduct)
		go func() {
			v, err := gc.VariantByID(ctx, m.ID)
			if err != nil {
				t.Error(err)
			}
			done <- v
		}()
		<-gate.read // the reader has the old row
		d, err := models.ParseVariant("input", models.VariantInput{Price: ptr(99.0)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.UpdateVariant(ctx, m.ID, d, "adm"); err != nil {
			t.Fatal(err)
		}
		close(gate.release) // it stores the old row after the write's invalidation
		if old := <-done; old.Price != 1000 {
			t.Fatalf("the held reader read %d, want the old 1000", old.Price)
		}
		got, err := c.VariantByID(ctx, m.ID)
		if err != nil || got.Price != 9900 {
			t.Fatalf("after the write: %+v, %v; want price 99.00", got, err)
		}
	})
}

// gatedVariants holds the first VariantByID after it has read, until
// released.
type gatedVariants struct {
	cache.Reader
	read, release chan struct{}
}

func (g *gatedVariants) VariantByID(ctx context.Context, id string) (*models.VariantOfProduct, error) {
	v, err := g.Reader.VariantByID(ctx, id)
	close(g.read)
	<-g.release
	return v, err
}
