// Package auth proves who a caller is: passwords, access and refresh
// tokens, and the caller carried in a request's context.
package auth

import (
	"context"
	"time"

	"shop/models"
)

type callerKey struct{}

// WithCaller returns ctx carrying the request's caller.
func WithCaller(ctx context.Context, c models.Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller in ctx; anonymous when there is none.
func CallerFrom(ctx context.Context) models.Caller {
	c, _ := ctx.Value(callerKey{}).(models.Caller)
	return c
}

// Limiter allows or refuses one more attempt under key (login attempts per
// email, for instance), shared by every instance where it can be.
type Limiter interface {
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration)
}
