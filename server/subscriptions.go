package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/prometheus/client_golang/prometheus"

	"shop/auth"
	"shop/clientip"
	"shop/docguard"
	"shop/errcode"
	"shop/live"
	"shop/models"
	"shop/ratelimit"
	"shop/requestid"
	"shop/resolvers"
)

// GraphQL subscriptions over WebSocket (issue 21), in the
// graphql-transport-ws protocol, the one the npm graphql-ws library
// speaks (https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md).
// graphql-go's own Subscribe is not used: it leaks a goroutine for every
// subscriber that stops reading without cancelling. A subscription's
// document passes the same checks as a query's (the document cache:
// docguard and graphql-go's validation; then cost, database fields and
// variables); the hub (package live) wakes it for each event of its
// topic, and each payload is its selection executed with graphql.Execute
// as its caller, on the subject read again.

// Subprotocol is the WebSocket subprotocol served on /graphql.
const Subprotocol = "graphql-transport-ws"

// Close codes (graphql-ws's where it has one; docs/subscriptions.md).
const (
	CloseGoingAway        websocket.StatusCode = 1001 // the server shuts down
	CloseBadRequest       websocket.StatusCode = 4400 // a message that is not the protocol's
	CloseUnauthorized     websocket.StatusCode = 4401 // a bad token, subscribe before connection_ack, or the token expired
	CloseForbidden        websocket.StatusCode = 4403
	CloseTimeout          websocket.StatusCode = 4408 // connection_init late, keep-alive unanswered, or the send buffer full (a slow reader)
	CloseSubscriberExists websocket.StatusCode = 4409 // a subscribe with the id of one running
	CloseTooMany          websocket.StatusCode = 4429 // a second connection_init, or too many connections for the user or the address
)

// SubscriptionOptions configure the WebSocket endpoint; a nil Hub turns it
// off (upgrades are refused).
type SubscriptionOptions struct {
	Hub *live.Hub
	// Watch authorises a subscription to field with args when it starts,
	// and names its topic (resolvers.Watch).
	Watch func(ctx context.Context, field string, args map[string]any) (live.Topic, error)
	// AuthenticateUntil verifies connection_init's token and says when it
	// expires.
	AuthenticateUntil func(token string) (models.Caller, time.Time, error)
	// Sockets tracks the connections, for the limits and the shutdown.
	Sockets *Sockets
	// PerConnection bounds the subscriptions of one connection
	// (SUBSCRIPTIONS_PER_CONNECTION).
	PerConnection int
	// SendBuffer is how many messages a connection queues before it is
	// closed as a slow reader.
	SendBuffer int
	// InitTimeout is how long a connection may wait before connection_init.
	InitTimeout time.Duration
	// KeepAlive is how often the server pings; a client that sends nothing
	// for twice as long is closed. 0: no pings.
	KeepAlive time.Duration
	// ReadLimit bounds a message from the client, in bytes.
	ReadLimit int64
	// Fresh makes the reads of a payload's execution see the event named
	// by tag, whatever the caches have heard of it yet (cache.FreshReads);
	// nil: reads as any request's.
	Fresh func(ctx context.Context, tag string) context.Context
}

// Sockets holds the WebSocket connections of an instance: it counts them
// per user and per client address, and closes them at shutdown.
type Sockets struct {
	perUser, perIP, per48 int

	mu      sync.Mutex
	conns   map[*wsConn]struct{}
	users   map[string]int
	ips     map[string]int // by /64 for IPv6, as the rate limits count
	nets    map[string]int // IPv6 by /48
	closing bool
	wg      sync.WaitGroup
}

// NewSockets allows perUser connections per user and perIP per client
// address (0: any number).
func NewSockets(perUser, perIP int) *Sockets {
	return &Sockets{perUser: perUser, perIP: perIP, conns: map[*wsConn]struct{}{}, users: map[string]int{}, ips: map[string]int{}, nets: map[string]int{}}
}

// LimitIPv6Per48 lets one IPv6 /48 hold n connections, all its /64s
// together (0: no limit but each /64's).
func (s *Sockets) LimitIPv6Per48(n int) *Sockets {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.per48 = n
	return s
}

