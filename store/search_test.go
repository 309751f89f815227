package store_test

import (
	"context"
	"sort"
	"strings"
	"testing"

	"shop/errcode"
	"shop/internal/storetest"
	"shop/models"
	"shop/store"
)

func mustSearchable(tb testing.TB, s *store.Store, name, desc string, price float64, stock int, cat *string) *models.Product {
	tb.Helper()
	np, err := models.ParseNewProduct(price, stock, models.ProductDetails{Name: &name, Description: &desc, CategoryID: cat})
	if err != nil {
		tb.Fatal(err)
	}
	p, err := s.CreateProduct(context.Background(), np)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// walk reads every page of f, 2 at a time, and returns the names in order.
func walk(t *testing.T, s *store.Store, f models.ProductFilter, between func(page int)) []string {
	t.Helper()
	var names []string
	var after *models.Cursor
	for page := 0; page < 50; page++ {
		pg, err := s.ProductsPage(context.Background(), models.Connection{First: 2, After: after}, f)
		if err != nil {
			t.Fatalf("page %d of %+v: %v", page, f, err)
		}
		for _, p := range pg.Products {
			names = append(names, p.Name)
		}
		if !pg.HasNext {
			return names
		}
		cur, err := models.ParseConnection(nil, ptr(pg.Cursor(len(pg.Products)-1)))
		if err != nil {
			t.Fatalf("cursor: %v", err)
		}
		after = cur.After
		if between != nil {
			between(page)
		}
	}
	t.Fatal("too many pages")
	return nil
}

func TestSearchAndSorts(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		kitchen := mustCategory(t, s, "Kitchen", nil)
		mugs := mustCategory(t, s, "Mugs", &kitchen.ID)
		mustSearchable(t, s, "Blue ceramic mug", "Holds 350 ml.", 12, 3, &mugs.ID)
		mustSearchable(t, s, "Red mugs, set of two", "Stoneware.", 20, 0, &mugs.ID)
		mustSearchable(t, s, "Teapot", "Pairs well with a blue saucer.", 35.5, 1, &kitchen.ID)
		mustSearchable(t, s, "Apron", "Cotton.", 9.99, 10, nil)
		mustSearchable(t, s, "Zebra print towel", "Soft.", 12, 2, nil)
		ctx := context.Background()

		search := func(q string) []string {
			f, err := models.ParseProductSearch(models.ProductSearch{Query: &q}, models.ProductFilter{})
			if err != nil {
				t.Fatal(err)
			}
			pg, err := s.ProductsPage(ctx, models.Connection{First: 10}, f)
			if err != nil {
				t.Fatalf("search %q: %v", q, err)
			}
			var out []string
			for _, p := range pg.Products {
				out = append(out, p.Name)
			}
			sort.Strings(out)
			return out
		}
		for q, want := range map[string]string{
			"blue mug":          "Blue ceramic mug",                      // several words, all needed
			"MUGS":              "Blue ceramic mug,Red mugs, set of two", // stemming, case
			"saucer":            "Teapot",                                // a word in the description only
			"stoneware red":     "Red mugs, set of two",
			"nothing-like-this": "",
			`"blue" -mug) *`:    "Blue ceramic mug", // syntax is only separators
		} {
			if got := strings.Join(search(q), ","); got != want {
				t.Errorf("search %q = %q, want %q", q, got, want)
			}
		}

		all := []string{"Blue ceramic mug", "Red mugs, set of two", "Teapot", "Apron", "Zebra print towel"}
		for _, tc := range []struct {
			sort models.ProductSort
			want []string
		}{
			{models.SortOldest, all},
			{models.SortNewest, []string{"Zebra print towel", "Apron", "Teapot", "Red mugs, set of two", "Blue ceramic mug"}},
			{models.SortPriceAsc, nil},
			{models.SortPriceDesc, nil},
			{models.SortName, []string{"Apron", "Blue ceramic mug", "Red mugs, set of two", "Teapot", "Zebra print towel"}},
		} {
			got := walk(t, s, models.ProductFilter{Sort: tc.sort}, nil)
			if len(got) != 5 {
				t.Fatalf("%s walked %v", tc.sort, got)
			}
			if tc.want != nil && strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("%s walked %v, want %v", tc.sort, got, tc.want)
			}
		}
		// Prices, ties broken by id: check the order by the prices read.
		for _, srt := range []models.ProductSort{models.SortPriceAsc, models.SortPriceDesc} {
			var prices []models.Money
			var after *models.Cursor
			for {
				pg, err := s.ProductsPage(ctx, models.Connection{First: 2, After: after}, models.ProductFilter{Sort: srt})
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range pg.Products {
					prices = append(prices, p.Price)
				}
				if !pg.HasNext {
					break
				}
				c, _ := models.ParseConnection(nil, ptr(pg.Cursor(len(pg.Products)-1)))
				after = c.After
			}
			ok := sort.SliceIsSorted(prices, func(i, j int) bool {
				if srt == models.SortPriceAsc {
					return prices[i] < prices[j]
				}
				return prices[i] > prices[j]
			})
			if len(prices) != 5 || !ok {
				t.Errorf("%s walked prices %v", srt, prices)
			}
		}

		// Filters.
		cat := kitchen.ID
		f, _ := models.ParseProductSearch(models.ProductSearch{CategoryID: &cat}, models.ProductFilter{})
		f.CategoryIDs = []string{kitchen.ID, mugs.ID}
		if got := walk(t, s, f, nil); len(got) != 3 {
			t.Errorf("the kitchen and its subcategory: %v", got)
		}
		min, max, in := 10.0, 20.0, true
		f, _ = models.ParseProductSearch(models.ProductSearch{MinPrice: &min, MaxPrice: &max, InStock: &in, Sort: ptr("NAME")}, models.ProductFilter{})
		if got := strings.Join(walk(t, s, f, nil), "|"); got != "Blue ceramic mug|Zebra print towel" {
			t.Errorf("10 to 20, in stock: %v", got)
		}

		// Relevance pages through the matches, best first, and a cursor of
		// one sort is refused by another.
		q := "blue"
		f, err := models.ParseProductSearch(models.ProductSearch{Query: &q, Sort: ptr("RELEVANCE")}, models.ProductFilter{})
		if err != nil {
			t.Fatal(err)
		}
		got := walk(t, s, f, nil)
		sort.Strings(got)
		if strings.Join(got, "|") != "Blue ceramic mug|Teapot" {
			t.Errorf("relevance walked %v", got)
		}
		pg, _ := s.ProductsPage(ctx, models.Connection{First: 1}, models.ProductFilter{Sort: models.SortName})
		c, _ := models.ParseConnection(nil, ptr(pg.Cursor(0)))
		if _, err := s.ProductsPage(ctx, models.Connection{First: 1, After: c.After}, models.ProductFilter{Sort: models.SortPriceAsc}); models.ErrorCode(err) != errcode.BadUserInput {
			t.Errorf("a NAME cursor under PRICE_ASC: %v", err)
		}

		// Stable under inserts: products created while paging by name
		// neither repeat nor push others out.
		inserted := 0
		got = walk(t, s, models.ProductFilter{Sort: models.SortName}, func(page int) {
			mustSearchable(t, s, "Aaa new "+string(rune('a'+page)), "", 1, 1, nil)
			inserted++
		})
		seen := map[string]bool{}
		for _, n := range got {
			if seen[n] {
				t.Fatalf("%s twice in %v", n, got)
			}
			seen[n] = true
		}
		for _, n := range all {
			if !seen[n] {
				t.Fatalf("%s missing from %v", n, got)
			}
		}

		// A rename is found at once.
		p := mustSearchable(t, s, "Plain thing", "", 1, 1, nil)
		patch, _ := models.ParseProductPatch(p.ID, nil, nil, models.ProductDetails{Name: ptr("Lantern")})
		if _, err := s.UpdateProduct(ctx, p.ID, patch); err != nil {
			t.Fatal(err)
		}
		if got := search("lantern"); len(got) != 1 {
			t.Errorf("the renamed product: %v", got)
		}
		if got := search("plain"); len(got) != 0 {
			t.Errorf("the old name still matches: %v", got)
		}
		_ = inserted
	})
}

