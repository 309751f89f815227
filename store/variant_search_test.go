package store_test

import (
	"context"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"shop/internal/storetest"
	"shop/internal/testenv"
	"shop/models"
	"shop/store"
)

// variantSpec is a variant of a test product: its values, in the
// product's options' order, its SKU ("" none), price and stock.
type variantSpec struct {
	values []string
	sku    string
	price  float64
	stock  int
}

// mustVariants creates a product with options and these variants.
func mustVariants(tb testing.TB, s *store.Store, name string, active bool, options []models.ProductOption, vs ...variantSpec) (*models.Product, []models.ProductVariant) {
	tb.Helper()
	np, err := models.ParseNewProduct(1, 0, models.ProductDetails{Name: &name, Active: &active})
	if err != nil {
		tb.Fatal(err)
	}
	ins := make([]models.VariantInput, len(vs))
	for i, v := range vs {
		var sel []models.SelectedOption
		for j, val := range v.values {
			sel = append(sel, models.SelectedOption{Name: options[j].Name, Value: val})
		}
		in := models.VariantInput{Price: ptr(v.price), StockCount: ptr(v.stock), Options: &sel}
		if v.sku != "" {
			in.SKU = ptr(v.sku)
		}
		ins[i] = in
	}
	if np, err = np.WithVariants(options, ins); err != nil {
		tb.Fatal(err)
	}
	p, err := s.CreateProduct(context.Background(), np)
	if err != nil {
		tb.Fatalf("create %s: %v", name, err)
	}
	byID, err := s.VariantsOf(context.Background(), []string{p.ID})
	if err != nil {
		tb.Fatal(err)
	}
	return p, byID[p.ID]
}

// names reads every page of the search, 2 at a time, and returns the
// names found, in the list's order.
func searchNames(t *testing.T, s *store.Store, search models.ProductSearch, visible models.ProductFilter) []string {
	t.Helper()
	f, err := models.ParseProductSearch(search, visible)
	if err != nil {
		t.Fatal(err)
	}
	return walk(t, s, f, nil)
}

func sorted(names []string) string {
	names = slices.Clone(names)
	sort.Strings(names)
	return strings.Join(names, "|")
}

// TestSearchFindsVariantSKUs: a product with several variants has no SKU
// of its own; each variant's SKU finds it, as the SKU of a product with
// one variant does, and follows every write of the variants.
func TestSearchFindsVariantSKUs(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		opts := []models.ProductOption{{Name: "Size", Values: []string{"S", "M", "L"}}, {Name: "Colour", Values: []string{"Red", "Blue"}}}
		tee, vs := mustVariants(t, s, "Plain tee", true, opts,
			variantSpec{[]string{"S", "Red"}, "TEE-S-SCARLET", 10, 1},
			variantSpec{[]string{"M", "Red"}, "TEE-M-RED", 10, 1},
			variantSpec{[]string{"L", "Blue"}, "", 12, 0})
		mustSearchable(t, s, "Red mug", "Holds tea.", 5, 1, nil)
		if tee.SKU != nil {
			t.Fatalf("a product of 3 variants has the SKU %q", *tee.SKU)
		}
		find := func(q string) string {
			return sorted(searchNames(t, s, models.ProductSearch{Query: &q}, models.ProductFilter{}))
		}
		for q, want := range map[string]string{
			"TEE-M-RED":     "Plain tee",
			"tee-s-scarlet": "Plain tee",
			"tee m red":     "Plain tee",
			"red":           "Plain tee|Red mug", // a word of a SKU counts as any other
			"TEE-L":         "",
		} {
			if got := find(q); got != want {
				t.Errorf("search %q = %q, want %q", q, got, want)
			}
		}
		// Best match first: the SKU's words in the tee, one word in the mug.
		q := "tee-m-red"
		f, _ := models.ParseProductSearch(models.ProductSearch{Query: &q, Sort: ptr("RELEVANCE")}, models.ProductFilter{})
		if got := walk(t, s, f, nil); strings.Join(got, "|") != "Plain tee" {
			t.Errorf("relevance: %v", got)
		}

		// A variant's new SKU is found, its old one no longer (its words
		// are a query's words: "red" was in no other SKU).
		d, _ := models.ParseVariant("input", models.VariantInput{SKU: ptr("TEE-M-CRIMSON")})
		if _, err := s.UpdateVariant(ctx, vs[1].ID, d, "admin"); err != nil {
			t.Fatal(err)
		}
		if got := find("TEE-M-RED"); got != "" {
			t.Errorf("the old SKU still finds %q", got)
		}
		if got := find("crimson"); got != "Plain tee" {
			t.Errorf("the new SKU finds %q", got)
		}
		// A new variant's SKU; a deleted variant's no more.
		d, _ = models.ParseVariant("input", models.VariantInput{SKU: ptr("TEE-L-RED"), Price: ptr(11.0), Options: &[]models.SelectedOption{{Name: "size", Value: "l"}, {Name: "colour", Value: "red"}}})
		made, err := s.CreateVariant(ctx, tee.ID, d, "admin")
		if err != nil {
			t.Fatal(err)
		}
		if got := find("TEE-L-RED"); got != "Plain tee" {
			t.Errorf("a new variant's SKU finds %q", got)
		}
		for _, id := range []string{made.ID, vs[1].ID, vs[2].ID} {
			if ok, err := s.DeleteVariant(ctx, id, "admin"); !ok || err != nil {
				t.Fatalf("delete variant: %v, %v", ok, err)
			}
		}
		if got := find("TEE-L-RED"); got != "" {
			t.Errorf("a deleted variant's SKU finds %q", got)
		}
		// Down to one variant, whose SKU is now the product's own.
		p, err := s.ProductByID(ctx, tee.ID)
		if err != nil || p.SKU == nil || *p.SKU != "TEE-S-SCARLET" {
			t.Fatalf("the only variant's SKU is the product's: %+v, %v", p, err)
		}
		if got := find("TEE-S-SCARLET"); got != "Plain tee" {
			t.Errorf("the only variant's SKU finds %q", got)
		}
		if got := find("crimson"); got != "" {
			t.Errorf("a deleted variant's SKU finds %q", got)
		}
		// Generated variants have no SKU; the product keeps being found
		// by the one that has.
		if _, err := s.GenerateVariants(ctx, tee.ID, 10, 1, "admin"); err != nil {
			t.Fatal(err)
		}
		if got := find("TEE-S-SCARLET"); got != "Plain tee" {
			t.Errorf("after generating variants, the SKU finds %q", got)
		}
	})
}

