package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/handler"

	"shop/auth"
	"shop/docguard"
	"shop/errcode"
	"shop/models"
	"shop/requestid"
	"shop/resolvers"
	"shop/web"
)

// request is a GraphQL-over-HTTP request. The fields are graphql-go/handler's
// RequestOptions; parsing is done here because handler's own parsing
// swallows malformed JSON and reads bodies without a limit.
type request struct {
	handler.RequestOptions
	Extensions struct {
		PersistedQuery *struct {
			Version    int    `json:"version"`
			SHA256Hash string `json:"sha256Hash"`
		} `json:"persistedQuery"`
	} `json:"extensions"`
}

// graphqlHandler runs parse → validate → execute itself instead of
// graphql-go/handler's ServeHTTP, which executes twice for GraphiQL, accepts
// mutations over GET, and reads unbounded bodies. Parsing and validation
// happen once per distinct document (documentCache).
type graphqlHandler struct {
	opts    Options
	docs    *documentCache
	metrics *metrics
}

func (h *graphqlHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	switch r.Method {
	case http.MethodGet:
		if wantsHTML(r) {
			h.graphiql(w, r)
			return
		}
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, POST")
		writeError(w, http.StatusMethodNotAllowed, errcode.MethodNotAllowed, "Send GraphQL requests with POST (or GET for queries).")
		return
	}
	req, status, err := h.decode(w, r)
	if err != nil {
		h.fail(w, start, status, errcode.BadRequest, err.Error())
		return
	}
	// One deadline for the whole request: preparing a new document (scan,
	// parse, checks, validation) counts against it as execution does. Its
	// context is made only when needed, so a warm read costs no timer.
	deadline := start.Add(h.opts.RequestTimeout)
	doc, refused := h.document(r.Context(), deadline, req)
	if refused != nil {
		h.metrics.observe("invalid", start, codes(refused.errs))
		writeResult(w, refused.status, &graphql.Result{Errors: refused.errs})
		return
	}
	op, ok := doc.ops[req.OperationName]
	if !ok {
		msg := "Unknown operation named \"" + docguard.Shorten(req.OperationName, 60) + "\"."
		switch {
		case len(doc.ops) == 0:
			msg = "The document has no operation to run."
		case req.OperationName == "":
			msg = "The document has several operations: name the one to run in \"operationName\"."
		}
		h.fail(w, start, http.StatusBadRequest, errcode.BadUserInput, msg)
		return
	}
	// What a caller reads with its token, or any order, is its own: no
	// shared cache (a CDN caching persisted-query GETs) may keep it.
	if !op.catalogOnly || r.Header.Get("Authorization") != "" {
		w.Header().Set("Cache-Control", "private, no-store")
	}
	if op.guard.Introspection && h.opts.DisableIntrospection {
		h.fail(w, start, http.StatusBadRequest, errcode.IntrospectionDisabled, "Introspection (__schema and __type) is turned off on this server.")
		return
	}
	caller := auth.CallerFrom(r.Context())
	maxCost := models.CostLimit(caller, h.opts.Limits.MaxCost, h.opts.AdminMaxCost)
	if err := op.guard.CheckCost(req.Variables, maxCost); err != nil {
		h.fail(w, start, http.StatusBadRequest, err.Code, err.Message)
		return
	}
	if err := op.guard.CheckDatabaseFields(h.opts.Limits.MaxDatabaseFields); err != nil {
		h.fail(w, start, http.StatusBadRequest, err.Code, err.Message)
		return
	}
	if problems := op.guard.CheckVariables(req.Variables); len(problems) > 0 {
		if len(problems) > docguard.MaxErrors {
			problems = append(problems[:docguard.MaxErrors-1], fmt.Sprintf("and %d more", len(problems)-docguard.MaxErrors+1))
		}
		errs := make([]gqlerrors.FormattedError, len(problems))
		for i, p := range problems {
			errs[i] = gqlerrors.NewFormattedError(docguard.Shorten("Invalid variable: "+p+".", docguard.MaxMessage))
		}
		errs = withCode(errs, errcode.BadUserInput)
		h.metrics.observe(op.label, start, codes(errs))
		writeResult(w, http.StatusBadRequest, &graphql.Result{Errors: errs})
		return
	}
	if op.guard.Type == ast.OperationTypeSubscription {
		h.fail(w, start, http.StatusBadRequest, errcode.BadRequest, "Subscriptions are served over WebSocket on /graphql, with the graphql-transport-ws protocol (docs/subscriptions.md).")
		return
	}
	if r.Method == http.MethodGet && op.guard.Type == ast.OperationTypeMutation {
		w.Header().Set("Allow", "POST")
		h.fail(w, start, http.StatusMethodNotAllowed, errcode.MethodNotAllowed, "Mutations must be sent with POST.")
		return
	}
	if !h.admit(w, r, start, op.guard) {
		return
	}

	var fill func([]byte)
	exec := r.Context()
	if h.opts.Responses != nil {
		var body []byte
		hit := false
		switch caller := auth.CallerFrom(r.Context()); {
		case op.catalogOnly && !caller.IsAdmin():
			// An admin's catalog includes inactive products, which the
			// shared response must never show a shopper.
			body, hit, exec, fill = h.opts.Responses.Response(exec, responseKey(doc.hash, req))
		case op.ownOrders && ownResponses(caller):
			body, hit, exec, fill = h.opts.Responses.CustomerResponse(exec, caller.UserID, responseKey(doc.hash, req))
		}
		if hit {
			h.metrics.observe(op.label, start, nil)
			writeJSON(w, http.StatusOK, body)
			return
		}
	}

	ctx, cancel := context.WithDeadline(exec, deadline)
	defer cancel()
	browser := auth.BrowserSessionOf(r)
	budget := resolvers.NewResponseBudget(models.CostLimit(caller, h.opts.MaxResponseBytes, h.opts.AdminMaxResponseBytes))
	res := graphql.Execute(graphql.ExecuteParams{
		Schema:        h.opts.Schema,
		AST:           doc.ast,
		OperationName: req.OperationName,
		Args:          req.Variables,
		Root:          budget,
		Context:       h.opts.Prepare(auth.WithBrowserSession(resolvers.WithIdempotencyKey(ctx, r.Header.Get("Idempotency-Key")), browser)),
	})
	status = http.StatusOK
	switch {
	case ctx.Err() != nil && r.Context().Err() == nil:
		// The server ran out of time, not the client out of patience.
		status = http.StatusServiceUnavailable
	case budget.Exceeded():
		// What was built before the budget ran out is dropped unsent: one
		// error says why, instead of a partial answer with an error per
		// field that stopped. 400, not 413, which is about the request's
		// own body.
		err := budget.Err()
		res = &graphql.Result{Errors: []gqlerrors.FormattedError{{Message: err.Error(), Extensions: err.Extensions()}}}
		status = http.StatusBadRequest
	case res.Data == nil && requestErrors(res.Errors):
		status = http.StatusBadRequest
	}
	res.Errors = h.codeErrors(ctx, doc.loc.Relocate(res.Errors))
	status = rateLimitedStatus(w, res.Errors, status)
	h.metrics.observe(op.label, start, codes(res.Errors))
	body, err := json.Marshal(res)
	if err != nil {
		writeError(w, http.StatusInternalServerError, errcode.InternalServerError, "Something went wrong on our side.")
		return
	}
	if writeSessionCookie(w, r, browser, h.opts.TrustedProxies) {
		fill = nil
	}
	if fill != nil && len(res.Errors) == 0 {
		fill(body)
	}
	writeJSON(w, status, body)
}

