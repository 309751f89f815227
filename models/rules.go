package models

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"shop/errcode"
)

// Limits of the shop's input, chosen so that no valid order can overflow an
// int64 total or make one request hold row locks for long.
const (
	MaxStockCount     = 1_000_000_000
	MaxOrderLines     = 100
	MaxLineQuantity   = 10_000
	MaxCustomerIDSize = 128
)

// NewProduct is a validated request to create a product.
type NewProduct struct {
	Price      Money
	StockCount int
	Actor      string // who creates it, for the ledger
	details    details
	// Options and Variants, when given (WithVariants).
	Options  ProductOptions
	Variants []VariantDraft
}

// ParseNewProduct validates createProduct's input, reporting every bad field.
func ParseNewProduct(price float64, stockCount int, d ProductDetails) (NewProduct, error) {
	var fe fieldErrors
	m := parsePrice(&fe, "price", price)
	checkStock(&fe, "stockCount", stockCount)
	det := parseDetails(&fe, d)
	if err := fe.err(); err != nil {
		return NewProduct{}, err
	}
	return NewProduct{Price: m, StockCount: stockCount, details: det}, nil
}

// Product is the new product with id, created at now: active unless the
// input said otherwise, and named GeneratedName(id) unless it was named.
func (np NewProduct) Product(id string, now time.Time) Product {
	p := Product{ID: id, Price: np.Price, StockCount: np.StockCount, CreatedAt: now, LastUpdated: now, Active: true, ImageURLs: StringList{}}
	np.details.apply(&p)
	if p.Name == "" {
		p.Name = GeneratedName(id)
	}
	return p
}

// ProductPatch is a validated partial update: nil fields stay unchanged.
type ProductPatch struct {
	Price      *Money
	StockCount *int
	Actor      string // who updates it, for the ledger
	details    details
}

// ChangesMembership reports whether the patch sets active or the category,
// which add the product to lists or take it off them (shoppers' lists,
// lists by category, categories' product counts).
func (patch ProductPatch) ChangesMembership() bool {
	return patch.details.Active != nil || patch.details.CategoryID != nil
}

// ChangesFields reports whether the patch sets what lists sort or search
// by: the price or the text.
func (patch ProductPatch) ChangesFields() bool {
	d := patch.details
	return patch.Price != nil || d.Name != nil || d.Description != nil || d.SKU != nil
}

// Changes says what the patch sets, as product.updated events say it
// (ProductChanged.Changes): what the cache and other consumers go by.
func (patch ProductPatch) Changes() []string {
	var out []string
	if patch.ChangesMembership() {
		out = append(out, ChangedMembership)
	}
	if patch.ChangesFields() {
		out = append(out, ChangedFields)
	}
	if patch.StockCount != nil {
		out = append(out, ChangedStock)
	}
	return out
}

// SetsVariant reports whether the patch sets what is a variant's: the
// price, the stock or the SKU (of a product with one variant).
func (patch ProductPatch) SetsVariant() bool {
	return patch.Price != nil || patch.StockCount != nil || patch.details.SKU != nil
}

// SetsCategory is the category the patch puts the product in, if any: the
// store checks that it exists.
func (patch ProductPatch) SetsCategory() *string {
	if patch.details.CategoryID == nil {
		return nil
	}
	return *patch.details.CategoryID
}

// ParseProductPatch validates updateProduct's input.
func ParseProductPatch(id string, price *float64, stockCount *int, d ProductDetails) (ProductPatch, error) {
	var fe fieldErrors
	checkID(&fe, "productId", id)
	var patch ProductPatch
	if price != nil {
		m := parsePrice(&fe, "price", *price)
		patch.Price = &m
	}
	if stockCount != nil {
		checkStock(&fe, "stockCount", *stockCount)
		s := *stockCount
		patch.StockCount = &s
	}
	patch.details = parseDetails(&fe, d)
	if err := fe.err(); err != nil {
		return ProductPatch{}, err
	}
	return patch, nil
}

// Apply changes p by the patch and reports whether anything was set.
func (patch ProductPatch) Apply(p *Product) bool {
	changed := false
	if patch.Price != nil {
		p.Price = *patch.Price
		changed = true
	}
	if patch.StockCount != nil {
		p.StockCount = *patch.StockCount
		changed = true
	}
	if patch.details.apply(p) {
		changed = true
	}
	return changed
}

