package models

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func TestParseProductSearch(t *testing.T) {
	t.Parallel()
	// OLDEST is the default order: one list, one cache key.
	oldest, err := ParseProductSearch(ProductSearch{Sort: ptr("OLDEST")}, ProductFilter{})
	if err != nil || oldest.Sort != "" {
		t.Fatalf("OLDEST parsed as %q, %v; want the default order", oldest.Sort, err)
	}
	for _, tt := range []struct {
		name   string
		s      ProductSearch
		fields []string
	}{
		{"nothing", ProductSearch{}, nil},
		{"everything", ProductSearch{Query: ptr("Blue mug"), CategoryID: ptr(idA), MinPrice: ptr(1.5), MaxPrice: ptr(2.0), InStock: ptr(true), Sort: ptr("RELEVANCE")}, nil},
		{"relevance without a query", ProductSearch{Sort: ptr("RELEVANCE")}, []string{"sort"}},
		{"relevance with only punctuation", ProductSearch{Query: ptr(" -- "), Sort: ptr("RELEVANCE")}, []string{"sort"}},
		{"relevance with only stop words", ProductSearch{Query: ptr("The of"), Sort: ptr("RELEVANCE")}, []string{"sort"}},
		{"unknown sort", ProductSearch{Sort: ptr("RANDOM")}, []string{"sort"}},
		{"query with NUL", ProductSearch{Query: ptr("a\x00b")}, []string{"filter.query"}},
		{"query too long", ProductSearch{Query: ptr(strings.Repeat("a", MaxQuerySize+1))}, []string{"filter.query"}},
		{"too many words", ProductSearch{Query: ptr(strings.Repeat("w ", MaxQueryWords+1))}, []string{"filter.query"}},
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
	if strings.Join(f.Words, " ") != "blue mug" || !f.IncludeInactive || !f.ReadsFields() {
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

// TestForgedCursorKeysRefused: a cursor's key reaches the database as a
// parameter, so a forged one must be refused as input, not fail there
// (PostgreSQL refuses NUL and invalid UTF-8 in text, and a time past
// pgx's range wraps around).
func TestForgedCursorKeysRefused(t *testing.T) {
	t.Parallel()
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for name, raw := range map[string]string{
		"name with NUL":         "s\nNAME\na\x00b\n" + idA,
		"name not UTF-8":        "s\nNAME\n\xff\xfe\n" + idA,
		"name with U+202E":      "s\nNAME\na\u202eb\n" + idA,
		"name longer than any":  "s\nNAME\n" + strings.Repeat("z", MaxNameSize+1) + "\n" + idA,
		"newest past year 9999": "s\nNEWEST\n9223372036854775807\n" + idA,
		"newest before 1970":    "s\nNEWEST\n-9223372036854775808\n" + idA,
		"oldest past year 9999": "9223372036854775807:" + idA,
		"oldest before 1970":    "-1:" + idA,
	} {
		if _, err := ParseConnection(nil, ptr(enc(raw))); strings.Join(fields(t, err), ",") != "after" {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The largest name a product may have still pages.
	if _, err := ParseConnection(nil, ptr(enc("s\nNAME\n"+strings.Repeat("é", MaxNameSize)+"\n"+idA))); err != nil {
		t.Errorf("a name of %d characters: %v", MaxNameSize, err)
	}
}

// TestParseOptionFilter: filter.options is checked as a product's options
// are (text rules, sizes), at most 3 options of at most 100 values; none
// is no filter at all (the same list and cache entry), and a filter by
// options reads stock and fields (which variants are available, their
// values).
func TestParseOptionFilter(t *testing.T) {
	t.Parallel()
	opt := func(name string, values ...string) ProductOption { return ProductOption{Name: name, Values: values} }
	many := make([]string, MaxFilterOptionValues+1)
	for i := range many {
		many[i] = "v" + strings.Repeat("x", i%5) + string(rune('a'+i%26)) + strings.Repeat("y", i/26)
	}
	for _, tt := range []struct {
		name   string
		opts   []ProductOption
		fields []string
	}{
		{"one", []ProductOption{opt("Size", "M", "L")}, nil},
		{"three", []ProductOption{opt("Size", "M"), opt("Colour", "Red"), opt("Fit", "Slim")}, nil},
		{"100 values", []ProductOption{opt("Size", many[:MaxFilterOptionValues]...)}, nil},
		{"four", []ProductOption{opt("A", "1"), opt("B", "1"), opt("C", "1"), opt("D", "1")}, []string{"filter.options"}},
		{"101 values", []ProductOption{opt("Size", many...)}, []string{"filter.options[0].values"}},
		{"no values", []ProductOption{opt("Size")}, []string{"filter.options[0].values"}},
		{"empty name", []ProductOption{opt("  ", "M")}, []string{"filter.options[0].name"}},
		{"empty value", []ProductOption{opt("Size", "M", " ")}, []string{"filter.options[0].values[1]"}},
		{"name too long", []ProductOption{opt(strings.Repeat("n", MaxOptionNameSize+1), "M")}, []string{"filter.options[0].name"}},
		{"value too long", []ProductOption{opt("Size", strings.Repeat("v", MaxOptionValueSize+1))}, []string{"filter.options[0].values[0]"}},
		{"value with NUL", []ProductOption{opt("Size", "M\x00")}, []string{"filter.options[0].values[0]"}},
		{"name with U+202E", []ProductOption{opt("Si\u202eze", "M")}, []string{"filter.options[0].name"}},
		{"name twice whatever its case", []ProductOption{opt("Size", "M"), opt("SIZE", "L")}, []string{"filter.options[1].name"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := ParseProductSearch(ProductSearch{Options: tt.opts}, ProductFilter{})
			if tt.fields == nil {
				if err != nil {
					t.Fatal(err)
				}
				if len(f.Options) != len(tt.opts) || !f.ReadsStock() || !f.ReadsFields() || !f.ReadsVariants() || !f.NeedsAvailable() {
					t.Fatalf("filter = %+v", f)
				}
				return
			}
			if got := fields(t, err); strings.Join(got, ",") != strings.Join(tt.fields, ",") {
				t.Fatalf("fields = %v, want %v", got, tt.fields)
			}
		})
	}
	f, err := ParseProductSearch(ProductSearch{Options: []ProductOption{{Name: " Size ", Values: []string{" M", "L ", "M"}}}}, ProductFilter{})
	if err != nil || len(f.Options) != 1 || f.Options[0].Name != "Size" || strings.Join(f.Options[0].Values, ",") != "M,L" {
		t.Fatalf("trimmed and without the repeated value: %+v, %v", f.Options, err)
	}
	if f, err := ParseProductSearch(ProductSearch{Options: []ProductOption{}}, ProductFilter{}); err != nil || f.Options != nil || f.ReadsVariants() || f.ReadsStock() {
		t.Fatalf("no options: %+v, %v", f, err)
	}
	// A price range reads variants (any of them), not their stock.
	if f, _ := ParseProductSearch(ProductSearch{MinPrice: ptr(1.0)}, ProductFilter{}); !f.ReadsVariants() || f.NeedsAvailable() || f.ReadsStock() {
		t.Fatalf("a price range: %+v", f)
	}
}
