package cache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strconv"
	"time"

	"golang.org/x/sync/singleflight"

	"shop/errcode"
	"shop/models"
)

// Catalog wraps the store with a read-through cache of products, with the
// same interface as the store. Orders are never cached as data: an order
// is always checked against the database. A customer's own orders are
// cached only inside that customer's whole responses (orders.go).
//
// Every entry records the versions it was read under (see dep), and is
// served only while all of them are current; a write gives the version
// keys it affects fresh versions after its commit. A product's entry
// depends on its own version key; a list or page is a list of ids that
// depends on the membership key (v:products, which only creates and
// deletes change) and is filled in from the products' own entries; a whole
// response depends on every version its execution read (Response). So an
// order for product A retires A's entries and the lists and responses
// that show A, and nothing else.
//
// A reader that loaded an old row but stores it after a write's
// invalidation stores it under the version from before the write, which is
// no longer current: nobody will ever take it for current.
//
// Every method of Store is written out here, none promoted from an
// embedded store: a new store method that changes products can't be added
// without the cache handling it, because the catalog would stop compiling
// as a Store.
type Catalog struct {
	next    Store
	backend Backend
	ttl     time.Duration
	logger  *slog.Logger
	flight  singleflight.Group
	stats   Stats
	l1      *local // nil unless EnableLocal was called
	pend    *pending
	bg      background
	// maxEntry bounds an entry's encoded bytes in either tier
	// (CACHE_MAX_ENTRY_BYTES): a larger one is served but not stored.
	maxEntry int
}

// DefaultMaxEntryBytes is CACHE_MAX_ENTRY_BYTES's default: a page of 100
// products with 10,000-character descriptions fits, a response of 100
// such pages does not.
const DefaultMaxEntryBytes = 1 << 20

var _ Store = (*Catalog)(nil)

// Subscriber is a backend that delivers other instances' invalidations
// (Redis pub/sub).
type Subscriber interface {
	// Subscribe delivers each invalidation's "<version> <key>" lines to
	// onMessage until ctx ends, and calls onReset whenever messages may
	// have been missed.
	// The channel it returns is closed when the subscription has ended.
	// onReset(listening) says messages may have been missed: listening is
	// false while the subscription is down, true once it is back.
	Subscribe(ctx context.Context, onMessage func([]byte), onReset func(listening bool)) <-chan struct{}
}

// EnableLocal puts an in-process tier holding entries for ttl in front of a
// shared backend, kept coherent by invalidation messages until ctx ends.
// It must be called before the catalog is used.
func (c *Catalog) EnableLocal(ctx context.Context, ttl time.Duration, maxItems, maxBytes int) error {
	b, ok := c.backend.(Subscriber)
	if !ok {
		return fmt.Errorf("cache: a local tier needs a backend that broadcasts invalidations")
	}
	c.l1 = newLocal(ttl, maxItems, maxBytes)
	c.l1.flush(true) // deaf until the subscription is confirmed
	if !c.bg.enter() {
		return fmt.Errorf("cache: the catalog is closed")
	}
	// The subscription ends with ctx or with Close, whichever is first.
	sctx, stop := context.WithCancel(ctx)
	c.bg.onClose(stop)
	done := b.Subscribe(sctx, func(payload []byte) {
		deps, ok := parseMessage(payload)
		if !ok {
			c.logger.Warn("bad invalidation message", "payload", string(payload))
			c.l1.flush(false)
			return
		}
		c.l1.set(deps, time.Now())
		c.stats.Messages.Add(1)
	}, func(listening bool) {
		c.l1.flush(!listening)
		c.stats.Resets.Add(1)
	})
	go func() {
		<-done
		c.bg.leave()
	}()
	if c.bg.enter() {
		go func() {
			defer c.bg.leave()
			c.sweepLocal(sctx, ttl)
		}()
	}
	return nil
}

