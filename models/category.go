package models

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"shop/errcode"
)

// Limits of the category tree. A shop's categories are few; these bounds
// keep the categories query (every category, each with its children)
// within the cost limit, however it nests.
const (
	MaxCategoryName = 100
	MaxCategories   = 200
	MaxSubcategory  = 50 // children of one category
	MaxCategoryTree = 5  // levels
)

// Category groups products; a category may sit under one parent. A
// product belongs to at most one category.
type Category struct {
	ID        string    `gorm:"column:category_id;primaryKey;type:varchar(36)" json:"id"`
	Name      string    `gorm:"column:name;type:varchar(100);not null" json:"name"`
	Slug      string    `gorm:"column:slug;type:varchar(120);not null;uniqueIndex:idx_categories_slug" json:"slug"`
	ParentID  *string   `gorm:"column:parent_id;type:varchar(36);index:idx_categories_parent" json:"parent,omitempty"`
	CreatedAt time.Time `gorm:"column:created_at;not null" json:"created"`
	// Products is how many products are directly in it (filled by reads,
	// for the products the reader may see).
	Products int `gorm:"-" json:"products"`
}

// NewCategory is a validated createCategory.
type NewCategory struct {
	Name     string
	Slug     string
	ParentID *string
}

// ParseNewCategory validates createCategory's arguments.
func ParseNewCategory(name string, parentID *string) (NewCategory, error) {
	var fe fieldErrors
	n := parseCategoryName(&fe, name)
	var parent *string
	if parentID != nil && *parentID != "" {
		checkID(&fe, "parentId", *parentID)
		parent = parentID
	}
	if err := fe.err(); err != nil {
		return NewCategory{}, err
	}
	return NewCategory{Name: n, Slug: Slugify(n), ParentID: parent}, nil
}

// CategoryPatch is a validated updateCategory: nil fields stay unchanged;
// Parent set to nil makes the category a root.
type CategoryPatch struct {
	Name   *string
	Slug   *string
	Parent **string
}

// Apply places c (a category of the tree all) as the patch says: under its
// new parent, if that placement is allowed (CheckPlacement), and renamed.
// A category keeps its slug (its URLs) until it is renamed: one made by an
// older Slugify ("Café" → "caf") stays as it is when an update sends the
// same name again.
func (p CategoryPatch) Apply(all []Category, c *Category) error {
	if p.Parent != nil {
		if err := CheckPlacement(all, &c.ID, *p.Parent); err != nil {
			return err
		}
		c.ParentID = *p.Parent
	}
	if p.Name != nil && *p.Name != c.Name {
		c.Name, c.Slug = *p.Name, *p.Slug
	}
	return nil
}

// CheckNewCategory allows a category under parent in the tree all: the
// shop has room for one more (MaxCategories) and the placement is allowed.
func CheckNewCategory(all []Category, parent *string) error {
	if len(all) >= MaxCategories {
		return Errorf(errcode.Conflict, "The shop has %d categories, the most it may have.", MaxCategories)
	}
	return CheckPlacement(all, nil, parent)
}

// ParseCategoryPatch validates updateCategory's arguments; parentID ""
// makes the category a root.
func ParseCategoryPatch(id string, name, parentID *string) (CategoryPatch, error) {
	var fe fieldErrors
	checkID(&fe, "id", id)
	var patch CategoryPatch
	if name != nil {
		n := parseCategoryName(&fe, *name)
		slug := Slugify(n)
		patch.Name, patch.Slug = &n, &slug
	}
	if parentID != nil {
		var parent *string
		if *parentID != "" {
			checkID(&fe, "parentId", *parentID)
			p := *parentID
			parent = &p
		}
		patch.Parent = &parent
	}
	if err := fe.err(); err != nil {
		return CategoryPatch{}, err
	}
	return patch, nil
}

func parseCategoryName(fe *fieldErrors, name string) string {
	n := strings.TrimSpace(name)
	switch {
	case n == "":
		fe.add("name", "must not be empty")
	case checkText(fe, "name", n, MaxCategoryName) && Slugify(n) == "":
		fe.add("name", "must contain a letter or digit, to make its slug")
	}
	return n
}

