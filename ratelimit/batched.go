package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-chi/httprate"
	"github.com/redis/go-redis/v9"
)

// batched is an httprate.LimitCounter that answers from memory and shares
// its counts through Redis in the background: every flush adds this
// process's new events to the shared count of each key (INCRBY) and reads
// back the total, which includes every other instance's flushed events.
type batched struct {
	r      *Redis
	prefix string
	window time.Duration

	mu      sync.Mutex
	entries map[string]*entry
	// dirty lists the keys with something to send at the next flush.
	dirty []string
	swept int64
}

// entry is what this process knows of one key.
type entry struct {
	win       int64 // start of the window cur counts, in Unix nanoseconds
	cur, prev int   // best knowledge: the shared total at the last flush plus later local events
	unsent    int   // local events in win not yet added to the shared count
	// own is this process's events in win, sent or not: the shared total
	// can be lower only if Redis lost the key (evicted it to make room for
	// the cache), and then own is the better estimate.
	own       int
	prevKnown bool // prev came from Redis or from a window seen whole here
	dirty     bool
}

var _ httprate.LimitCounter = (*batched)(nil)

func newBatched(r *Redis, prefix string, window time.Duration) *batched {
	return &batched{r: r, prefix: prefix, window: window, entries: map[string]*entry{}}
}

func (b *batched) Config(_ int, window time.Duration) { b.window = window }

func (b *batched) Increment(key string, currentWindow time.Time) error {
	return b.IncrementBy(key, currentWindow, 1)
}

func (b *batched) IncrementBy(key string, currentWindow time.Time, n int) error {
	w := currentWindow.UnixNano()
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.entries[key]
	if e == nil {
		e = &entry{win: w}
		b.entries[key] = e
	}
	b.roll(e, w)
	e.cur += n
	e.unsent += n
	e.own += n
	b.markDirty(key, e)
	return nil
}

func (b *batched) Get(key string, currentWindow, _ time.Time) (int, int, error) {
	w := currentWindow.UnixNano()
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.entries[key]
	if e == nil {
		return 0, 0, nil
	}
	b.roll(e, w)
	return e.cur, e.prev, nil
}

// roll moves e into window w. Events of the old window not yet sent are
// kept in this process's estimate but not shared any more.
func (b *batched) roll(e *entry, w int64) {
	switch {
	case w <= e.win:
	case w-e.win == int64(b.window):
		e.win, e.prev, e.cur, e.unsent, e.own, e.prevKnown = w, e.cur, 0, 0, 0, true
	default:
		e.win, e.prev, e.cur, e.unsent, e.own, e.prevKnown = w, 0, 0, 0, 0, false
	}
}

func (b *batched) markDirty(key string, e *entry) {
	if !e.dirty {
		e.dirty = true
		b.dirty = append(b.dirty, key)
	}
}

func (b *batched) redisKey(key string, win int64) string {
	return fmt.Sprintf("%s:%d", b.prefix, httprate.LimitCounterKey(key, time.Unix(0, win)))
}

// Flush sends the events counted since the last flush in one pipelined
// round trip and takes in the shared totals. On failure the events are
// kept for the next flush, and the estimate stays this process's own.
func (b *batched) Flush(ctx context.Context) error {
	type item struct {
		key      string
		win      int64
		n        int
		needPrev bool // the previous window's total is unknown here
		incr     *redis.IntCmd
		prev     *redis.StringCmd
	}
	b.mu.Lock()
	items := make([]item, 0, len(b.dirty))
	for _, k := range b.dirty {
		e := b.entries[k]
		if e == nil {
			continue
		}
		e.dirty = false
		items = append(items, item{key: k, win: e.win, n: e.unsent, needPrev: !e.prevKnown})
		e.unsent = 0
	}
	b.dirty = b.dirty[:0]
	b.sweep(time.Now().Truncate(b.window).UnixNano())
	b.mu.Unlock()
	if len(items) == 0 {
		return nil
	}

	ctx, cancel := context.WithTimeout(ctx, b.r.timeout)
	defer cancel()
	ttl := 3 * b.window // the previous window is still read during the current one
	_, err := b.r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range items {
			it := &items[i]
			key := b.redisKey(it.key, it.win)
			it.incr = p.IncrBy(ctx, key, int64(it.n))
			p.Expire(ctx, key, ttl)
			if it.needPrev {
				it.prev = p.Get(ctx, b.redisKey(it.key, it.win-int64(b.window)))
			}
		}
		return nil
	})
	if errors.Is(err, redis.Nil) {
		err = nil // a previous window nobody counted in
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	for _, it := range items {
		e := b.entries[it.key]
		if e == nil {
			continue
		}
		if err != nil || it.incr.Err() != nil {
			if e.win == it.win {
				e.unsent += it.n
				b.markDirty(it.key, e)
			}
			continue
		}
		total := int(it.incr.Val())
		switch e.win {
		case it.win:
			e.cur = max(total+e.unsent, e.own)
			if it.prev != nil {
				if n, perr := it.prev.Int(); perr == nil || errors.Is(perr, redis.Nil) {
					e.prev, e.prevKnown = max(e.prev, n), true
				} else {
					b.markDirty(it.key, e)
				}
			}
		case it.win + int64(b.window):
			// The window ended during the flush: its total is the
			// previous window's now.
			e.prev = max(e.prev, total)
		}
	}
	b.r.report(err)
	return err
}

// sweep forgets, once per window, the keys not seen in the current or the
// previous window: they would count zero anyway.
func (b *batched) sweep(now int64) {
	if now == b.swept {
		return
	}
	b.swept = now
	for k, e := range b.entries {
		if now-e.win > int64(b.window) && !e.dirty {
			delete(b.entries, k)
		}
	}
}