// Count is the number of connections open.
func (s *Sockets) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// add registers c from ip; false when shutting down or the address has
// its allowance of connections.
func (s *Sockets) add(c *wsConn, ip string) (ok, closing bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false, true
	}
	k64, k48 := ratelimit.ByIP(ip), ratelimit.By48(ip)
	if (s.perIP > 0 && s.ips[k64] >= s.perIP) || (s.per48 > 0 && k48 != "" && s.nets[k48] >= s.per48) {
		return false, false
	}
	s.ips[k64]++
	if k48 != "" {
		s.nets[k48]++
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return true, false
}

// addUser counts c against user's allowance; false when it is spent.
func (s *Sockets) addUser(user string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.perUser > 0 && s.users[user] >= s.perUser {
		return false
	}
	s.users[user]++
	return true
}

func (s *Sockets) remove(c *wsConn, ip, user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.conns[c]; !ok {
		return
	}
	delete(s.conns, c)
	k64, k48 := ratelimit.ByIP(ip), ratelimit.By48(ip)
	if s.ips[k64]--; s.ips[k64] <= 0 {
		delete(s.ips, k64)
	}
	if k48 != "" {
		if s.nets[k48]--; s.nets[k48] <= 0 {
			delete(s.nets, k48)
		}
	}
	if user != "" {
		if s.users[user]--; s.users[user] <= 0 {
			delete(s.users, user)
		}
	}
	s.wg.Done()
}

// Shutdown refuses new connections and closes every one with 1001 once
// the messages it has queued are sent, then waits for them until ctx
// ends, when the rest are dropped without a close handshake.
func (s *Sockets) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	conns := make([]*wsConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.kill(CloseGoingAway, "The server is shutting down: reconnect.", true)
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		for _, c := range conns {
			_ = c.ws.CloseNow()
		}
		<-done
		return fmt.Errorf("websocket connections still open when the shutdown timeout ended: %w", ctx.Err())
	}
}

// subscriptionHandler serves the WebSocket upgrades of /graphql.
type subscriptionHandler struct {
	gql     *graphqlHandler
	o       SubscriptionOptions
	origins []string
	logger  *slog.Logger

	connections prometheus.Gauge
	active      prometheus.Gauge
	messages    *prometheus.CounterVec
	closes      *prometheus.CounterVec
	slow        prometheus.Counter
}

func newSubscriptionHandler(gql *graphqlHandler, o SubscriptionOptions, corsOrigins []string, reg *prometheus.Registry) *subscriptionHandler {
	if o.Sockets == nil {
		o.Sockets = NewSockets(0, 0)
	}
	if o.SendBuffer <= 0 {
		o.SendBuffer = 32
	}
	if o.InitTimeout <= 0 {
		o.InitTimeout = 5 * time.Second
	}
	if o.ReadLimit <= 0 {
		o.ReadLimit = 1 << 20
	}
	h := &subscriptionHandler{gql: gql, o: o, logger: gql.opts.Logger,
		connections: prometheus.NewGauge(prometheus.GaugeOpts{Name: "shop_subscription_connections", Help: "WebSocket connections open (graphql-transport-ws)."}),
		active:      prometheus.NewGauge(prometheus.GaugeOpts{Name: "shop_subscriptions", Help: "Subscriptions running on this instance."}),
		messages:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "shop_subscription_messages_total", Help: "graphql-transport-ws messages sent, by type."}, []string{"type"}),
		closes:      prometheus.NewCounterVec(prometheus.CounterOpts{Name: "shop_subscription_closes_total", Help: "WebSocket connections the server closed, by close code."}, []string{"code"}),
		slow:        prometheus.NewCounter(prometheus.CounterOpts{Name: "shop_subscription_slow_readers_total", Help: "WebSocket connections found too slow to read what they are sent (their send buffer full), and closed with 4408."}),
	}
	reg.MustRegister(h.connections, h.active, h.messages, h.closes, h.slow)
	for _, code := range []websocket.StatusCode{websocket.StatusNormalClosure, CloseGoingAway, CloseBadRequest, CloseUnauthorized, CloseTimeout, CloseSubscriberExists, CloseTooMany} {
		h.closes.WithLabelValues(fmt.Sprint(int(code)))
	}
	// The browser's Origin is checked against the host (coder/websocket's
	// default) and the origins CORS allows. A token travels in
	// connection_init, never in a cookie, so another site's page gains
	// nothing by connecting; the check keeps the rule of the HTTP API.
	for _, o := range corsOrigins {
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			h.origins = append(h.origins, u.Host)
		}
	}
	return h
}

