package cache

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"time"

	"golang.org/x/sync/singleflight"

	"shop/models"
)

// Catalog wraps the store with a read-through cache of products, with the
// same interface as the store. Orders pass straight through: an order is
// always checked against the database, never against a cache.
//
// Entries are stamped with a version. Every cached value is stored as
// "<version>\n<json>", where version is the value of the entry's version key
// when the read began; a write replaces the version key with a fresh random
// token after its commit. A reader that loaded an old row from the database
// but stored it after the write's invalidation therefore stores it under the
// old version, and nobody will ever take it for current. Version keys never
// expire (an expired one could make an old entry current again); the entries
// do, after the TTL.
type Catalog struct {
	models.Store
	backend Backend
	ttl     time.Duration
	logger  *slog.Logger
	flight  singleflight.Group
	stats   Stats
	l1      *local // nil unless EnableLocal was called
}

// Broadcaster is a backend that can tell other instances about
// invalidations (Redis pub/sub).
type Broadcaster interface {
	// SetAndPublish writes pairs (without expiry) and then publishes
	// payload, in one round trip.
	SetAndPublish(ctx context.Context, pairs map[string][]byte, payload []byte) error
	Subscribe(ctx context.Context, onMessage func([]byte), onReset func())
}

// EnableLocal puts an in-process tier holding entries for ttl in front of a
// shared backend, kept coherent by invalidation messages until ctx ends.
// It must be called before the catalog is used.
func (c *Catalog) EnableLocal(ctx context.Context, ttl time.Duration, maxItems, maxBytes int) error {
	b, ok := c.backend.(Broadcaster)
	if !ok {
		return fmt.Errorf("cache: a local tier needs a backend that broadcasts invalidations")
	}
	c.l1 = newLocal(ttl, maxItems, maxBytes)
	b.Subscribe(ctx, func(payload []byte) {
		var versions map[string]string
		if err := json.Unmarshal(payload, &versions); err != nil {
			c.logger.Warn("bad invalidation message", "err", err)
			c.l1.flush()
			return
		}
		c.l1.set(versions, time.Now())
		c.stats.Messages.Add(1)
	}, func() {
		c.l1.flush()
		c.stats.Resets.Add(1)
	})
	return nil
}

var _ models.Store = (*Catalog)(nil)

// loadTimeout bounds a database load shared by several waiting requests,
// which runs on after the request that started it has gone.
const loadTimeout = 10 * time.Second

const listVersionKey = "v:products"

// NewCatalog caches next's products in backend for ttl.
func NewCatalog(next models.Store, backend Backend, ttl time.Duration, logger *slog.Logger) *Catalog {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Catalog{Store: next, backend: backend, ttl: ttl, logger: logger}
}

// Stats counts the catalog's cache traffic.
func (c *Catalog) Stats() *Stats { return &c.stats }

func productVersionKey(id string) string { return "v:p:" + id }
func productDataKey(id string) string    { return "d:p:" + id }

func (c *Catalog) ListProducts(ctx context.Context, page models.Page) ([]models.Product, error) {
	key := "d:products:" + strconv.Itoa(page.Limit) + ":" + strconv.Itoa(page.Offset)
	return readThrough(ctx, c, listVersionKey, key, func(ctx context.Context) ([]models.Product, error) {
		return c.Store.ListProducts(ctx, page)
	})
}

func (c *Catalog) ProductByID(ctx context.Context, id string) (*models.Product, error) {
	return readThrough(ctx, c, productVersionKey(id), productDataKey(id), func(ctx context.Context) (*models.Product, error) {
		return c.Store.ProductByID(ctx, id)
	})
}

