package cache_test

import (
	"context"
	"strings"
	"testing"

	"shop/cache"
	"shop/models"
	"shop/store"
)

// TestVariantFiltersCached: a page filtered by options is its own cache
// entry (the options are part of its key), and is retired by what changes
// it: a variant's stock (options match variants in stock) and a variant's
// price (a price range matches any variant, not only the product's price).
func TestVariantFiltersCached(t *testing.T) {
	t.Parallel()
	tieredCatalogs(t, func(t *testing.T, _ cache.Backend, st *store.Store, c *cache.Catalog) {
		ctx := context.Background()
		lc := &loadCounter{Store: st}
		c = cache.NewCatalog(lc, c.Invalidator)
		create := func(name string, values []string, price float64) []models.ProductVariant {
			np, err := models.ParseNewProduct(price, 1, models.ProductDetails{Name: &name})
			if err != nil {
				t.Fatal(err)
			}
			if np, err = np.WithVariants([]models.ProductOption{{Name: "Size", Values: values}}, nil); err != nil {
				t.Fatal(err)
			}
			p, err := st.CreateProduct(ctx, np)
			if err != nil {
				t.Fatal(err)
			}
			vs, err := st.VariantsOf(ctx, []string{p.ID})
			if err != nil {
				t.Fatal(err)
			}
			return vs[p.ID]
		}
		tee := create("Tee", []string{"S", "M"}, 10)
		create("Hoodie", []string{"L"}, 50)
		filter := func(s models.ProductSearch) models.ProductFilter {
			f, err := models.ParseProductSearch(s, models.ProductFilter{})
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
		sizeM := filter(models.ProductSearch{Options: []models.ProductOption{{Name: "Size", Values: []string{"M"}}}})
		sizeL := filter(models.ProductSearch{Options: []models.ProductOption{{Name: "Size", Values: []string{"L"}}}})
		from55 := filter(models.ProductSearch{MinPrice: ptr(55.0)})
		read := func(f models.ProductFilter) (names string, loaded bool) {
			before := lc.loads("page " + filterLabel(f))
			pg, err := c.ProductsPage(ctx, models.Connection{First: 10}, f)
			if err != nil {
				t.Fatal(err)
			}
			var ns []string
			for _, p := range pg.Products {
				ns = append(ns, p.Name)
			}
			return strings.Join(ns, "|"), lc.loads("page "+filterLabel(f)) > before
		}
		expect := func(when string, f models.ProductFilter, want string, wantLoaded bool) {
			t.Helper()
			if got, loaded := read(f); got != want || loaded != wantLoaded {
				t.Errorf("%s: %q (loaded %v), want %q (loaded %v)", when, got, loaded, want, wantLoaded)
			}
		}
		for _, f := range []models.ProductFilter{sizeM, sizeL, from55} {
			read(f)
			read(f) // the first load is not stored (list); the second is
		}
		expect("Size M, cached", sizeM, "Tee", false)
		expect("Size L, an entry of its own", sizeL, "Hoodie", false)
		expect("from 55, cached", from55, "", false)

		// The tee's M sold out: Size M is retired, Size L's list too (it
		// reads stock), and shows the same.
		d, _ := models.ParseVariant("input", models.VariantInput{StockCount: ptr(0)})
		if _, err := st.UpdateVariant(ctx, tee[1].ID, d, "admin"); err != nil {
			t.Fatal(err)
		}
		expect("Size M after its stock went", sizeM, "", true)
		expect("Size L after another's stock", sizeL, "Hoodie", true)

		// The tee's M at 60: the tee's price stays 10 (its S, the one
		// available), and it now has a variant from 55.
		d, _ = models.ParseVariant("input", models.VariantInput{Price: ptr(60.0)})
		if _, err := st.UpdateVariant(ctx, tee[1].ID, d, "admin"); err != nil {
			t.Fatal(err)
		}
		expect("from 55 after a variant's price", from55, "Tee", true)
	})
}