// isWebSocket is true for an upgrade to WebSocket.
func isWebSocket(r *http.Request) bool {
	return headerHasToken(r.Header, "Connection", "upgrade") && headerHasToken(r.Header, "Upgrade", "websocket")
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

func (h *subscriptionHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.o.Hub == nil {
		writeError(w, http.StatusBadRequest, errcode.BadRequest, "Subscriptions are turned off on this server.")
		return
	}
	if !headerHasToken(r.Header, "Sec-WebSocket-Protocol", Subprotocol) {
		writeError(w, http.StatusBadRequest, errcode.BadRequest, "Offer the graphql-transport-ws subprotocol (Sec-WebSocket-Protocol: graphql-transport-ws): it is the only one served.")
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{Subprotocol}, OriginPatterns: h.origins})
	if err != nil {
		return // Accept answered
	}
	ws.SetReadLimit(h.o.ReadLimit)
	// A context of the connection's own, with the request id for the logs:
	// the request's ends when this handler returns (at once, below), and
	// what it holds (the request, net/http's buffers for its response)
	// would otherwise live as long as the socket.
	ctx, cancel := context.WithCancel(requestid.With(context.Background(), requestid.From(r.Context())))
	c := &wsConn{h: h, ws: ws, ctx: ctx, ip: clientip.From(r.Context()), out: make(chan outMsg, h.o.SendBuffer),
		killed: make(chan struct{}), closed: make(chan struct{}), subs: map[string]*wsSub{}}
	c.lastRead.Store(time.Now().UnixNano())
	ok, closing := h.o.Sockets.add(c, c.ip)
	if !ok {
		code, reason := CloseTooMany, "Too many connections from this address."
		if closing {
			code, reason = CloseGoingAway, "The server is shutting down: reconnect."
		}
		h.closes.WithLabelValues(fmt.Sprint(int(code))).Inc()
		_ = ws.Close(code, reason)
		cancel()
		return
	}
	h.connections.Inc()
	// The connection is read on a goroutine of its own, and the handler
	// returns: the goroutine net/http served the request on has grown its
	// stack through the middleware, and would keep it for hours.
	go func() {
		defer cancel()
		defer h.connections.Dec()
		defer func() {
			if rec := recover(); rec != nil {
				h.logger.Error("panic in a subscriptions connection", "panic", fmt.Sprint(rec), "stack", string(debug.Stack()), "request_id", requestid.From(ctx))
				_ = ws.CloseNow()
			}
		}()
		c.serve()
	}()
}

// wsConn is one WebSocket connection: this goroutine reads, writer writes
// every message, in order, from out.
type wsConn struct {
	h   *subscriptionHandler
	ws  *websocket.Conn
	ctx context.Context
	ip  string

	out      chan outMsg
	killOnce sync.Once
	killed   chan struct{}
	kcode    websocket.StatusCode
	kreason  string
	kdrain   bool
	lastRead atomic.Int64
	// progress is when the writer last sent a message, or was handed the
	// first of an empty queue.
	progress atomic.Int64
	// overflow holds the events of a burst past SendBuffer while the
	// writer keeps up, after out's, in order (allocated only then).
	omu      sync.Mutex
	overflow []outMsg
	// writing is raised while a writer (drain) runs; closed once the
	// connection is closed.
	writing atomic.Bool
	closed  chan struct{}
	pinger  *time.Timer

	// Set once by connection_init, read by the writer after.
	acked  atomic.Bool
	caller models.Caller
	user   string

	mu   sync.Mutex
	subs map[string]*wsSub
}

// wsSub is one subscription of a connection.
type wsSub struct {
	id     string
	doc    *document
	opName string
	vars   map[string]any
	live   *live.Subscription
	ended  atomic.Bool
}

// outMsg is a message to send, or a subscription to execute for an event.
type outMsg struct {
	raw []byte
	typ string // raw's type, for the metrics
	sub *wsSub
	ev  *models.Event // a pointer: each connection's queue is SendBuffer of these
}