// TestVariantSKUsMigrated: a database from before variant_skus and the
// span of prices (the search document or FTS table of the product's own
// SKU, no columns) is brought up to date at start: every product with
// several variants is found by its variants' SKUs and by a price range of
// any of them. Starting again changes nothing.
func TestVariantSKUsMigrated(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts func(t *testing.T) store.Options
		old  []string
	}{
		{"PostgreSQL", func(t *testing.T) store.Options {
			return store.Options{DatabaseURL: testenv.MustPostgres(t), MaxOpenConns: 4, MaxIdleConns: 2}
		}, []string{
			"ALTER TABLE products DROP COLUMN search",
			"ALTER TABLE products DROP COLUMN variant_skus",
			"ALTER TABLE products DROP COLUMN price_min_cents",
			"ALTER TABLE products DROP COLUMN price_max_cents",
			`ALTER TABLE products ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('english', translate(name || ' ' || description || ' ' || coalesce(sku, ''), ` +
				`'!"#$%&''()*+,-./:;<=>?@[\]^_` + "`" + `{|}~', '                                '))) STORED`,
			"CREATE INDEX IF NOT EXISTS idx_products_search_doc ON products USING GIN (search)",
		}},
		{"SQLite", func(t *testing.T) store.Options {
			return store.Options{SQLitePath: filepath.Join(t.TempDir(), "shop.db"), MaxOpenConns: 4, MaxIdleConns: 2}
		}, []string{
			"DROP TRIGGER products_fts_ai", "DROP TRIGGER products_fts_ad", "DROP TRIGGER products_fts_au", "DROP TABLE products_fts",
			"DROP INDEX idx_products_variant_skus_unset",
			"DROP INDEX idx_products_price_span",
			"ALTER TABLE products DROP COLUMN variant_skus",
			"ALTER TABLE products DROP COLUMN price_min_cents",
			"ALTER TABLE products DROP COLUMN price_max_cents",
			`CREATE VIRTUAL TABLE products_fts USING fts5(name, description, sku, content='products', content_rowid='rowid', tokenize='porter unicode61')`,
			`CREATE TRIGGER products_fts_ai AFTER INSERT ON products BEGIN
				INSERT INTO products_fts(rowid, name, description, sku) VALUES (new.rowid, new.name, new.description, coalesce(new.sku, '')); END`,
			`CREATE TRIGGER products_fts_ad AFTER DELETE ON products BEGIN
				INSERT INTO products_fts(products_fts, rowid, name, description, sku) VALUES ('delete', old.rowid, old.name, old.description, coalesce(old.sku, '')); END`,
			`CREATE TRIGGER products_fts_au AFTER UPDATE OF name, description, sku ON products BEGIN
				INSERT INTO products_fts(products_fts, rowid, name, description, sku) VALUES ('delete', old.rowid, old.name, old.description, coalesce(old.sku, ''));
				INSERT INTO products_fts(rowid, name, description, sku) VALUES (new.rowid, new.name, new.description, coalesce(new.sku, '')); END`,
			"INSERT INTO products_fts(products_fts) VALUES ('rebuild')",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := tc.opts(t)
			s := storetest.MustOpen(t, opts)
			opt := []models.ProductOption{{Name: "Size", Values: []string{"S", "M"}}}
			mustVariants(t, s, "Plain tee", true, opt, variantSpec{[]string{"S"}, "TEE-S", 10, 1}, variantSpec{[]string{"M"}, "TEE-M", 30, 1})
			one := "MUG-1"
			np, _ := models.ParseNewProduct(5, 1, models.ProductDetails{Name: ptr("Mug"), SKU: &one})
			if _, err := s.CreateProduct(context.Background(), np); err != nil {
				t.Fatal(err)
			}
			db, err := s.DB()
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range tc.old {
				if _, err := db.Exec(st); err != nil {
					t.Fatalf("%s: %v", st, err)
				}
			}
			find := func(s *store.Store, q string) string {
				return sorted(searchNames(t, s, models.ProductSearch{Query: &q}, models.ProductFilter{}))
			}
			if got := find(s, "TEE-M"); got != "" {
				t.Fatalf("the old search found a variant's SKU: %q", got)
			}
			_ = s.Close()
			for start := 1; start <= 2; start++ {
				s := storetest.MustOpen(t, opts)
				for q, want := range map[string]string{"TEE-M": "Plain tee", "tee-s": "Plain tee", "mug-1": "Mug", "tee": "Plain tee"} {
					if got := find(s, q); got != want {
						t.Errorf("start %d: search %q = %q, want %q", start, q, got, want)
					}
				}
				// The span of the tee's prices (10 to 30) is back: a walk by
				// price from 25 finds it, though its price is 10.
				s.LimitFewMatches(0)
				if got := searchNames(t, s, models.ProductSearch{MinPrice: ptr(25.0), Sort: ptr("PRICE_ASC")}, models.ProductFilter{}); strings.Join(got, "|") != "Plain tee" {
					t.Errorf("start %d: from 25 by price: %v", start, got)
				}
				db, _ := s.DB()
				var unset int
				if err := db.QueryRow("SELECT count(*) FROM products WHERE variant_skus IS NULL").Scan(&unset); err != nil || unset != 0 {
					t.Fatalf("start %d: %d products without variant_skus, %v", start, unset, err)
				}
				_ = s.Close()
			}
		})
	}
}

