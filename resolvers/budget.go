package resolvers

import (
	"sync/atomic"

	"shop/docguard"
	"shop/errcode"
)

// ResponseBudget bounds the bytes of one response while it executes
// (MAX_RESPONSE_BYTES): the schema's fields charge what they add to the
// JSON as they resolve, and once the budget is spent they stop producing
// data, so that a response is never built whole in memory only to be
// refused. The handler passes it to graphql-go as the root value, which
// every field's ResolveInfo carries, so finding it costs no context
// lookup.
type ResponseBudget struct {
	max  int64
	used atomic.Int64 // atomic: a timed-out request's fields may still run while the handler answers
}

// NewResponseBudget is a budget of max bytes; 0 or less is no limit.
func NewResponseBudget(max int) *ResponseBudget {
	return &ResponseBudget{max: int64(max)}
}

// Charge adds n bytes, and reports whether the response still fits.
func (b *ResponseBudget) Charge(n int) bool {
	used := b.used.Add(int64(n))
	return b.max <= 0 || used <= b.max
}

// Exceeded reports whether the response has grown past the budget.
func (b *ResponseBudget) Exceeded() bool {
	return b.max > 0 && b.used.Load() > b.max
}

// Used is the bytes charged so far.
func (b *ResponseBudget) Used() int { return int(b.used.Load()) }

// Err is the error that replaces a response past the budget.
func (b *ResponseBudget) Err() *Error {
	return newError(errcode.ResponseTooLarge, "The response reached "+docguard.Count(int(b.used.Load()))+" bytes before it was stopped; the maximum is "+
		docguard.Count(int(b.max))+". Ask for fewer fields, smaller pages or fewer aliases.")
}
