package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"shop/models"
)

// SenderStore is what senders need of the database.
type SenderStore interface {
	ClaimWebhookDeliveries(ctx context.Context, lease time.Duration, limit int) ([]models.WebhookClaim, error)
	RecordWebhookAttempt(ctx context.Context, a models.WebhookAttempt,
		onFailure func(models.WebhookEndpoint) (models.WebhookEndpoint, bool)) error
}

// Sender claims due deliveries and sends them, on every instance.
type Sender struct {
	Store  SenderStore
	Client *http.Client
	Retry  models.WebhookRetry
	// DisableAfter: an endpoint failing this long is disabled.
	DisableAfter time.Duration
	// Lease is how long a claim holds a delivery: longer than the
	// client's timeout, so a live sender always records first.
	Lease time.Duration
	// Every is how often an idle sender looks for due deliveries.
	Every time.Duration
	// Concurrency is how many deliveries one sender sends at once.
	Concurrency int
	Logger      *slog.Logger
	// Wake, when not nil, makes an idle sender look at once: the outbox
	// consumer's After signals it once deliveries are queued on this
	// instance, so a webhook leaves within the outbox's poll rather than
	// this one's.
	Wake <-chan struct{}

	delivered atomic.Uint64
	failed    atomic.Uint64
}

// Delivered and Failed count this sender's attempts, for metrics.
func (s *Sender) Delivered() uint64 { return s.delivered.Load() }
func (s *Sender) Failed() uint64    { return s.failed.Load() }

// Run sends until ctx ends. Up to Concurrency deliveries are under way at
// once, and a slot freed is refilled at once (a slow endpoint holds its
// own slots, not a whole batch). When ctx ends, requests under way are
// cancelled and recorded as failed attempts, due again at once, before
// Run returns.
func (s *Sender) Run(ctx context.Context) {
	t := time.NewTicker(s.Every)
	defer t.Stop()
	slots := make(chan struct{}, max(s.Concurrency, 1))
	freed := make(chan struct{}, 1)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		free := cap(slots) - len(slots)
		claimed := 0
		if free > 0 && ctx.Err() == nil {
			claims, err := s.Store.ClaimWebhookDeliveries(ctx, s.Lease, free)
			if err != nil && ctx.Err() == nil {
				s.Logger.Warn("webhooks: cannot claim deliveries", "err", err)
			}
			claimed = len(claims)
			for _, c := range claims {
				slots <- struct{}{}
				wg.Add(1)
				go func() {
					defer wg.Done()
					s.attempt(ctx, c)
					<-slots
					select {
					case freed <- struct{}{}:
					default:
					}
				}()
			}
		}
		if claimed > 0 && claimed == free {
			continue // there may be more due
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-freed:
		case <-s.Wake:
		}
	}
}

// Pass claims one batch of due deliveries and sends them, in parallel,
// returning how many it claimed.
func (s *Sender) Pass(ctx context.Context) int {
	claims, err := s.Store.ClaimWebhookDeliveries(ctx, s.Lease, max(s.Concurrency, 1))
	if err != nil {
		if ctx.Err() == nil {
			s.Logger.Warn("webhooks: cannot claim deliveries", "err", err)
		}
		return 0
	}
	var wg sync.WaitGroup
	for _, c := range claims {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.attempt(ctx, c)
		}()
	}
	wg.Wait()
	return len(claims)
}

