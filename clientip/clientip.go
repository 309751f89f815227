// Package clientip carries the address a request came from, as the server
// decided it (the connection, or X-Forwarded-For from a trusted proxy), so
// rate limits deep in a request key on the same address.
package clientip

import "context"

type key struct{}

// With returns ctx carrying ip.
func With(ctx context.Context, ip string) context.Context { return context.WithValue(ctx, key{}, ip) }

// From returns the client's address in ctx, or "".
func From(ctx context.Context) string {
	ip, _ := ctx.Value(key{}).(string)
	return ip
}
