package docguard

import (
	"errors"
	"fmt"
	"strings"

	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/location"
	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"

	"shop/errcode"
)

// Parse runs graphql-go's parser on a scanned document. Scan has bounded
// its nesting (the parser recurses once per bracket) and the length of its
// lines (a syntax error's message costs the square of its column), and
// refused everything the lexer would, so a syntax error here is about
// tokens in the wrong place; its message is rewritten to quote only a short
// excerpt of the document.
//
// The nodes carry offsets but no source: for each error graphql-go locates
// (validation and execution errors too) it otherwise compiles a regular
// expression and runs it over the whole text. Relocate turns their
// locations into lines and columns.
func Parse(src *Source) (*ast.Document, *Error) {
	doc, err := parser.Parse(parser.ParseParams{
		Source:  source.NewSource(&source.Source{Body: src.Text, Name: "GraphQL request"}),
		Options: parser.ParseOptions{NoSource: true},
	})
	if err == nil {
		return doc, nil
	}
	// "Syntax Error GraphQL request (1:5) Expected Name, found }\n\n1: …"
	msg, pos := err.Error(), -1
	var gerr *gqlerrors.Error
	if errors.As(err, &gerr) && len(gerr.Positions) > 0 {
		pos = gerr.Positions[0]
	}
	if i := strings.Index(msg, ") "); i >= 0 && strings.HasPrefix(msg, "Syntax Error") {
		msg = msg[i+2:]
	}
	if i := strings.IndexAny(msg, "\n\r"); i >= 0 {
		msg = msg[:i]
	}
	msg = Shorten(strings.TrimSuffix(msg, "."), 120)
	if pos < 0 {
		return nil, errorf(errcode.GraphqlParseFailed, "Syntax Error: %s.", msg)
	}
	line, col := src.Locate(pos)
	return nil, &Error{
		Code:    errcode.GraphqlParseFailed,
		Message: fmt.Sprintf("Syntax Error (line %d, column %d): %s. Near %s.", line, col, msg, src.Excerpt(line, col)),
		Line:    line, Column: col,
	}
}

// MaxErrors is how many of graphql-go's errors about one document are
// sent; the rest are summed up in one more.
const MaxErrors = 20

// Tidy prepares graphql-go's validation errors about a document parsed by
// Parse for a client: their messages (which quote names and values of the
// document) shortened, at most MaxErrors of them, located (Relocate).
func (l Locator) Tidy(errs []gqlerrors.FormattedError) []gqlerrors.FormattedError {
	if len(errs) > MaxErrors {
		rest := len(errs) - MaxErrors + 1
		errs = append(errs[:MaxErrors-1:MaxErrors-1], gqlerrors.FormattedError{
			Message:   fmt.Sprintf("… and %d more errors.", rest),
			Locations: []location.SourceLocation{},
		})
	}
	for i := range errs {
		errs[i].Message = Shorten(errs[i].Message, MaxMessage)
	}
	return l.Relocate(errs)
}

// Relocate turns the locations of graphql-go's errors about a document
// parsed by Parse (validation and execution errors) into lines and columns
// of the client's text: without a source, graphql-go locates a node at line
// 1, column offset+1.
func (l Locator) Relocate(errs []gqlerrors.FormattedError) []gqlerrors.FormattedError {
	for i := range errs {
		locs := make([]location.SourceLocation, len(errs[i].Locations))
		for k, loc := range errs[i].Locations {
			locs[k] = loc
			if loc.Line == 1 {
				locs[k].Line, locs[k].Column = l.Locate(loc.Column - 1)
			}
		}
		errs[i].Locations = locs
	}
	return errs
}

// astBytesPerToken bounds what graphql-go's AST holds per token, measured
// (TestMemoryEstimate): 75 to 120 bytes for real documents, 206 for a
// document of one-letter fields, plus the text of names and strings.
const astBytesPerToken = 220

// Memory estimates the bytes a parsed and analysed document holds, for a
// cache bounded by memory: its AST (by tokens, which bounds documents of
// short names that text size does not), the text its names and strings
// copy (twice: a large string is rounded up to whole pages), and its line
// index.
func (s *Source) Memory() int64 {
	return 1024 + 2*int64(len(s.Text)) + int64(s.Tokens)*astBytesPerToken + 4*int64(len(s.lines)+len(s.inserted))
}
