package models

import (
	"strings"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

func TestProductDetailsValidation(t *testing.T) {
	t.Parallel()
	tooMany := make([]string, MaxImageURLs+1)
	for i := range tooMany {
		tooMany[i] = "https://img.example.com/a.png"
	}
	for _, tt := range []struct {
		name       string
		d          ProductDetails
		wantFields []string
	}{
		{"all good", ProductDetails{Name: ptr(" Blue mug "), Description: ptr("Line one\nline two\tand a tab"), SKU: ptr("MUG-001.b_2"), ImageURLs: ptr([]string{"https://img.example.com/mug.png"}), Active: ptr(false)}, nil},
		{"empty name", ProductDetails{Name: ptr("   ")}, []string{"name"}},
		{"name too long", ProductDetails{Name: ptr(strings.Repeat("é", MaxNameSize+1))}, []string{"name"}},
		{"name of the longest length", ProductDetails{Name: ptr(strings.Repeat("é", MaxNameSize))}, nil},
		{"name with a newline", ProductDetails{Name: ptr("a\nb")}, []string{"name"}},
		{"name not UTF-8", ProductDetails{Name: ptr("a\xffb")}, []string{"name"}},
		{"description with NUL", ProductDetails{Description: ptr("a\x00b")}, []string{"description"}},
		{"description with an escape", ProductDetails{Description: ptr("a\x1b[31mb")}, []string{"description"}},
		{"description too long", ProductDetails{Description: ptr(strings.Repeat("x", MaxDescriptionSize+1))}, []string{"description"}},
		{"sku with a space", ProductDetails{SKU: ptr("MUG 1")}, []string{"sku"}},
		{"sku not ASCII", ProductDetails{SKU: ptr("MÜG")}, []string{"sku"}},
		{"sku too long", ProductDetails{SKU: ptr(strings.Repeat("a", MaxSKUSize+1))}, []string{"sku"}},
		{"empty sku means none", ProductDetails{SKU: ptr(" ")}, nil},
		{"http image", ProductDetails{ImageURLs: ptr([]string{"https://ok.example/a.png", "http://img.example.com/a.png"})}, []string{"imageUrls[1]"}},
		{"relative image", ProductDetails{ImageURLs: ptr([]string{"/a.png"})}, []string{"imageUrls[0]"}},
		{"image with credentials", ProductDetails{ImageURLs: ptr([]string{"https://u:p@img.example.com/a.png"})}, []string{"imageUrls[0]"}},
		{"too many images", ProductDetails{ImageURLs: &tooMany}, []string{"imageUrls"}},
		{"every field bad at once", ProductDetails{Name: ptr(""), Description: ptr("\x00"), SKU: ptr("a b"), ImageURLs: ptr([]string{"ftp://x"})}, []string{"name", "description", "sku", "imageUrls[0]"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseNewProduct(1, 1, tt.d)
			if tt.wantFields == nil {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if got := fields(t, err); strings.Join(got, ",") != strings.Join(tt.wantFields, ",") {
				t.Fatalf("fields = %v, want %v", got, tt.wantFields)
			}
			for _, f := range tt.wantFields {
				if !strings.Contains(err.Error(), f) {
					t.Fatalf("message %q does not name %s", err.Error(), f)
				}
			}
		})
	}
}

func TestNewProductDefaults(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	np, err := ParseNewProduct(2.5, 3, ProductDetails{})
	if err != nil {
		t.Fatal(err)
	}
	p := np.Product(idA, now)
	if p.Name != "Product 00000000" || !p.Active || p.SKU != nil || len(p.ImageURLs) != 0 || p.Description != "" {
		t.Fatalf("defaults = %+v", p)
	}
	np, err = ParseNewProduct(2.5, 3, ProductDetails{Name: ptr("  Blue mug "), SKU: ptr("mug-1"), Active: ptr(false), ImageURLs: ptr([]string{" https://i.example/a.png "})})
	if err != nil {
		t.Fatal(err)
	}
	p = np.Product(idA, now)
	if p.Name != "Blue mug" || p.Active || p.SKU == nil || *p.SKU != "mug-1" || len(p.ImageURLs) != 1 || p.ImageURLs[0] != "https://i.example/a.png" {
		t.Fatalf("product = %+v", p)
	}
}

// Each optional catalog field of an update is applied alone, leaving the
// others as they were.
func TestProductPatchCatalogFieldsAlone(t *testing.T) {
	t.Parallel()
	sku := "OLD-1"
	base := Product{ID: idA, Price: 1000, StockCount: 7, Name: "Old", Description: "old", SKU: &sku, ImageURLs: StringList{"https://a.example/x.png"}, Active: true}
	for _, tt := range []struct {
		name  string
		d     ProductDetails
		check func(p Product) bool
	}{
		{"name", ProductDetails{Name: ptr("New")}, func(p Product) bool { return p.Name == "New" }},
		{"description", ProductDetails{Description: ptr("")}, func(p Product) bool { return p.Description == "" }},
		{"sku", ProductDetails{SKU: ptr("NEW-2")}, func(p Product) bool { return p.SKU != nil && *p.SKU == "NEW-2" }},
		{"sku cleared", ProductDetails{SKU: ptr("")}, func(p Product) bool { return p.SKU == nil }},
		{"imageUrls", ProductDetails{ImageURLs: ptr([]string{})}, func(p Product) bool { return len(p.ImageURLs) == 0 }},
		{"active", ProductDetails{Active: ptr(false)}, func(p Product) bool { return !p.Active }},
		{"categoryId", ProductDetails{CategoryID: ptr(idB)}, func(p Product) bool { return p.CategoryID != nil && *p.CategoryID == idB }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			patch, err := ParseProductPatch(idA, nil, nil, tt.d)
			if err != nil {
				t.Fatal(err)
			}
			p := base
			if !patch.Apply(&p) || !tt.check(p) {
				t.Fatalf("got %+v", p)
			}
			// Everything else is as it was.
			if p.Price != base.Price || p.StockCount != base.StockCount {
				t.Fatalf("other fields changed: %+v", p)
			}
			changed := 0
			if p.Name != base.Name {
				changed++
			}
			if p.Description != base.Description {
				changed++
			}
			if (p.SKU == nil) != (base.SKU == nil) || p.SKU != nil && *p.SKU != *base.SKU {
				changed++
			}
			if len(p.ImageURLs) != len(base.ImageURLs) {
				changed++
			}
			if p.Active != base.Active {
				changed++
			}
			if p.CategoryID != nil {
				changed++
			}
			if changed != 1 {
				t.Fatalf("%d catalog fields changed, want 1: %+v", changed, p)
			}
			if patch.ChangesMembership() != (tt.d.Active != nil || tt.d.CategoryID != nil) {
				t.Fatalf("ChangesMembership = %v", patch.ChangesMembership())
			}
		})
	}
}

func TestStringListRoundTrip(t *testing.T) {
	t.Parallel()
	for _, l := range []StringList{nil, {}, {"https://a.example/x.png", "https://b.example/y?z=1"}} {
		v, err := l.Value()
		if err != nil {
			t.Fatal(err)
		}
		var back StringList
		if err := back.Scan(v); err != nil {
			t.Fatal(err)
		}
		if len(back) != len(l) || (len(l) > 0 && back[1] != l[1]) {
			t.Fatalf("%v came back as %v", l, back)
		}
	}
}

func TestVisible(t *testing.T) {
	t.Parallel()
	inactive := &Product{Active: false}
	if Visible(Caller{}, inactive) || Visible(Caller{UserID: "u", Role: RoleCustomer}, inactive) {
		t.Fatal("a shopper sees an inactive product")
	}
	if !Visible(Caller{UserID: "a", Role: RoleAdmin}, inactive) || !Visible(Caller{}, &Product{Active: true}) {
		t.Fatal("visibility wrong for an admin or an active product")
	}
}
