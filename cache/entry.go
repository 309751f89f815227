package cache

import (
	"bytes"
	"context"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// dep is one version an entry was read under: the value its version key
// held before the data was read. The entry is current while every one of
// its deps still holds.
//
// Versions come from one clock per backend that never repeats and only
// grows (Redis: its TIME in microseconds, kept above the last one issued),
// so a version key that was deleted, expired or evicted and then created
// again holds a version no entry has recorded: a missing key is never
// mistaken for a match, and version keys can expire like everything else.
type dep struct {
	key     string
	version uint64
}

// An entry is stored as "<n>\n", then n lines "<version> <version key>\n",
// then the payload. Redis's scripts read the same format (redis.go).
func encodeEntry(deps []dep, payload []byte) []byte {
	n := 8 + len(payload)
	for _, d := range deps {
		n += len(d.key) + 22
	}
	b := make([]byte, 0, n)
	b = strconv.AppendInt(b, int64(len(deps)), 10)
	b = append(b, '\n')
	for _, d := range deps {
		b = strconv.AppendUint(b, d.version, 10)
		b = append(b, ' ')
		b = append(b, d.key...)
		b = append(b, '\n')
	}
	return append(b, payload...)
}

func decodeEntry(b []byte) (deps []dep, payload []byte, ok bool) {
	if b == nil {
		return nil, nil, false
	}
	line, rest, found := bytes.Cut(b, []byte{'\n'})
	n, err := strconv.Atoi(string(line))
	if !found || err != nil || n < 0 || n > len(rest) {
		return nil, nil, false
	}
	deps = make([]dep, n)
	for i := range deps {
		line, rest, found = bytes.Cut(rest, []byte{'\n'})
		ver, key, sp := bytes.Cut(line, []byte{' '})
		v, err := strconv.ParseUint(string(ver), 10, 64)
		if !found || !sp || err != nil {
			return nil, nil, false
		}
		deps[i] = dep{key: string(key), version: v}
	}
	return deps, rest, true
}

// keyable reports whether s can be part of a key: the entry format and the
// invalidation messages are line-based. Ids are UUIDs by the time they get
// here; this keeps anything else out of the cache rather than corrupt it.
func keyable(s string) bool {
	return !strings.ContainsAny(s, "\n ")
}

// recorder collects the versions a request's reads were served under, so
// that its whole response can be stored depending on exactly those.
type recorder struct {
	mu   sync.Mutex
	deps map[string]uint64
	// spoiled: something was read with no version to show for it (the
	// cache was unreachable, or a write of this instance is not yet
	// confirmed), so the response must not be stored.
	spoiled bool
	// viewer is the customer whose own response this is (CustomerResponse),
	// "" for a response shared by everyone. Set before execution, then
	// only read.
	viewer string
}

type recorderKey struct{}

func recorderFrom(ctx context.Context) *recorder {
	r, _ := ctx.Value(recorderKey{}).(*recorder)
	return r
}

// add records deps. If one key was read under two versions (a write landed
// between two reads of one request), the older one is kept, so the
// response is never taken for current.
func (r *recorder) add(deps ...dep) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, d := range deps {
		if old, ok := r.deps[d.key]; !ok || d.version < old {
			r.deps[d.key] = d.version
		}
	}
}

func (r *recorder) spoil() {
	if r == nil {
		return
	}
	r.mu.Lock()
	r.spoiled = true
	r.mu.Unlock()
}

// result returns the recorded deps in key order, or false if the response
// must not be stored.
func (r *recorder) result() ([]dep, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.spoiled {
		return nil, false
	}
	deps := make([]dep, 0, len(r.deps))
	for k, v := range r.deps {
		deps = append(deps, dep{key: k, version: v})
	}
	sort.Slice(deps, func(i, j int) bool { return deps[i].key < deps[j].key })
	return deps, true
}

// clock issues versions: microseconds since the epoch, kept above the last
// one issued, so they grow even if the wall clock steps back. It is the
// in-process backend's; Redis's scripts run the same rule on Redis's clock.
type clock struct {
	mu   sync.Mutex
	last uint64
}

func (c *clock) next() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := uint64(time.Now().UnixMicro())
	if v <= c.last {
		v = c.last + 1
	}
	c.last = v
	return v
}
