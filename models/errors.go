package models

import (
	"errors"
	"fmt"
	"strings"
)

// Code is the machine-readable kind of an error, sent to clients as
// extensions.code.
type Code string

const (
	CodeBadUserInput      Code = "BAD_USER_INPUT"
	CodeNotFound          Code = "NOT_FOUND"
	CodeInsufficientStock Code = "INSUFFICIENT_STOCK"
	// CodeProductInactive: an order names a product that is not for sale.
	CodeProductInactive Code = "PRODUCT_INACTIVE"
	CodeConflict        Code = "CONFLICT"
	// CodeUnauthenticated: a token is needed, or the one sent is bad,
	// expired or forged.
	CodeUnauthenticated Code = "UNAUTHENTICATED"
	// CodeForbidden: the caller is known but its role may not do this.
	CodeForbidden   Code = "FORBIDDEN"
	CodeRateLimited Code = "RATE_LIMITED"
	CodeUnavailable Code = "SERVICE_UNAVAILABLE"
	// CodeInvalidTransition: the order's lifecycle does not allow the
	// status change asked for (details name both states).
	CodeInvalidTransition Code = "INVALID_TRANSITION"
	// CodeIdempotencyKeyReused: the key was used for a different request.
	CodeIdempotencyKeyReused Code = "IDEMPOTENCY_KEY_REUSED"
	// CodeIdempotencyKeyInUse: a request under the key is still running;
	// retry.
	CodeIdempotencyKeyInUse Code = "IDEMPOTENCY_KEY_IN_USE"
	// CodePaymentProviderError: the payment provider failed or could not
	// be reached; nothing was changed, and the request can be retried.
	CodePaymentProviderError Code = "PAYMENT_PROVIDER_ERROR"
	// CodeBadRequest: an HTTP request that is not what the endpoint takes
	// (a webhook without a valid, fresh signature).
	CodeBadRequest Code = "BAD_REQUEST"
	// CodeTooManyMutations: a request (not an admin's) runs more than one
	// mutation field; refused before any runs.
	CodeTooManyMutations Code = "TOO_MANY_MUTATIONS"
	// CodePendingLimit: a customer's unpaid orders, or the units they
	// hold, are at a cap (details name it: limit, value, max).
	CodePendingLimit Code = "PENDING_LIMIT"
	// CodeResponseTooLarge stops a response that grows past
	// MAX_RESPONSE_BYTES while it executes.
	CodeResponseTooLarge Code = "RESPONSE_TOO_LARGE"
	// CodeTooManyInFlight: the client's address (or its IPv6 /48) already
	// has MAX_IN_FLIGHT_PER_IP requests running or being written in this
	// instance (HTTP 429).
	CodeTooManyInFlight Code = "TOO_MANY_IN_FLIGHT"
	// CodeOverloaded: the instance holds MAX_IN_FLIGHT requests (HTTP 503).
	CodeOverloaded Code = "OVERLOADED"
	CodeInternal   Code = "INTERNAL_SERVER_ERROR"
)

// FieldError names one bad input field, by its path in the GraphQL input.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the shop's error: a code, a message fit for a client developer,
// and optional details. Any other error is internal and never shown as is.
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
	Details map[string]any
}

func (e *Error) Error() string { return e.Message }

// Errorf makes an Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode is the code of the first *Error in err's chain, or CodeInternal.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// IsNotFound reports whether err says the thing asked for does not exist.
func IsNotFound(err error) bool { return ErrorCode(err) == CodeNotFound }

// fieldErrors collects every bad field of one input, so a client learns about
// all of them at once rather than one per round trip.
type fieldErrors []FieldError

func (fe *fieldErrors) add(field, format string, args ...any) {
	*fe = append(*fe, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (fe fieldErrors) err() error {
	if len(fe) == 0 {
		return nil
	}
	parts := make([]string, len(fe))
	for i, f := range fe {
		parts[i] = f.Field + " " + f.Message
	}
	return &Error{
		Code:    CodeBadUserInput,
		Message: "Invalid input: " + strings.Join(parts, "; ") + ".",
		Fields:  append([]FieldError(nil), fe...),
	}
}