// sweepLocal drops the local tier's expired items every ttl until ctx ends.
func (c *Catalog) sweepLocal(ctx context.Context, ttl time.Duration) {
	t := time.NewTicker(max(ttl, time.Second))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			c.l1.sweep(now)
		}
	}
}

func parseMessage(b []byte) ([]dep, bool) {
	var deps []dep
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		ver, key, ok := bytes.Cut(line, []byte{' '})
		v, err := strconv.ParseUint(string(ver), 10, 64)
		if !ok || err != nil {
			return nil, false
		}
		deps = append(deps, dep{key: string(key), version: v})
	}
	return deps, true
}

// loadTimeout bounds a database load shared by several waiting requests,
// which runs on after the request that started it has gone.
const loadTimeout = 10 * time.Second

// membershipKey is the version of which products are in the lists: creates,
// deletes and changes of active change it, other updates and orders don't
// (lists are ordered by creation).
const membershipKey = "v:products"

// Lists sorted or filtered by more than which products exist depend on
// more writes, through these keys, which every change of membership bumps
// too: fieldsKey, lists that read prices or text (sorted by price, name or
// relevance; filtered by price or a query), which updates of those fields
// bump; stockKey, lists filtered by stock, which every stock change bumps
// (orders included); bothKey, lists that read both.
const (
	fieldsKey = "v:products:f"
	stockKey  = "v:products:s"
	bothKey   = "v:products:fs"
)

// allListKeys are the keys a change of membership bumps.
var allListKeys = []string{membershipKey, fieldsKey, stockKey, bothKey}

// listVersionKey is the key a list of f depends on: one filtered by stock
// (inStock, maxStock) on every stock change.
func listVersionKey(f models.ProductFilter) string {
	switch fields, stock := f.ReadsFields(), f.ReadsStock(); {
	case fields && stock:
		return bothKey
	case fields:
		return fieldsKey
	case stock:
		return stockKey
	}
	return membershipKey
}

func changesOf(keys []string) []Change {
	out := make([]Change, len(keys))
	for i, k := range keys {
		out[i] = Change{Key: k}
	}
	return out
}

// NewCatalog caches next's products in backend for ttl.
func NewCatalog(next Store, backend Backend, ttl time.Duration, logger *slog.Logger) *Catalog {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c := &Catalog{next: next, backend: backend, ttl: ttl, logger: logger, maxEntry: DefaultMaxEntryBytes}
	c.pend = newPending(ttl, func() {
		if c.bg.enter() {
			defer c.bg.leave()
			c.retry()
		}
	})
	return c
}

// LimitEntries sets the largest entry stored, in bytes as encoded (0 or
// less: no limit). Call it before the catalog is used.
func (c *Catalog) LimitEntries(maxBytes int) { c.maxEntry = maxBytes }

// storable reports whether an entry of n bytes may be stored, counting
// those that may not.
func (c *Catalog) storable(n int) bool {
	if c.maxEntry > 0 && n > c.maxEntry {
		c.stats.TooLarge.Add(1)
		return false
	}
	return true
}

// Close stops the catalog's background work (invalidation retries, the
// subscription, loads shared by waiting requests) and waits for it, at most
// closeWait, so that none of it outlives the process's shutdown or finds
// the backend closed. Call it before closing the backend.
func (c *Catalog) Close() error {
	c.pend.close()
	if !c.bg.close(closeWait) {
		return fmt.Errorf("cache: background work still running %s after close", closeWait)
	}
	return nil
}

const closeWait = loadTimeout + time.Second

// Stats counts the catalog's cache traffic.
func (c *Catalog) Stats() *Stats { return &c.stats }

func productVersionKey(id string) string { return "v:p:" + id }
func productDataKey(id string) string    { return "d:p:" + id }

// Reads.

func (c *Catalog) ProductByID(ctx context.Context, id string) (*models.Product, error) {
	load := func(ctx context.Context) (*models.Product, error) { return c.next.ProductByID(ctx, id) }
	if !keyable(id) {
		recorderFrom(ctx).spoil()
		return load(ctx)
	}
	return readThrough(ctx, c, productVersionKey(id), productDataKey(id), load)
}

