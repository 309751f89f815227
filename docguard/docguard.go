// Package docguard checks GraphQL documents before graphql-go (v0.8.1) sees
// them, so that no document can make it recurse without end or do work out
// of proportion to its size.
//
// graphql-go's parser recurses once per nested bracket, and its validator's
// overlapping-fields rule recurses without end on a fragment cycle and is
// quadratic in fields that share a response name; Go cannot recover from a
// stack overflow. So a document goes through three steps, each bounded by
// Limits and each cheap next to what it guards:
//
//   - Scan, before parsing: one pass over the text that counts bytes, tokens
//     and bracket nesting (lists and input objects apart), rejects what graphql-go's lexer would reject (with
//     a short message instead of its quadratic, whole-line one), and prepares
//     the text graphql-go parses (comments blanked, `name: null` removed,
//     long lines broken, byte offsets kept).
//   - Analyze, after parsing and before validation: one walk over the
//     operations with fragments expanded (and abandoned as soon as a limit is
//     passed), for fragment cycles, spreads, fields, aliases, directives,
//     depth, literals that do not fit their type (literals.go), and the
//     shape of the operation's cost; it also records what
//     the handler needs of each operation (type, root fields, variables).
//   - Operation.CheckCost and Operation.CheckVariables, per request: the
//     cost with this request's variables (introspection's walked on the
//     schema, and only until it passes the caller's maximum), and the
//     variables themselves.
//
// Reading a document is this package's job: Fields, the walk of a
// selection set through its fragments, serves the resolvers too.
//
// The package is pure: no I/O, no configuration of its own.
package docguard

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"shop/errcode"
)

// Limits bound one document. A zero field means "no limit", which only
// tests use.
type Limits struct {
	MaxBytes  int // the document's text
	MaxTokens int // lexical tokens (punctuators, names, numbers, strings)
	// MaxDepth bounds fields nested in fields, fragments expanded. Brackets,
	// braces and parentheses in the text may nest ExtraNesting levels more
	// (argument values nest too).
	MaxDepth int
	// MaxValueDepth bounds lists and input objects nested in a literal
	// value (an argument, a variable's default) and in a variable's type.
	MaxValueDepth int
	// MaxValueTokens bounds the tokens inside lists and input objects:
	// graphql-go's validator visits each value at a cost of about 7 µs,
	// and unlike fields nothing else bounds them.
	MaxValueTokens int
	// MaxFields bounds the fields of all the document's operations,
	// fragments expanded: graphql-go validates every one of them.
	MaxFields int
	// MaxSetFields bounds the fields merged into one selection set (through
	// fragments, and across fields with the same response name): the
	// validator compares those fields pairwise.
	MaxSetFields  int
	MaxAliases    int
	MaxDirectives int
	// MaxSpreads bounds fragment spreads, each counted every time it is
	// reached (a fragment that spreads another twice doubles it).
	MaxSpreads int
	MaxCost    int
	// MaxDatabaseFields bounds the fields of an operation that reach the
	// database (Costs.Database), checked per request by the handler.
	MaxDatabaseFields int
}

// ExtraNesting is how much deeper than MaxDepth brackets may nest in the
// text: parentheses around arguments and the lists and objects inside them.
const ExtraNesting = 10

// Error is why a document is refused.
type Error struct {
	Code    errcode.Code
	Message string
	// Line and Column (1-based, in runes) locate the problem in the text,
	// when it has one place.
	Line, Column int
}

func (e *Error) Error() string { return e.Message }

func errorf(code errcode.Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// overLimit is the error for a count past its maximum, e.g. "The document
// is 70,000 bytes; the maximum is 65,536."
func overLimit(code errcode.Code, subject string, n, max int, unit string) *Error {
	return errorf(code, "%s %s %s; the maximum is %s.", subject, Count(n), unit, Count(max))
}

// Count writes n with thousands separators, so limits read at a glance.
func Count(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// MaxMessage is the longest error message sent about a document: messages
// from graphql-go quote names and values of the document, which can be as
// long as the document.
const MaxMessage = 300

// Shorten cuts s to at most max bytes, on a rune boundary, marking the cut.
func Shorten(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
