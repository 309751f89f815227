package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sort"
	"strings"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/source"
	lru "github.com/hashicorp/golang-lru/v2"
)

// document is a query parsed, validated and analysed once, then reused by
// every request that sends the same text: validation is most of
// graphql-go's cost on small queries.
type document struct {
	hash string // SHA-256 of the text
	ast  *ast.Document
	// errs, when set, is the answer for every request (parse or validation
	// failed), with status.
	errs   []gqlerrors.FormattedError
	status int
	ops    map[string]operation // by operation name; "" for the only one
}

// operation is what the handler needs to know about one operation before
// executing it.
type operation struct {
	mutation bool
	costErr  error
	label    string // root fields, for metrics: bounded by the schema
	// catalogOnly operations read nothing but products, so their whole
	// response can be cached until the catalog changes.
	catalogOnly bool
}

// catalogFields are the root fields whose answers depend on the catalog
// alone (a Product has no path to orders).
var catalogFields = map[string]bool{"getProducts": true, "getProductsById": true, "products": true}

// documentCache holds prepared documents by the SHA-256 of their text,
// which is also their persisted-query hash.
type documentCache struct {
	schema *graphql.Schema
	lru    *lru.Cache[string, *document]
}

func newDocumentCache(schema *graphql.Schema, size int) *documentCache {
	c, _ := lru.New[string, *document](size)
	return &documentCache{schema: schema, lru: c}
}

func hashQuery(q string) string {
	sum := sha256.Sum256([]byte(q))
	return hex.EncodeToString(sum[:])
}

// maxCachedQuery is the largest document kept: real queries are a few
// KiB, and the cache holds up to 1,000 of them.
const maxCachedQuery = 64 << 10

// get returns the prepared document for query, whose hash is hash.
func (c *documentCache) get(hash, query string) *document {
	if d, ok := c.lru.Get(hash); ok {
		return d
	}
	d := c.prepare(query)
	d.hash = hash
	if len(query) <= maxCachedQuery {
		c.lru.Add(hash, d)
	}
	return d
}

// cached returns a document only if it is in the cache.
func (c *documentCache) cached(hash string) (*document, bool) { return c.lru.Get(hash) }

func (c *documentCache) prepare(query string) *document {
	doc, err := parser.Parse(parser.ParseParams{Source: source.NewSource(&source.Source{Body: []byte(dropNullLiterals(query)), Name: "GraphQL request"})})
	if err != nil {
		return &document{errs: withCode(gqlerrors.FormatErrors(err), "GRAPHQL_PARSE_FAILED"), status: http.StatusBadRequest}
	}
	if v := graphql.ValidateDocument(c.schema, doc, nil); !v.IsValid {
		return &document{errs: withCode(v.Errors, "GRAPHQL_VALIDATION_FAILED"), status: http.StatusBadRequest}
	}
	d := &document{ast: doc, ops: map[string]operation{}}
	var names []string
	for _, def := range doc.Definitions {
		op, ok := def.(*ast.OperationDefinition)
		if !ok {
			continue
		}
		name := ""
		if op.Name != nil {
			name = op.Name.Value
		}
		names = append(names, name)
		d.ops[name] = operation{
			mutation:    op.Operation == ast.OperationTypeMutation,
			costErr:     checkCost(doc, name),
			label:       rootLabel(op),
			catalogOnly: op.Operation == ast.OperationTypeQuery && readsOnly(op, catalogFields),
		}
	}
	if len(names) == 1 && names[0] != "" {
		d.ops[""] = d.ops[names[0]]
	}
	return d
}

// rootLabel names an operation by its root fields, which the schema bounds
// (client-chosen operation names would make metrics unbounded).
func rootLabel(op *ast.OperationDefinition) string {
	var fields []string
	if op.SelectionSet != nil {
		for _, sel := range op.SelectionSet.Selections {
			if f, ok := sel.(*ast.Field); ok && f.Name != nil && !strings.HasPrefix(f.Name.Value, "__") {
				fields = append(fields, f.Name.Value)
			}
		}
	}
	switch len(fields) {
	case 0:
		return "introspection"
	case 1:
		return fields[0]
	}
	sort.Strings(fields)
	fields = compactStrings(fields)
	if len(fields) > 3 {
		return "multiple"
	}
	return strings.Join(fields, ",")
}

// readsOnly reports whether every root field of op is one of fields.
// Fragments at the root are not followed, so they count as "no".
func readsOnly(op *ast.OperationDefinition, fields map[string]bool) bool {
	if op.SelectionSet == nil || len(op.SelectionSet.Selections) == 0 {
		return false
	}
	for _, sel := range op.SelectionSet.Selections {
		f, ok := sel.(*ast.Field)
		if !ok || f.Name == nil || (!fields[f.Name.Value] && f.Name.Value != "__typename") {
			return false
		}
	}
	return true
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// QueryStore shares persisted queries between instances, so a hash a
// client registered on one is known to all.
type QueryStore interface {
	GetQuery(ctx context.Context, hash string) (string, bool)
	PutQuery(ctx context.Context, hash, query string)
}
