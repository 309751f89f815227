package store_test

import (
	"context"
	"strings"
	"testing"

	"shop/errcode"
	"shop/internal/storetest"
	"shop/models"
	"shop/store"
)

func mustCategory(tb testing.TB, s *store.Store, name string, parent *string) *models.Category {
	tb.Helper()
	nc, err := models.ParseNewCategory(name, parent)
	if err != nil {
		tb.Fatal(err)
	}
	c, err := s.CreateCategory(context.Background(), nc)
	if err != nil {
		tb.Fatalf("create category %s: %v", name, err)
	}
	return c
}

func TestCategoryRules(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		kitchen := mustCategory(t, s, "Kitchen", nil)
		mugs := mustCategory(t, s, "Mugs", &kitchen.ID)
		if mugs.ParentID == nil || *mugs.ParentID != kitchen.ID || mugs.Slug != "mugs" {
			t.Fatalf("mugs = %+v", mugs)
		}
		nc, _ := models.ParseNewCategory("MUGS!", nil)
		if _, err := s.CreateCategory(ctx, nc); !hasFieldError(err, errcode.Conflict, "name") {
			t.Fatalf("a taken slug: %v", err)
		}
		unknown := "00000000-0000-4000-8000-000000000009"
		nc, _ = models.ParseNewCategory("Orphans", &unknown)
		if _, err := s.CreateCategory(ctx, nc); !hasFieldError(err, errcode.BadUserInput, "parentId") {
			t.Fatalf("an unknown parent: %v", err)
		}
		// Kitchen can't go under its own child.
		patch, _ := models.ParseCategoryPatch(kitchen.ID, nil, &mugs.ID)
		if _, err := s.UpdateCategory(ctx, kitchen.ID, patch); !hasFieldError(err, errcode.BadUserInput, "parentId") {
			t.Fatalf("a cycle: %v", err)
		}
		name := "Drinkware"
		patch, _ = models.ParseCategoryPatch(mugs.ID, &name, ptr(""))
		if up, err := s.UpdateCategory(ctx, mugs.ID, patch); err != nil || up.ParentID != nil || up.Slug != "drinkware" {
			t.Fatalf("rename and move to the top: %+v, %v", up, err)
		}
		patch, _ = models.ParseCategoryPatch(mugs.ID, nil, &kitchen.ID)
		if _, err := s.UpdateCategory(ctx, mugs.ID, patch); err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateCategory(ctx, unknown, patch); !models.IsNotFound(err) {
			t.Fatalf("update of an unknown category: %v", err)
		}

		// Products in categories, counted for who may see them.
		np, _ := models.ParseNewProduct(1, 1, models.ProductDetails{CategoryID: &unknown})
		if _, err := s.CreateProduct(ctx, np); !hasFieldError(err, errcode.BadUserInput, "categoryId") {
			t.Fatalf("a product in an unknown category: %v", err)
		}
		on := mustNew(t, s, models.ProductDetails{CategoryID: &mugs.ID})
		mustNew(t, s, models.ProductDetails{CategoryID: &mugs.ID, Active: ptr(false)})
		counts := func(f models.ProductFilter) map[string]int {
			cs, err := s.Categories(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]int{}
			for _, c := range cs {
				out[c.Slug] = c.Products
			}
			return out
		}
		if c := counts(models.ProductFilter{}); c["drinkware"] != 1 || c["kitchen"] != 0 || len(c) != 2 {
			t.Fatalf("shoppers' counts = %v", c)
		}
		if c := counts(models.ProductFilter{IncludeInactive: true}); c["drinkware"] != 2 {
			t.Fatalf("admins' counts = %v", c)
		}

		// Delete is refused while the category has products or children.
		if _, err := s.DeleteCategory(ctx, kitchen.ID); models.ErrorCode(err) != errcode.Conflict {
			t.Fatalf("delete a parent: %v", err)
		}
		if _, err := s.DeleteCategory(ctx, mugs.ID); models.ErrorCode(err) != errcode.Conflict {
			t.Fatalf("delete a category with products: %v", err)
		}
		all, _ := s.ListProducts(ctx, models.Page{Limit: 10}, models.ProductFilter{IncludeInactive: true})
		for _, p := range all {
			patch, _ := models.ParseProductPatch(p.ID, nil, nil, models.ProductDetails{CategoryID: ptr("")})
			if up, err := s.UpdateProduct(ctx, p.ID, patch); err != nil || up.CategoryID != nil {
				t.Fatalf("take %s out of its category: %+v, %v", p.ID, up, err)
			}
		}
		if got, _ := s.ProductByID(ctx, on.ID); got.CategoryID != nil {
			t.Fatalf("the product is still in %v", *got.CategoryID)
		}
		for _, id := range []string{mugs.ID, kitchen.ID} {
			if ok, err := s.DeleteCategory(ctx, id); !ok || err != nil {
				t.Fatalf("delete an empty category: %v, %v", ok, err)
			}
		}
		if ok, err := s.DeleteCategory(ctx, kitchen.ID); ok || err != nil {
			t.Fatalf("delete it again: %v, %v", ok, err)
		}
	})
}

