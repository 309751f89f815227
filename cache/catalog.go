package cache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"time"

	"golang.org/x/sync/singleflight"

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
// and its variants' depend on its own version key, a variant read by id
// on the variant's (variants.go); a list or page is a list of ids that
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
// Writes reach the catalog only as the events the store records with them
// (invalidation.go): the catalog is a store.Sink for the writes of its
// own instance and an outbox consumer for everyone's.
type Catalog struct {
	*Invalidator
	next   Reader
	flight singleflight.Group
	// maxEntry bounds an entry's encoded bytes in either tier
	// (CACHE_MAX_ENTRY_BYTES): a larger one is served but not stored.
	maxEntry int
}

// Reader is what the catalog reads from the database on a miss, and the
// reads it passes through (so that responses that read them are never
// stored where they should not be).
type Reader interface {
	ListProducts(ctx context.Context, page models.Page, f models.ProductFilter) ([]models.Product, error)
	ProductsPage(ctx context.Context, c models.Connection, f models.ProductFilter) (models.ProductPage, error)
	ProductByID(ctx context.Context, id string) (*models.Product, error)
	ProductsByIDs(ctx context.Context, ids []string) (map[string]*models.Product, error)
	StockMovements(ctx context.Context, productID, variantID string, c models.LedgerConnection) (models.MovementPage, error)
	LowStock(ctx context.Context, threshold, limit int) ([]models.Product, error)
	VariantByID(ctx context.Context, id string) (*models.VariantOfProduct, error)
	VariantsOf(ctx context.Context, productIDs []string) (map[string][]models.ProductVariant, error)
	LowStockVariants(ctx context.Context, threshold, limit int) ([]models.ProductVariant, error)
	Categories(ctx context.Context, f models.ProductFilter) ([]models.Category, error)
	ListOrders(ctx context.Context, page models.Page, f models.OrderFilter) ([]models.Order, error)
	OrdersPage(ctx context.Context, c models.Connection, f models.OrderFilter) (models.OrderPage, error)
	OrderByID(ctx context.Context, id string) (*models.Order, error)
	OrderEvents(ctx context.Context, orderIDs []string) (map[string][]models.OrderEvent, error)
	OrderPayments(ctx context.Context, orderIDs []string) (map[string]*models.Payment, error)
	Payments(ctx context.Context, orderID string) ([]models.Payment, error)
	PaymentByID(ctx context.Context, id string) (*models.Payment, error)
	PaymentByProviderID(ctx context.Context, provider, providerID string) (*models.Payment, error)
	Overview(ctx context.Context, lowStockThreshold int, now time.Time) (models.Overview, error)
	SalesReport(ctx context.Context, r models.SalesRange) ([]models.SalesDay, error)
	CustomersPage(ctx context.Context, s models.CustomerSearch) (models.CustomerPage, error)
}

// DefaultMaxEntryBytes is CACHE_MAX_ENTRY_BYTES's default: a page of 100
// products with 10,000-character descriptions fits, a response of 100
// such pages does not.
const DefaultMaxEntryBytes = 1 << 20

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

// NewCatalog caches next's products in inv's backend, for inv's TTL.
func NewCatalog(next Reader, inv *Invalidator) *Catalog {
	return &Catalog{Invalidator: inv, next: next, maxEntry: DefaultMaxEntryBytes}
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
	return readMany(ctx, c, ids, productVersionKey, productDataKey, c.next.ProductsByIDs)
}