// TestVariantFilters: a price range matches a product with any variant in
// it; inStock one with a variant in stock; options one with a variant in
// stock with one of the values of each option named (whatever their
// case), all on the same variant; together, they hold for one variant.
// Pages (2 at a time) through each neither skip nor repeat, and the price
// order is the product's price (its lowest available).
func TestVariantFilters(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		size := func(vals ...string) models.ProductOption { return models.ProductOption{Name: "Size", Values: vals} }
		colour := models.ProductOption{Name: "Colour", Values: []string{"Red", "Blue"}}
		// Tee: price 10 (S, the lowest available); M sold out.
		tee, teeVs := mustVariants(t, s, "Tee", true, []models.ProductOption{size("S", "M", "L"), colour},
			variantSpec{[]string{"S", "Red"}, "", 10, 5},
			variantSpec{[]string{"M", "Red"}, "", 20, 0},
			variantSpec{[]string{"L", "Blue"}, "", 30, 2})
		hoodie, hoodieVs := mustVariants(t, s, "Hoodie", true, []models.ProductOption{size("M", "L")},
			variantSpec{[]string{"M"}, "", 50, 1},
			variantSpec{[]string{"L"}, "", 60, 0})
		mustSearchable(t, s, "Mug", "", 15, 3, nil)
		mustVariants(t, s, "Cap", true, []models.ProductOption{size("M")}, variantSpec{[]string{"M"}, "", 12, 0})
		mustVariants(t, s, "Hidden tee", false, []models.ProductOption{size("M")}, variantSpec{[]string{"M"}, "", 20, 4})

		shopper, admin := models.ProductFilter{}, models.ProductFilter{IncludeInactive: true}
		// Both ways of reading a page: from the few variants matched, and
		// walking the products in order.
		for _, limit := range []int{store.MaxFewMatches, 0} {
			s.LimitFewMatches(limit)
			checkVariantFilters(t, s, shopper, admin)
		}
		s.LimitFewMatches(store.MaxFewMatches)

		// Stock moves products in and out: the tee's M in stock again.
		d, _ := models.ParseVariant("input", models.VariantInput{StockCount: ptr(3)})
		if _, err := s.UpdateVariant(ctx, teeVs[1].ID, d, "admin"); err != nil {
			t.Fatal(err)
		}
		if got := sorted(searchNames(t, s, models.ProductSearch{Options: []models.ProductOption{{Name: "Size", Values: []string{"M"}}}}, shopper)); got != "Hoodie|Tee" {
			t.Errorf("after the tee's M came back: %q", got)
		}
		_ = tee

		// The span of prices follows the variants' writes, for the walk
		// by price (every page read that way here).
		s.LimitFewMatches(0)
		byPrice := func(min, max *float64) string {
			return strings.Join(searchNames(t, s, models.ProductSearch{MinPrice: min, MaxPrice: max, Sort: ptr("PRICE_ASC")}, shopper), "|")
		}
		d, _ = models.ParseVariant("input", models.VariantInput{Price: ptr(80.0)})
		if _, err := s.UpdateVariant(ctx, hoodieVs[1].ID, d, "admin"); err != nil {
			t.Fatal(err)
		}
		if got := byPrice(ptr(75.0), nil); got != "Hoodie" {
			t.Errorf("from 75 after the hoodie's L went to 80: %q", got)
		}
		if ok, err := s.DeleteVariant(ctx, hoodieVs[1].ID, "admin"); !ok || err != nil {
			t.Fatal(ok, err)
		}
		if got := byPrice(ptr(55.0), nil); got != "" {
			t.Errorf("from 55 with the hoodie's L gone: %q", got)
		}
		if got := byPrice(ptr(45.0), ptr(50.0)); got != "Hoodie" {
			t.Errorf("45 to 50, the hoodie's one variant: %q", got)
		}
		// With one variant, its price is the product's, which
		// updateProduct sets.
		patch, err := models.ParseProductPatch(hoodie.ID, ptr(90.0), nil, models.ProductDetails{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateProduct(ctx, hoodie.ID, patch); err != nil {
			t.Fatal(err)
		}
		if got := byPrice(ptr(85.0), nil); got != "Hoodie" {
			t.Errorf("from 85 after updateProduct set 90: %q", got)
		}
	})
}

