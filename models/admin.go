package models

import (
	"errors"
	"strings"
	"time"
)

// The admin dashboard's reads: the counts that lead to work, sales by day
// and the customers. Every one is for admins only (RequireAdmin), and each
// is computed by the database (counts and sums), never by loading every
// order into the server.

// Limits of the dashboard's arguments.
const (
	DefaultSalesDays = 30
	MaxSalesDays     = 366
	// MaxSearchSize bounds the text searches of customers and orders.
	MaxSearchSize = 200
)

// SaleStatuses are the statuses of an order that is a sale: one that
// reached "paid" and was not cancelled (a refund cancels it).
var SaleStatuses = []string{OrderStatusPaid, OrderStatusShipped, OrderStatusDelivered}

// IsSale reports whether an order in status counts as a sale.
func IsSale(status string) bool {
	for _, s := range SaleStatuses {
		if s == status {
			return true
		}
	}
	return false
}

// SalesDay is the sales of one UTC day: orders that are sales (IsSale),
// counted on the day they were created.
type SalesDay struct {
	Date    string // "2026-11-25"
	Orders  int
	Revenue Money
}

// SalesDateLayout is how a SalesDay's date is written, and how both
// databases write a UTC day.
const SalesDateLayout = "2006-01-02"

// SalesRange is the days a sales report covers: Days UTC days from the one
// Start falls on, Start at its midnight.
type SalesRange struct {
	Start time.Time
	Days  int
}

// End is the midnight (UTC) after the range's last day.
func (r SalesRange) End() time.Time { return r.Start.AddDate(0, 0, r.Days) }

// SalesDays is the range of days UTC days ending with now's (UTC) day.
func SalesDays(now time.Time, days int) SalesRange {
	now = now.UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	return SalesRange{Start: today.AddDate(0, 0, 1-days), Days: days}
}

// ParseSalesDays validates salesReport's days (nil: the default).
func ParseSalesDays(days *int) (int, error) {
	if days == nil {
		return DefaultSalesDays, nil
	}
	var fe fieldErrors
	if *days < 1 || *days > MaxSalesDays {
		fe.add("days", "must be between 1 and %d", MaxSalesDays)
	}
	if err := fe.err(); err != nil {
		return 0, err
	}
	return *days, nil
}

// FillSalesDays is the report of r: one SalesDay per day, oldest first,
// the days in found (what the database grouped, by date) as they are and
// every other day with zeros. Days of found outside r are left out.
func FillSalesDays(r SalesRange, found []SalesDay) []SalesDay {
	byDate := make(map[string]SalesDay, len(found))
	for _, d := range found {
		byDate[d.Date] = d
	}
	out := make([]SalesDay, r.Days)
	for i := range out {
		date := r.Start.AddDate(0, 0, i).Format(SalesDateLayout)
		if d, ok := byDate[date]; ok {
			out[i] = d
		} else {
			out[i] = SalesDay{Date: date}
		}
	}
	return out
}

// ParseLowStockThreshold validates adminOverview's lowStockThreshold, as
// lowStock's threshold (nil: the same default).
func ParseLowStockThreshold(threshold *int) (int, error) {
	return parseThreshold("lowStockThreshold", threshold)
}

// Overview is the counts that lead to work, for the dashboard's home.
type Overview struct {
	OrdersToShip          int // paid
	OrdersAwaitingPayment int // pending
	// LowStockProducts have 0 < stock <= LowStockThreshold, inactive
	// ones too; OutOfStockProducts none.
	LowStockProducts   int
	OutOfStockProducts int
	// LowStockVariants have 0 < stock <= LowStockThreshold.
	LowStockVariants  int
	LowStockThreshold int
	Today             SalesDay
}

// Customer is a customer's account with what it has ordered.
type Customer struct {
	User       User
	OrderCount int   // every order, whatever its status
	TotalSpent Money // the total of its sales (IsSale)
	// LastOrderAt is when its newest order was placed; nil without one.
	LastOrderAt *time.Time
}

// CustomerCursor is the position just after c in the customers
// connection, which is newest first by (created_at, id).
func CustomerCursor(c Customer) Cursor { return Cursor{CreatedAt: c.User.CreatedAt, ID: c.User.ID} }

// CustomerPage is one page of the customers connection.
type CustomerPage struct {
	Customers []Customer
	HasNext   bool
}

// CustomerSearch is a validated request for a page of customers.
type CustomerSearch struct {
	Connection
	// Query is a substring of the email or the name to match, whatever its
	// case, lower-cased; "" matches all.
	Query string
}

// ParseCustomerSearch validates the customers connection's arguments,
// reporting every bad one at once.
func ParseCustomerSearch(first *int, after, query *string) (CustomerSearch, error) {
	var fe fieldErrors
	conn, err := ParseConnection(first, after)
	var connErr *Error
	if errors.As(err, &connErr) {
		fe = append(fe, connErr.Fields...)
	}
	s := CustomerSearch{Connection: conn}
	if query != nil {
		q := strings.TrimSpace(*query)
		if checkText(&fe, "query", q, MaxSearchSize) {
			s.Query = strings.ToLower(q)
		}
	}
	if err := fe.err(); err != nil {
		return CustomerSearch{}, err
	}
	return s, nil
}