// attempt sends one delivery and records the outcome.
func (s *Sender) attempt(ctx context.Context, c models.WebhookClaim) {
	status, err := s.send(ctx, c)
	now := time.Now()
	a := models.WebhookAttempt{Claim: c, At: now, Delivered: err == nil}
	if status > 0 {
		a.ResponseStatus = &status
	}
	// Recorded whatever happens to ctx: an attempt cut by the shutdown is
	// due again at once, on another instance or this one restarted.
	stopped := ctx.Err() != nil
	ctx = context.WithoutCancel(ctx)
	if err != nil {
		s.failed.Add(1)
		a.Error = err.Error()
		a.NextAttemptAt = s.Retry.Next(c.CreatedAt, now, c.Attempts+1, rand.Float64())
		if stopped {
			a.Error, a.NextAttemptAt = "the sender stopped (instance shutting down) during the request", &now
		}
		s.Logger.Info("webhooks: delivery failed", "delivery", c.ID, "endpoint", c.EndpointID, "attempt", c.Attempts+1, "err", err,
			"retry", a.NextAttemptAt != nil)
	} else {
		s.delivered.Add(1)
	}
	err = s.Store.RecordWebhookAttempt(ctx, a, func(ep models.WebhookEndpoint) (models.WebhookEndpoint, bool) {
		if stopped {
			return ep, false // not the endpoint's failure
		}
		after, disabled := models.EndpointAfterFailure(ep, now, s.DisableAfter)
		if disabled {
			s.Logger.Warn("webhooks: endpoint disabled after failing", "endpoint", ep.ID, "since", after.FailingSince)
		}
		return after, disabled
	})
	switch {
	case errors.Is(err, models.ErrLeaseLost):
		s.Logger.Warn("webhooks: a delivery's lease ran out before its attempt was recorded; another sender took it over", "delivery", c.ID)
	case err != nil:
		// The lease runs out and another attempt follows: at least once.
		s.Logger.Warn("webhooks: cannot record an attempt", "delivery", c.ID, "err", err)
	}
}

// maxResponseBytes is the most of a response body read.
const maxResponseBytes = 64 << 10

// send posts the delivery, signed; a 2xx answer is success. It returns
// the response's status, when there was one.
func (s *Sender) send(ctx context.Context, c models.WebhookClaim) (int, error) {
	wh, err := standardwebhooks.NewWebhook(c.Secret)
	if err != nil {
		return 0, fmt.Errorf("the endpoint's secret: %w", err)
	}
	body := []byte(c.Payload)
	ts := time.Now()
	sig, err := wh.Sign(c.EventID, ts, body)
	if err != nil {
		return 0, fmt.Errorf("sign: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "shop-webhooks/1")
	req.Header.Set(standardwebhooks.HeaderWebhookID, c.EventID)
	req.Header.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set(standardwebhooks.HeaderWebhookSignature, sig)
	resp, err := s.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, nil
	}
	msg := fmt.Sprintf("HTTP %d", resp.StatusCode)
	if loc := resp.Header.Get("Location"); loc != "" && resp.StatusCode >= 300 && resp.StatusCode < 400 {
		msg += " (redirects are not followed: " + models.Truncate(loc, 200) + ")"
	} else if len(head) > 0 {
		msg += ": " + models.Truncate(string(head), 300)
	}
	return resp.StatusCode, errors.New(msg)
}

// NewClient is the senders' HTTP client: timeout for the whole exchange,
// no redirects followed (a 3xx is a failure: a receiver could otherwise
// send the signed request anywhere), and, unless allowPrivate, a dialer
// that refuses every forbidden address (models.ForbiddenAddr) at connect
// time, after DNS, so a name that resolved to a public address when the
// endpoint was saved cannot be switched to an internal one (DNS
// rebinding). No proxy from the environment: it would connect for us.
func NewClient(timeout time.Duration, allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = refuseForbidden
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// ErrForbiddenAddress is the dialer's refusal.
var ErrForbiddenAddress = errors.New("webhooks may not connect to this address")

// refuseForbidden is the dialer's Control: it runs for every address the
// dialer is about to connect to, the resolved one.
func refuseForbidden(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, address)
	}
	if why := models.ForbiddenAddr(ap.Addr()); why != "" {
		return fmt.Errorf("%w: %s is a %s address", ErrForbiddenAddress, ap.Addr(), why)
	}
	return nil
}