// kill closes the connection with code: at once after the message being
// written, or, with drain, after the messages queued (the shutdown's
// "after in-flight messages"). It never blocks.
func (c *wsConn) kill(code websocket.StatusCode, reason string, drain bool) {
	c.killOnce.Do(func() {
		c.kcode, c.kreason, c.kdrain = code, reason, drain
		close(c.killed)
	})
	c.kick()
}

// burstSlack is how many times SendBuffer a connection may have queued
// while its writer keeps up (it sent a message, or was handed the first of
// the queue, within keepingUp): a burst of events, such as the orderEvents
// of many orders placed at once, is read from the outbox at once, and a
// client that reads is no slow reader.
const (
	burstSlack = 8
	keepingUp  = time.Second
)

// send queues an event's message: past SendBuffer queued while the writer
// has not kept up, or past burstSlack times as many, the client is a slow
// reader, closed.
func (c *wsConn) send(m outMsg) {
	if len(c.out) == 0 {
		c.progress.Store(time.Now().UnixNano())
	}
	c.omu.Lock()
	if len(c.overflow) == 0 {
		select {
		case c.out <- m:
			c.omu.Unlock()
			c.kick()
			return
		default:
		}
	}
	if len(c.overflow) < c.h.o.SendBuffer*(burstSlack-1) && time.Since(time.Unix(0, c.progress.Load())) <= keepingUp {
		c.overflow = append(c.overflow, m)
		c.omu.Unlock()
		c.kick()
		return
	}
	c.omu.Unlock()
	select {
	case <-c.killed:
	default:
		c.h.slow.Inc()
	}
	c.kill(CloseTimeout, "Slow reader: the send buffer is full.", false)
}

// sendJSON queues a reply to the client's own message (an ack, a pong, a
// subscribe's error), waiting for room: the client sets the pace of its
// replies, and one that sends a burst while reading is no slow reader. A
// client that stops reading holds only its own reads back, until the
// writer gives up on it (writeTimeout).
func (c *wsConn) sendJSON(m message) {
	b, err := json.Marshal(m)
	if err != nil {
		c.h.logger.Error("subscriptions: encode a message", "err", err)
		return
	}
	select {
	case c.out <- outMsg{raw: b, typ: m.Type}:
		c.kick()
	case <-c.killed:
	case <-c.closed:
		// The writer met a broken socket and finished: nothing will
		// make room.
	}
}

// message is a graphql-transport-ws message.
type message struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func (c *wsConn) serve() {
	if k := c.h.o.KeepAlive; k > 0 {
		// The timer reschedules itself; it reads itself only once it is
		// set (ready).
		var t *time.Timer
		ready := make(chan struct{})
		t = time.AfterFunc(k, func() { <-ready; c.keepAlive(t) })
		close(ready)
		c.pinger = t
	}
	init := time.AfterFunc(c.h.o.InitTimeout, func() {
		if !c.acked.Load() {
			c.kill(CloseTimeout, "Connection initialisation timeout", false)
		}
	})
	var expiry *time.Timer
	defer func() {
		init.Stop()
		if expiry != nil {
			expiry.Stop()
		}
		c.mu.Lock()
		for _, s := range c.subs {
			c.end(s)
		}
		c.subs = nil
		c.mu.Unlock()
		if c.pinger != nil {
			c.pinger.Stop()
		}
		c.kill(websocket.StatusNormalClosure, "", false)
		<-c.closed
		c.h.o.Sockets.remove(c, c.ip, c.user)
	}()
	for {
		typ, data, err := c.ws.Read(c.ctx)
		if err != nil {
			return // closed by the client, by the writer, or broken
		}
		c.lastRead.Store(time.Now().UnixNano())
		var m message
		if typ != websocket.MessageText || json.Unmarshal(data, &m) != nil || m.Type == "" {
			c.kill(CloseBadRequest, "Invalid message received", false)
			return
		}
		switch m.Type {
		case "connection_init":
			if c.acked.Load() {
				c.kill(CloseTooMany, "Too many initialisation requests", false)
				return
			}
			exp, ok := c.initialise(m.Payload)
			if !ok {
				return
			}
			if !exp.IsZero() {
				expiry = time.AfterFunc(time.Until(exp), func() {
					c.kill(CloseUnauthorized, "The access token expired: refresh it and reconnect.", false)
				})
			}
		case "ping":
			c.sendJSON(message{Type: "pong"})
		case "pong":
		case "subscribe":
			if !c.acked.Load() {
				c.kill(CloseUnauthorized, "Unauthorized", false)
				return
			}
			if !c.subscribe(m.ID, m.Payload) {
				return
			}
		case "complete":
			c.mu.Lock()
			if s, ok := c.subs[m.ID]; ok {
				delete(c.subs, m.ID)
				c.end(s)
			}
			c.mu.Unlock()
		default:
			c.kill(CloseBadRequest, "Invalid message received", false)
			return
		}
	}
}