// ProductsByIDs reads every id's entry in one round trip and loads all the
// misses from the store in one query.
func (c *Catalog) ProductsByIDs(ctx context.Context, ids []string) (map[string]*models.Product, error) {
	out := make(map[string]*models.Product, len(ids))
	now := time.Now()
	if c.l1 != nil {
		remote := ids[:0:0]
		for _, id := range ids {
			if v, ok := c.l1.get(productVersionKey(id), productDataKey(id), now); ok {
				out[id] = v.(*models.Product)
				continue
			}
			remote = append(remote, id)
		}
		c.stats.Hits.Add(uint64(len(ids) - len(remote)))
		c.stats.LocalHits.Add(uint64(len(ids) - len(remote)))
		ids = remote
		if len(ids) == 0 {
			return out, nil
		}
	}
	keys := make([]string, 0, 2*len(ids))
	for _, id := range ids {
		keys = append(keys, productVersionKey(id), productDataKey(id))
	}
	vals, cacheErr := c.backend.MGet(ctx, keys...)
	if cacheErr != nil {
		c.cacheFault("read products", cacheErr)
		c.stats.Misses.Add(uint64(len(ids)))
		loaded, err := c.Store.ProductsByIDs(ctx, ids)
		for id, p := range loaded {
			out[id] = p
		}
		return out, err
	}
	var missing []string
	versions := map[string]string{}
	for i, id := range ids {
		ver := string(vals[2*i])
		if c.l1 != nil {
			c.l1.learn(productVersionKey(id), ver, now)
		}
		if p, ok := decode[*models.Product](vals[2*i+1], ver); ok {
			out[id] = p
			if c.l1 != nil {
				c.l1.put(productVersionKey(id), productDataKey(id), ver, p, len(vals[2*i+1]), now)
			}
			continue
		}
		missing = append(missing, id)
		versions[id] = ver
	}
	c.stats.Hits.Add(uint64(len(ids) - len(missing)))
	c.stats.Misses.Add(uint64(len(missing)))
	if len(missing) == 0 {
		return out, nil
	}
	loaded, err := c.Store.ProductsByIDs(ctx, missing)
	if err != nil {
		return nil, err
	}
	fill := map[string][]byte{}
	for id, p := range loaded {
		out[id] = p
		b, err := encode(versions[id], p)
		if err != nil {
			continue
		}
		fill[productDataKey(id)] = b
		if c.l1 != nil {
			c.l1.put(productVersionKey(id), productDataKey(id), versions[id], p, len(b), now)
		}
	}
	if len(fill) > 0 {
		if err := c.backend.MSet(ctx, fill, c.ttl); err != nil {
			c.cacheFault("fill products", err)
		}
	}
	return out, nil
}

func (c *Catalog) CreateProduct(ctx context.Context, np models.NewProduct) (*models.Product, error) {
	p, err := c.Store.CreateProduct(ctx, np)
	if err == nil {
		c.invalidate(ctx, p.ID)
	}
	return p, err
}

func (c *Catalog) UpdateProduct(ctx context.Context, id string, patch models.ProductPatch) (*models.Product, error) {
	p, err := c.Store.UpdateProduct(ctx, id, patch)
	if err == nil {
		c.invalidate(ctx, id)
	}
	return p, err
}

func (c *Catalog) DeleteProduct(ctx context.Context, id string) (bool, error) {
	deleted, err := c.Store.DeleteProduct(ctx, id)
	if err == nil && deleted {
		c.invalidate(ctx, id)
	}
	return deleted, err
}

// CreateOrder invalidates the products whose stock the order took.
func (c *Catalog) CreateOrder(ctx context.Context, req models.OrderRequest) (*models.Order, error) {
	o, err := c.Store.CreateOrder(ctx, req)
	if err == nil {
		ids := make([]string, len(req.Lines))
		for i, l := range req.Lines {
			ids[i] = l.ProductID
		}
		c.invalidate(ctx, ids...)
	}
	return o, err
}

// invalidate runs after the commit, under a context the client can't cancel,
// so a client hanging up can't leave the cache stale.
func (c *Catalog) invalidate(ctx context.Context, ids ...string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
	defer cancel()
	pairs := make(map[string][]byte, len(ids)+1)
	pairs[listVersionKey] = newVersion()
	for _, id := range ids {
		pairs[productVersionKey(id)] = newVersion()
	}
	c.stats.Invalidations.Add(1)
	if c.l1 == nil {
		if err := c.backend.MSet(ctx, pairs, 0); err != nil {
			// The write is committed; entries for these ids may be served
			// stale until they expire after the cache TTL.
			c.logger.Warn("cache invalidation failed; entries may be stale until they expire",
				"err", err, "products", ids)
		}
		return
	}
	// This instance sees its own write at once; the others when the
	// message reaches them. Versions and message go in one round trip.
	versions := make(map[string]string, len(pairs))
	for k, v := range pairs {
		versions[k] = string(v)
	}
	c.l1.set(versions, time.Now())
	msg, _ := json.Marshal(versions)
	if err := c.backend.(Broadcaster).SetAndPublish(ctx, pairs, msg); err != nil {
		c.logger.Warn("cache invalidation failed; entries may be stale until they expire (other instances' local copies until their local TTL)",
			"err", err, "products", ids)
	}
}

