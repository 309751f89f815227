package cache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"shop/models"
)

// A customer's orders are cached only inside that customer's own whole
// responses (CustomerResponse): mobile clients poll "my orders", and one
// customer's orders change rarely. Every customer has a version key,
// v:c:<hash of the id>, that every change to any of its orders replaces
// (creation here; status changes, cancellation and expiry through
// changeOrder and ordersChanged), in the same round trip as the products
// the change touches. A read of a customer's orders records that version,
// taken before the rows are read, in the request's recorder, as
// readThrough does for products: so a response computed from rows older
// than a concurrent change depends on the version the change replaced,
// and is never served.
//
// Orders themselves are never cached as data: a response missing from the
// cache reads them from the database, and a new order is always checked
// against the database.

// customerVersionKey is the version of customerID's orders. Customer ids
// are user ids, but an admin may order for any customerId up to 128
// characters of any text: hashing keeps the key short and free of the
// spaces and newlines the entry format can't hold. Two ids sharing a key
// would only invalidate each other's responses, never show one's to the
// other: responses are keyed by the whole id (CustomerResponse).
func customerVersionKey(customerID string) string {
	sum := sha256.Sum256([]byte(customerID))
	return "v:c:" + hex.EncodeToString(sum[:16])
}

// customerOrdersChange is the change a write makes when it changes any of
// customerID's orders; it goes into the same Bump as the write's other
// changes.
func customerOrdersChange(customerID string) Change {
	return Change{Key: customerVersionKey(customerID)}
}

// changeSet collects the version keys a write affects, each once, in the
// order added: begin takes its keys before the write, after its changes.
type changeSet struct {
	keys []string
	seen map[string]bool
}

func (s *changeSet) add(key string) {
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	if !s.seen[key] {
		s.seen[key] = true
		s.keys = append(s.keys, key)
	}
}

// customer adds customerID's orders.
func (s *changeSet) customer(customerID string) { s.add(customerVersionKey(customerID)) }

// product adds a product's own entry, whose stock changed, and the lists
// filtered by stock.
func (s *changeSet) product(id string) {
	s.add(productVersionKey(id))
	s.add(stockKey)
	s.add(bothKey)
}

// order adds o's customer's orders and, with stock, the products of o's
// lines (a cancellation puts their stock back).
func (s *changeSet) order(o models.Order, stock bool) {
	s.customer(o.CustomerID)
	if stock {
		for _, it := range o.Items {
			s.product(it.ProductID)
		}
	}
}

func (s *changeSet) changes() []Change {
	out := make([]Change, len(s.keys))
	for i, k := range s.keys {
		out[i] = Change{Key: k}
	}
	return out
}

// CustomerResponse is Response for a response that only customerID may
// see: one that reads that customer's own orders (and perhaps the
// catalog). It is stored under the whole id, so no other caller ever gets
// it, and depends on the customer's version as well as on every product
// it shows.
func (c *Catalog) CustomerResponse(ctx context.Context, customerID, key string) (body []byte, ok bool, exec context.Context, fill func([]byte)) {
	sum := sha256.Sum256([]byte("customer\x00" + customerID + "\x00" + key))
	return c.response(ctx, "d:resp:c:"+hex.EncodeToString(sum[:]), customerID)
}

// observeCustomer records in the request's recorder the current version of
// customerID's orders. Callers take it before they read the orders, so the
// rows are at least as new as the version. A version this instance's local
// tier holds is as good as one read from Redis: it may be older than
// Redis's, which only makes the response depend on a version already
// replaced, never the reverse. No recorder (a request that is not cached):
// nothing to do.
func (c *Catalog) observeCustomer(ctx context.Context, customerID string) {
	rec := recorderFrom(ctx)
	if rec == nil {
		return
	}
	key := customerVersionKey(customerID)
	now := time.Now()
	if c.pend.untrusted(key, now) {
		// A write of this instance to these orders is not confirmed yet.
		rec.spoil()
		return
	}
	if c.l1 != nil {
		if v, ok := c.l1.version(key, now); ok {
			rec.add(dep{key: key, version: v})
			return
		}
	}
	_, versions, err := c.backend.Lookup(ctx, nil, []string{key}, c.ttl)
	if err != nil {
		c.cacheFault("read "+key, err)
		rec.spoil()
		return
	}
	if c.l1 != nil {
		c.l1.learn(key, versions[0], now)
	}
	rec.add(dep{key: key, version: versions[0]})
}

