package server

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/location"
	"golang.org/x/sync/singleflight"

	"shop/docguard"
)

// document is a query scanned, parsed, checked, validated and analysed
// once, then reused by every request that sends the same text: validation
// is most of graphql-go's cost on small queries.
type document struct {
	hash string // SHA-256 of the text
	ast  *ast.Document
	loc  docguard.Locator     // turns graphql-go's error locations into lines and columns
	ops  map[string]operation // by operation name; "" for the only one
	size int64                // estimated bytes held, for the cache's budget
}

// operation is what the handler needs to know about one operation before
// executing it.
type operation struct {
	mutation bool
	label    string // root fields, for metrics: bounded by the schema
	// catalogOnly operations read nothing but products, so their whole
	// response can be cached until the catalog changes.
	catalogOnly bool
	// ownOrders operations read nothing but the caller's orders and
	// products, so a customer's whole response can be cached for that
	// customer alone, until its orders or those products change.
	ownOrders bool
	guard     *docguard.Operation // its cost (per request) and introspection
}

// refusal is the answer to a document that is not run, with its status.
type refusal struct {
	status int
	errs   []gqlerrors.FormattedError
}

// catalogFields are the root fields whose answers depend on the catalog
// alone (a Product has no path to orders).
var catalogFields = map[string]bool{"getProducts": true, "getProductsById": true, "products": true}

// ownOrderFields are the root fields whose answers to a customer depend on
// that customer's orders and the catalog alone: every read behind them goes
// through the cache's catalog, which records the versions they depend on.
// `me` is not one: the account it reads has no version, and an admin's
// promotion of the account would change its role unseen.
var ownOrderFields = map[string]bool{"getProducts": true, "getProductsById": true, "products": true,
	"orders": true, "getOrders": true, "getOrderById": true}

// documentCache holds prepared documents by the SHA-256 of their text,
// which is also their persisted-query hash. It is bounded by the memory
// its documents hold (estimated by docguard) as well as by their number,
// and keeps only documents that passed every check: a refused one would
// let a client fill it with documents that are never run.
type documentCache struct {
	logger *slog.Logger
	schema *graphql.Schema
	guard  docguard.Schema
	limits docguard.Limits
	flight singleflight.Group

	mu       sync.Mutex
	order    *list.List // of *document, most recently used first
	byHash   map[string]*list.Element
	bytes    int64
	maxBytes int64
	maxCount int
}

func newDocumentCache(logger *slog.Logger, schema *graphql.Schema, guard docguard.Schema, limits docguard.Limits, maxCount int, maxBytes int64) *documentCache {
	return &documentCache{logger: logger, schema: schema, guard: guard, limits: limits, order: list.New(), byHash: map[string]*list.Element{}, maxCount: maxCount, maxBytes: maxBytes}
}

func hashQuery(q string) string {
	sum := sha256.Sum256([]byte(q))
	return hex.EncodeToString(sum[:])
}

// cached returns a document only if it is in the cache.
func (c *documentCache) cached(hash string) (*document, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byHash[hash]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*document), true
}

func (c *documentCache) add(d *document) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byHash[d.hash]; ok || d.size > c.maxBytes {
		return
	}
	c.byHash[d.hash] = c.order.PushFront(d)
	c.bytes += d.size
	for c.bytes > c.maxBytes || c.order.Len() > c.maxCount {
		old := c.order.Remove(c.order.Back()).(*document)
		delete(c.byHash, old.hash)
		c.bytes -= old.size
	}
}

// size is the number of documents cached and the bytes they are estimated
// to hold.
func (c *documentCache) size() (int, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len(), c.bytes
}

// get returns the prepared document for query, whose hash is hash, or why
// it is refused. Preparing counts against the request's time: graphql-go
// cannot be cancelled, so the work is bounded by the limits, and get stops
// waiting at the deadline or when ctx ends (the work finishes in the background, and a good
// document is still cached). Concurrent requests for one new document
// share one preparation.
func (c *documentCache) get(ctx context.Context, deadline time.Time, hash, query string) (*document, *refusal) {
	if d, ok := c.cached(hash); ok {
		return d, nil
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	if ctx.Err() != nil {
		return nil, timeoutRefusal()
	}
	type result struct {
		d *document
		r *refusal
	}
	ch := c.flight.DoChan(hash, func() (res any, _ error) {
		// This runs on a goroutine of its own, where a panic (a graphql-go
		// bug the checks missed) would end the process.
		defer func() {
			if rec := recover(); rec != nil {
				c.logger.Error("panic preparing a document", "panic", rec, "stack", string(debug.Stack()), "query", docguard.Shorten(query, 2000))
				res = result{r: &refusal{status: http.StatusInternalServerError, errs: []gqlerrors.FormattedError{{
					Message: "Something went wrong on our side.", Extensions: map[string]any{"code": "INTERNAL_SERVER_ERROR"},
				}}}}
			}
		}()
		d, r := c.prepare(hash, query)
		if d != nil {
			c.add(d)
		}
		return result{d, r}, nil
	})
	select {
	case res := <-ch:
		r := res.Val.(result)
		return r.d, r.r
	case <-ctx.Done():
		return nil, timeoutRefusal()
	}
}

func timeoutRefusal() *refusal {
	return &refusal{status: http.StatusServiceUnavailable, errs: []gqlerrors.FormattedError{{
		Message:    "The request was cancelled or took too long.",
		Extensions: map[string]any{"code": "TIMEOUT"},
	}}}
}

// prepare checks the document with docguard (scan, parse, analyse) before
// graphql-go's validator sees it, then validates it.
func (c *documentCache) prepare(hash, query string) (*document, *refusal) {
	src, err := docguard.Scan(query, c.limits)
	if err != nil {
		return nil, guardRefusal(err)
	}
	doc, err := docguard.Parse(src)
	if err != nil {
		return nil, guardRefusal(err)
	}
	guarded, err := docguard.Analyze(doc, c.limits, c.guard)
	if err != nil {
		return nil, guardRefusal(err)
	}
	if v := graphql.ValidateDocument(c.schema, doc, nil); !v.IsValid {
		return nil, &refusal{status: http.StatusBadRequest, errs: withCode(src.Tidy(v.Errors), "GRAPHQL_VALIDATION_FAILED")}
	}
	d := &document{hash: hash, ast: doc, loc: src.Locator, ops: map[string]operation{}, size: src.Memory()}
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
			label:       rootLabel(op),
			catalogOnly: op.Operation == ast.OperationTypeQuery && readsOnly(op, catalogFields),
			ownOrders:   op.Operation == ast.OperationTypeQuery && readsOnly(op, ownOrderFields),
			guard:       guarded[name],
		}
	}
	if len(names) == 1 && names[0] != "" {
		d.ops[""] = d.ops[names[0]]
	}
	return d, nil
}

// guardRefusal answers a document docguard refused.
func guardRefusal(err *docguard.Error) *refusal {
	status := http.StatusBadRequest
	if err.Code == docguard.CodeTooLarge {
		status = http.StatusRequestEntityTooLarge
	}
	e := gqlerrors.FormattedError{Message: err.Message, Locations: []location.SourceLocation{}, Extensions: map[string]any{"code": err.Code}}
	if err.Line > 0 {
		e.Locations = []location.SourceLocation{{Line: err.Line, Column: err.Column}}
	}
	return &refusal{status: status, errs: []gqlerrors.FormattedError{e}}
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