// end stops s; c.mu is held.
func (c *wsConn) end(s *wsSub) {
	if s.ended.Swap(true) {
		return
	}
	if s.live != nil {
		s.live.Cancel()
		c.h.active.Dec()
	}
}

// initialise takes connection_init: its payload's Authorization, when
// there is one, is the caller's access token. It reports when the token
// expires, and false when the connection is being closed.
func (c *wsConn) initialise(payload json.RawMessage) (time.Time, bool) {
	var p map[string]any
	if len(payload) > 0 && string(payload) != "null" && json.Unmarshal(payload, &p) != nil {
		c.kill(CloseBadRequest, "Invalid message received", false)
		return time.Time{}, false
	}
	var header string
	for k, v := range p {
		if strings.EqualFold(k, "Authorization") {
			header, _ = v.(string)
		}
	}
	var exp time.Time
	if header != "" {
		scheme, token, _ := strings.Cut(header, " ")
		token = strings.TrimSpace(token)
		if !strings.EqualFold(scheme, "Bearer") || token == "" || c.h.o.AuthenticateUntil == nil {
			c.kill(CloseUnauthorized, "Send the access token as {\"Authorization\": \"Bearer <accessToken>\"}.", false)
			return time.Time{}, false
		}
		caller, until, err := c.h.o.AuthenticateUntil(token)
		if err != nil {
			reason := "The access token is invalid: sign in again."
			if models.ErrorCode(err) == errcode.Unauthenticated && strings.Contains(err.Error(), "expired") {
				reason = "The access token expired: refresh it and reconnect."
			}
			c.kill(CloseUnauthorized, reason, false)
			return time.Time{}, false
		}
		if !c.h.o.Sockets.addUser(caller.UserID) {
			c.kill(CloseTooMany, "Too many connections for this user.", false)
			return time.Time{}, false
		}
		c.caller, c.user, exp = caller, caller.UserID, until
	}
	c.acked.Store(true)
	c.sendJSON(message{Type: "connection_ack"})
	return exp, true
}

// subscribeRequest is a subscribe message's payload.
type subscribeRequest struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
	Extensions    struct {
		PersistedQuery *struct {
			Version    int    `json:"version"`
			SHA256Hash string `json:"sha256Hash"`
		} `json:"persistedQuery"`
	} `json:"extensions"`
}

// maxSubscriptionID bounds a subscription's id.
const maxSubscriptionID = 128

// subscribe starts the subscription id, or answers why not with an error
// message; false when the connection is being closed.
func (c *wsConn) subscribe(id string, payload json.RawMessage) bool {
	if id == "" || len(id) > maxSubscriptionID {
		c.kill(CloseBadRequest, "Invalid message received", false)
		return false
	}
	c.mu.Lock()
	if _, dup := c.subs[id]; dup {
		c.mu.Unlock()
		c.kill(CloseSubscriberExists, "Subscriber for "+docguard.Shorten(id, 60)+" already exists", false)
		return false
	}
	if n := c.h.o.PerConnection; n > 0 && len(c.subs) >= n {
		c.mu.Unlock()
		c.fail(id, errcode.TooManySubscriptions, fmt.Sprintf("A connection holds at most %d subscriptions: complete one first, or open another connection.", n))
		return true
	}
	c.mu.Unlock()
	if !c.allow(id) {
		return true
	}

	var p subscribeRequest
	if json.Unmarshal(payload, &p) != nil {
		c.fail(id, errcode.BadRequest, `The payload is not of the form {"query": "...", "variables": {...}}.`)
		return true
	}
	s, errs := c.prepare(id, p)
	if errs != nil {
		c.sendErrors(id, errs)
		return true
	}
	c.mu.Lock()
	if c.subs == nil { // the connection ended meanwhile
		c.mu.Unlock()
		s.live.Cancel()
		return false
	}
	c.subs[id] = s
	c.h.active.Inc()
	c.mu.Unlock()
	return true
}

