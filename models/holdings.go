package models

import (
	"fmt"

	"shop/errcode"
)

// What one caller may hold. An unpaid order takes its stock at once and
// keeps it until it is paid, cancelled or expires (ORDER_PENDING_TTL), so
// without these bounds one customer could hold the whole stock for nothing
// (inventory denial): a few large orders, or many small ones.

// OrderLimits bound a customer's orders; a zero field is no limit.
type OrderLimits struct {
	// MaxLineQuantity is the most units of one product in one order,
	// MaxOrderUnits the most units in one order.
	MaxLineQuantity, MaxOrderUnits int
	// MaxPendingOrders and MaxPendingUnits bound a customer's unpaid
	// (pending) orders and the units they hold, the new order included.
	MaxPendingOrders, MaxPendingUnits int
}

// Pending is what the store must hold an order to: the caps on the
// customer's unpaid orders, which only the order's own transaction can
// judge (PendingCaps).
func (l OrderLimits) Pending() PendingCaps {
	return PendingCaps{MaxOrders: l.MaxPendingOrders, MaxUnits: l.MaxPendingUnits}
}

// PendingCaps bound one customer's unpaid orders and the units they hold;
// a zero field is no cap.
type PendingCaps struct {
	MaxOrders, MaxUnits int
}

// On reports whether any cap applies: without one the store need not count.
func (c PendingCaps) On() bool { return c.MaxOrders > 0 || c.MaxUnits > 0 }

// Holdings are a customer's unpaid orders and the units they hold.
type Holdings struct {
	Orders, Units int
}

// Units is the number of units the request asks for.
func (r OrderRequest) Units() int {
	n := 0
	for _, l := range r.Lines {
		n += l.Quantity
	}
	return n
}

// ExemptFromOrderLimits reports whether c's orders skip OrderLimits: an
// admin's, placed for a customer (a telephone order, a replacement), which
// the admin answers for. Customers' own orders are the ones the limits are
// for.
func ExemptFromOrderLimits(c Caller) bool { return c.IsAdmin() }

// LimitOrder applies l to c's parsed order: an exempt caller's order
// passes as it is; anyone else's is judged against the per-line and
// per-order maximums now, and carries the caps on unpaid orders for the
// order's transaction to judge (req.Pending), against the customer's
// orders as they are then.
func LimitOrder(c Caller, req *OrderRequest, l OrderLimits) error {
	if ExemptFromOrderLimits(c) {
		return nil
	}
	if err := CheckOrderUnits(*req, l); err != nil {
		return err
	}
	req.Pending = l.Pending()
	return nil
}

// CheckOrderUnits judges a parsed order (lines merged by product) against
// the per-line and per-order maximums, reporting both at once.
func CheckOrderUnits(req OrderRequest, l OrderLimits) error {
	var fe fieldErrors
	if l.MaxLineQuantity > 0 {
		for _, line := range req.Lines {
			if line.Quantity > l.MaxLineQuantity {
				fe.add("items", "ask for at most %d units of one product (MAX_LINE_QUANTITY), got %d of product %s", l.MaxLineQuantity, line.Quantity, line.ProductID)
			}
		}
	}
	if n := req.Units(); l.MaxOrderUnits > 0 && n > l.MaxOrderUnits {
		fe.add("items", "ask for at most %d units in one order (MAX_ORDER_UNITS), got %d", l.MaxOrderUnits, n)
	}
	return fe.err()
}

// CheckPending judges a new order of units against the customer's unpaid
// orders as they are under the order's transaction: refused with
// PENDING_LIMIT when it would take them past a cap.
func CheckPending(held Holdings, units int, caps PendingCaps) error {
	if caps.MaxOrders > 0 && held.Orders+1 > caps.MaxOrders {
		return pendingLimit("MAX_PENDING_ORDERS", held.Orders, caps.MaxOrders,
			fmt.Sprintf("You have %d unpaid orders, and at most %d may be unpaid at once (MAX_PENDING_ORDERS): pay or cancel one first.", held.Orders, caps.MaxOrders))
	}
	if caps.MaxUnits > 0 && held.Units+units > caps.MaxUnits {
		return pendingLimit("MAX_PENDING_UNITS", held.Units+units, caps.MaxUnits,
			fmt.Sprintf("This order's %d units would make %d held by your unpaid orders, and at most %d may be (MAX_PENDING_UNITS): pay or cancel an order first, or order fewer.", units, held.Units+units, caps.MaxUnits))
	}
	return nil
}

func pendingLimit(limit string, value, max int, msg string) error {
	return &Error{Code: errcode.PendingLimit, Message: msg, Details: map[string]any{"limit": limit, "value": value, "max": max}}
}

// MaxMutationsPerRequest is how many state-changing root fields one
// request of a customer or an anonymous caller may run: aliases made one
// request place a hundred orders under one allowance.
const MaxMutationsPerRequest = 1

// CheckMutations refuses, before anything runs, a request whose operation
// runs more than MaxMutationsPerRequest mutation fields, unless the caller
// is an admin (whose scripts may batch; each field still counts against
// the rate limits).
func CheckMutations(c Caller, n int) error {
	if n <= MaxMutationsPerRequest || c.IsAdmin() {
		return nil
	}
	return &Error{
		Code:    errcode.TooManyMutations,
		Message: fmt.Sprintf("The request runs %d mutation fields, and at most %d may run in one request: send them one per request.", n, MaxMutationsPerRequest),
		Details: map[string]any{"value": n, "max": MaxMutationsPerRequest},
	}
}
