package models

import (
	"strings"
	"time"
)

// An order's status moves along one path, and may be cancelled before it
// ships:
//
//	pending → paid → shipped → delivered
//	pending | paid → cancelled
//
// The values are the contract's lowercase strings.
const (
	OrderStatusPaid      = "paid"
	OrderStatusShipped   = "shipped"
	OrderStatusDelivered = "delivered"
	OrderStatusCancelled = "cancelled"
)

// OrderStatuses lists every status in lifecycle order.
var OrderStatuses = []string{OrderStatusPending, OrderStatusPaid, OrderStatusShipped, OrderStatusDelivered, OrderStatusCancelled}

var transitions = map[string][]string{
	OrderStatusPending: {OrderStatusPaid, OrderStatusCancelled},
	OrderStatusPaid:    {OrderStatusShipped, OrderStatusCancelled},
	OrderStatusShipped: {OrderStatusDelivered},
}

func checkStatus(fe *fieldErrors, field, s string) {
	for _, known := range OrderStatuses {
		if s == known {
			return
		}
	}
	fe.add(field, "must be one of %s, got %q", strings.Join(OrderStatuses, ", "), truncate(s, 40))
}

// Transition refuses any move of an order's status but the lifecycle's.
func Transition(from, to string) error {
	for _, next := range transitions[from] {
		if next == to {
			return nil
		}
	}
	return &Error{
		Code:    CodeInvalidTransition,
		Message: "An order that is " + from + " cannot become " + to + ".",
		Details: map[string]any{"from": from, "to": to},
	}
}

// Actor names who changed an order or the stock, for events and the
// ledger: a user's id, or "system" for the service's own work.
const ActorSystem = "system"

// ActorOf is the actor recorded for c's changes.
func ActorOf(c Caller) string {
	if c.Anonymous() {
		return ActorSystem
	}
	return c.UserID
}

// OrderEvent is one change of an order's status, the creation included.
type OrderEvent struct {
	ID      int64     `gorm:"column:id;primaryKey;autoIncrement;index:idx_order_events_order,priority:2"`
	OrderID string    `gorm:"column:order_id;type:varchar(36);not null;index:idx_order_events_order,priority:1"`
	Status  string    `gorm:"column:status;type:varchar(32);not null"`
	Note    string    `gorm:"column:note;type:varchar(500);not null;default:''"`
	Actor   string    `gorm:"column:actor;type:varchar(128);not null"`
	At      time.Time `gorm:"column:at;not null"`
}

// Limits of a status change's free text.
const (
	MaxNoteSize     = 500
	MaxTrackingSize = 100
)

// StatusChange is a validated request to move an order to a new status.
type StatusChange struct {
	OrderID        string
	To             string
	Note           string
	TrackingNumber string
	Carrier        string
	Actor          string
	// Allow, when set, is asked inside the change's transaction, with the
	// order as it is then, whether the caller may make this change.
	Allow func(current Order) error
	// Refund, on a cancellation, is the refund the payments service made
	// of the order's payment first; it is recorded with the cancellation.
	Refund *RefundRecord
}

// ParseStatusChange validates updateOrderStatus's arguments. A tracking
// number or carrier is kept only for a shipment.
func ParseStatusChange(orderID, to, note, tracking, carrier string, actor Caller) (StatusChange, error) {
	var fe fieldErrors
	checkID(&fe, "orderId", orderID)
	to = strings.TrimSpace(to)
	checkStatus(&fe, "status", to)
	note, tracking, carrier = strings.TrimSpace(note), strings.TrimSpace(tracking), strings.TrimSpace(carrier)
	checkText(&fe, "note", note, MaxNoteSize)
	checkText(&fe, "trackingNumber", tracking, MaxTrackingSize)
	checkText(&fe, "carrier", carrier, MaxTrackingSize)
	if to != OrderStatusShipped {
		if tracking != "" {
			fe.add("trackingNumber", "is given only when an order is shipped")
		}
		if carrier != "" {
			fe.add("carrier", "is given only when an order is shipped")
		}
	}
	if err := fe.err(); err != nil {
		return StatusChange{}, err
	}
	return StatusChange{OrderID: orderID, To: to, Note: note, TrackingNumber: tracking, Carrier: carrier, Actor: ActorOf(actor)}, nil
}

// ParseCancel validates cancelOrder's arguments. Who may cancel is decided
// with the order as it is when the cancellation runs (CanCancel).
func ParseCancel(orderID, reason string, c Caller) (StatusChange, error) {
	var fe fieldErrors
	checkID(&fe, "orderId", orderID)
	reason = strings.TrimSpace(reason)
	checkText(&fe, "reason", reason, MaxNoteSize)
	if err := fe.err(); err != nil {
		return StatusChange{}, err
	}
	return StatusChange{
		OrderID: orderID, To: OrderStatusCancelled, Note: reason, Actor: ActorOf(c),
		Allow: func(o Order) error { return CanCancel(c, o) },
	}, nil
}

// CanCancel: an admin may cancel any order the lifecycle allows; a customer
// only its own, and only while it is pending. Another customer's order is
// reported as missing, as everywhere else. A customer's own order that no
// one may cancel any more (already cancelled, shipped, delivered) gets the
// lifecycle's INVALID_TRANSITION, as an admin's would: a customer's second
// tap on "cancel" learns the order is cancelled, not that it lacks a right.
func CanCancel(c Caller, o Order) error {
	if err := RequireSignedIn(c); err != nil {
		return err
	}
	if c.IsAdmin() {
		return nil
	}
	if o.CustomerID != c.UserID {
		return Errorf(CodeNotFound, "Order %s does not exist.", o.ID)
	}
	if err := Transition(o.Status, OrderStatusCancelled); err != nil {
		return err
	}
	if o.Status != OrderStatusPending {
		return &Error{
			Code:    CodeForbidden,
			Message: "A customer may cancel an order only while it is pending; this one is " + o.Status + ".",
			Details: map[string]any{"status": o.Status},
		}
	}
	return nil
}

// ExpiryNote is the event note of an order the service cancelled because it
// stayed unpaid.
func ExpiryNote(ttl time.Duration) string {
	return "Cancelled automatically: not paid within " + ttl.String() + "."
}