// ownResponses reports whether c's responses that read orders may be
// cached for c: a customer's, which show its own orders. An admin's show
// every customer's, which no one version covers; an anonymous caller's
// show none.
func ownResponses(c models.Caller) bool {
	return !c.Anonymous() && c.Role == models.RoleCustomer
}

// responseKey names a cacheable request's response: the document (by
// hash, so a persisted query sent by hash alone finds it too), the
// operation and the variables (marshalled with sorted keys). A customer's
// own response is kept under its id as well (CustomerResponse).
func responseKey(docHash string, req request) string {
	vars, _ := json.Marshal(req.Variables)
	return hashQuery(docHash + "\x00" + req.OperationName + "\x00" + string(vars))
}

// document finds the request's prepared document: by its text, or by the
// hash of an automatic persisted query (the Apollo protocol, whose clients
// expect PersistedQueryNotFound with status 200 and then send the query).
// A persisted query is shared with other instances only once it has passed
// every check.
func (h *graphqlHandler) document(ctx context.Context, deadline time.Time, req request) (*document, *refusal) {
	var hash string
	if pq := req.Extensions.PersistedQuery; pq != nil {
		if pq.Version != 1 {
			return nil, requestRefusal(http.StatusBadRequest, errcode.PersistedQueryNotSupported, "Only version 1 of persisted queries is supported.")
		}
		hash = strings.ToLower(pq.SHA256Hash)
		if len(hash) != sha256.Size*2 || strings.Trim(hash, "0123456789abcdef") != "" {
			return nil, requestRefusal(http.StatusBadRequest, errcode.BadRequest, "The persisted query's sha256Hash is not a SHA-256 in hexadecimal.")
		}
	}
	if strings.TrimSpace(req.Query) == "" {
		if hash == "" {
			return nil, requestRefusal(http.StatusBadRequest, errcode.BadRequest, `The request has no "query".`)
		}
		if d, ok := h.docs.cached(hash); ok {
			h.metrics.documents.WithLabelValues("hit").Inc()
			return d, nil
		}
		q, ok := "", false
		if h.opts.Queries != nil {
			q, ok = h.opts.Queries.GetQuery(ctx, hash)
		}
		if !ok || hashQuery(q) != hash {
			return nil, requestRefusal(http.StatusOK, errcode.PersistedQueryNotFound, "PersistedQueryNotFound")
		}
		h.metrics.documents.WithLabelValues("miss").Inc()
		return h.docs.get(ctx, deadline, hash, q)
	}
	sum := hashQuery(req.Query)
	if hash != "" && hash != sum {
		return nil, requestRefusal(http.StatusBadRequest, errcode.BadRequest, "The persisted query hash does not match the query's SHA-256.")
	}
	if d, ok := h.docs.cached(sum); ok {
		h.metrics.documents.WithLabelValues("hit").Inc()
		return d, nil
	}
	h.metrics.documents.WithLabelValues("miss").Inc()
	d, refused := h.docs.get(ctx, deadline, sum, req.Query)
	if d != nil && hash != "" && h.opts.Queries != nil {
		h.opts.Queries.PutQuery(ctx, sum, req.Query)
	}
	return d, refused
}

