package cache

import (
	"context"
	"time"
)

// Response looks up a whole GraphQL response that reads only the catalog.
// A hit is served only while every version its execution read is still
// current: checked in the local tier with no round trip, or in Redis in
// one. On a miss it returns the context to execute the request under, which
// records the versions of everything the execution reads, and fill, which
// stores the response computed under it, depending on exactly those. A
// response computed from data older than a concurrent write therefore
// depends on a version the write replaced, and is never served.
func (c *Catalog) Response(ctx context.Context, key string) (body []byte, ok bool, exec context.Context, fill func([]byte)) {
	if !keyable(key) {
		return nil, false, ctx, func([]byte) {}
	}
	return c.response(ctx, "d:resp:"+key, "")
}

// response serves the response stored under dataKey, or returns the
// context to compute it under (whose recorder names viewer, see
// CustomerResponse) and the fill that stores it.
func (c *Catalog) response(ctx context.Context, dataKey, viewer string) (body []byte, ok bool, exec context.Context, fill func([]byte)) {
	now := time.Now()
	if c.l1 != nil {
		if v, deps, hit := c.l1.get(dataKey, now); hit && !c.pend.anyUntrusted(deps, now) {
			c.stats.Hits.Add(1)
			c.stats.LocalHits.Add(1)
			return v.([]byte), true, ctx, nil
		}
	}
	entries, _, err := c.backend.Lookup(ctx, []string{dataKey}, nil, c.ttl)
	if err != nil {
		c.cacheFault("read response", err)
	} else if deps, b, found := decodeEntry(entries[0]); found && !c.pend.anyUntrusted(deps, now) {
		c.stats.Hits.Add(1)
		// One stored before CACHE_MAX_ENTRY_BYTES was lowered is served,
		// but not copied into this process.
		if c.l1 != nil && (c.maxEntry <= 0 || len(b) <= c.maxEntry) {
			for _, d := range deps {
				c.l1.learn(d.key, d.version, now)
			}
			c.l1.put(dataKey, deps, b, len(b), now)
		}
		return b, true, ctx, nil
	}
	c.stats.Misses.Add(1)
	rec := &recorder{deps: map[string]uint64{}, viewer: viewer}
	return nil, false, context.WithValue(ctx, recorderKey{}, rec), func(b []byte) {
		deps, ok := rec.result()
		if !ok || c.pend.anyUntrusted(deps, time.Now()) {
			return
		}
		e := encodeEntry(deps, b)
		if !c.storable(len(e)) {
			return
		}
		if err := c.backend.Fill(context.WithoutCancel(ctx), map[string][]byte{dataKey: e}, c.ttl); err != nil {
			c.cacheFault("fill response", err)
		}
		if c.l1 != nil {
			c.l1.put(dataKey, deps, b, len(b), time.Now())
		}
	}
}
