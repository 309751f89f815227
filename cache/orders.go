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
// (every order and payment event names the customer: changesOf), in the
// same round trip as the products the change touches. A read of a customer's orders records that version,
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
