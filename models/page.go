package models

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Page selects a slice of a list in a stable order.
type Page struct {
	Limit  int
	Offset int
}

// Limits of the connection fields (products, orders).
const (
	DefaultPageFirst = 20
	MaxPageFirst     = 100
)

// Cursor is a position in a list ordered by (created_at, id): keyset
// pagination, so a deep page costs what the first one does.
//
// A cursor of the products connection in another order (Sort set) holds
// that order's key instead: the price, the name or the relevance score.
type Cursor struct {
	CreatedAt time.Time
	ID        string
	Sort      ProductSort
	Num       int64
	Text      string
	Score     float64
}

// Encode makes the opaque string clients pass back as `after`.
func (c Cursor) Encode() string {
	if c.Sort != "" {
		return c.encodeSorted()
	}
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.CreatedAt.UnixMicro(), 10) + ":" + c.ID))
}

// ProductCursor is the position just after p.
func ProductCursor(p Product) Cursor { return Cursor{CreatedAt: p.CreatedAt, ID: p.ID} }

// OrderCursor is the position just after o.
func OrderCursor(o Order) Cursor { return Cursor{CreatedAt: o.CreatedAt, ID: o.ID} }

// ParsePage validates the limit and offset of a list: limit left out, or
// larger than max, is max, so no list returns more than max items.
func ParsePage(limit, offset *int, max int) (Page, error) {
	var fe fieldErrors
	page := Page{Limit: max}
	if limit != nil {
		switch {
		case *limit < 1:
			fe.add("limit", "must be at least 1")
		case *limit < max:
			page.Limit = *limit
		}
	}
	if offset != nil {
		if *offset < 0 {
			fe.add("offset", "must not be negative")
		}
		page.Offset = *offset
	}
	return page, fe.err()
}

// Connection is a validated request for one page of a connection.
type Connection struct {
	First int
	After *Cursor
}

// ParseConnection validates the first and after arguments; first nil means
// the default page size.
func ParseConnection(first *int, after *string) (Connection, error) {
	var fe fieldErrors
	c := Connection{First: DefaultPageFirst}
	c.First = pageSize(&fe, first)
	if after != nil && *after != "" {
		cur, err := decodeCursor(*after)
		if err != nil {
			fe.add("after", "is not a cursor this server gave out")
		} else {
			c.After = &cur
		}
	}
	return c, fe.err()
}

func decodeCursor(s string) (Cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, err
	}
	if strings.HasPrefix(string(raw), "s\n") {
		return decodeSorted(string(raw))
	}
	micros, id, ok := strings.Cut(string(raw), ":")
	if !ok {
		return Cursor{}, fmt.Errorf("no separator")
	}
	at, err := cursorTime(micros)
	if err != nil {
		return Cursor{}, err
	}
	if err := ValidateID("after", id); err != nil {
		return Cursor{}, err
	}
	return Cursor{CreatedAt: at, ID: id}, nil
}

// maxCursorMicros is the end of year 9999 in Unix microseconds.
const maxCursorMicros = 253402300799999999

// cursorTime reads a cursor's creation time, in Unix microseconds. Rows
// are made after 1970 and before 10000; a forged time outside that range
// is refused, since pgx's encoding of it wraps around (a cursor "after
// the year 294247" then read as one in the distant past).
func cursorTime(micros string) (time.Time, error) {
	n, err := strconv.ParseInt(micros, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	if n < 0 || n > maxCursorMicros {
		return time.Time{}, fmt.Errorf("time %d out of range", n)
	}
	return time.UnixMicro(n).UTC(), nil
}

// OrderFilter narrows the orders connection; empty fields match all.
type OrderFilter struct {
	CustomerID string
	Status     string
	// Query matches an order by its id, exactly, or by a substring of its
	// customer's email, whatever its case (lower-cased here).
	Query string
	// WithoutItems reads the orders without their lines (Items nil): a
	// page that doesn't show them would read up to MaxOrderLines rows per
	// order for nothing, which the cost of the query doesn't count.
	WithoutItems bool
	// WithItemVariants reads the lines' variant snapshot too (variantId,
	// sku, title, options), only when asked for: four more columns a line
	// were 8% more allocations on a page of orders (BenchmarkExecutedReads).
	WithItemVariants bool
}

// ParseOrderFilter validates the orders connection's filters.
func ParseOrderFilter(customerID, status, query *string) (OrderFilter, error) {
	var fe fieldErrors
	var f OrderFilter
	if customerID != nil {
		f.CustomerID = strings.TrimSpace(*customerID)
		checkText(&fe, "customerId", f.CustomerID, MaxCustomerIDSize)
	}
	if status != nil && strings.TrimSpace(*status) != "" {
		f.Status = strings.TrimSpace(*status)
		checkStatus(&fe, "status", f.Status)
	}
	if query != nil {
		q := strings.TrimSpace(*query)
		if checkText(&fe, "query", q, MaxSearchSize) {
			f.Query = strings.ToLower(q)
		}
	}
	return f, fe.err()
}

// ProductPage is one page of the products connection.
type ProductPage struct {
	Products []Product
	HasNext  bool
	// Cursors are the products' cursors when the list is not in the
	// contract's order (a relevance score is not a product's field).
	Cursors []string
}

// Cursor is the i-th product's cursor.
func (pg ProductPage) Cursor(i int) string {
	if i < len(pg.Cursors) {
		return pg.Cursors[i]
	}
	return ProductCursor(pg.Products[i]).Encode()
}

// OrderPage is one page of the orders connection.
type OrderPage struct {
	Orders  []Order
	HasNext bool
}

// pageSize is a connection's page size: first, 1 to MaxPageFirst, or
// DefaultPageFirst when left out (also when refused, with fe told why).
func pageSize(fe *fieldErrors, first *int) int {
	switch {
	case first == nil:
		return DefaultPageFirst
	case *first < 1:
		fe.add("first", "must be at least 1")
	case *first > MaxPageFirst:
		fe.add("first", "must be at most %d", MaxPageFirst)
	default:
		return *first
	}
	return DefaultPageFirst
}