// ValidateID checks that id is a UUID in its canonical text form; field names
// the argument in the error.
func ValidateID(field, id string) error {
	var fe fieldErrors
	checkID(&fe, field, id)
	return fe.err()
}

// OrderLine is one requested line of an order: a variant, and its
// product (either may be "" as sent; PlaceOrder finds the other).
type OrderLine struct {
	ProductID string
	VariantID string
	Quantity  int
}

// OrderRequest is a validated createOrder input: lines merged by product
// and variant and sorted by them, the order in which stock rows are locked,
// so that two orders never wait on each other in a cycle.
type OrderRequest struct {
	CustomerID string
	Lines      []OrderLine
	// Actor is who places the order (the customer, or an admin for it).
	Actor string
	// IdempotencyKey, when set, makes a retry of the same request return
	// the order the first created; keys are scoped to the Actor.
	IdempotencyKey string
	// Pending caps the customer's unpaid orders, this one included
	// (CheckPending); the zero value caps nothing. A replay under an
	// idempotency key is not judged: it places nothing.
	Pending PendingCaps
}

// ParseOrder validates createOrder's input and merges lines naming the
// same product and variant. A line names a variant (variantId), or the
// product of a single-variant product (productId), or both.
func ParseOrder(customerID string, lines []OrderLine) (OrderRequest, error) {
	var fe fieldErrors
	cid := strings.TrimSpace(customerID)
	if cid == "" {
		fe.add("customerId", "must not be empty")
	} else {
		checkText(&fe, "customerId", cid, MaxCustomerIDSize)
	}
	switch {
	case len(lines) == 0:
		fe.add("items", "must contain at least one item")
	case len(lines) > MaxOrderLines:
		fe.add("items", "must contain at most %d items, got %d", MaxOrderLines, len(lines))
	}
	type target struct{ product, variant string }
	merged := map[target]int{}
	if len(lines) <= MaxOrderLines {
		for i, l := range lines {
			field := fmt.Sprintf("items[%d]", i)
			okID := true
			switch {
			case l.ProductID == "" && l.VariantID == "":
				fe.add(field+".productId", "must be given, or variantId")
				okID = false
			default:
				if l.ProductID != "" {
					okID = checkID(&fe, field+".productId", l.ProductID)
				}
				if l.VariantID != "" {
					okID = checkID(&fe, field+".variantId", l.VariantID) && okID
				}
			}
			okQ := true
			if l.Quantity < 1 {
				fe.add(field+".quantity", "must be at least 1, got %d", l.Quantity)
				okQ = false
			} else if l.Quantity > MaxLineQuantity {
				fe.add(field+".quantity", "must be at most %d, got %d", MaxLineQuantity, l.Quantity)
				okQ = false
			}
			if okID && okQ {
				merged[target{l.ProductID, l.VariantID}] += l.Quantity
			}
		}
	}
	for t, q := range merged {
		if q > MaxLineQuantity {
			what := "product " + t.product
			if t.variant != "" {
				what = "variant " + t.variant
			}
			fe.add("items", "ask for at most %d units of %s in total, got %d", MaxLineQuantity, what, q)
		}
	}
	if err := fe.err(); err != nil {
		return OrderRequest{}, err
	}
	req := OrderRequest{CustomerID: cid, Lines: make([]OrderLine, 0, len(merged))}
	for t, q := range merged {
		req.Lines = append(req.Lines, OrderLine{ProductID: t.product, VariantID: t.variant, Quantity: q})
	}
	sort.Slice(req.Lines, func(i, j int) bool {
		a, b := req.Lines[i], req.Lines[j]
		if a.ProductID != b.ProductID {
			return a.ProductID < b.ProductID
		}
		return a.VariantID < b.VariantID
	})
	return req, nil
}

// ProductIDs are the products the lines name (some lines may name only
// a variant: VariantIDs).
func (r OrderRequest) ProductIDs() []string {
	var out []string
	for _, l := range r.Lines {
		if l.ProductID != "" && (len(out) == 0 || out[len(out)-1] != l.ProductID) {
			out = append(out, l.ProductID)
		}
	}
	return out
}

