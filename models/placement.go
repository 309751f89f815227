package models

import "time"

// PlacedOrder is an order decided under its products' locks: the order
// with its items, the ledger movements that take its stock, and its
// events. The store writes it as it is.
type PlacedOrder struct {
	Order  Order
	Moves  []StockMovement
	Events []Event
}

// PlaceOrder applies the shop's rules to the stock of req's products, read
// under their locks (missing, inactive, short stock, prices), and decides
// every row the order writes. newID makes the order's and items' ids.
// Events holds order.placed; each movement is a stock.changed event too
// (StockEvents).
func PlaceOrder(req OrderRequest, stock map[string]Product, now time.Time, newID func() string) (PlacedOrder, error) {
	prices := make(map[string]Money, len(req.Lines))
	for _, l := range req.Lines {
		p, ok := stock[l.ProductID]
		if !ok {
			return PlacedOrder{}, ProductNotFound(l.ProductID)
		}
		if !p.Active {
			return PlacedOrder{}, ProductInactive(l.ProductID)
		}
		if p.StockCount < l.Quantity {
			return PlacedOrder{}, InsufficientStock(l.ProductID, p.StockCount, l.Quantity)
		}
		prices[l.ProductID] = p.Price
	}
	items, total, err := PriceOrder(req.Lines, prices)
	if err != nil {
		return PlacedOrder{}, err
	}
	o := Order{
		ID: newID(), CustomerID: req.CustomerID, TotalAmount: total,
		Status: OrderStatusPending, CreatedAt: now, LastUpdated: now,
	}
	moves := make([]StockMovement, len(items))
	for i := range items {
		items[i].ID = newID()
		items[i].OrderID = o.ID
		moves[i] = StockMovement{
			ProductID: items[i].ProductID, Delta: -items[i].Quantity, Kind: MovementOrder,
			OrderID: &o.ID, Actor: req.Actor, At: now,
			StockAfter: stock[items[i].ProductID].StockCount - items[i].Quantity,
		}
	}
	o.Items = items
	placed := NewEvent(EventOrderPlaced, o.ID, OrderPlaced{
		OrderID: o.ID, CustomerID: o.CustomerID, Total: total, Units: req.Units(), Actor: req.Actor,
	}, now)
	return PlacedOrder{Order: o, Moves: moves, Events: []Event{placed}}, nil
}
