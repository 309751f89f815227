package models

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"shop/errcode"
)

// Code is the machine-readable kind of an error, sent to clients as
// extensions.code; the codes are errcode's catalogue.
type Code = errcode.Code

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

// ErrorCode is the code of the first *Error in err's chain, or errcode.InternalServerError.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return errcode.InternalServerError
}

// IsNotFound reports whether err says the thing asked for does not exist.
func IsNotFound(err error) bool { return ErrorCode(err) == errcode.NotFound }

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
		Code:    errcode.BadUserInput,
		Message: "Invalid input: " + strings.Join(parts, "; ") + ".",
		Fields:  append([]FieldError(nil), fe...),
	}
}

// TooManyAttempts is RATE_LIMITED for an allowance a use case keeps (sign-
// ins, guests' checkouts), with the seconds to wait, 1 at least.
func TooManyAttempts(retryAfter time.Duration) error {
	secs := max(int(math.Ceil(retryAfter.Seconds())), 1)
	return &Error{
		Code:    errcode.RateLimited,
		Message: fmt.Sprintf("Too many attempts: retry in %d seconds.", secs),
		Details: map[string]any{"retryAfter": secs},
	}
}
