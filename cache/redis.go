package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a Backend on a Redis server. Each call has its own short timeout
// and no retries, and after a failure the backend rests for a moment, so a
// dead or slow Redis costs reads at most one timeout per rest period.
type Redis struct {
	client  *redis.Client
	prefix  string
	timeout time.Duration
	rest    time.Duration
	downTil atomic.Int64 // unix nanos until which calls are skipped
}

// ErrResting is returned while the backend skips Redis after a failure.
var ErrResting = errors.New("redis: skipped after a recent failure")

// NewRedis connects lazily to url (redis:// or rediss://). Keys are prefixed
// with prefix, so several services or test runs can share one server.
func NewRedis(url, prefix string, timeout time.Duration) (*Redis, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("parse REDIS_URL: %w", err)
	}
	// go-redis' defaults (5 s dial, 3 retries with back-off) would hold a
	// request for seconds when Redis is down; a cache must fail fast.
	opt.DialTimeout = timeout
	opt.ReadTimeout = timeout
	opt.WriteTimeout = timeout
	opt.PoolTimeout = timeout
	opt.MaxRetries = -1
	opt.ContextTimeoutEnabled = true
	if opt.ClientName == "" {
		// Shown by CLIENT LIST, so an operator can tell shop's
		// connections (and one deployment's from another's) apart.
		opt.ClientName = strings.TrimSuffix(prefix, ":")
	}
	return &Redis{client: redis.NewClient(opt), prefix: prefix, timeout: timeout, rest: time.Second}, nil
}

func (r *Redis) Kind() string { return "Redis" }

func (r *Redis) Close() error { return r.client.Close() }

func (r *Redis) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	err := r.client.Ping(ctx).Err()
	r.note(err)
	return err
}

func (r *Redis) MGet(ctx context.Context, keys ...string) ([][]byte, error) {
	if time.Now().UnixNano() < r.downTil.Load() {
		return nil, ErrResting
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = r.prefix + k
	}
	vals, err := r.client.MGet(ctx, full...).Result()
	r.note(err)
	if err != nil {
		return nil, fmt.Errorf("redis MGET: %w", err)
	}
	out := make([][]byte, len(keys))
	for i, v := range vals {
		if s, ok := v.(string); ok {
			out[i] = []byte(s)
		}
	}
	return out, nil
}

// MSet writes even while resting: it carries invalidations, which must
// reach Redis whenever it answers.
func (r *Redis) MSet(ctx context.Context, pairs map[string][]byte, ttl time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for k, v := range pairs {
			p.Set(ctx, r.prefix+k, v, ttl)
		}
		return nil
	})
	r.note(err)
	if err != nil {
		return fmt.Errorf("redis SET: %w", err)
	}
	return nil
}

func (r *Redis) note(err error) {
	if err != nil && !errors.Is(err, redis.Nil) && !errors.Is(err, context.Canceled) {
		r.downTil.Store(time.Now().Add(r.rest).UnixNano())
	}
}

// RouteRedisLogs sends go-redis' own messages (reconnects, dial failures)
// to logger at debug level instead of its default stderr printer. go-redis
// keeps one logger per process, so this is process-wide.
func RouteRedisLogs(logger *slog.Logger) {
	redis.SetLogger(redisLog{logger})
}

type redisLog struct{ logger *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.logger.DebugContext(ctx, "redis: "+fmt.Sprintf(format, v...))
}

// invalidationChannel carries the new version stamps of every write to the
// other instances' local tiers.
func (r *Redis) invalidationChannel() string { return r.prefix + "invalidations" }

// SetAndPublish writes version stamps and then tells every subscribed
// instance about them, pipelined into one round trip; Redis runs the
// commands in order, so a subscriber that reacts can already read them.
func (r *Redis) SetAndPublish(ctx context.Context, pairs map[string][]byte, payload []byte) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for k, v := range pairs {
			p.Set(ctx, r.prefix+k, v, 0)
		}
		p.Publish(ctx, r.invalidationChannel(), payload)
		return nil
	})
	r.note(err)
	if err != nil {
		return fmt.Errorf("redis SET+PUBLISH: %w", err)
	}
	return nil
}

// Subscribe delivers invalidation messages to onMessage until ctx ends.
// onReset is called whenever messages may have been missed: on every
// (re)subscription and after a connection error.
func (r *Redis) Subscribe(ctx context.Context, onMessage func([]byte), onReset func()) {
	ps := r.client.Subscribe(ctx, r.invalidationChannel())
	go func() {
		defer ps.Close()
		for {
			msg, err := ps.Receive(ctx)
			if ctx.Err() != nil {
				return
			}
			switch m := msg.(type) {
			case *redis.Subscription:
				onReset()
			case *redis.Message:
				onMessage([]byte(m.Payload))
			}
			if err != nil {
				onReset()
				// go-redis reconnects on the next Receive; wait a little
				// so a dead Redis is not polled in a tight loop.
				select {
				case <-ctx.Done():
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
		}
	}()
}
