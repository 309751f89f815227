package models

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"shop/errcode"
)

// Limits of a product's catalog fields.
const (
	MaxNameSize        = 200
	MaxDescriptionSize = 10_000
	MaxSKUSize         = 64
	MaxImageURLs       = 10
	MaxImageURLSize    = 2048
)

// ProductDetails are the optional catalog fields of a product's input, as
// the client sent them: nil is left out (on an update, unchanged).
type ProductDetails struct {
	Name        *string
	Description *string
	// SKU "" means none (on an update, clears it).
	SKU       *string
	ImageURLs *[]string
	Active    *bool
	// CategoryID "" means none (on an update, takes it out of its category).
	CategoryID *string
}

// details is ProductDetails validated: trimmed, checked, ready to store.
type details struct {
	Name        *string
	Description *string
	SKU         **string // set to nil clears
	ImageURLs   *StringList
	Active      *bool
	CategoryID  **string
}

// parseDetails validates every field of d into fe.
func parseDetails(fe *fieldErrors, d ProductDetails) details {
	var out details
	if d.Name != nil {
		n := strings.TrimSpace(*d.Name)
		if n == "" {
			fe.add("name", "must not be empty")
		} else {
			checkText(fe, "name", n, MaxNameSize)
		}
		out.Name = &n
	}
	if d.Description != nil {
		s := strings.TrimSpace(*d.Description)
		checkLongText(fe, "description", s, MaxDescriptionSize)
		out.Description = &s
	}
	if d.SKU != nil {
		var sku *string
		if s := strings.TrimSpace(*d.SKU); s != "" {
			checkSKU(fe, "sku", s)
			sku = &s
		}
		out.SKU = &sku
	}
	if d.ImageURLs != nil {
		urls := checkImageURLs(fe, "imageUrls", *d.ImageURLs)
		out.ImageURLs = &urls
	}
	if d.Active != nil {
		a := *d.Active
		out.Active = &a
	}
	if d.CategoryID != nil {
		var cat *string
		if c := *d.CategoryID; c != "" {
			checkID(fe, "categoryId", c)
			cat = &c
		}
		out.CategoryID = &cat
	}
	return out
}

// apply sets p's fields from d and reports whether any was given.
func (d details) apply(p *Product) bool {
	changed := false
	if d.Name != nil {
		p.Name, changed = *d.Name, true
	}
	if d.Description != nil {
		p.Description, changed = *d.Description, true
	}
	if d.SKU != nil {
		p.SKU, changed = *d.SKU, true
	}
	if d.ImageURLs != nil {
		p.ImageURLs, changed = *d.ImageURLs, true
	}
	if d.Active != nil {
		p.Active, changed = *d.Active, true
	}
	if d.CategoryID != nil {
		p.CategoryID, changed = *d.CategoryID, true
	}
	return changed
}

// GeneratedName is the name of a product created without one, as the
// contract allows: distinct enough to tell products apart in a list.
func GeneratedName(id string) string {
	return "Product " + id[:min(len(id), 8)]
}

// checkLongText is checkText for multi-line plain text: line breaks and
// tabs belong in a description; other control characters (NUL, escapes)
// and invisible ones (invisibleIn) do not.
func checkLongText(fe *fieldErrors, field, s string, max int) {
	checkTextLines(fe, field, s, max, true)
}

// checkSKU allows ASCII letters, digits, '-', '_' and '.': SKUs are
// matched case-insensitively by the database's lower(), which folds only
// ASCII the same way on PostgreSQL and SQLite.
func checkSKU(fe *fieldErrors, field, s string) {
	if len(s) > MaxSKUSize {
		fe.add(field, "must be at most %d characters", MaxSKUSize)
		return
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			fe.add(field, "may contain only ASCII letters, digits, '-', '_' and '.', got %q", truncate(s, 40))
			return
		}
	}
}

// checkImageURLs accepts up to MaxImageURLs absolute https URLs; nothing
// is fetched, so the rule is only about their form.
func checkImageURLs(fe *fieldErrors, field string, urls []string) StringList {
	if len(urls) > MaxImageURLs {
		fe.add(field, "must contain at most %d URLs, got %d", MaxImageURLs, len(urls))
		return nil
	}
	out := make(StringList, 0, len(urls))
	for i, raw := range urls {
		f := fmt.Sprintf("%s[%d]", field, i)
		s := strings.TrimSpace(raw)
		if !checkText(fe, f, s, MaxImageURLSize) {
			continue
		}
		u, err := url.Parse(s)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
			fe.add(f, "must be an absolute https URL without credentials, got %q", truncate(s, 60))
			continue
		}
		out = append(out, s)
	}
	return out
}

// StringList is a list of strings stored as a JSON array in a text column.
type StringList []string

// Value stores the list as JSON; an empty list as [].
func (l StringList) Value() (driver.Value, error) {
	if l == nil {
		return "[]", nil
	}
	b, err := json.Marshal([]string(l))
	return string(b), err
}

// Scan reads the JSON array back.
func (l *StringList) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		*l = nil
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("scan string list from %T", src)
	}
	if len(b) == 0 {
		*l = nil
		return nil
	}
	if string(b) == "[]" {
		// Most products have no images: skip the decoder, with the
		// empty list it would give.
		*l = StringList{}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(l))
}

// ProductInactive is the error for an order line naming a product that is
// not for sale.
func ProductInactive(productID string) error {
	return &Error{
		Code:    errcode.ProductInactive,
		Message: fmt.Sprintf("Product %s is not for sale.", productID),
		Details: map[string]any{"productId": productID},
	}
}

// SKUTaken is the error for a SKU another product has, whatever its case.
func SKUTaken(sku string) error { return SKUTakenAt("sku", sku) }

// SKUTakenAt is SKUTaken for the SKU given in field (a variant's:
// "input.variants[2].sku").
func SKUTakenAt(field, sku string) error {
	return &Error{
		Code:    errcode.Conflict,
		Message: fmt.Sprintf("Invalid input: %s %q is already used by another product.", field, sku),
		Fields:  []FieldError{{Field: field, Message: "is already used by another product"}},
	}
}

// VariantSKUTaken is SKUTakenAt for a variant's own write (createVariant,
// updateVariant), whose SKU may clash with a sibling's as well as another
// product's.
func VariantSKUTaken(field, sku string) error {
	return &Error{
		Code:    errcode.Conflict,
		Message: fmt.Sprintf("Invalid input: %s %q is already used by another product or variant.", field, sku),
		Fields:  []FieldError{{Field: field, Message: "is already used by another product or variant"}},
	}
}

// Visible reports whether a caller may see p: admins see every product,
// everyone else only active ones.
func Visible(c Caller, p *Product) bool { return p.Active || c.IsAdmin() }
