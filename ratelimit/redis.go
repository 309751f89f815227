package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"shop/internal/redisopt"
)

// Redis is where limiters share their counts. It logs once when Redis
// stops answering (limits are then counted in each process) and once when
// it answers again, never once per request.
type Redis struct {
	client  *redis.Client
	prefix  string
	timeout time.Duration
	logger  *slog.Logger
	down    atomic.Bool

	stop    context.CancelFunc
	ctx     context.Context
	flushes sync.WaitGroup
}

// NewRedis connects lazily to url (redis:// or rediss://). Keys start with
// prefix + "ratelimit:". Every call waits at most timeout.
func NewRedis(url, prefix string, timeout time.Duration, logger *slog.Logger) (*Redis, error) {
	// As in the cache: fail fast; the in-process count takes over while
	// Redis is away.
	opt, err := redisopt.Options(url, prefix, "-ratelimit", timeout)
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ctx, stop := context.WithCancel(context.Background())
	return &Redis{client: redis.NewClient(opt), prefix: prefix + "ratelimit:", timeout: timeout, logger: logger, ctx: ctx, stop: stop}, nil
}

// Close stops the batched limiters' flushes and closes the connections.
func (r *Redis) Close() error {
	r.stop()
	r.flushes.Wait()
	return r.client.Close()
}

// start flushes b every interval until Close.
func (r *Redis) start(b *batched, every time.Duration) {
	r.flushes.Add(1)
	go func() {
		defer r.flushes.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-r.ctx.Done():
				return
			case <-t.C:
				_ = b.Flush(r.ctx) // reported through r.report
			}
		}
	}()
}

// report notes the outcome of a call to Redis, logging only changes.
func (r *Redis) report(err error) {
	if err != nil && !errors.Is(err, context.Canceled) {
		if r.down.CompareAndSwap(false, true) {
			r.logger.Warn("rate limits: Redis is not answering; each instance counts on its own until it does", "err", err)
		}
		return
	}
	if err == nil && r.down.CompareAndSwap(true, false) {
		r.logger.Info("rate limits: Redis answers again; counts are shared between instances")
	}
}

// fallback hears httprate-redis' counter switch to and from its in-process
// fallback; the switch to it was reported already through OnError.
func (r *Redis) fallback(on bool) {
	if !on {
		r.report(nil)
	}
}

// Eviction is what Redis does when its memory is full.
type Eviction struct {
	// Policy is maxmemory-policy: noeviction, volatile-lru, allkeys-lru…
	Policy string
	// MaxMemory is maxmemory in bytes; 0 is no bound, so nothing is evicted.
	MaxMemory int64
}

// Evicts reports whether Redis may drop keys with a TTL, as every rate-limit
// counter has, when something else fills it.
func (e Eviction) Evicts() bool {
	return e.MaxMemory > 0 && (strings.HasPrefix(e.Policy, "volatile-") || strings.HasPrefix(e.Policy, "allkeys-"))
}

// Eviction reads Redis' eviction settings: from INFO memory, which managed
// Redis services usually answer, else from CONFIG GET, which some refuse.
func (r *Redis) Eviction(ctx context.Context) (Eviction, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	info, err := r.client.Info(ctx, "memory").Result()
	if err == nil {
		var e Eviction
		var seen int
		for _, line := range strings.Split(info, "\n") {
			k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
			switch k {
			case "maxmemory_policy":
				e.Policy, seen = v, seen+1
			case "maxmemory":
				if n, perr := strconv.ParseInt(v, 10, 64); perr == nil {
					e.MaxMemory, seen = n, seen+1
				}
			}
		}
		if seen == 2 {
			return e, nil
		}
		err = errors.New("INFO memory has no maxmemory or maxmemory_policy")
	}
	cfg, cerr := r.client.ConfigGet(ctx, "maxmemory*").Result()
	if cerr != nil {
		return Eviction{}, fmt.Errorf("INFO memory: %w; CONFIG GET: %w", err, cerr)
	}
	n, perr := strconv.ParseInt(cfg["maxmemory"], 10, 64)
	if perr != nil || cfg["maxmemory-policy"] == "" {
		return Eviction{}, fmt.Errorf("INFO memory: %w; CONFIG GET maxmemory*: %v", err, cfg)
	}
	return Eviction{Policy: cfg["maxmemory-policy"], MaxMemory: n}, nil
}