// idPage is a list's or a page's membership: which products, in order.
type idPage struct {
	IDs  []string `json:"ids"`
	More bool     `json:"more,omitempty"`
	// Cursors, for a list in another order than the contract's.
	Cursors []string `json:"cursors,omitempty"`
}

func pageOf(ps []models.Product, more bool, cursors []string) idPage {
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return idPage{IDs: ids, More: more, Cursors: cursors}
}

// ListProducts reads which products are on the page under the membership
// version, and the products themselves under their own.
func (c *Catalog) ListProducts(ctx context.Context, page models.Page, f models.ProductFilter) ([]models.Product, error) {
	key := "d:products:" + filterKey(f) + strconv.Itoa(page.Limit) + ":" + strconv.Itoa(page.Offset)
	pg, err := c.list(ctx, membershipKey, key, func(ctx context.Context) (models.ProductPage, error) {
		ps, err := c.next.ListProducts(ctx, page, f)
		return models.ProductPage{Products: ps}, err
	})
	return pg.Products, err
}

// filterKey names a filter in a list's key: shoppers' lists (active
// products) and admins' (all) are different lists, and so is every
// search (named by a hash of its filter, which may be long).
func filterKey(f models.ProductFilter) string {
	only := models.ProductFilter{IncludeInactive: f.IncludeInactive}
	if reflect.DeepEqual(f, only) {
		if f.IncludeInactive {
			return "all:"
		}
		return ""
	}
	b, _ := json.Marshal(f)
	sum := sha256.Sum256(b)
	return "s" + hex.EncodeToString(sum[:12]) + ":"
}

func (c *Catalog) ProductsPage(ctx context.Context, conn models.Connection, f models.ProductFilter) (models.ProductPage, error) {
	key := "d:page:" + filterKey(f) + strconv.Itoa(conn.First) + ":"
	if conn.After != nil {
		key += conn.After.Encode()
	}
	return c.list(ctx, listVersionKey(f), key, func(ctx context.Context) (models.ProductPage, error) {
		return c.next.ProductsPage(ctx, conn, f)
	})
}

// list caches a list's ids under the membership version. When they are
// cached, the products come from their own entries, and the request records
// all their versions. When this call loads the list, it returns the rows it
// read as they are (a page at a random deep cursor is rarely asked for
// twice, and reading its 50 products again through the cache would cost
// more than it saves), and the response is not stored, since those rows'
// versions were not taken before they were read.
func (c *Catalog) list(ctx context.Context, versionKey, key string, load func(context.Context) (models.ProductPage, error)) (models.ProductPage, error) {
	var rows models.ProductPage
	loaded := false
	ids, err := readThrough(ctx, c, versionKey, key, func(ctx context.Context) (idPage, error) {
		pg, err := load(ctx)
		rows, loaded = pg, true
		return pageOf(pg.Products, pg.HasNext, pg.Cursors), err
	})
	if err != nil {
		return models.ProductPage{}, err
	}
	if loaded {
		recorderFrom(ctx).spoil()
		return rows, nil
	}
	ps, err := c.inOrder(ctx, ids.IDs)
	if err != nil {
		return models.ProductPage{}, err
	}
	pg := models.ProductPage{Products: ps, HasNext: ids.More}
	if len(ps) == len(ids.IDs) {
		pg.Cursors = ids.Cursors
	} else if ids.Cursors != nil {
		// A product deleted since: its delete changed the list's version,
		// so nothing stores this; keep each cursor with its product.
		byID := make(map[string]string, len(ids.IDs))
		for i, id := range ids.IDs {
			if i < len(ids.Cursors) {
				byID[id] = ids.Cursors[i]
			}
		}
		for _, p := range ps {
			pg.Cursors = append(pg.Cursors, byID[p.ID])
		}
	}
	return pg, nil
}

