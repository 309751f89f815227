package server

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"shop/errcode"
	"shop/models"
	"shop/ratelimit"
)

// InFlightLimits bound the /graphql requests this instance holds at once.
// A request is held from the moment it is admitted until its handler has
// written the whole response, so a client that sends requests and never
// reads their answers holds a response buffer (up to MAX_RESPONSE_BYTES)
// per request: counted in process, because the memory is this process's.
// A zero field is no limit.
type InFlightLimits struct {
	// PerIP is the most one client address holds (IPv6 by /64, as the
	// per-IP rate limit keys them): past it, 429 TOO_MANY_IN_FLIGHT.
	PerIP int
	// PerIPv6Per48 is the most one IPv6 /48 holds, all its /64s together.
	PerIPv6Per48 int
	// Total is the most the instance holds from everyone. A request past
	// it waits up to Wait for one to end (a burst of honest clients
	// queues briefly instead of failing), then gets 503 OVERLOADED. It
	// waits within its own client's count, so one client cannot queue
	// more than PerIP.
	Total int
	Wait  time.Duration
}

// inFlight counts the requests held, per client key and in all.
type inFlight struct {
	lim     InFlightLimits
	mu      sync.Mutex
	total   int
	waiting int
	byIP    map[string]int
	by48    map[string]int
	// slots holds a token per request held, when Total bounds them.
	slots chan struct{}
}

func newInFlight(lim InFlightLimits, reg prometheus.Registerer) *inFlight {
	f := &inFlight{lim: lim, byIP: map[string]int{}, by48: map[string]int{}}
	if lim.Total > 0 {
		f.slots = make(chan struct{}, lim.Total)
	}
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "shop_graphql_requests_in_flight", Help: "GraphQL requests held by this instance: admitted and not yet wholly written (bounded by MAX_IN_FLIGHT).",
		}, func() float64 { t, _ := f.held(); return float64(t) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "shop_graphql_clients_in_flight", Help: "Client addresses (IPv6 /64s) with GraphQL requests held by this instance.",
		}, func() float64 { _, c := f.held(); return float64(c) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "shop_graphql_requests_waiting", Help: "GraphQL requests waiting for one held to end (MAX_IN_FLIGHT reached; at most MAX_IN_FLIGHT_WAIT each).",
		}, func() float64 { f.mu.Lock(); defer f.mu.Unlock(); return float64(f.waiting) }),
	)
	return f
}

// held reports the requests held and the client keys holding them.
func (f *inFlight) held() (requests, clients int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.total, len(f.byIP)
}

// admitClient counts one more request from ip, or says which limit
// refuses it (status, code, and the maximum). The instance's slot is
// taken apart (takeSlot), once the request's body has arrived.
func (f *inFlight) admitClient(ip string) (k64, k48 string, status int, code models.Code, maxHeld int) {
	k64, k48 = ratelimit.ByIP(ip), ratelimit.By48(ip)
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.lim.PerIP > 0 && f.byIP[k64] >= f.lim.PerIP:
		return "", "", http.StatusTooManyRequests, errcode.TooManyInFlight, f.lim.PerIP
	case f.lim.PerIPv6Per48 > 0 && k48 != "" && f.by48[k48] >= f.lim.PerIPv6Per48:
		return "", "", http.StatusTooManyRequests, errcode.TooManyInFlight, f.lim.PerIPv6Per48
	}
	f.byIP[k64]++
	if k48 != "" {
		f.by48[k48]++
	}
	return k64, k48, 0, "", 0
}