func hasFieldError(err error, code models.Code, field string) bool {
	e, ok := err.(*models.Error)
	if !ok || e.Code != code {
		return false
	}
	for _, f := range e.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

// TestCategorySlugs: accented names are transliterated, names with no
// Latin letters get distinct slugs and hold products like any other, and
// a category keeps the slug it has until it is renamed.
func TestCategorySlugs(t *testing.T) {
	t.Parallel()
	storetest.Backends(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if c := mustCategory(t, s, "Crème brûlée", nil); c.Slug != "creme-brulee" {
			t.Fatalf("slug = %q", c.Slug)
		}
		mugs := mustCategory(t, s, "マグカップ", nil)
		cups := mustCategory(t, s, "ティーカップ", nil)
		if mugs.Slug == "" || mugs.Slug == cups.Slug {
			t.Fatalf("slugs %q and %q", mugs.Slug, cups.Slug)
		}
		p := mustNew(t, s, models.ProductDetails{CategoryID: &mugs.ID})
		page, err := s.ProductsPage(ctx, models.Connection{First: 10}, models.ProductFilter{CategoryIDs: []string{mugs.ID}})
		if err != nil || len(page.Products) != 1 || page.Products[0].ID != p.ID {
			t.Fatalf("the category's products: %+v, %v", page.Products, err)
		}
		// A name that transliterates longer than the column fits it.
		if c := mustCategory(t, s, strings.Repeat("ß", models.MaxCategoryName), nil); len(c.Slug) > models.MaxSlug {
			t.Fatalf("slug of %d bytes", len(c.Slug))
		}
		// The same name again makes the same slug: refused as taken.
		nc, _ := models.ParseNewCategory(" マグカップ ", nil)
		if _, err := s.CreateCategory(ctx, nc); !hasFieldError(err, errcode.Conflict, "name") {
			t.Fatalf("a taken slug: %v", err)
		}

		// A category made before transliteration keeps its slug through
		// updates that don't rename it, the same name sent again included.
		cafe := mustCategory(t, s, "Café", nil)
		db, err := s.DB()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "UPDATE categories SET slug = 'caf' WHERE category_id = '"+cafe.ID+"'"); err != nil {
			t.Fatal(err)
		}
		patch, _ := models.ParseCategoryPatch(cafe.ID, ptr("Café"), &mugs.ID)
		if up, err := s.UpdateCategory(ctx, cafe.ID, patch); err != nil || up.Slug != "caf" || up.ParentID == nil {
			t.Fatalf("the same name: %+v, %v", up, err)
		}
		patch, _ = models.ParseCategoryPatch(cafe.ID, ptr("Cafés"), nil)
		if up, err := s.UpdateCategory(ctx, cafe.ID, patch); err != nil || up.Slug != "cafes" {
			t.Fatalf("a rename: %+v, %v", up, err)
		}
		all, err := s.Categories(ctx, models.ProductFilter{IncludeInactive: true})
		if err != nil {
			t.Fatal(err)
		}
		slugs := map[string]string{}
		for _, c := range all {
			slugs[c.Name] = c.Slug
		}
		if slugs["Cafés"] != "cafes" || slugs["マグカップ"] != mugs.Slug || slugs["Crème brûlée"] != "creme-brulee" {
			t.Fatalf("stored slugs %v", slugs)
		}
	})
}