// readMany is the read-through of many entries, one per id, each under
// its own version key: those in the local tier are served from it, the
// rest are looked up in one round trip, and the misses loaded in one call
// of load and stored under the versions observed before it. An id load
// does not return (a missing product) is stored nowhere.
func readMany[T any](ctx context.Context, c *Catalog, ids []string, versionKey, dataKey func(string) string,
	load func(context.Context, []string) (map[string]T, error)) (map[string]T, error) {
	rec := recorderFrom(ctx)
	out := make(map[string]T, len(ids))
	now := time.Now()
	var direct, remote []string
	for _, id := range ids {
		if !keyable(id) || c.pend.untrusted(versionKey(id), now) {
			direct = append(direct, id)
			continue
		}
		if c.l1 != nil {
			if v, deps, ok := c.l1.get(dataKey(id), now); ok {
				out[id] = v.(T)
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
		if err := loadInto(ctx, out, direct, load); err != nil {
			return nil, err
		}
	}
	if len(remote) == 0 {
		return out, nil
	}
	dataKeys, versionKeys := make([]string, len(remote)), make([]string, len(remote))
	for i, id := range remote {
		dataKeys[i], versionKeys[i] = dataKey(id), versionKey(id)
	}
	entries, versions, err := c.backend.Lookup(ctx, dataKeys, versionKeys, c.ttl)
	if err != nil {
		c.cacheFault("read "+dataKeys[0], err)
		rec.spoil()
		c.stats.Misses.Add(uint64(len(remote)))
		return out, loadInto(ctx, out, remote, load)
	}
	var missing []string
	observed := map[string]uint64{}
	for i, id := range remote {
		if c.l1 != nil {
			c.l1.learn(versionKeys[i], versions[i], now)
		}
		if v, deps, ok := decodeValue[T](entries[i]); ok {
			out[id] = v
			rec.add(deps...)
			if c.l1 != nil {
				c.l1.put(dataKeys[i], deps, v, len(entries[i]), now)
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
	loaded, err := load(ctx, missing)
	if err != nil {
		return nil, err
	}
	fill := map[string][]byte{}
	for id, v := range loaded {
		out[id] = v
		ver, asked := observed[id]
		if !asked {
			continue // not asked for: no version was taken before it was read
		}
		deps := []dep{{key: versionKey(id), version: ver}}
		b, err := encodeValue(deps, v)
		if err != nil || !c.storable(len(b)) {
			continue
		}
		fill[dataKey(id)] = b
		if c.l1 != nil {
			c.l1.put(dataKey(id), deps, v, len(b), now)
		}
	}
	if len(fill) > 0 {
		if err := c.backend.Fill(ctx, fill, c.ttl); err != nil {
			c.cacheFault("fill "+dataKeys[0], err)
		}
	}
	return out, nil
}

// loadInto reads ids from the store, bypassing the cache.
func loadInto[T any](ctx context.Context, out map[string]T, ids []string, load func(context.Context, []string) (map[string]T, error)) error {
	loaded, err := load(ctx, ids)
	for id, v := range loaded {
		out[id] = v
	}
	return err
}

// readThrough returns the value under dataKey if the versions it was read
// under are current, and otherwise loads it once for all concurrent callers
// that saw the same version of versionKey, and stores it under that
// version. Whatever it serves, it records in the request's recorder.
func readThrough[T any](ctx context.Context, c *Catalog, versionKey, dataKey string, load func(context.Context) (T, error)) (T, error) {
	rec := recorderFrom(ctx)
	if tag, ok := ctx.Value(freshKey{}).(string); ok {
		return readFresh(ctx, c, dataKey, tag, load)
	}
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

type freshKey struct{}

// FreshReads makes the catalog's reads under ctx skip both tiers and load
// from the database, one load per key and tag shared by the callers that
// give the same tag. A subscription's payload reads its subject so after
// the event that woke it (tag: the event's id): the event can be read from
// the outbox before this instance has heard of the write's invalidation,
// and then either tier could still serve the value from before it. Every
// subscriber of the product on this instance shares the one load.
func FreshReads(ctx context.Context, tag string) context.Context {
	return context.WithValue(ctx, freshKey{}, tag)
}

// readFresh is readThrough under FreshReads: nothing is stored (the
// version the value is of is not known).
func readFresh[T any](ctx context.Context, c *Catalog, dataKey, tag string, load func(context.Context) (T, error)) (T, error) {
	recorderFrom(ctx).spoil()
	c.stats.Misses.Add(1)
	ch := c.flight.DoChan("fresh:"+dataKey+"@"+tag, func() (any, error) {
		if c.bg.enter() {
			defer c.bg.leave()
		}
		c.stats.Loads.Add(1)
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
		defer cancel()
		return load(lctx)
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