// inOrder returns the products of ids in that order. One deleted since the
// ids were read is left out; its delete changed the membership version, so
// nothing stores this list as current.
func (c *Catalog) inOrder(ctx context.Context, ids []string) ([]models.Product, error) {
	byID, err := c.ProductsByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]models.Product, 0, len(ids))
	for _, id := range ids {
		if p := byID[id]; p != nil {
			out = append(out, *p)
		}
	}
	return out, nil
}

// ProductsByIDs answers what it can from the local tier, looks the rest up
// in one round trip, and loads all the misses from the store in one query.
func (c *Catalog) ProductsByIDs(ctx context.Context, ids []string) (map[string]*models.Product, error) {
	rec := recorderFrom(ctx)
	out := make(map[string]*models.Product, len(ids))
	now := time.Now()
	var direct, remote []string
	for _, id := range ids {
		if !keyable(id) || c.pend.untrusted(productVersionKey(id), now) {
			direct = append(direct, id)
			continue
		}
		if c.l1 != nil {
			if v, deps, ok := c.l1.get(productDataKey(id), now); ok {
				out[id] = v.(*models.Product)
				rec.add(deps...)
				c.stats.Hits.Add(1)
				c.stats.LocalHits.Add(1)
				continue
			}
		}
		remote = append(remote, id)
	}
	if len(direct) > 0 {
		rec.spoil()
		c.stats.Misses.Add(uint64(len(direct)))
		if err := c.loadInto(ctx, out, direct); err != nil {
			return nil, err
		}
	}
	if len(remote) == 0 {
		return out, nil
	}
	dataKeys, versionKeys := make([]string, len(remote)), make([]string, len(remote))
	for i, id := range remote {
		dataKeys[i], versionKeys[i] = productDataKey(id), productVersionKey(id)
	}
	entries, versions, err := c.backend.Lookup(ctx, dataKeys, versionKeys, c.ttl)
	if err != nil {
		c.cacheFault("read products", err)
		rec.spoil()
		c.stats.Misses.Add(uint64(len(remote)))
		return out, c.loadInto(ctx, out, remote)
	}
	var missing []string
	observed := map[string]uint64{}
	for i, id := range remote {
		if c.l1 != nil {
			c.l1.learn(versionKeys[i], versions[i], now)
		}
		if p, deps, ok := decodeValue[*models.Product](entries[i]); ok {
			out[id] = p
			rec.add(deps...)
			if c.l1 != nil {
				c.l1.put(dataKeys[i], deps, p, len(entries[i]), now)
			}
			continue
		}
		missing = append(missing, id)
		observed[id] = versions[i]
		rec.add(dep{key: versionKeys[i], version: versions[i]})
	}
	c.stats.Hits.Add(uint64(len(remote) - len(missing)))
	c.stats.Misses.Add(uint64(len(missing)))
	if len(missing) == 0 {
		return out, nil
	}
	c.stats.Loads.Add(1)
	loaded, err := c.next.ProductsByIDs(ctx, missing)
	if err != nil {
		return nil, err
	}
	fill := map[string][]byte{}
	for id, p := range loaded {
		out[id] = p
		deps := []dep{{key: productVersionKey(id), version: observed[id]}}
		b, err := encodeValue(deps, p)
		if err != nil || !c.storable(len(b)) {
			continue
		}
		fill[productDataKey(id)] = b
		if c.l1 != nil {
			c.l1.put(productDataKey(id), deps, p, len(b), now)
		}
	}
	if len(fill) > 0 {
		if err := c.backend.Fill(ctx, fill, c.ttl); err != nil {
			c.cacheFault("fill products", err)
		}
	}
	return out, nil
}

// loadInto reads ids from the store, bypassing the cache.
func (c *Catalog) loadInto(ctx context.Context, out map[string]*models.Product, ids []string) error {
	loaded, err := c.next.ProductsByIDs(ctx, ids)
	for id, p := range loaded {
		out[id] = p
	}
	return err
}

