package models

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"shop/errcode"
)

func TestSlugify(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Mugs & Cups":             "mugs-cups",
		"  Kitchen  ":             "kitchen",
		"100% Cotton!":            "100-cotton",
		"---":                     "",
		"🍵 ☕":                     "",
		"Café au lait":            "cafe-au-lait",
		"Cafe\u0301 (decomposed)": "cafe-decomposed",
		"Crème brûlée":            "creme-brulee",
		"Ünïcödé only äöü":        "unicode-only-aou",
		"Straße":                  "strasse",
		"Æbleskiver":              "aebleskiver",
		"Smørrebrød":              "smorrebrod",
		"Œuvre":                   "oeuvre",
		"Łódź":                    "lodz",
		"Đakovo":                  "dakovo",
		"Þórsmörk":                "thorsmork",
		"Ðe":                      "de",
		"ＴＥＡ ｃｕｐｓ":                "tea-cups",
		"ﬁne ½":                   "fine-1-2",
	} {
		if got := Slugify(in); got != want {
			t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
		}
	}
	// Letters or digits without an ASCII form make a suffix of their
	// name's hash: usable in a URL, the same for the same name however it
	// is normalised, different for different names.
	hexSlug := regexp.MustCompile(`^[0-9a-f]{10}$`)
	seen := map[string]string{}
	for _, in := range []string{"マグカップ", "ティーカップ", "Чай", "Τσάι", "茶"} {
		got := Slugify(in)
		if !hexSlug.MatchString(got) {
			t.Errorf("Slugify(%q) = %q, want 10 hex digits", in, got)
		}
		if other, ok := seen[got]; ok {
			t.Errorf("%q and %q have the slug %q", in, other, got)
		}
		seen[got] = in
	}
	if a, b := Slugify("マグカップ"), Slugify(norm.NFD.String("マグカップ")); a != b {
		t.Errorf("the decomposed name's slug %q differs from %q", b, a)
	}
	// Names that transliterate longer than the slug column are cut, and
	// told apart by the hash.
	long := map[string]bool{}
	for _, in := range []string{strings.Repeat("ß", MaxCategoryName), strings.Repeat("ß", MaxCategoryName-1) + "s", strings.Repeat("㎒", MaxCategoryName)} {
		got := Slugify(in)
		if len(got) > MaxSlug || !regexp.MustCompile(`^[a-z]+-[0-9a-f]{10}$`).MatchString(got) || long[got] {
			t.Errorf("Slugify(%q) = %q (%d bytes)", in, got, len(got))
		}
		long[got] = true
	}
	if got := Slugify(strings.Repeat("a", MaxCategoryName)); got != strings.Repeat("a", MaxCategoryName) {
		t.Errorf("a 100-letter name's slug is %q", got)
	}
	if a, b := Slugify("Tea 緑"), Slugify("Tea 紅"); !strings.HasPrefix(a, "tea-") || len(a) != 14 || a == b {
		t.Errorf("Tea 緑 = %q, Tea 紅 = %q: want tea- and distinct suffixes", a, b)
	}
}

func TestParseCategory(t *testing.T) {
	t.Parallel()
	if _, err := ParseNewCategory("  ", nil); !hasField(err, "name") {
		t.Fatalf("empty name: %v", err)
	}
	if _, err := ParseNewCategory("🍵 & ☕", nil); !hasField(err, "name") {
		t.Fatalf("a name with no slug: %v", err)
	}
	if nc, err := ParseNewCategory("マグカップ", nil); err != nil || nc.Slug != Slugify("マグカップ") || nc.Slug == "" {
		t.Fatalf("a Japanese name: %+v, %v", nc, err)
	}
	if _, err := ParseNewCategory(strings.Repeat("a", MaxCategoryName+1), nil); !hasField(err, "name") {
		t.Fatalf("long name: %v", err)
	}
	bad := "nope"
	if _, err := ParseNewCategory("Mugs", &bad); !hasField(err, "parentId") {
		t.Fatalf("bad parent: %v", err)
	}
	nc, err := ParseNewCategory(" Blue Mugs ", nil)
	if err != nil || nc.Name != "Blue Mugs" || nc.Slug != "blue-mugs" || nc.ParentID != nil {
		t.Fatalf("ParseNewCategory = %+v, %v", nc, err)
	}
	empty := ""
	patch, err := ParseCategoryPatch(idA, nil, &empty)
	if err != nil || patch.Parent == nil || *patch.Parent != nil || patch.Name != nil {
		t.Fatalf("make root: %+v, %v", patch, err)
	}
}

