package server

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/location"
	"golang.org/x/sync/singleflight"

	"shop/docguard"
	"shop/errcode"
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
	label string // root fields, for metrics: bounded by the schema
	// catalogOnly operations read nothing but the catalog, so their whole
	// response can be cached until the catalog changes (schema.Cacheability
	// declares which root fields do).
	catalogOnly bool
	// ownOrders operations read nothing but the caller's orders and
	// products, so a customer's whole response can be cached for that
	// customer alone, until its orders or those products change.
	ownOrders bool
	guard     *docguard.Operation // its type, cost (per request), variables and introspection
}

// refusal is the answer to a document that is not run, with its status.
type refusal struct {
	status int
	errs   []gqlerrors.FormattedError
}

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
					Message: "Something went wrong on our side.", Extensions: map[string]any{"code": string(errcode.InternalServerError)},
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
		Extensions: map[string]any{"code": string(errcode.Timeout)},
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
		return nil, &refusal{status: http.StatusBadRequest, errs: withCode(src.Tidy(v.Errors), errcode.GraphqlValidationFailed)}
	}
	d := &document{hash: hash, ast: doc, loc: src.Locator, ops: make(map[string]operation, len(guarded)), size: src.Memory()}
	for name, g := range guarded {
		d.ops[name] = operation{
			label:       rootLabel(g.RootFields),
			catalogOnly: g.Cache == docguard.CachePublic,
			ownOrders:   g.Cache >= docguard.CachePerCustomer,
			guard:       g,
		}
	}
	return d, nil
}

// guardRefusal answers a document docguard refused.
func guardRefusal(err *docguard.Error) *refusal {
	status := http.StatusBadRequest
	if err.Code == errcode.QueryTooLarge {
		status = http.StatusRequestEntityTooLarge
	}
	e := gqlerrors.FormattedError{Message: err.Message, Locations: []location.SourceLocation{}, Extensions: map[string]any{"code": err.Code}}
	if err.Line > 0 {
		e.Locations = []location.SourceLocation{{Line: err.Line, Column: err.Column}}
	}
	return &refusal{status: status, errs: []gqlerrors.FormattedError{e}}
}

// rootLabel names an operation by its root fields (sorted, each once),
// which the schema bounds (client-chosen operation names would make
// metrics unbounded).
func rootLabel(roots []string) string {
	var fields []string
	for _, f := range roots {
		if !strings.HasPrefix(f, "__") {
			fields = append(fields, f)
		}
	}
	switch {
	case len(fields) == 0:
		return "introspection"
	case len(fields) > 3:
		return "multiple"
	}
	return strings.Join(fields, ",")
}

// QueryStore shares persisted queries between instances, so a hash a
// client registered on one is known to all.
type QueryStore interface {
	GetQuery(ctx context.Context, hash string) (string, bool)
	PutQuery(ctx context.Context, hash, query string)
}