// readThrough returns the value under dataKey if the versions it was read
// under are current, and otherwise loads it once for all concurrent callers
// that saw the same version of versionKey, and stores it under that
// version. Whatever it serves, it records in the request's recorder.
func readThrough[T any](ctx context.Context, c *Catalog, versionKey, dataKey string, load func(context.Context) (T, error)) (T, error) {
	rec := recorderFrom(ctx)
	now := time.Now()
	if c.pend.untrusted(versionKey, now) {
		rec.spoil()
		c.stats.Misses.Add(1)
		return load(ctx)
	}
	if c.l1 != nil {
		if v, deps, ok := c.l1.get(dataKey, now); ok {
			c.stats.Hits.Add(1)
			c.stats.LocalHits.Add(1)
			rec.add(deps...)
			return v.(T), nil
		}
	}
	entries, versions, err := c.backend.Lookup(ctx, []string{dataKey}, []string{versionKey}, c.ttl)
	if err != nil {
		// With no version to compare, joining another request's load could
		// hand back a value older than a write this caller has seen.
		c.cacheFault("read "+dataKey, err)
		c.stats.Misses.Add(1)
		rec.spoil()
		return load(ctx)
	}
	ver := versions[0]
	if c.l1 != nil {
		c.l1.learn(versionKey, ver, now)
	}
	if v, deps, ok := decodeValue[T](entries[0]); ok {
		c.stats.Hits.Add(1)
		rec.add(deps...)
		if c.l1 != nil {
			c.l1.put(dataKey, deps, v, len(entries[0]), now)
		}
		return v, nil
	}
	rec.add(dep{key: versionKey, version: ver})
	ch := c.flight.DoChan(dataKey+"@"+strconv.FormatUint(ver, 10), func() (any, error) {
		// The load outlives the request that started it when others wait
		// for it too; Close waits for it.
		if c.bg.enter() {
			defer c.bg.leave()
		}
		c.stats.Loads.Add(1)
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
		defer cancel()
		v, err := load(lctx)
		if err != nil {
			return v, err
		}
		deps := []dep{{key: versionKey, version: ver}}
		b, err := encodeValue(deps, v)
		if err != nil || !c.storable(len(b)) {
			return v, nil
		}
		if err := c.backend.Fill(lctx, map[string][]byte{dataKey: b}, c.ttl); err != nil {
			c.cacheFault("fill "+dataKey, err)
		}
		if c.l1 != nil {
			c.l1.put(dataKey, deps, v, len(b), time.Now())
		}
		return v, nil
	})
	// Counted once this caller has joined the load (DoChan registers it
	// before returning), so a count of misses is a count of callers
	// sharing loads: what lets a test hold a load until all have joined.
	c.stats.Misses.Add(1)
	select {
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("read %s: %w", dataKey, ctx.Err())
	case r := <-ch:
		v, _ := r.Val.(T)
		return v, r.Err
	}
}

func encodeValue(deps []dep, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return encodeEntry(deps, b), nil
}

func decodeValue[T any](raw []byte) (T, []dep, bool) {
	var v T
	deps, body, ok := decodeEntry(raw)
	if !ok || json.Unmarshal(body, &v) != nil {
		return v, nil, false
	}
	return v, deps, true
}

// Writes. Each marks the version keys it affects before it calls the store
// and invalidates them after the commit (see invalidate). The writes to
// orders are in orders.go.

func (c *Catalog) CreateProduct(ctx context.Context, np models.NewProduct) (*models.Product, error) {
	begun := c.begin(allListKeys...)
	p, err := c.next.CreateProduct(ctx, np)
	changes := changesOf(allListKeys)
	if p != nil {
		changes = append(changes, Change{Key: productVersionKey(p.ID)})
	}
	c.after(ctx, err, begun, changes)
	return p, err
}

