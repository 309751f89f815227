package models

import (
	"strings"
	"time"

	"shop/errcode"
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
		Code:    errcode.InvalidTransition,
		Message: "An order that is " + from + " cannot become " + to + ".",
		Details: map[string]any{"from": from, "to": to},
	}
}

// Actor names who changed an order or the stock, for events and the
// ledger: a user's id, or "system" for the service's own work.
const ActorSystem = "system"

// ActorShop is what a customer reads as the actor of a change an admin
// made: which admin it was is the shop's business.
const ActorShop = "the shop"

// ActorOf is the actor recorded for c's changes.
func ActorOf(c Caller) string {
	if c.Anonymous() {
		return ActorSystem
	}
	return c.UserID
}

// OrderEvent is one change of an order's status, the creation included,
// or a payment's news about it.
type OrderEvent struct {
	ID      int64  `gorm:"column:id;primaryKey;autoIncrement;index:idx_order_events_order,priority:2"`
	OrderID string `gorm:"column:order_id;type:varchar(36);not null;index:idx_order_events_order,priority:1"`
	Status  string `gorm:"column:status;type:varchar(32);not null"`
	// Message is for the order's customer too (a cancellation's reason,
	// "Paid 25.00 USD."); Note is the shop's internal note, which only
	// admins read (VisibleTo).
	Message string    `gorm:"column:message;type:varchar(500);not null;default:''"`
	Note    string    `gorm:"column:note;type:varchar(500);not null;default:''"`
	Actor   string    `gorm:"column:actor;type:varchar(128);not null"`
	At      time.Time `gorm:"column:at;not null"`
}

// VisibleTo is e as c may read it, on an order of customerID: an admin
// reads everything; anyone else never the internal note, and reads an
// admin's id as ActorShop. Only admins change orders besides their
// customer and the service itself, so any other actor is an admin.
func (e OrderEvent) VisibleTo(c Caller, customerID string) OrderEvent {
	if c.IsAdmin() {
		return e
	}
	e.Note = ""
	if e.Actor != ActorSystem && e.Actor != customerID {
		e.Actor = ActorShop
	}
	return e
}

// Limits of a status change's free text.
const (
	MaxNoteSize     = 500
	MaxTrackingSize = 100
)

// StatusChange is a validated request to move an order to a new status.
type StatusChange struct {
	OrderID string
	To      string
	// Message is recorded for the customer to read, Note for admins only
	// (OrderEvent).
	Message        string
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

// ParseStatusChange validates updateOrderStatus's arguments; its note is
// an admin's, internal (a message for the customer goes with addOrderNote).
// A tracking number or carrier is kept only for a shipment.
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

// OrderNote is a validated addOrderNote: an event that leaves the order's
// status as it is, with a message for the customer, an internal note, or
// both.
type OrderNote struct {
	OrderID, Message, Note, Actor string
}

// MaxOrderEvents is the most events one order keeps: its creation, one
// per step of the lifecycle, and notes. Notes past it are refused to an
// admin (CheckOrderEventRoom) and not written for the system (a payment
// failing again and again keeps its state on the payment), so the events
// an order can return, which the cost of a query counts, are bounded.
const MaxOrderEvents = 50

// CheckOrderEventRoom refuses a note on an order that has n events
// already.
func CheckOrderEventRoom(orderID string, n int) error {
	if n >= MaxOrderEvents {
		return Errorf(errcode.BadUserInput, "Order %s has %d events, the most an order keeps (%d): no more notes can be added.", orderID, n, MaxOrderEvents)
	}
	return nil
}

// ParseOrderNote validates addOrderNote's arguments (admins).
func ParseOrderNote(orderID, message, note string, c Caller) (OrderNote, error) {
	if err := RequireAdmin(c); err != nil {
		return OrderNote{}, err
	}
	var fe fieldErrors
	checkID(&fe, "orderId", orderID)
	message, note = strings.TrimSpace(message), strings.TrimSpace(note)
	checkText(&fe, "message", message, MaxNoteSize)
	checkText(&fe, "note", note, MaxNoteSize)
	if message == "" && note == "" {
		fe.add("message", "or note must be given")
	}
	if err := fe.err(); err != nil {
		return OrderNote{}, err
	}
	return OrderNote{OrderID: orderID, Message: message, Note: note, Actor: ActorOf(c)}, nil
}

// ParseCancel validates cancelOrder's arguments: the reason, which the
// customer reads, and an admin's internal note. Who may cancel is decided
// with the order as it is when the cancellation runs (CanCancel).
func ParseCancel(orderID, reason, note string, c Caller) (StatusChange, error) {
	var fe fieldErrors
	checkID(&fe, "orderId", orderID)
	reason, note = strings.TrimSpace(reason), strings.TrimSpace(note)
	checkText(&fe, "reason", reason, MaxNoteSize)
	checkText(&fe, "note", note, MaxNoteSize)
	if note != "" && !c.IsAdmin() {
		fe.add("note", "is an internal note, which only admins write; give the reason instead")
	}
	if err := fe.err(); err != nil {
		return StatusChange{}, err
	}
	return StatusChange{
		OrderID: orderID, To: OrderStatusCancelled, Message: reason, Note: note, Actor: ActorOf(c),
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
		return Errorf(errcode.NotFound, "Order %s does not exist.", o.ID)
	}
	if err := Transition(o.Status, OrderStatusCancelled); err != nil {
		return err
	}
	if o.Status != OrderStatusPending {
		return &Error{
			Code:    errcode.Forbidden,
			Message: "A customer may cancel an order only while it is pending; this one is " + o.Status + ".",
			Details: map[string]any{"status": o.Status},
		}
	}
	return nil
}

// ExpiryNote is the event message of an order the service cancelled because
// it stayed unpaid.
func ExpiryNote(ttl time.Duration) string {
	return "Cancelled automatically: not paid within " + ttl.String() + "."
}

// TimelineEntry is the row of an order's timeline (events, oldest first)
// that the write at `at` added: each write of an order records one row and
// its outbox event with the same time. With several rows of that time, the
// last; with none (a row the event's write did not add, or a clock read
// apart), nil.
func TimelineEntry(events []OrderEvent, at time.Time) *OrderEvent {
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].At.Equal(at) {
			e := events[i]
			return &e
		}
	}
	return nil
}
