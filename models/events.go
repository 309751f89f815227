package models

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ErrConsumerBusy: another instance is delivering to an outbox consumer
// at the moment.
var ErrConsumerBusy = errors.New("outbox consumer busy on another instance")

// Domain events: what every write tells the rest of the shop it did. The
// store records them in the outbox table, events, in the same transaction
// as the write, so an event exists exactly when its write committed; the
// dispatcher (package outbox) hands them, in order, to consumers that each
// keep their own position. A consumer learns of a write only from its
// events, so a new write needs no change in any consumer, and a new
// consumer none in the writes.

// Event types. The payload of each is the struct named beside it. (The
// payment ones are named apart from the provider's webhook event types,
// EventPaymentSucceeded and the rest, which are what Stripe calls them.)
const (
	EventProductCreated     = "product.created"      // ProductChanged
	EventProductUpdated     = "product.updated"      // ProductChanged
	EventProductDeleted     = "product.deleted"      // ProductChanged
	EventStockChanged       = "stock.changed"        // StockChanged
	EventOrderPlaced        = "order.placed"         // OrderPlaced
	EventOrderStatusChanged = "order.status_changed" // OrderStatusChanged
	EventOrderNoted         = "order.noted"          // OrderNoted
	EventPaymentStarted     = "payment.started"      // PaymentChanged
	EventPaymentSuccess     = "payment.succeeded"    // PaymentChanged
	EventPaymentFailure     = "payment.failed"       // PaymentChanged
	EventPaymentRefunded    = "payment.refunded"     // PaymentChanged
	EventPaymentUpdated     = "payment.updated"      // PaymentChanged: any other change of its status
	EventCategoryChanged    = "category.changed"     // CategoryChanged
	EventAccountRegistered  = "account.registered"   // AccountRegistered
)

// Event is one row of the outbox. Its order is (Tx, ID): on PostgreSQL Tx
// is the id of the transaction that wrote it, and a dispatcher reads only
// events of transactions older than every one still running, so no event
// can appear later before one already delivered; SQLite writes one
// transaction at a time and Tx is 0.
type Event struct {
	ID int64 `gorm:"column:id;primaryKey;autoIncrement;index:idx_events_order,priority:2" json:"id"`
	Tx int64 `gorm:"column:tx;not null;default:0;index:idx_events_order,priority:1" json:"tx"`
	// Write is shared by the events of one write, and names it to the
	// writer's own immediate invalidation (see Consumer in package outbox).
	Write   int64     `gorm:"column:write_id;not null" json:"write"`
	Type    string    `gorm:"column:type;type:varchar(40);not null" json:"type"`
	Subject string    `gorm:"column:subject;type:varchar(128);not null" json:"subject"`
	Data    string    `gorm:"column:data;type:text;not null" json:"data"`
	At      time.Time `gorm:"column:at;not null" json:"at"`
}

// Delivery is what one consumer took in a delivery of events: the events
// handed to it, its position now past them, or why it took none (Err:
// ErrConsumerBusy, or its handler's failure, after which it is given the
// same events again).
type Delivery struct {
	Consumer string
	Events   []Event
	Err      error
}

// EventConsumer is a consumer's position in the outbox: the last event it
// has been given, by (Tx, EventID).
type EventConsumer struct {
	Name      string    `gorm:"column:name;type:varchar(64);primaryKey"`
	Tx        int64     `gorm:"column:tx;not null"`
	EventID   int64     `gorm:"column:event_id;not null"`
	UpdatedAt time.Time `gorm:"column:updated_at;not null"`
}

// ProductChanged is the payload of product.created, product.updated and
// product.deleted. Changes says what an update touched, which decides
// which lists and reads it changes: "membership" (active or category:
// which lists hold it), "fields" (what lists are sorted or filtered by:
// price, name, description, SKU), "stock".
type ProductChanged struct {
	ProductID string   `json:"productId"`
	Changes   []string `json:"changes,omitempty"`
	// VariantIDs are the variants the write created, changed or deleted
	// (all of the product's, for a product created or deleted).
	VariantIDs []string `json:"variantIds,omitempty"`
	Actor      string   `json:"actor,omitempty"`
}

// What a product update changed (ProductChanged.Changes).
const (
	ChangedMembership = "membership"
	ChangedFields     = "fields"
	ChangedStock      = "stock"
)