// allow counts a subscribe against the per-IP and per-user allowances, as
// the HTTP API counts a request: each one reads the database (its subject,
// the outbox's head), and a connection looping subscribe and complete
// would otherwise read without limit. A refusal is the subscription's
// error; the connection stays.
func (c *wsConn) allow(id string) bool {
	g := c.h.gql
	for _, l := range []struct {
		l   *ratelimit.Limiter
		key string
	}{{g.opts.IPLimit, c.ip}, {g.opts.UserLimit, c.user}} {
		if l.key == "" {
			continue
		}
		if ok, retry := l.l.Allow(c.ctx, l.key); !ok {
			secs := max(int(math.Ceil(retry.Seconds())), 1)
			b, _ := json.Marshal([]gqlerrors.FormattedError{{Message: "Too many requests: try again in " + strconv.Itoa(secs) + " s.",
				Extensions: map[string]any{"code": string(errcode.RateLimited), "retryAfter": secs}}})
			c.sendJSON(message{ID: id, Type: "error", Payload: b})
			return false
		}
	}
	return true
}

// prepare checks a subscription's document as the HTTP handler checks a
// query's, authorises it, and registers it with the hub.
func (c *wsConn) prepare(id string, p subscribeRequest) (*wsSub, []gqlerrors.FormattedError) {
	g := c.h.gql
	start := time.Now()
	req := request{}
	req.Query, req.OperationName, req.Variables = p.Query, p.OperationName, p.Variables
	req.Extensions.PersistedQuery = p.Extensions.PersistedQuery
	doc, refused := g.document(c.ctx, start.Add(g.opts.RequestTimeout), req)
	if refused != nil {
		return nil, refused.errs
	}
	op, ok := doc.ops[req.OperationName]
	if !ok {
		return nil, codeError(errcode.BadUserInput, "Unknown operation: name the subscription to run in \"operationName\".")
	}
	if op.guard.Type != ast.OperationTypeSubscription {
		return nil, codeError(errcode.BadRequest, "Only subscriptions are served over WebSocket: send queries and mutations with POST /graphql.")
	}
	if op.guard.Introspection && g.opts.DisableIntrospection {
		return nil, codeError(errcode.IntrospectionDisabled, "Introspection (__schema and __type) is turned off on this server.")
	}
	if err := op.guard.CheckCost(req.Variables, models.CostLimit(c.caller, g.opts.Limits.MaxCost, g.opts.AdminMaxCost)); err != nil {
		return nil, codeError(err.Code, err.Message)
	}
	if err := op.guard.CheckDatabaseFields(g.opts.Limits.MaxDatabaseFields); err != nil {
		return nil, codeError(err.Code, err.Message)
	}
	if problems := op.guard.CheckVariables(req.Variables); len(problems) > 0 {
		return nil, codeError(errcode.BadUserInput, docguard.Shorten("Invalid variable: "+problems[0]+".", docguard.MaxMessage))
	}
	field, args, ok := rootField(doc.ast, op.guard.Name, req.Variables)
	if !ok {
		return nil, codeError(errcode.GraphqlValidationFailed, "A subscription selects exactly one field (not __typename).")
	}
	ctx, cancel := context.WithDeadline(auth.WithCaller(c.ctx, c.caller), start.Add(g.opts.RequestTimeout))
	defer cancel()
	topic, err := c.h.o.Watch(ctx, field, args)
	if err != nil {
		var re *resolvers.Error
		if errors.As(err, &re) {
			return nil, []gqlerrors.FormattedError{{Message: re.Error(), Extensions: re.Extensions()}}
		}
		return nil, codeError(errcode.InternalServerError, "Something went wrong on our side.")
	}
	s := &wsSub{id: id, doc: doc, opName: req.OperationName, vars: req.Variables}
	ls, err := c.h.o.Hub.Subscribe(ctx, topic, func(ev models.Event) { c.send(outMsg{sub: s, ev: &ev}) })
	if err != nil {
		c.h.logger.Error("subscriptions: cannot start", "err", err)
		return nil, codeError(errcode.InternalServerError, "Something went wrong on our side.")
	}
	s.live = ls
	return s, nil
}

