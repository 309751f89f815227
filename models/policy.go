package models

import (
	"strings"

	"shop/errcode"
)

// Who may do what. Every rule takes the caller proven by the request's
// token (anonymous without one) and answers UNAUTHENTICATED when a token is
// needed and missing, FORBIDDEN when the caller's role may not act.

var (
	errSignIn = &Error{Code: errcode.Unauthenticated, Message: "Sign in first: send Authorization: Bearer <accessToken> (from the login mutation)."}
	errAdmin  = &Error{Code: errcode.Forbidden, Message: "Only an admin may do this."}
	errOthers = &Error{Code: errcode.Forbidden, Message: "A customer may order only for itself: leave customerId out, or send your own id."}
)

// RequireSignedIn refuses anonymous callers.
func RequireSignedIn(c Caller) error {
	if c.Anonymous() {
		return errSignIn
	}
	return nil
}

// RequireAdmin refuses everyone but admins: the catalog's writes.
func RequireAdmin(c Caller) error {
	if err := RequireSignedIn(c); err != nil {
		return err
	}
	if !c.IsAdmin() {
		return errAdmin
	}
	return nil
}

// OrderCustomer is the customerId an order by c is placed for, given the one
// requested (nil when left out). Left out, it is the caller. A customer may
// name only itself; an admin may name anyone. An empty id is passed on, for
// ParseOrder to report with the input's other problems.
func OrderCustomer(c Caller, requested *string) (string, error) {
	if err := RequireSignedIn(c); err != nil {
		return "", err
	}
	if requested == nil {
		return c.UserID, nil
	}
	id := strings.TrimSpace(*requested)
	if c.IsAdmin() || id == "" || id == c.UserID {
		return id, nil
	}
	return "", errOthers
}

// CanSeeOrder reports whether c may read o. Callers show an order c may not
// see exactly as a missing one, so its existence is not revealed either.
func CanSeeOrder(c Caller, o Order) bool {
	if c.Anonymous() {
		return false
	}
	return c.IsAdmin() || o.CustomerID == c.UserID
}

// VisibleOrders narrows a filter of orders to what c may see: an admin sees
// every order, a customer only its own. ok is false when nothing can match
// (a customer asking for another customer's orders, or anonymous).
func VisibleOrders(c Caller, f OrderFilter) (visible OrderFilter, ok bool) {
	switch {
	case c.Anonymous():
		return f, false
	case c.IsAdmin():
		return f, true
	case f.CustomerID == "" || f.CustomerID == c.UserID:
		f.CustomerID = c.UserID
		return f, true
	}
	return f, false
}

// CostLimit is c's share of a per-request limit (an operation's cost, a
// response's bytes): admins may ask for the largest pages (a whole page of
// 1,000 orders of 100 lines, an export), everyone else for what a
// shopper's screen needs. A zero admins limit means admins get everyone's.
func CostLimit(c Caller, everyone, admins int) int {
	if c.IsAdmin() && admins > 0 {
		return admins
	}
	return everyone
}

// VisibleProducts is the part of the catalog c may list: admins see
// inactive products too, everyone else only what is for sale.
func VisibleProducts(c Caller) ProductFilter {
	return ProductFilter{IncludeInactive: c.IsAdmin()}
}