// checkVariantFilters is TestVariantFilters's filters of its catalog.
func checkVariantFilters(t *testing.T, s *store.Store, shopper, admin models.ProductFilter) {
	t.Helper()
	num := func(v float64) *float64 { return &v }
	yes := true
	opt := func(name string, vals ...string) models.ProductOption {
		return models.ProductOption{Name: name, Values: vals}
	}
	for _, tc := range []struct {
		name    string
		search  models.ProductSearch
		visible models.ProductFilter
		want    string
	}{
		{"a price range matches any variant", models.ProductSearch{MinPrice: num(18), MaxPrice: num(25)}, shopper, "Tee"},
		{"down to the lowest", models.ProductSearch{MaxPrice: num(12)}, shopper, "Cap|Tee"},
		{"from the highest", models.ProductSearch{MinPrice: num(60)}, shopper, "Hoodie"},
		{"in the range and in stock: the same variant", models.ProductSearch{MinPrice: num(18), MaxPrice: num(25), InStock: &yes}, shopper, ""},
		{"in stock up to 55", models.ProductSearch{MaxPrice: num(55), InStock: &yes, MinPrice: num(25)}, shopper, "Hoodie|Tee"},
		{"in stock: any variant", models.ProductSearch{InStock: &yes}, shopper, "Hoodie|Mug|Tee"},
		{"Size M or L", models.ProductSearch{Options: []models.ProductOption{opt("Size", "M", "L")}}, shopper, "Hoodie|Tee"},
		{"size m, whatever its case", models.ProductSearch{Options: []models.ProductOption{opt("size", "m")}}, shopper, "Hoodie"},
		{"Colour Red", models.ProductSearch{Options: []models.ProductOption{opt("COLOUR", "red")}}, shopper, "Tee"},
		{"Size L and Blue: one variant", models.ProductSearch{Options: []models.ProductOption{opt("Size", "L"), opt("Colour", "Blue")}}, shopper, "Tee"},
		{"Size S or M, Blue: no variant is both", models.ProductSearch{Options: []models.ProductOption{opt("Size", "S", "M"), opt("Colour", "Blue")}}, shopper, ""},
		{"Size M or L up to 40: one variant", models.ProductSearch{Options: []models.ProductOption{opt("Size", "M", "L")}, MaxPrice: num(40)}, shopper, "Tee"},
		{"a value no product has", models.ProductSearch{Options: []models.ProductOption{opt("Size", "XL")}}, shopper, ""},
		{"an option no product has", models.ProductSearch{Options: []models.ProductOption{opt("Material", "M")}}, shopper, ""},
		{"a value of another option", models.ProductSearch{Options: []models.ProductOption{opt("Colour", "M")}}, shopper, ""},
		{"admins: inactive products' variants in stock too", models.ProductSearch{Options: []models.ProductOption{opt("Size", "M")}}, admin, "Hidden tee|Hoodie"},
		{"with a query", models.ProductSearch{Query: ptr("tee"), Options: []models.ProductOption{opt("Size", "L")}}, admin, "Tee"},
	} {
		if got := sorted(searchNames(t, s, tc.search, tc.visible)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}

	// The price order is the product's price, the lowest available
	// one: the tee (10, with an L at 30) before the hoodie (50).
	for srt, want := range map[string]string{"PRICE_ASC": "Tee|Hoodie", "PRICE_DESC": "Hoodie|Tee", "NAME": "Hoodie|Tee", "NEWEST": "Hoodie|Tee", "OLDEST": "Tee|Hoodie"} {
		got := searchNames(t, s, models.ProductSearch{Options: []models.ProductOption{opt("Size", "M", "L")}, Sort: ptr(srt)}, shopper)
		if strings.Join(got, "|") != want {
			t.Errorf("Size M or L by %s: %v, want %s", srt, got, want)
		}
	}
}

// TestVariantFiltersPage: many products, some matching, paged 2 at a
// time in every order while the stock of the matching ones changes
// nothing of their order: each match once, in order.
func TestVariantFiltersPage(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		sizes := []models.ProductOption{{Name: "Size", Values: []string{"S", "M", "L"}}}
		var want []string
		prices := map[string]models.Money{}
		for i := 0; i < 13; i++ {
			name := "Product " + string(rune('a'+i))
			// Every third has its M in stock; all have an L at 90.
			mStock := 0
			if i%3 == 0 {
				mStock = 1
				want = append(want, name)
			}
			p, _ := mustVariants(t, s, name, true, sizes,
				variantSpec{[]string{"S"}, "", float64(20 + (i*7)%11), 1},
				variantSpec{[]string{"M"}, "", 40, mStock},
				variantSpec{[]string{"L"}, "", 90, 1})
			prices[name] = p.Price
		}
		filter := []models.ProductOption{{Name: "Size", Values: []string{"m"}}}
		for _, limit := range []int{store.MaxFewMatches, 0} {
			s.LimitFewMatches(limit)
			checkVariantPages(t, s, filter, want, prices)
		}
	})
}

