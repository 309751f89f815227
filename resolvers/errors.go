package resolvers

import (
	"context"
	"errors"

	"shop/errcode"
	"shop/models"
	"shop/requestid"
)

// Error is what a resolver returns to graphql-go. graphql-go copies a
// resolver error's Extensions only when the returned value itself has the
// method (a wrapped error loses them), and sends Error() to the client word
// for word, so this is the only error type resolvers return.
type Error struct {
	message    string
	extensions map[string]any
}

func (e *Error) Error() string              { return e.message }
func (e *Error) Extensions() map[string]any { return e.extensions }
func newError(code models.Code, msg string) *Error {
	return &Error{message: msg, extensions: map[string]any{"code": string(code)}}
}

// Internal is the error shown for anything the shop did not expect, and the
// one a recovered panic becomes.
func Internal(ctx context.Context) *Error {
	e := newError(errcode.InternalServerError, "Something went wrong on our side. It has been logged; please retry later.")
	if id := requestid.From(ctx); id != "" {
		e.extensions["requestId"] = id
	}
	return e
}

// fail is the edge where every error becomes a GraphQL error: the shop's own
// errors keep their code and message; anything else is logged in full and
// shown only as a generic internal error.
func (r *Resolver) fail(ctx context.Context, err error) error {
	var me *models.Error
	if errors.As(err, &me) {
		e := newError(me.Code, me.Message)
		if len(me.Fields) > 0 {
			e.extensions["fields"] = me.Fields
		}
		for k, v := range me.Details {
			// A detail never replaces the error's code or fields.
			if _, taken := e.extensions[k]; !taken && k != "fields" {
				e.extensions[k] = v
			}
		}
		return e
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		r.logger.InfoContext(ctx, "request cancelled", "err", err, "request_id", requestid.From(ctx))
		return newError(errcode.Timeout, "The request was cancelled or took too long.")
	}
	r.logger.ErrorContext(ctx, "internal error", "err", err.Error(), "request_id", requestid.From(ctx))
	return Internal(ctx)
}
