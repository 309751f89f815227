package models

import (
	"fmt"
	"sort"
	"time"

	"shop/errcode"
)

// PlacedOrder is an order decided under its products' locks: the order
// with its items, the ledger movements that take its stock, and its
// events. The store writes it as it is.
type PlacedOrder struct {
	Order  Order
	Moves  []StockMovement
	Events []Event
	Stock  StockChange
}

// ProductStock is a product with all its variants, read under the
// product's row lock: what an order or a stock change is judged against.
type ProductStock struct {
	Product  Product
	Variants []ProductVariant
}

// StockChange is what a write does to stock: the variants' new stock, and
// their products with their new totals (ProductTotals).
type StockChange struct {
	Variants []ProductVariant
	Products []Product
}

// PlaceOrder applies the shop's rules to the stock of req's products, read
// under their locks (missing, inactive, which variant, short stock,
// prices), and decides every row the order writes. newID makes the order's
// and items' ids. Events holds order.placed; each movement is a
// stock.changed event too (StockEvents).
func PlaceOrder(req OrderRequest, stock map[string]ProductStock, now time.Time, newID func() string) (PlacedOrder, error) {
	// Each line's variant; lines naming the same one (by product and by
	// variant id) become one.
	var lines []OrderLine
	var bought []ProductVariant
	at := map[string]int{}
	for _, l := range req.Lines {
		ps, err := productOf(l, stock)
		if err != nil {
			return PlacedOrder{}, err
		}
		v, err := PickVariant(ps.Product.ID, l.VariantID, ps.Variants)
		if err != nil && !ps.Product.Active {
			// Hidden from shoppers: VARIANT_REQUIRED would list its
			// variants, and a missing variant would tell what it has.
			return PlacedOrder{}, ProductInactive(ps.Product.ID)
		}
		if err != nil {
			return PlacedOrder{}, err
		}
		if i, ok := at[v.ID]; ok {
			lines[i].Quantity += l.Quantity
			if lines[i].Quantity > MaxLineQuantity {
				return PlacedOrder{}, Errorf(errcode.BadUserInput, "Invalid input: items ask for at most %d units of variant %s in total, got %d.", MaxLineQuantity, v.ID, lines[i].Quantity)
			}
			continue
		}
		at[v.ID] = len(lines)
		lines = append(lines, OrderLine{ProductID: v.ProductID, VariantID: v.ID, Quantity: l.Quantity})
		bought = append(bought, v)
	}
	for i, l := range lines {
		ps := stock[l.ProductID]
		if !ps.Product.Active {
			return PlacedOrder{}, ProductInactive(l.ProductID)
		}
		if v := bought[i]; v.StockCount < l.Quantity {
			return PlacedOrder{}, InsufficientVariantStock(ps, v, l.Quantity)
		}
	}
	items, total, err := PriceOrder(lines, bought)
	if err != nil {
		return PlacedOrder{}, err
	}
	o := Order{
		ID: newID(), CustomerID: req.CustomerID, TotalAmount: total,
		Status: OrderStatusPending, CreatedAt: now, LastUpdated: now,
	}
	deltas := make(map[string]int, len(items))
	moves := make([]StockMovement, len(items))
	for i := range items {
		items[i].ID = newID()
		items[i].OrderID = o.ID
		deltas[bought[i].ID] = -items[i].Quantity
		moves[i] = StockMovement{
			ProductID: items[i].ProductID, VariantID: items[i].VariantID, Delta: -items[i].Quantity, Kind: MovementOrder,
			OrderID: &o.ID, Actor: req.Actor, At: now,
			StockAfter: bought[i].StockCount - items[i].Quantity,
		}
	}
	o.Items = items
	placed := NewEvent(EventOrderPlaced, o.ID, OrderPlaced{
		OrderID: o.ID, CustomerID: o.CustomerID, Total: total, Units: req.Units(), Actor: req.Actor,
	}, now)
	return PlacedOrder{Order: o, Moves: moves, Events: []Event{placed}, Stock: ChangeStock(stock, deltas, now)}, nil
}

// productOf finds the product a line names, by its product id or, with
// none, as the product holding its variant.
func productOf(l OrderLine, stock map[string]ProductStock) (ProductStock, error) {
	if l.ProductID != "" {
		ps, ok := stock[l.ProductID]
		if !ok {
			return ProductStock{}, ProductNotFound(l.ProductID)
		}
		return ps, nil
	}
	for _, ps := range stock {
		for _, v := range ps.Variants {
			if v.ID == l.VariantID {
				return ps, nil
			}
		}
	}
	return ProductStock{}, VariantNotFound(l.VariantID, "")
}

// ChangeStock applies deltas (by variant id) to the variants of stock and
// recomputes their products' totals, at now: what the store writes.
// Variants and products come out sorted by id, the order their rows are
// written in.
func ChangeStock(stock map[string]ProductStock, deltas map[string]int, now time.Time) StockChange {
	var out StockChange
	ids := make([]string, 0, len(stock))
	for id := range stock {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		ps := stock[id]
		vs := append([]ProductVariant(nil), ps.Variants...)
		touched := false
		for i := range vs {
			if d, ok := deltas[vs[i].ID]; ok {
				vs[i].StockCount += d
				vs[i].LastUpdated = now
				out.Variants = append(out.Variants, vs[i])
				touched = true
			}
		}
		if !touched {
			continue
		}
		p := ps.Product
		ProductTotals(p.Active, vs).Apply(&p)
		p.LastUpdated = now
		out.Products = append(out.Products, p)
	}
	sort.Slice(out.Variants, func(i, j int) bool { return out.Variants[i].ID < out.Variants[j].ID })
	return out
}

// InsufficientVariantStock is InsufficientStock for one variant; for the
// only variant of a product it is worded, and detailed, as before
// variants.
func InsufficientVariantStock(ps ProductStock, v ProductVariant, requested int) error {
	if len(ps.Variants) <= 1 {
		return InsufficientStock(ps.Product.ID, v.StockCount, requested)
	}
	return &Error{
		Code: errcode.InsufficientStock,
		Message: fmt.Sprintf("Insufficient stock for variant %s (%s) of product %s: %d available, %d requested.",
			v.ID, v.Title, ps.Product.ID, v.StockCount, requested),
		Details: map[string]any{"productId": ps.Product.ID, "variantId": v.ID, "available": v.StockCount, "requested": requested},
	}
}