// observeOrders records what a list of orders under f depends on: one
// customer's orders depend on that customer's version. No version covers
// every customer's orders (an admin's list), so such a list spoils the
// response.
func (c *Catalog) observeOrders(ctx context.Context, f models.OrderFilter) {
	if f.CustomerID == "" {
		recorderFrom(ctx).spoil()
		return
	}
	c.observeCustomer(ctx, f.CustomerID)
}

func (c *Catalog) ListOrders(ctx context.Context, page models.Page, f models.OrderFilter) ([]models.Order, error) {
	c.observeOrders(ctx, f)
	return c.next.ListOrders(ctx, page, f)
}

func (c *Catalog) OrdersPage(ctx context.Context, conn models.Connection, f models.OrderFilter) (models.OrderPage, error) {
	c.observeOrders(ctx, f)
	return c.next.OrdersPage(ctx, conn, f)
}

// OrderByID can't know an order's customer before it has read the order,
// and the version must be taken before the read. Inside a customer's own
// response it takes that customer's (the viewer's) version first, then:
//
//   - the viewer's order: it depends on the viewer's version, which every
//     change to the order replaces;
//   - another customer's order (which the resolvers show as null): the
//     response is not stored. The viewer's version says nothing about that
//     order, and such a request is a probe, not a poll;
//   - no such order: the null depends on the viewer's version. An order
//     can come to exist under that id only by being created, and the only
//     creation that could make this viewer see it is one for this viewer,
//     which replaces this viewer's version; one for anybody else leaves
//     the null true for this viewer for good. Recording nothing instead
//     would store a null that only the TTL retires.
//
// Anywhere else (an admin's request, a catalog response) a cached response
// has no viewer to go by, so it is not stored.
func (c *Catalog) OrderByID(ctx context.Context, id string) (*models.Order, error) {
	rec := recorderFrom(ctx)
	if rec == nil {
		return c.next.OrderByID(ctx, id)
	}
	if rec.viewer == "" {
		rec.spoil()
		return c.next.OrderByID(ctx, id)
	}
	c.observeCustomer(ctx, rec.viewer)
	o, err := c.next.OrderByID(ctx, id)
	if (err == nil && o.CustomerID != rec.viewer) || (err != nil && !models.IsNotFound(err)) {
		rec.spoil()
	}
	return o, err
}

// Writes to orders. CreateOrder invalidates the customer's orders and the
// products whose stock it took; lists of products keep their membership.
func (c *Catalog) CreateOrder(ctx context.Context, req models.OrderRequest) (*models.Order, error) {
	var s changeSet
	s.customer(req.CustomerID)
	for _, l := range req.Lines {
		s.product(l.ProductID)
	}
	begun := c.begin(s.keys...)
	o, err := c.next.CreateOrder(ctx, req)
	c.after(ctx, err, begun, s.changes())
	return o, err
}

// changeOrder runs write, a change to the existing order id (its status;
// with stock, one that also moves the stock of its lines, as a
// cancellation does), with the cache around it like every other write: it
// marks the keys before write and invalidates them after the commit, in
// one round trip. An order's customer and lines never change, so they are
// read first, outside write's transaction. If the order can't be read,
// write runs anyway and reports its own error.
//
// A wrapper of a store method that changes one order is then:
//
//	func (c *Catalog) CancelOrder(ctx context.Context, id string, …) (*models.Order, error) {
//		return changeOrder(ctx, c, id, true, func() (*models.Order, error) { return c.next.CancelOrder(ctx, id, …) })
//	}
func changeOrder[T any](ctx context.Context, c *Catalog, id string, stock bool, write func() (T, error)) (T, error) {
	o, err := c.next.OrderByID(ctx, id)
	if err != nil {
		return write()
	}
	var s changeSet
	s.order(*o, stock)
	begun := c.begin(s.keys...)
	v, err := write()
	c.after(ctx, err, begun, s.changes())
	return v, err
}

// ordersChanged invalidates, after their commit, orders changed by a write
// that could not name them beforehand (the background expiry cancels
// whatever has expired, and returns it): their customers' orders and,
// with stock, the products of their lines, in one round trip. The write's
// own instance may serve old entries of those keys between the commit and
// this call, as any instance may before an invalidation reaches it.
func (c *Catalog) ordersChanged(ctx context.Context, stock bool, orders ...models.Order) {
	if len(orders) == 0 {
		return
	}
	var s changeSet
	for _, o := range orders {
		s.order(o, stock)
	}
	c.invalidate(ctx, nil, s.changes())
}