// takeSlot takes one of the instance's Total slots, waiting up to Wait.
func (f *inFlight) takeSlot(ctx context.Context) bool {
	if f.slots == nil {
		f.count(1, 0)
		return true
	}
	select {
	case f.slots <- struct{}{}:
		f.count(1, 0)
		return true
	default:
	}
	if f.lim.Wait <= 0 {
		return false
	}
	f.count(0, 1)
	defer f.count(0, -1)
	t := time.NewTimer(f.lim.Wait)
	defer t.Stop()
	select {
	case f.slots <- struct{}{}:
		f.count(1, 0)
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	return false
}

func (f *inFlight) count(held, waiting int) {
	f.mu.Lock()
	f.total += held
	f.waiting += waiting
	f.mu.Unlock()
}

// release gives back a client's count and, when it held one, a slot.
func (f *inFlight) release(k64, k48 string, slot bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if slot {
		f.total--
		if f.slots != nil {
			<-f.slots
		}
	}
	// Keys leave the maps at zero, so a stream of addresses leaves no
	// trace once its requests end.
	if f.byIP[k64]--; f.byIP[k64] <= 0 {
		delete(f.byIP, k64)
	}
	if k48 != "" {
		if f.by48[k48]--; f.by48[k48] <= 0 {
			delete(f.by48, k48)
		}
	}
}

// limitInFlight refuses a request at once, without reading its body, when
// its client already holds as many as allowed. The body is then read
// (at most maxBody and one byte: the handler judges the size) before the
// instance's slot is taken, so a client that sends its body slowly holds
// only its own address's count: 32 connections from 4 addresses, each
// sending a few bytes of a 100 KB body, took every slot of the instance
// and every other client got OVERLOADED. The counts are released when the
// handler returns, panics included.
func limitInFlight(f *inFlight, maxBody int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if f.lim == (InFlightLimits{}) {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			k64, k48, status, code, maxHeld := f.admitClient(ipKey(r))
			if status != 0 {
				writeInFlightRefusal(w, status, code, maxHeld)
				return
			}
			slot := false
			defer func() { f.release(k64, k48, slot) }()
			if r.Method == http.MethodPost && r.Body != nil && maxBody > 0 {
				body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
				if err != nil {
					writeError(w, http.StatusBadRequest, errcode.BadRequest, "The request body could not be read.")
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(body))
			}
			if !f.takeSlot(r.Context()) {
				writeInFlightRefusal(w, http.StatusServiceUnavailable, errcode.Overloaded, f.lim.Total)
				return
			}
			slot = true
			next.ServeHTTP(w, r)
		})
	}
}

// writeInFlightRefusal answers a request refused for what is held: it can
// be sent again as soon as one of them ends, hence Retry-After: 1.
func writeInFlightRefusal(w http.ResponseWriter, status int, code models.Code, maxHeld int) {
	msg := "Too many requests in flight from your address: " + strconv.Itoa(maxHeld+1) + " with this one, at most " + strconv.Itoa(maxHeld) + ". Read the answers you are sent, or wait for one before sending another."
	if code == errcode.Overloaded {
		msg = "The server is answering as many requests as it can (" + strconv.Itoa(maxHeld) + "): try again in a second."
	}
	w.Header().Set("Retry-After", "1")
	writeErrorWith(w, status, code, msg, map[string]any{"value": maxHeld + 1, "max": maxHeld, "retryAfter": 1})
}

// stallWrites cuts a client that stops reading: each write of a response
// (split into writeChunk pieces) must be taken by the client within stall,
// and all of them within writeTimeout of the request's start (the
// server's WriteTimeout, which a steady trickle would otherwise stretch).
// Without it a response waits for the whole WriteTimeout, its buffer held.
func stallWrites(stall, writeTimeout time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if stall <= 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var end time.Time
			if writeTimeout > 0 {
				end = time.Now().Add(writeTimeout)
			}
			sw := &stallWriter{ResponseWriter: w, rc: http.NewResponseController(w), stall: stall, end: end}
			next.ServeHTTP(sw, r)
			if sw.set {
				// What is left is written after the handler returns, and
				// the connection may serve another request: the server's
				// own deadline again (none when it has no WriteTimeout).
				_ = sw.rc.SetWriteDeadline(end)
			}
		})
	}
}

// writeChunk is how much a stalled client's write deadline is renewed for:
// a client must take 64 KiB per RESPONSE_STALL_TIMEOUT.
const writeChunk = 64 << 10

type stallWriter struct {
	http.ResponseWriter
	rc    *http.ResponseController
	stall time.Duration
	end   time.Time
	set   bool
}

func (s *stallWriter) Write(b []byte) (int, error) {
	written := 0
	for len(b) > 0 {
		c := b[:min(len(b), writeChunk)]
		d := time.Now().Add(s.stall)
		if !s.end.IsZero() && d.After(s.end) {
			d = s.end
		}
		// ErrNotSupported (a writer that hides the connection) leaves the
		// server's WriteTimeout in charge.
		if s.rc.SetWriteDeadline(d) == nil {
			s.set = true
		}
		n, err := s.ResponseWriter.Write(c)
		written += n
		if err != nil {
			return written, err
		}
		b = b[len(c):]
	}
	return written, nil
}

func (s *stallWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