func hasField(err error, field string) bool {
	e, ok := err.(*Error)
	if !ok {
		return false
	}
	for _, f := range e.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

func cat(id string, parent string) Category {
	c := Category{ID: id, Name: id}
	if parent != "" {
		c.ParentID = &parent
	}
	return c
}

func TestCheckPlacement(t *testing.T) {
	t.Parallel()
	// a > b > c, d alone.
	all := []Category{cat("a", ""), cat("b", "a"), cat("c", "b"), cat("d", "")}
	s := func(v string) *string { return &v }
	for _, tt := range []struct {
		name      string
		id, under *string
		ok        bool
	}{
		{"new at the top", nil, nil, true},
		{"new under a leaf", nil, s("c"), true},
		{"under a missing parent", nil, s("zz"), false},
		{"under itself", s("a"), s("a"), false},
		{"under its grandchild", s("a"), s("c"), false},
		{"a subtree under another root", s("b"), s("d"), true},
		{"a root to the top", s("a"), nil, true},
	} {
		if err := CheckPlacement(all, tt.id, tt.under); (err == nil) != tt.ok {
			t.Errorf("%s: err = %v", tt.name, err)
		} else if err != nil && !hasField(err, "parentId") {
			t.Errorf("%s: error %v does not name parentId", tt.name, err)
		}
	}
	// Depth: a chain of MaxCategoryTree levels takes nothing deeper.
	var chain []Category
	for i := range MaxCategoryTree {
		parent := ""
		if i > 0 {
			parent = fmt.Sprint(i - 1)
		}
		chain = append(chain, cat(fmt.Sprint(i), parent))
	}
	last := fmt.Sprint(MaxCategoryTree - 1)
	if err := CheckPlacement(chain, nil, &last); err == nil {
		t.Fatal("a level past the deepest was allowed")
	}
	// Moving the chain's tail (2 levels) under a new root's child fits, the
	// whole chain doesn't.
	chain = append(chain, cat("r", ""), cat("rc", "r"))
	if err := CheckPlacement(chain, s(fmt.Sprint(MaxCategoryTree-2)), s("r")); err != nil {
		t.Fatalf("a short subtree was refused: %v", err)
	}
	if err := CheckPlacement(chain, s("0"), s("rc")); err == nil {
		t.Fatal("a deep subtree under a child was allowed")
	}
	// Width.
	wide := []Category{cat("p", "")}
	for i := range MaxSubcategory {
		wide = append(wide, cat(fmt.Sprint("k", i), "p"))
	}
	if err := CheckPlacement(wide, nil, s("p")); err == nil {
		t.Fatal("a subcategory past the most was allowed")
	}
	if err := CheckPlacement(wide, s("k0"), s("p")); err != nil {
		t.Fatalf("a child staying under its full parent was refused: %v", err)
	}
}

func TestCategoryTree(t *testing.T) {
	t.Parallel()
	all := []Category{cat("b", ""), cat("a", ""), cat("a2", "a"), cat("a1", "a"), cat("a11", "a1")}
	all[1].Products, all[3].Products, all[4].Products = 1, 2, 4
	tree := BuildCategoryTree(all)
	var order []string
	for _, n := range tree.Nodes {
		order = append(order, n.ID)
	}
	if strings.Join(order, ",") != "a,a1,a11,a2,b" {
		t.Fatalf("order = %v", order)
	}
	if n := tree.Node("a"); n.ProductCount != 7 || len(n.Children) != 2 || n.Parent != nil {
		t.Fatalf("a = %+v", n)
	}
	if n := tree.Node("a11"); n.Parent.ID != "a1" || n.ProductCount != 4 {
		t.Fatalf("a11 = %+v", n)
	}
	if got := strings.Join(tree.Subtree("a1"), ","); got != "a1,a11" {
		t.Fatalf("Subtree(a1) = %s", got)
	}
	// A products filter on a category lists its subcategories' too.
	if f, err := tree.WithSubcategories(ProductFilter{CategoryIDs: []string{"a"}}); err != nil || strings.Join(f.CategoryIDs, ",") != "a,a1,a11,a2" {
		t.Fatalf("WithSubcategories(a) = %v, %v", f.CategoryIDs, err)
	}
	if _, err := tree.WithSubcategories(ProductFilter{CategoryIDs: []string{"nope"}}); err == nil {
		t.Fatal("a filter on no category was accepted")
	}
}

func TestCheckDeletable(t *testing.T) {
	t.Parallel()
	all := []Category{cat("a", ""), cat("a1", "a"), cat("a2", "a"), cat("b", "")}
	if err := CheckDeletable(all, "b", 0); err != nil {
		t.Fatalf("an empty category: %v", err)
	}
	for _, tt := range []struct {
		id       string
		products int
		children any
	}{{"a", 0, 2}, {"b", 3, 0}} {
		var e *Error
		if err := CheckDeletable(all, tt.id, tt.products); !errors.As(err, &e) || e.Code != errcode.Conflict || e.Details["subcategories"] != tt.children || e.Details["products"] != tt.products {
			t.Errorf("%s: %v", tt.id, err)
		}
	}
}

func TestCategoryPatchApply(t *testing.T) {
	t.Parallel()
	all := []Category{cat("a", ""), cat("a1", "a"), cat("b", "")}
	c := all[0]
	c.Slug = "caf" // made by an older rule
	same := "a"
	if err := (CategoryPatch{Name: &same, Slug: ptr("a")}).Apply(all, &c); err != nil || c.Slug != "caf" {
		t.Fatalf("the same name again: slug %q, %v; want it kept", c.Slug, err)
	}
	renamed, slug := "Café", "cafe"
	if err := (CategoryPatch{Name: &renamed, Slug: &slug}).Apply(all, &c); err != nil || c.Name != "Café" || c.Slug != "cafe" {
		t.Fatalf("renamed: %+v, %v", c, err)
	}
	under := ptr("a1")
	if err := (CategoryPatch{Parent: &under}).Apply(all, &c); err == nil || c.ParentID != nil {
		t.Fatalf("moved under its own subcategory: %v, parent %v", err, c.ParentID)
	}
	many := make([]Category, MaxCategories)
	if err := CheckNewCategory(many, nil); err == nil {
		t.Fatal("a category past MaxCategories was allowed")
	}
	if err := CheckNewCategory(all, ptr("b")); err != nil {
		t.Fatalf("a new subcategory of b: %v", err)
	}
}
