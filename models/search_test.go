package models

import (
	"strings"
	"testing"
	"time"
)

func TestParseProductSearch(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		s      ProductSearch
		fields []string
	}{
		{"nothing", ProductSearch{}, nil},
		{"everything", ProductSearch{Query: ptr("Blue mug"), CategoryID: ptr(idA), MinPrice: ptr(1.5), MaxPrice: ptr(2.0), InStock: ptr(true), Sort: ptr("RELEVANCE")}, nil},
		{"relevance without a query", ProductSearch{Sort: ptr("RELEVANCE")}, []string{"sort"}},
		{"relevance with only punctuation", ProductSearch{Query: ptr(" -- "), Sort: ptr("RELEVANCE")}, []string{"sort"}},
		{"unknown sort", ProductSearch{Sort: ptr("RANDOM")}, []string{"sort"}},
		{"query with NUL", ProductSearch{Query: ptr("a\x00b")}, []string{"filter.query"}},
		{"query too long", ProductSearch{Query: ptr(strings.Repeat("a", MaxQuerySize+1))}, []string{"filter.query"}},
		{"too many words", ProductSearch{Query: ptr(strings.Repeat("a ", MaxQueryWords+1))}, []string{"filter.query"}},
		{"bad category", ProductSearch{CategoryID: ptr("x")}, []string{"filter.categoryId"}},
		{"prices crossed", ProductSearch{MinPrice: ptr(5.0), MaxPrice: ptr(1.0)}, []string{"filter.maxPrice"}},
		{"price with 3 decimals", ProductSearch{MinPrice: ptr(1.005)}, []string{"filter.minPrice"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseProductSearch(tt.s, ProductFilter{})
			if tt.fields == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if got := fields(t, err); strings.Join(got, ",") != strings.Join(tt.fields, ",") {
				t.Fatalf("fields = %v, want %v", got, tt.fields)
			}
		})
	}
	f, _ := ParseProductSearch(ProductSearch{Query: ptr(`"Blue" OR -mug*`)}, ProductFilter{IncludeInactive: true})
	if strings.Join(f.Words, " ") != "blue or mug" || !f.IncludeInactive || !f.ReadsFields() {
		t.Fatalf("filter = %+v", f)
	}
	if (ProductFilter{Sort: SortNewest, InStock: true}).ReadsFields() {
		t.Fatal("a list by creation and stock reads fields")
	}
}

func TestSortedCursorsRoundTrip(t *testing.T) {
	t.Parallel()
	p := Product{ID: idA, CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC), Price: 1999, Name: "Blue: mug\\n ünï"}
	for _, s := range []ProductSort{SortOldest, SortNewest, SortPriceAsc, SortPriceDesc, SortName, SortRelevance} {
		c := ProductCursorFor(p, s, -0.0607927)
		conn, err := ParseConnection(nil, ptr(c.Encode()))
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		got := *conn.After
		if got.ID != idA || got.Sort != c.Sort || got.Num != c.Num || got.Text != c.Text || got.Score != c.Score ||
			(s == SortNewest || s == SortOldest) && !got.CreatedAt.Equal(p.CreatedAt) {
			t.Fatalf("%s: %+v came back as %+v", s, c, got)
		}
	}
	// The contract's order keeps its cursors as they were.
	if ProductCursorFor(p, SortOldest, 0).Encode() != ProductCursor(p).Encode() {
		t.Fatal("an OLDEST cursor changed its form")
	}
}
