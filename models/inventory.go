package models

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"shop/errcode"
)

// Every change of a variant's stock is a movement in the ledger, so a
// variant's stockCount always equals the sum of its movements (and a
// product's the sum of its variants'), and each change says why.
const (
	MovementInitial      = "initial"      // the stock a product was created with
	MovementOrder        = "order"        // taken by an order (negative)
	MovementCancellation = "cancellation" // put back by a cancelled order
	MovementAdjustment   = "adjustment"   // an admin's correction (adjustStock)
	MovementUpdate       = "update"       // updateProduct set stockCount: the difference
)

// StockMovement is one row of the stock ledger.
type StockMovement struct {
	ID        int64  `gorm:"column:id;primaryKey;autoIncrement;index:idx_stock_movements_product,priority:2;index:idx_stock_movements_variant,priority:2"`
	ProductID string `gorm:"column:product_id;type:varchar(36);not null;index:idx_stock_movements_product,priority:1"`
	// VariantID is the variant whose stock moved (a product's default
	// variant, for movements recorded before variants).
	VariantID string    `gorm:"column:variant_id;type:varchar(36);not null;default:'';index:idx_stock_movements_variant,priority:1"`
	Delta     int       `gorm:"column:delta;not null"`
	Kind      string    `gorm:"column:kind;type:varchar(32);not null"`
	Reason    string    `gorm:"column:reason;type:varchar(500);not null;default:''"`
	OrderID   *string   `gorm:"column:order_id;type:varchar(36)"`
	Actor     string    `gorm:"column:actor;type:varchar(128);not null"`
	At        time.Time `gorm:"column:at;not null"`
	// StockAfter is the variant's stock once this movement applied.
	StockAfter int `gorm:"column:stock_after;not null"`
}

// MovementPage is one page of a product's movements, oldest first.
type MovementPage struct {
	Movements []StockMovement
	HasNext   bool
}

// Adjustment is a validated adjustStock request.
type Adjustment struct {
	ProductID string
	// VariantID names the variant; "" for a product's only variant.
	VariantID string
	Delta     int
	Reason    string
	Actor     string
}

// ParseAdjustment validates adjustStock's arguments: the variant, or the
// product of a single-variant product (at least one; with both, the
// variant must be the product's). A reason is required: a correction
// nobody can explain later is what the ledger exists to prevent.
func ParseAdjustment(productID, variantID string, delta int, reason string, c Caller) (Adjustment, error) {
	var fe fieldErrors
	checkTarget(&fe, productID, variantID)
	switch {
	case delta == 0:
		fe.add("delta", "must not be 0")
	case delta > MaxStockCount || delta < -MaxStockCount:
		fe.add("delta", "must be between %d and %d", -MaxStockCount, MaxStockCount)
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		fe.add("reason", "must say why the stock changes")
	} else {
		checkText(&fe, "reason", reason, MaxNoteSize)
	}
	if err := fe.err(); err != nil {
		return Adjustment{}, err
	}
	return Adjustment{ProductID: productID, VariantID: variantID, Delta: delta, Reason: reason, Actor: ActorOf(c)}, nil
}

// checkTarget checks a productId and variantId pair naming a variant:
// either may be "" (left out), not both.
func checkTarget(fe *fieldErrors, productID, variantID string) {
	if productID == "" && variantID == "" {
		fe.add("variantId", "must be given (or productId, for a product with one variant)")
		return
	}
	if productID != "" {
		checkID(fe, "productId", productID)
	}
	if variantID != "" {
		checkID(fe, "variantId", variantID)
	}
}

// ApplyAdjustment is the stock after an adjustment, refused when it would
// go below zero, or raise the stock above the maximum. A cancellation puts
// its units back whatever the stock holds by then, so a product can hold
// more than the maximum; lowering such a stock is always allowed, or no
// admin could correct it.
func ApplyAdjustment(stock int, a Adjustment) (int, error) {
	next := stock + a.Delta
	if next < 0 {
		return stock, InsufficientStock(a.ProductID, stock, -a.Delta)
	}
	if next > MaxStockCount && a.Delta > 0 {
		return stock, Errorf(errcode.BadUserInput, "Product %s would hold %d, above the most a product may hold (%d).", a.ProductID, next, MaxStockCount)
	}
	return next, nil
}

// Low stock thresholds.
const (
	DefaultLowStockThreshold = 5
	MaxLowStockResults       = 200
)

// ParseLowStock validates lowStock's threshold (nil: the default).
func ParseLowStock(threshold *int) (int, error) {
	return parseThreshold("threshold", threshold)
}

// parseThreshold reads a stock level named field: a stock count, or the
// default threshold when left out.
func parseThreshold(field string, threshold *int) (int, error) {
	if threshold == nil {
		return DefaultLowStockThreshold, nil
	}
	var fe fieldErrors
	checkStock(&fe, field, *threshold)
	if err := fe.err(); err != nil {
		return 0, err
	}
	return *threshold, nil
}

// LedgerConnection is a validated request for one page of a product's
// ledger, which is ordered by the movements' sequence.
type LedgerConnection struct {
	First   int
	AfterID int64 // 0: from the start
}

// MovementCursor is the opaque position just after m.
func MovementCursor(m StockMovement) string {
	return base64.RawURLEncoding.EncodeToString([]byte("m" + strconv.FormatInt(m.ID, 10)))
}

// ParseLedgerConnection validates stockMovements' first and after.
func ParseLedgerConnection(first *int, after *string) (LedgerConnection, error) {
	c, err := ParseConnection(first, nil)
	if err != nil {
		return LedgerConnection{}, err
	}
	lc := LedgerConnection{First: c.First}
	if after != nil && *after != "" {
		raw, err := base64.RawURLEncoding.DecodeString(*after)
		n, perr := int64(0), error(nil)
		if err == nil && strings.HasPrefix(string(raw), "m") {
			n, perr = strconv.ParseInt(string(raw[1:]), 10, 64)
		}
		if err != nil || !strings.HasPrefix(string(raw), "m") || perr != nil || n < 1 {
			return LedgerConnection{}, (fieldErrors{{Field: "after", Message: "is not a cursor this server gave out"}}).err()
		}
		lc.AfterID = n
	}
	return lc, nil
}