// rootField is the one field a subscription selects, with its arguments
// (the subscriptions' arguments are strings: a literal or a variable).
func rootField(doc *ast.Document, name string, vars map[string]any) (string, map[string]any, bool) {
	var op *ast.OperationDefinition
	frags := docguard.Fragments{}
	for _, d := range doc.Definitions {
		switch d := d.(type) {
		case *ast.OperationDefinition:
			if (name == "" && op == nil) || (d.Name != nil && d.Name.Value == name) {
				op = d
			}
		case *ast.FragmentDefinition:
			frags[d.Name.Value] = d
		}
	}
	if op == nil {
		return "", nil, false
	}
	var found *ast.Field
	for f := range docguard.Fields(op.SelectionSet, frags) {
		if f.Name.Value == "__typename" || found != nil {
			return "", nil, false
		}
		found = f
	}
	if found == nil {
		return "", nil, false
	}
	defaults := map[string]any{}
	for _, v := range op.VariableDefinitions {
		if s, ok := v.DefaultValue.(*ast.StringValue); ok {
			defaults[v.Variable.Name.Value] = s.Value
		}
	}
	args := map[string]any{}
	for _, a := range found.Arguments {
		switch v := a.Value.(type) {
		case *ast.StringValue:
			args[a.Name.Value] = v.Value
		case *ast.Variable:
			if val, ok := vars[v.Name.Value]; ok {
				args[a.Name.Value] = val
			} else if val, ok := defaults[v.Name.Value]; ok {
				args[a.Name.Value] = val
			}
		}
	}
	return found.Name.Value, args, true
}

func codeError(code errcode.Code, msg string) []gqlerrors.FormattedError {
	return []gqlerrors.FormattedError{{Message: msg, Extensions: map[string]any{"code": string(code)}}}
}

// fail answers a subscribe with one error.
func (c *wsConn) fail(id string, code errcode.Code, msg string) {
	c.sendErrors(id, codeError(code, msg))
}

func (c *wsConn) sendErrors(id string, errs []gqlerrors.FormattedError) {
	b, _ := json.Marshal(errs)
	c.sendJSON(message{ID: id, Type: "error", Payload: b})
}

// kick makes sure a writer runs when there is something to write or the
// connection was killed. Writers come and go: an idle connection keeps no
// goroutine of its own but its reader (a goroutine's stack per idle
// subscriber was a fifth of what 1,000 of them cost).
func (c *wsConn) kick() {
	if c.writing.CompareAndSwap(false, true) {
		go c.drain()
	}
}

func (c *wsConn) isKilled() bool {
	select {
	case <-c.killed:
		return true
	default:
		return false
	}
}

// drain sends the queued messages in order, executing the subscriptions'
// payloads as it goes, and closes the connection once it is killed: after
// the messages queued before that when the kill says so (the shutdown), at
// once otherwise. It is the only writer while it runs.
func (c *wsConn) drain() {
	for {
		for more := true; more; {
			if c.isKilled() && !c.kdrain {
				// Closed for a reason (a slow reader, an expired token):
				// nothing more is sent, payloads least of all.
				c.finish()
				return
			}
			select {
			case m := <-c.out:
				if !c.deliver(m) {
					c.finish()
					return
				}
			default:
				more = false
				c.omu.Lock()
				if len(c.overflow) > 0 {
					m := c.overflow[0]
					if c.overflow = c.overflow[1:]; len(c.overflow) == 0 {
						c.overflow = nil
					}
					c.omu.Unlock()
					if !c.deliver(m) {
						c.finish()
						return
					}
					more = true
				} else {
					c.omu.Unlock()
				}
			}
		}
		if c.isKilled() {
			c.finish()
			return
		}
		c.writing.Store(false)
		// A message or a kill that came after the queue was found empty
		// and before the flag was lowered found a writer running: look
		// again, unless another writer has started since.
		c.omu.Lock()
		empty := len(c.out) == 0 && len(c.overflow) == 0
		c.omu.Unlock()
		if (empty && !c.isKilled()) || !c.writing.CompareAndSwap(false, true) {
			return
		}
	}
}

// finish closes the connection; no writer runs after it (writing stays
// raised).
func (c *wsConn) finish() {
	c.close()
	close(c.closed)
}