// UpdateProduct retires the product's entries; a change of active or of
// category also retires the lists, which it adds the product to or takes
// it off.
func (c *Catalog) UpdateProduct(ctx context.Context, id string, patch models.ProductPatch) (*models.Product, error) {
	var s changeSet
	s.add(productVersionKey(id))
	if patch.ChangesMembership() {
		for _, k := range allListKeys {
			s.add(k)
		}
	}
	if patch.ChangesFields() {
		s.add(fieldsKey)
		s.add(bothKey)
	}
	if patch.StockCount != nil {
		s.add(stockKey)
		s.add(bothKey)
	}
	begun := c.begin(s.keys...)
	p, err := c.next.UpdateProduct(ctx, id, patch)
	c.after(ctx, err, begun, s.changes())
	return p, err
}

// DeleteProduct retires the product's keys: its version key and entry go
// from the backend, so deleted products leave nothing behind.
func (c *Catalog) DeleteProduct(ctx context.Context, id string) (bool, error) {
	begun := c.begin(append([]string{productVersionKey(id)}, allListKeys...)...)
	deleted, err := c.next.DeleteProduct(ctx, id)
	if err == nil && !deleted {
		c.pend.end(begun)
		return false, nil
	}
	c.after(ctx, err, begun, append(changesOf(allListKeys), Change{Key: productVersionKey(id), Gone: true, Drop: []string{productDataKey(id)}}))
	return deleted, err
}

func (c *Catalog) begin(keys ...string) []string {
	c.pend.begin(keys, time.Now())
	return keys
}

// after ends a write. An error with a code is a rule that refused the write,
// which changed nothing; any other error may have come after the commit,
// so it invalidates as a success does. So does SERVICE_UNAVAILABLE: a
// connection that broke at the COMMIT leaves the write done or not.
func (c *Catalog) after(ctx context.Context, err error, begun []string, changes []Change) {
	if code := models.ErrorCode(err); err != nil && code != errcode.InternalServerError && code != errcode.ServiceUnavailable {
		c.pend.end(begun)
		return
	}
	c.invalidate(ctx, begun, changes)
}

// invalidate runs after the commit, under a context the client can't
// cancel, so a client hanging up can't leave the cache stale. Versions and
// the message to the other instances go in one round trip. If it fails,
// this instance keeps reading the keys from the database until a retry
// succeeds (pending).
func (c *Catalog) invalidate(ctx context.Context, begun []string, changes []Change) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
	defer cancel()
	c.stats.Invalidations.Add(1)
	versions, err := c.backend.Bump(ctx, changes, c.ttl)
	if err != nil {
		keys := make([]string, len(changes))
		for i, ch := range changes {
			keys[i] = ch.Key
		}
		c.stats.FailedInvalidations.Add(1)
		c.logger.Warn("cache invalidation failed; this instance reads what those keys cover from the database, and retries",
			"err", err, "keys", keys)
		c.pend.fail(keys, begun, time.Now())
		return
	}
	c.applied(changes, versions)
	c.pend.end(begun)
}

// applied gives this instance's local tier the versions of its own write at
// once; the others get them by message.
func (c *Catalog) applied(changes []Change, versions []uint64) {
	if c.l1 == nil {
		return
	}
	deps := make([]dep, len(changes))
	for i, ch := range changes {
		deps[i] = dep{key: ch.Key, version: versions[i]}
	}
	c.l1.set(deps, time.Now())
}

// retry invalidates again the keys whose invalidation failed.
func (c *Catalog) retry() {
	keys := c.pend.failed()
	if len(keys) == 0 {
		c.pend.retried(keys, true)
		return
	}
	changes := make([]Change, 0, len(keys))
	for k := range keys {
		changes = append(changes, Change{Key: k})
	}
	ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
	defer cancel()
	versions, err := c.backend.Bump(ctx, changes, c.ttl)
	if err == nil {
		c.applied(changes, versions)
		c.logger.Info("cache invalidation retried successfully", "keys", len(changes))
	}
	c.pend.retried(keys, err == nil)
}

func (c *Catalog) cacheFault(doing string, err error) {
	c.stats.Faults.Add(1)
	c.logger.Debug("cache unavailable, using the database", "doing", doing, "err", err)
}
