package ratelimit

import (
	"context"
	"log/slog"
	"time"
)

// Limits are shop's allowances; 0 turns one off.
type Limits struct {
	// Requests and UserRequests bound every /graphql request per client
	// IP and per signed-in user, per minute.
	Requests, UserRequests int
	// Auth bounds login, register and refreshToken per client IP, per minute.
	Auth int
	// GuestCheckout bounds guests' checkoutComplete per client IP, per
	// minute.
	GuestCheckout int
	// LoginEmail bounds login attempts per email and client IP, per 15
	// minutes; LoginEmailSpread (times) that many from all addresses
	// together (password guessing spread over many IPs).
	LoginEmail int
	// LoginDevice bounds login attempts per device, per 15 minutes: those
	// that carry a valid device token for the account tried, which count
	// here instead of under LoginEmail.
	LoginDevice int
	// PasswordReset bounds password-reset and verification emails per
	// email, per hour.
	PasswordReset int
	// IPv6Per48, when above 0, gives each IPv6 /48 that many times a
	// /64's allowance of Requests, Auth and GuestCheckout, on top of each /64's own: one
	// allocation can't mint 65,536 allowances. 0 counts /64s only.
	IPv6Per48 int
}

// LoginEmailSpread is how many times an email's per-address login allowance
// all addresses together get: enough that one guesser can't lock the owner
// out, few enough that many can't guess for long.
const LoginEmailSpread = 10

// flushEvery is how often the per-request limiters share their counts: the
// lag within which instances agree, against one pipelined round trip per
// instance per tick.
const flushEvery = 100 * time.Millisecond

// Set is every limiter shop uses. Any of them is nil when switched off.
type Set struct {
	IP, User *Limiter // every /graphql request
	// AuthIP, LoginEmailAtIP and LoginEmail are for the account service
	// (auth.Limiter): keyed by client IP, by email and IP, and by email.
	AuthIP, LoginEmailAtIP, LoginEmail *Limiter
	// LoginDevice is the account service's too, keyed by device id.
	LoginDevice *Limiter
	// GuestCheckoutIP is the checkout service's, keyed by client IP.
	GuestCheckoutIP *Limiter
	// ResetEmail is the account service's, for reset and verification
	// emails, keyed by email.
	ResetEmail *Limiter
	redis      *Redis
}

// New builds the limiters: shared through Redis at redisURL (with the key
// prefix and per-call timeout of the cache), or in process when redisURL is
// empty.
func New(redisURL, prefix string, timeout time.Duration, l Limits, logger *slog.Logger) (*Set, error) {
	var r *Redis
	if redisURL != "" {
		var err error
		if r, err = NewRedis(redisURL, prefix, timeout, logger); err != nil {
			return nil, err
		}
	}
	// per48 is limit for a whole /48; 0 (off) when either is.
	per48 := func(limit int) int { return limit * max(l.IPv6Per48, 0) }
	return &Set{
		IP: Batched(r, Allowance{Name: "ip", Limit: l.Requests, Window: time.Minute, Key: ByIP}, flushEvery).
			Widen(Batched(r, Allowance{Name: "ip48", Limit: per48(l.Requests), Window: time.Minute, Key: By48}, flushEvery)),
		User: Batched(r, Allowance{Name: "user", Limit: l.UserRequests, Window: time.Minute}, flushEvery),
		AuthIP: Exact(r, Allowance{Name: "auth-ip", Limit: l.Auth, Window: time.Minute, Key: ByIP}).
			Widen(Exact(r, Allowance{Name: "auth-ip48", Limit: per48(l.Auth), Window: time.Minute, Key: By48})),
		LoginEmailAtIP: Exact(r, Allowance{Name: "login-email-ip", Limit: l.LoginEmail, Window: 15 * time.Minute, Key: ByEmailAtIP}),
		LoginEmail:     Exact(r, Allowance{Name: "login-email", Limit: l.LoginEmail * LoginEmailSpread, Window: 15 * time.Minute, Key: ByEmail}),
		LoginDevice:    Exact(r, Allowance{Name: "login-device", Limit: l.LoginDevice, Window: 15 * time.Minute}),
		GuestCheckoutIP: Exact(r, Allowance{Name: "guest-checkout-ip", Limit: l.GuestCheckout, Window: time.Minute, Key: ByIP}).
			Widen(Exact(r, Allowance{Name: "guest-checkout-ip48", Limit: per48(l.GuestCheckout), Window: time.Minute, Key: By48})),
		ResetEmail: Exact(r, Allowance{Name: "reset-email", Limit: l.PasswordReset, Window: time.Hour, Key: ByEmail}),
		redis:      r,
	}, nil
}

// CheckEviction logs, once at start, when Redis may evict the rate-limit
// counters to make room for the cache: the sign-in limits then hold per
// instance (see Exact), the shared count only while nothing is evicted.
// A Redis that answers neither INFO nor CONFIG GET is logged at info: the
// limits hold per instance all the same.
func (s *Set) CheckEviction(ctx context.Context) {
	if s.redis == nil {
		return
	}
	e, err := s.redis.Eviction(ctx)
	switch {
	case err != nil:
		s.redis.logger.Info("rate limits: could not read Redis' maxmemory-policy; sign-in limits also count in each instance, so evicted counters allow at most the limit per instance", "err", err)
	case e.Evicts():
		s.redis.logger.Warn("rate limits: Redis evicts keys with a TTL when full, and a flood of cached responses can evict the sign-in counters: each instance still refuses past the limit, so all together allow at most the limit times the number of instances (docs/operations.md, Rate limits)", "maxmemory_policy", e.Policy, "maxmemory", e.MaxMemory)
	}
}

// Close stops sharing counts and closes the Redis connections.
func (s *Set) Close() error {
	if s.redis == nil {
		return nil
	}
	return s.redis.Close()
}
