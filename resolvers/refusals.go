package resolvers

import (
	"context"
	"sync"

	"shop/errcode"
	"shop/models"
)

type refusalsKey struct{}

// refusals remembers, for one request, which refusals it has reported.
type refusals struct {
	mu   sync.Mutex
	seen map[string]bool
}

// refused reports whether err is a refusal of who the caller is (a sign-in
// missing, or a role that may not act), not of what it sent.
func refused(err error) bool {
	code := models.ErrorCode(err)
	return code == errcode.Unauthenticated || code == errcode.Forbidden
}

// refusedBefore reports whether this request was already refused what; the
// first call records it.
func refusedBefore(ctx context.Context, what string) bool {
	rs, ok := ctx.Value(refusalsKey{}).(*refusals)
	if !ok {
		return false
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.seen[what] {
		return true
	}
	rs.seen[what] = true
	return false
}