// StockChanged is one movement of the stock ledger.
type StockChanged struct {
	ProductID  string `json:"productId"`
	VariantID  string `json:"variantId,omitempty"`
	Delta      int    `json:"delta"`
	StockAfter int    `json:"stockAfter"`
	Kind       string `json:"kind"`
	Reason     string `json:"reason,omitempty"`
	OrderID    string `json:"orderId,omitempty"`
	Actor      string `json:"actor"`
}

// OrderPlaced is a new order; its stock.changed events follow it.
type OrderPlaced struct {
	OrderID    string `json:"orderId"`
	CustomerID string `json:"customerId"`
	Total      Money  `json:"totalCents"`
	Units      int    `json:"units"`
	Actor      string `json:"actor"`
}

// OrderStatusChanged moves an order along its lifecycle; a cancellation's
// stock.changed events follow it.
type OrderStatusChanged struct {
	OrderID    string `json:"orderId"`
	CustomerID string `json:"customerId"`
	From       string `json:"from"`
	To         string `json:"to"`
	Actor      string `json:"actor"`
}

// OrderNoted is an event added to an order that leaves its status alone.
type OrderNoted struct {
	OrderID    string `json:"orderId"`
	CustomerID string `json:"customerId"`
	Actor      string `json:"actor"`
}

// PaymentChanged is the payload of the payment events.
type PaymentChanged struct {
	PaymentID  string `json:"paymentId"`
	OrderID    string `json:"orderId"`
	CustomerID string `json:"customerId"`
	Provider   string `json:"provider"`
	Amount     Money  `json:"amountCents"`
	Status     string `json:"status"`
}

// CategoryChanged is a category created, updated or deleted (Op).
type CategoryChanged struct {
	CategoryID string `json:"categoryId"`
	Op         string `json:"op"`
}

// AccountRegistered is a new account.
type AccountRegistered struct {
	UserID string `json:"userId"`
	Role   string `json:"role"`
}

// NewEvent makes an event of type typ about subject with payload as its
// data. The payloads are the plain structs above, which always encode.
func NewEvent(typ, subject string, payload any, at time.Time) Event {
	data, err := json.Marshal(payload)
	if err != nil {
		panic(fmt.Sprintf("event %s: %v", typ, err))
	}
	return Event{Type: typ, Subject: subject, Data: string(data), At: at}
}

// Decode reads the event's payload into v.
func (e Event) Decode(v any) error {
	if err := json.Unmarshal([]byte(e.Data), v); err != nil {
		return fmt.Errorf("event %d (%s): %w", e.ID, e.Type, err)
	}
	return nil
}

// StockEvents are the stock.changed events of ledger movements.
func StockEvents(moves []StockMovement) []Event {
	out := make([]Event, len(moves))
	for i, m := range moves {
		sc := StockChanged{ProductID: m.ProductID, VariantID: m.VariantID, Delta: m.Delta, StockAfter: m.StockAfter, Kind: m.Kind, Reason: m.Reason, Actor: m.Actor}
		if m.OrderID != nil {
			sc.OrderID = *m.OrderID
		}
		out[i] = NewEvent(EventStockChanged, m.ProductID, sc, m.At)
	}
	return out
}

// StatusEvent is the order.status_changed event of o moving from from.
func StatusEvent(o Order, from, actor string, at time.Time) Event {
	return NewEvent(EventOrderStatusChanged, o.ID, OrderStatusChanged{
		OrderID: o.ID, CustomerID: o.CustomerID, From: from, To: o.Status, Actor: actor,
	}, at)
}

// PaymentEventOf is the event of type typ about p, an attempt to pay o.
func PaymentEventOf(typ string, p Payment, o Order, at time.Time) Event {
	return NewEvent(typ, p.ID, PaymentChanged{
		PaymentID: p.ID, OrderID: p.OrderID, CustomerID: o.CustomerID, Provider: p.Provider, Amount: p.Amount, Status: p.Status,
	}, at)
}

// PaymentEventType is the event of a payment whose status became status.
func PaymentEventType(status string) string {
	switch status {
	case PaymentSucceeded:
		return EventPaymentSuccess
	case PaymentRefunded:
		return EventPaymentRefunded
	case PaymentRequiresPaymentMethod, PaymentCanceled:
		return EventPaymentFailure
	}
	return EventPaymentUpdated
}