func (c *Catalog) cacheFault(doing string, err error) {
	c.stats.Faults.Add(1)
	c.logger.Debug("cache unavailable, using the database", "doing", doing, "err", err)
}

// readThrough returns the cached value under dataKey if it carries the
// current version, and otherwise loads it once for all concurrent callers
// that saw the same version, and stores it stamped with that version.
func readThrough[T any](ctx context.Context, c *Catalog, versionKey, dataKey string, load func(context.Context) (T, error)) (T, error) {
	if c.l1 != nil {
		if v, ok := c.l1.get(versionKey, dataKey, time.Now()); ok {
			c.stats.Hits.Add(1)
			c.stats.LocalHits.Add(1)
			return v.(T), nil
		}
	}
	vals, err := c.backend.MGet(ctx, versionKey, dataKey)
	if err != nil {
		// With no version to compare, joining another request's load could
		// hand back a value older than a write this caller has seen.
		c.cacheFault("read "+dataKey, err)
		c.stats.Misses.Add(1)
		return load(ctx)
	}
	ver := string(vals[0])
	if c.l1 != nil {
		c.l1.learn(versionKey, ver, time.Now())
	}
	if v, ok := decode[T](vals[1], ver); ok {
		c.stats.Hits.Add(1)
		if c.l1 != nil {
			c.l1.put(versionKey, dataKey, ver, v, len(vals[1]), time.Now())
		}
		return v, nil
	}
	c.stats.Misses.Add(1)
	ch := c.flight.DoChan(dataKey+"@"+ver, func() (any, error) {
		c.stats.Loads.Add(1)
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
		defer cancel()
		v, err := load(lctx)
		if err != nil {
			return v, err
		}
		b, err := encode(ver, v)
		if err != nil {
			return v, nil
		}
		if err := c.backend.MSet(lctx, map[string][]byte{dataKey: b}, c.ttl); err != nil {
			c.cacheFault("fill "+dataKey, err)
		}
		if c.l1 != nil {
			c.l1.put(versionKey, dataKey, ver, v, len(b), time.Now())
		}
		return v, nil
	})
	select {
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("read %s: %w", dataKey, ctx.Err())
	case r := <-ch:
		v, _ := r.Val.(T)
		return v, r.Err
	}
}

func encode(version string, v any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(version)
	buf.WriteByte('\n')
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func decode[T any](raw []byte, version string) (T, bool) {
	var v T
	tag, body, ok := bytes.Cut(raw, []byte{'\n'})
	if raw == nil || !ok || string(tag) != version {
		return v, false
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return v, false
	}
	return v, true
}

func newVersion() []byte {
	return strconv.AppendUint(nil, rand.Uint64(), 36)
}

// Response looks up a whole GraphQL response that reads only the catalog,
// under the catalog's list version, which every product change replaces.
// On a miss it returns fill, which stores a response computed now under
// the version seen by this lookup, so a response computed from data older
// than a concurrent write is never served after that write.
func (c *Catalog) Response(ctx context.Context, key string) (body []byte, ok bool, fill func([]byte)) {
	dataKey := "d:resp:" + key
	now := time.Now()
	if c.l1 != nil {
		if v, hit := c.l1.get(listVersionKey, dataKey, now); hit {
			c.stats.Hits.Add(1)
			c.stats.LocalHits.Add(1)
			return v.([]byte), true, nil
		}
	}
	vals, err := c.backend.MGet(ctx, listVersionKey, dataKey)
	if err != nil {
		c.cacheFault("read response", err)
		c.stats.Misses.Add(1)
		return nil, false, func([]byte) {}
	}
	ver := string(vals[0])
	if c.l1 != nil {
		c.l1.learn(listVersionKey, ver, now)
	}
	if tag, b, found := bytes.Cut(vals[1], []byte{'\n'}); vals[1] != nil && found && string(tag) == ver {
		c.stats.Hits.Add(1)
		if c.l1 != nil {
			c.l1.put(listVersionKey, dataKey, ver, b, len(b), now)
		}
		return b, true, nil
	}
	c.stats.Misses.Add(1)
	return nil, false, func(b []byte) {
		stored := append(append([]byte(ver), '\n'), b...)
		if err := c.backend.MSet(context.WithoutCancel(ctx), map[string][]byte{dataKey: stored}, c.ttl); err != nil {
			c.cacheFault("fill response", err)
		}
		if c.l1 != nil {
			c.l1.put(listVersionKey, dataKey, ver, b, len(b), time.Now())
		}
	}
}