// TestSearchFindsPunctuatedWords: a SKU such as "MUG-1" or a size such as
// "2.5" is found by what a shopper types, with or without the punctuation.
// PostgreSQL's parser kept "-1" and "2.5" as whole tokens that no query
// (split into letters and digits) could match.
func TestSearchFindsPunctuatedWords(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		name, desc, sku := "Plain thing", "Fits a 2.5 inch slot; see example.com/specs.", "MUG-100"
		np, err := models.ParseNewProduct(5, 1, models.ProductDetails{Name: &name, Description: &desc, SKU: &sku})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateProduct(context.Background(), np); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"MUG-100", "mug 100", "mug-100 thing", "2.5 inch", "example.com", "specs"} {
			f, err := models.ParseProductSearch(models.ProductSearch{Query: &q}, models.ProductFilter{})
			if err != nil {
				t.Fatal(err)
			}
			pg, err := s.ProductsPage(context.Background(), models.Connection{First: 10}, f)
			if err != nil {
				t.Fatalf("search %q: %v", q, err)
			}
			if len(pg.Products) != 1 || pg.Products[0].Name != name {
				t.Errorf("search %q found %d products, want the one named %q", q, len(pg.Products), name)
			}
		}
	})
}

// TestStopWordsIgnoredOnBoth: PostgreSQL's english configuration drops
// stop words from the query; FTS5 has none, so "the blue mug" needed a
// "the" in the product and found nothing on SQLite. A query of stop words
// only searches for nothing, like one of punctuation only.
func TestStopWordsIgnoredOnBoth(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		mustSearchable(t, s, "Blue ceramic mug", "Holds tea.", 5, 1, nil)
		mustSearchable(t, s, "Red lamp", "A shade.", 5, 1, nil)
		for q, want := range map[string]string{
			"the blue mug":           "Blue ceramic mug",
			"a mug for the tea":      "Blue ceramic mug",
			"mugs that don't leak":   "",
			"The":                    "Blue ceramic mug|Red lamp",
			"of the and":             "Blue ceramic mug|Red lamp",
			"lamp with the shade on": "Red lamp",
		} {
			f, err := models.ParseProductSearch(models.ProductSearch{Query: &q}, models.ProductFilter{})
			if err != nil {
				t.Fatal(err)
			}
			got := walk(t, s, f, nil)
			sort.Strings(got)
			if strings.Join(got, "|") != want {
				t.Errorf("%q found %v, want %q", q, got, want)
			}
		}
	})
}