// checkVariantPages is TestVariantFiltersPage's walks.
func checkVariantPages(t *testing.T, s *store.Store, filter []models.ProductOption, want []string, prices map[string]models.Money) {
	t.Helper()
	for _, srt := range []string{"OLDEST", "NEWEST", "PRICE_ASC", "PRICE_DESC", "NAME"} {
		got := searchNames(t, s, models.ProductSearch{Options: filter, Sort: ptr(srt)}, models.ProductFilter{})
		if sorted(got) != sorted(want) || len(got) != len(want) {
			t.Fatalf("Size M by %s walked %v, want %v", srt, got, want)
		}
		ok := sort.SliceIsSorted(got, func(i, j int) bool {
			switch srt {
			case "PRICE_ASC":
				return prices[got[i]] < prices[got[j]]
			case "PRICE_DESC":
				return prices[got[i]] > prices[got[j]]
			case "NEWEST":
				return got[i] > got[j]
			}
			return got[i] < got[j]
		})
		if !ok {
			t.Errorf("Size M by %s walked %v out of order", srt, got)
		}
	}
	// A price range over the same pages: every product has an L at 90.
	all := searchNames(t, s, models.ProductSearch{MinPrice: ptr(85.0), MaxPrice: ptr(95.0), Sort: ptr("PRICE_ASC")}, models.ProductFilter{})
	if len(all) != 13 {
		t.Fatalf("85 to 95 walked %v", all)
	}
	for i := 1; i < len(all); i++ {
		if prices[all[i-1]] > prices[all[i]] {
			t.Fatalf("85 to 95 by price walked %v out of order", all)
		}
	}
}