// keepAlive pings every KeepAlive, and closes a connection that has sent
// nothing for twice as long.
func (c *wsConn) keepAlive(t *time.Timer) {
	if c.isKilled() {
		return
	}
	if time.Since(time.Unix(0, c.lastRead.Load())) > 2*c.h.o.KeepAlive {
		c.kill(CloseTimeout, "Keep-alive timeout: no pong.", false)
		return
	}
	c.send(outMsg{raw: []byte(`{"type":"ping"}`), typ: "ping"})
	t.Reset(c.h.o.KeepAlive)
}

// close ends the connection with the code it was killed with (normal
// closure otherwise).
func (c *wsConn) close() {
	code, reason := websocket.StatusNormalClosure, ""
	select {
	case <-c.killed:
		code, reason = c.kcode, c.kreason
	default:
	}
	c.h.closes.WithLabelValues(fmt.Sprint(int(code))).Inc()
	_ = c.ws.Close(code, reason)
}

// deliver sends m; false once the connection is broken.
func (c *wsConn) deliver(m outMsg) bool {
	if m.raw != nil {
		return c.writeRaw(m.raw, m.typ)
	}
	if m.sub.ended.Load() {
		return true
	}
	raw, typ, end := c.execute(m.sub, *m.ev)
	if end {
		c.mu.Lock()
		if c.subs != nil && c.subs[m.sub.id] == m.sub {
			delete(c.subs, m.sub.id)
		}
		c.end(m.sub)
		c.mu.Unlock()
	}
	return c.writeRaw(raw, typ)
}

// writeTimeout bounds one message's write: a client that takes nothing
// for that long is gone.
const writeTimeout = 10 * time.Second

func (c *wsConn) writeRaw(b []byte, typ string) bool {
	ctx, cancel := context.WithTimeout(c.ctx, writeTimeout)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		return false
	}
	c.progress.Store(time.Now().UnixNano())
	c.h.messages.WithLabelValues(typ).Inc()
	return true
}

// endingCodes end a subscription: its subject is gone, or no longer the
// caller's to read.
var endingCodes = map[string]bool{string(errcode.NotFound): true, string(errcode.Forbidden): true, string(errcode.Unauthenticated): true}

// fresh is ctx reading what ev changed as it is now.
func (c *wsConn) fresh(ctx context.Context, ev models.Event) context.Context {
	if c.h.o.Fresh == nil {
		return ctx
	}
	return c.h.o.Fresh(ctx, strconv.FormatInt(ev.ID, 10))
}

// execute runs s's selection for ev, as its caller: a next message, or an
// error message that ends it when the subject can no longer be read.
func (c *wsConn) execute(s *wsSub, ev models.Event) (raw []byte, typ string, end bool) {
	g := c.h.gql
	ctx, cancel := context.WithTimeout(auth.WithCaller(c.ctx, c.caller), g.opts.RequestTimeout)
	defer cancel()
	budget := resolvers.NewResponseBudget(models.CostLimit(c.caller, g.opts.MaxResponseBytes, g.opts.AdminMaxResponseBytes))
	res := graphql.Execute(graphql.ExecuteParams{
		Schema:        g.opts.Schema,
		AST:           s.doc.ast,
		OperationName: s.opName,
		Args:          s.vars,
		Root:          budget,
		Context:       g.opts.Prepare(resolvers.WithLiveEvent(c.fresh(ctx, ev), ev)),
	})
	if budget.Exceeded() {
		err := budget.Err()
		res = &graphql.Result{Errors: []gqlerrors.FormattedError{{Message: err.Error(), Extensions: err.Extensions()}}}
	}
	res.Errors = g.codeErrors(ctx, s.doc.loc.Relocate(res.Errors))
	if res.Data == nil && len(res.Errors) > 0 {
		if code, _ := res.Errors[0].Extensions["code"].(string); endingCodes[code] {
			b, _ := json.Marshal(res.Errors)
			raw, _ = json.Marshal(message{ID: s.id, Type: "error", Payload: b})
			return raw, "error", true
		}
	}
	b, _ := json.Marshal(res)
	raw, _ = json.Marshal(message{ID: s.id, Type: "next", Payload: b})
	return raw, "next", false
}