// Slugify makes a category's URL name: lower-case ASCII letters and
// digits, other runs of characters as one '-'. Latin letters are
// transliterated: the compatibility decomposition (NFKD) splits "é" into
// "e" and a combining accent, which is dropped, and turns fullwidth or
// ligature forms ("Ｔｅａ", "ﬁ") into plain letters; letters that don't
// decompose come from latinLetters ("ß" → "ss", "ø" → "o"). A name with
// letters or digits that have no ASCII form (Japanese, Greek, Cyrillic…)
// gets a suffix of 10 hex digits of its SHA-256, so "マグ" and "カップ"
// (and "Tea 緑" and "Tea 紅") get distinct slugs; so does a slug cut to
// MaxSlug. A name with no letter or digit at all has none ("").
func Slugify(name string) string {
	lower := norm.NFC.String(strings.ToLower(name))
	var b strings.Builder
	dash, dropped := false, false
	put := func(s string) {
		if dash && b.Len() > 0 {
			b.WriteByte('-')
		}
		b.WriteString(s)
		dash = false
	}
	// Lower-cased again: compatibility forms may decompose to capitals
	// ("㎒" → "MHz").
	for _, r := range strings.ToLower(norm.NFKD.String(lower)) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			put(string(r))
		case unicode.Is(unicode.Mn, r):
			// A combining mark: the letter before it stays.
		case latinLetters[r] != "":
			put(latinLetters[r])
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			dropped, dash = true, true
		default:
			dash = true
		}
	}
	if slug := b.String(); len(slug) > MaxSlug-slugHash {
		// Transliteration can lengthen a name ("ß" → "ss", "㎒" → "mhz"):
		// cut it, and let the hash tell apart names cut alike.
		b.Reset()
		b.WriteString(strings.TrimRight(slug[:MaxSlug-slugHash], "-"))
		dropped = true
	}
	if dropped {
		sum := sha256.Sum256([]byte(lower))
		dash = true
		put(hex.EncodeToString(sum[:5]))
	}
	return b.String()
}

// MaxSlug is the longest slug (the column's size), and slugHash the
// length of the hash suffix with its '-'.
const (
	MaxSlug  = 120
	slugHash = 11
)

// latinLetters are the lower-case Latin letters that NFKD leaves whole,
// as they are usually written in ASCII.
var latinLetters = map[rune]string{
	'ß': "ss", 'æ': "ae", 'ø': "o", 'œ': "oe", 'ł': "l", 'đ': "d", 'ð': "d", 'þ': "th",
	'ı': "i", 'ħ': "h", 'ŧ': "t", 'ŋ': "ng", 'ĸ': "q",
}

// CheckPlacement is the tree rule for putting category id (nil when new)
// under parent, given every category: the parent exists, is not the
// category itself nor one of its descendants, the tree stays at most
// MaxCategoryTree levels deep, and the parent takes at most MaxSubcategory
// children.
func CheckPlacement(all []Category, id, parent *string) error {
	if parent == nil {
		return nil
	}
	byID := make(map[string]*Category, len(all))
	children := map[string]int{}
	for i := range all {
		byID[all[i].ID] = &all[i]
		if all[i].ParentID != nil {
			children[*all[i].ParentID]++
		}
	}
	if byID[*parent] == nil {
		return fieldError("parentId", "names no category")
	}
	// Levels above the category: the parent and its ancestors.
	above := 0
	for at := parent; at != nil; at = byID[*at].ParentID {
		if id != nil && *at == *id {
			return fieldError("parentId", "is the category itself or one of its subcategories")
		}
		above++
		if byID[*at] == nil || above > MaxCategoryTree {
			break
		}
	}
	// Levels from the category down (1 for a new one or a leaf).
	below := 1
	if id != nil {
		below = depthBelow(all, *id)
	}
	if above+below > MaxCategoryTree {
		return fieldError("parentId", "would make the tree deeper than %d levels", MaxCategoryTree)
	}
	if n := children[*parent]; n >= MaxSubcategory && (id == nil || byID[*id] == nil || byID[*id].ParentID == nil || *byID[*id].ParentID != *parent) {
		return fieldError("parentId", "already has %d subcategories, the most one may have", MaxSubcategory)
	}
	return nil
}

