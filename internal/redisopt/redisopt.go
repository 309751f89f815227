// Package redisopt holds the one way shop connects to Redis: every call
// fails fast, with no retries, so that a dead or slow Redis costs a request
// at most one short timeout and the caller's fallback (the database for the
// cache, in-process counting for rate limits) takes over.
package redisopt

import (
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Options parses url (redis:// or rediss://) into client options where
// dialing, reading, writing and waiting for a connection each take at most
// timeout. name, after the key prefix, tells shop's connections apart in
// CLIENT LIST (and one deployment's from another's).
func Options(url, prefix, name string, timeout time.Duration) (*redis.Options, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("parse REDIS_URL: %w", err)
	}
	// go-redis' defaults (5 s dial, 3 retries with back-off, 5 dials per
	// call) would hold a request for seconds when Redis is down.
	opt.DialTimeout = timeout
	opt.ReadTimeout = timeout
	opt.WriteTimeout = timeout
	opt.PoolTimeout = timeout
	opt.MaxRetries = -1
	opt.DialerRetries = 1
	opt.ContextTimeoutEnabled = true
	if opt.ClientName == "" {
		opt.ClientName = strings.TrimSuffix(prefix, ":") + name
	}
	return opt, nil
}