// VariantIDs are the variants the lines name.
func (r OrderRequest) VariantIDs() []string {
	var out []string
	for _, l := range r.Lines {
		if l.VariantID != "" {
			out = append(out, l.VariantID)
		}
	}
	return out
}

// PriceOrder builds the order's items from the variants bought (read under
// their products' locks) and returns the exact total.
func PriceOrder(lines []OrderLine, variants []ProductVariant) ([]OrderItem, Money, error) {
	items := make([]OrderItem, 0, len(lines))
	var total Money
	for i, l := range lines {
		v := variants[i]
		sub, err := v.Price.Times(l.Quantity)
		if err == nil {
			total, err = total.Plus(sub)
		}
		if err != nil || total > maxTotal {
			return nil, 0, Errorf(errcode.BadUserInput, "The order total is too large to be charged in one order.")
		}
		items = append(items, OrderItem{
			ProductID: v.ProductID, Quantity: l.Quantity, PriceAtPurchase: v.Price, Position: i,
			VariantID: v.ID, SKU: v.SKU, Title: v.Title, Options: v.Options,
		})
	}
	return items, total, nil
}

// InsufficientStock is the error for an order line the stock can't cover.
func InsufficientStock(productID string, available, requested int) error {
	return &Error{
		Code:    errcode.InsufficientStock,
		Message: fmt.Sprintf("Insufficient stock for product %s: %d available, %d requested.", productID, available, requested),
		Details: map[string]any{"productId": productID, "available": available, "requested": requested},
	}
}

// ProductNotFound is the error for an order line naming no product.
func ProductNotFound(productID string) error {
	return &Error{
		Code:    errcode.NotFound,
		Message: fmt.Sprintf("Product %s does not exist.", productID),
		Details: map[string]any{"productId": productID},
	}
}

// parsePrice reads a price, judging the float before converting it, so
// the message says what is wrong with the number sent: -1e308 is negative
// (not "too large"), 1e308 is above MaxPrice, and only a price in range
// can fail for its decimal places.
func parsePrice(fe *fieldErrors, field string, f float64) Money {
	switch {
	case math.IsNaN(f):
		fe.add(field, "is not a finite number")
		return 0
	case f < 0:
		fe.add(field, "must not be negative")
		return 0
	case f > MaxPrice.Float64():
		fe.add(field, "must be at most %s", MaxPrice)
		return 0
	}
	m, err := MoneyFromFloat(f)
	if err != nil {
		fe.add(field, "%s", err.Error())
	}
	return m
}

func checkStock(fe *fieldErrors, field string, n int) {
	switch {
	case n < 0:
		fe.add(field, "must not be negative")
	case n > MaxStockCount:
		fe.add(field, "must be at most %d", MaxStockCount)
	}
}

func checkID(fe *fieldErrors, field, id string) bool {
	u, err := uuid.Parse(id)
	if err != nil || u.String() != id {
		fe.add(field, "must be a UUID in lowercase canonical form (8-4-4-4-12 hex digits), got %q", truncate(id, 40))
		return false
	}
	return true
}

// ValidateText checks a text argument that reaches the database, naming
// field in the error: see checkText.
func ValidateText(field, s string, max int) error {
	var fe fieldErrors
	checkText(&fe, field, s, max)
	return fe.err()
}

// checkText is the rule for any client text that reaches the database:
// valid UTF-8 (PostgreSQL refuses anything else, as an internal error),
// no NUL or other control characters (PostgreSQL refuses NUL in text, and
// none belongs in a name or an id), no invisible ones (invisibleIn), and
// at most max characters.
func checkText(fe *fieldErrors, field, s string, max int) bool {
	return checkTextLines(fe, field, s, max, false)
}

// checkTextLines is checkText, with line breaks and tabs allowed when
// lines is set.
func checkTextLines(fe *fieldErrors, field, s string, max int, lines bool) bool {
	if !utf8.ValidString(s) {
		fe.add(field, "must be valid UTF-8")
		return false
	}
	if r, pos, bad := invisibleIn(s, lines); bad {
		invisibleError(fe, field, r, pos, lines)
		return false
	}
	if utf8.RuneCountInString(s) > max {
		fe.add(field, "must be at most %d characters", max)
		return false
	}
	return true
}

// truncate cuts s to about n bytes for an error message (which quotes it
// with %q, so a cut rune shows as an escape).
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