func requestRefusal(status int, code errcode.Code, msg string) *refusal {
	return &refusal{status: status, errs: []gqlerrors.FormattedError{{Message: msg, Extensions: map[string]any{"code": string(code)}}}}
}

func (h *graphqlHandler) fail(w http.ResponseWriter, start time.Time, status int, code errcode.Code, msg string) {
	h.metrics.observe("invalid", start, []string{string(code)})
	writeError(w, status, code, msg)
}

// decode reads the request from the query string (GET) or a JSON body
// (POST), at most MaxBodyBytes of it.
func (h *graphqlHandler) decode(w http.ResponseWriter, r *http.Request) (request, int, error) {
	var req request
	if r.Method == http.MethodGet {
		if !utf8.ValidString(r.URL.RawQuery) || !utf8.ValidString(mustUnescape(r.URL.RawQuery)) {
			return req, http.StatusBadRequest, errors.New("The query string is not valid UTF-8.")
		}
		q := r.URL.Query()
		req.Query, req.OperationName = q.Get("query"), q.Get("operationName")
		if v := q.Get("variables"); v != "" {
			if err := json.Unmarshal([]byte(v), &req.Variables); err != nil {
				return req, http.StatusBadRequest, errors.New(`"variables" is not a JSON object.`)
			}
		}
		if v := q.Get("extensions"); v != "" {
			if err := json.Unmarshal([]byte(v), &req.Extensions); err != nil {
				return req, http.StatusBadRequest, errors.New(`"extensions" is not a JSON object.`)
			}
		}
		return req, 0, nil
	}
	// A POST must say what it holds: a form or text/plain body (or none)
	// is what a cross-site page can send without asking, so it is never
	// run.
	ct, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (ct != "application/json" && ct != "application/graphql") {
		return req, http.StatusUnsupportedMediaType, errors.New("Send the request as application/json (or the query alone as application/graphql).")
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		return req, http.StatusUnsupportedMediaType, errors.New("Send the body in UTF-8 (charset=utf-8).")
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes))
	if err != nil {
		return req, bodyStatus(err), bodyError(err)
	}
	// encoding/json would turn invalid UTF-8 into U+FFFD without a word,
	// so "pass\xff…" and "pass\xfe…" would be one password: refuse it.
	if !utf8.Valid(b) {
		return req, http.StatusBadRequest, errors.New("The body is not valid UTF-8.")
	}
	if ct == "application/graphql" {
		req.Query = string(b)
		return req, 0, nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&req); err != nil {
		return req, bodyStatus(err), bodyError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return req, http.StatusBadRequest, errors.New("The body must hold exactly one JSON object.")
	}
	return req, 0, nil
}