// depthBelow is the number of levels of id's subtree, itself included.
func depthBelow(all []Category, id string) int {
	most := 0
	for i := range all {
		if all[i].ParentID != nil && *all[i].ParentID == id {
			most = max(most, depthBelow(all, all[i].ID))
		}
	}
	return most + 1
}

func fieldError(field, format string, args ...any) error {
	var fe fieldErrors
	fe.add(field, format, args...)
	return fe.err()
}

// CategoryNode is a category placed in its tree, for the API.
type CategoryNode struct {
	Category
	Parent   *CategoryNode
	Children []*CategoryNode
	// ProductCount counts the products in it and in its subcategories, as
	// a list filtered by the category shows them.
	ProductCount int
}

// CategoryTree links categories into their tree. Order is depth first,
// siblings by name, so a client can print it as it comes.
type CategoryTree struct {
	Nodes []*CategoryNode
	byID  map[string]*CategoryNode
}

// BuildCategoryTree links all, which must be every category.
func BuildCategoryTree(all []Category) *CategoryTree {
	t := &CategoryTree{byID: make(map[string]*CategoryNode, len(all))}
	for _, c := range all {
		t.byID[c.ID] = &CategoryNode{Category: c}
	}
	var roots []*CategoryNode
	for _, n := range t.byID {
		if n.ParentID != nil && t.byID[*n.ParentID] != nil {
			n.Parent = t.byID[*n.ParentID]
			n.Parent.Children = append(n.Parent.Children, n)
		} else {
			roots = append(roots, n)
		}
	}
	var walk func(ns []*CategoryNode) int
	walk = func(ns []*CategoryNode) int {
		sort.Slice(ns, func(i, j int) bool { return ns[i].Name < ns[j].Name || ns[i].Name == ns[j].Name && ns[i].ID < ns[j].ID })
		total := 0
		for _, n := range ns {
			t.Nodes = append(t.Nodes, n)
			n.ProductCount = n.Products + walk(n.Children)
			total += n.ProductCount
		}
		return total
	}
	walk(roots)
	return t
}

// Node is the category with id, or nil.
func (t *CategoryTree) Node(id string) *CategoryNode { return t.byID[id] }

// Subtree is id and the ids of all its subcategories.
func (t *CategoryTree) Subtree(id string) []string {
	n := t.byID[id]
	if n == nil {
		return nil
	}
	out := []string{id}
	for _, c := range n.Children {
		out = append(out, t.Subtree(c.ID)...)
	}
	return out
}

// CheckDeletable refuses to delete category id of the tree all while it
// holds products or subcategories.
func CheckDeletable(all []Category, id string, products int) error {
	children := 0
	for _, c := range all {
		if c.ParentID != nil && *c.ParentID == id {
			children++
		}
	}
	if products > 0 || children > 0 {
		return CategoryNotEmpty(id, products, children)
	}
	return nil
}

// CategoryNotEmpty is deleteCategory's refusal.
func CategoryNotEmpty(id string, products, children int) error {
	return &Error{
		Code:    errcode.Conflict,
		Message: "The category still has products or subcategories: move or delete them first.",
		Details: map[string]any{"categoryId": id, "products": products, "subcategories": children},
	}
}

// SlugTaken is the error for a category whose name makes another's slug.
func SlugTaken(slug string) error {
	return &Error{
		Code:    errcode.Conflict,
		Message: "Invalid input: name makes the slug \"" + slug + "\", which another category has.",
		Fields:  []FieldError{{Field: "name", Message: "makes a slug another category has"}},
	}
}

// UnknownCategory is the error for a product input naming no category.
func UnknownCategory() error { return fieldError("categoryId", "names no category") }

// WithSubcategories widens f's category to it and all its subcategories:
// a category's list includes theirs. A category that does not exist is
// refused (UnknownFilterCategory).
func (t *CategoryTree) WithSubcategories(f ProductFilter) (ProductFilter, error) {
	if len(f.CategoryIDs) != 1 {
		return f, nil
	}
	ids := t.Subtree(f.CategoryIDs[0])
	if ids == nil {
		return f, UnknownFilterCategory()
	}
	f.CategoryIDs = ids
	return f, nil
}

// UnknownFilterCategory is the error for a products filter naming no
// category.
func UnknownFilterCategory() error { return fieldError("filter.categoryId", "names no category") }
