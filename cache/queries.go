package cache

import (
	"context"
	"log/slog"
	"time"
)

// Queries keeps automatic persisted queries in the cache backend, so a hash
// registered on one instance is known to every instance sharing the Redis.
// Losing one costs a client a retry with the full query, nothing more.
type Queries struct {
	backend Backend
	ttl     time.Duration
	logger  *slog.Logger
}

// NewQueries keeps persisted queries in backend for ttl.
func NewQueries(backend Backend, ttl time.Duration, logger *slog.Logger) *Queries {
	return &Queries{backend: backend, ttl: ttl, logger: logger}
}

func queryKey(hash string) string { return "apq:" + hash }

func (q *Queries) GetQuery(ctx context.Context, hash string) (string, bool) {
	vals, err := q.backend.MGet(ctx, queryKey(hash))
	if err != nil || vals[0] == nil {
		return "", false
	}
	return string(vals[0]), true
}

// maxPersistedQuery bounds what one client can make every instance keep.
const maxPersistedQuery = 64 << 10

func (q *Queries) PutQuery(ctx context.Context, hash, query string) {
	if len(query) > maxPersistedQuery {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	if err := q.backend.MSet(ctx, map[string][]byte{queryKey(hash): []byte(query)}, q.ttl); err != nil {
		q.logger.Debug("persisted query not shared", "err", err)
	}
}