// mustUnescape is the query string with its escapes decoded (or as it is
// when it has bad ones, which url.Query drops anyway).
func mustUnescape(raw string) string {
	s, err := url.QueryUnescape(raw)
	if err != nil {
		return raw
	}
	return s
}

func bodyStatus(err error) int {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

func bodyError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return errors.New("The request body is too large.")
	}
	return errors.New(`The body is not valid JSON of the form {"query": "...", "variables": {...}}.`)
}

// codeErrors gives every error an extensions.code. Errors from resolvers
// carry one already; the rest come from graphql-go itself: without a path
// they are about the request (bad variables, unknown operation), with one
// they are the server's fault and their text is not shown.
func (h *graphqlHandler) codeErrors(ctx context.Context, errs []gqlerrors.FormattedError) []gqlerrors.FormattedError {
	for i, e := range errs {
		if _, ok := e.Extensions["code"]; ok {
			continue
		}
		switch {
		case ctx.Err() != nil:
			errs[i].Message = "The request was cancelled or took too long."
			errs[i].Extensions = map[string]any{"code": string(errcode.Timeout)}
		case len(e.Path) == 0:
			// graphql-go's own (variables it could not coerce): its message
			// can quote a whole variable's value.
			errs[i].Message = docguard.Shorten(e.Message, docguard.MaxMessage)
			errs[i].Extensions = map[string]any{"code": string(errcode.BadUserInput)}
		default:
			h.opts.Logger.ErrorContext(ctx, "graphql execution error", "err", e.Message, "path", e.Path, "request_id", requestid.From(ctx))
			internal := resolvers.Internal(ctx)
			errs[i].Message, errs[i].Extensions = internal.Error(), internal.Extensions()
		}
	}
	return errs
}

// requestErrors is true when execution never started: graphql-go reports
// bad variables and unknown operations without a path.
func requestErrors(errs []gqlerrors.FormattedError) bool {
	for _, e := range errs {
		if len(e.Path) > 0 {
			return false
		}
	}
	return len(errs) > 0
}

func codes(errs []gqlerrors.FormattedError) []string {
	if len(errs) == 0 {
		return nil
	}
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		c, _ := e.Extensions["code"].(string)
		out = append(out, c)
	}
	return out
}

func (h *graphqlHandler) graphiql(w http.ResponseWriter, r *http.Request) {
	if !web.HasGraphiQL() {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "GraphiQL's assets were not built into this binary: run `make assets` (or `make run`) and rebuild.\nThe API itself works: POST /graphql.\n")
		return
	}
	serveStaticPage(w, r, "graphiql.html")
}

// wantsHTML is true for a browser navigating to /graphql: it asks for HTML
// before JSON.
func wantsHTML(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	html := strings.Index(accept, "text/html")
	if html < 0 || r.URL.Query().Has("raw") {
		return false
	}
	js := strings.Index(accept, "application/json")
	return js < 0 || html < js
}

func withCode(errs []gqlerrors.FormattedError, code errcode.Code) []gqlerrors.FormattedError {
	for i := range errs {
		errs[i].Extensions = map[string]any{"code": string(code)}
	}
	return errs
}

func writeResult(w http.ResponseWriter, status int, res *graphql.Result) {
	b, err := json.Marshal(res)
	if err != nil {
		writeError(w, http.StatusInternalServerError, errcode.InternalServerError, "Something went wrong on our side.")
		return
	}
	writeJSON(w, status, b)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeError answers with a GraphQL-shaped error body, so clients can read
// every failure the same way.
func writeError(w http.ResponseWriter, status int, code errcode.Code, msg string) {
	writeErrorWith(w, status, code, msg, nil)
}

// writeErrorWith is writeError with more in extensions (value, max,
// retryAfter).
func writeErrorWith(w http.ResponseWriter, status int, code errcode.Code, msg string, more map[string]any) {
	ext := map[string]any{"code": string(code)}
	for k, v := range more {
		ext[k] = v
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": ext}},
	})
}
