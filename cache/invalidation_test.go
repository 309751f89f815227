package cache_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"shop/cache"
	"shop/internal/testenv"
	"shop/models"
	"shop/store"
)

// loadCounter is a store that counts the loads of the catalog's reads
// that reach it, by what they load.
type loadCounter struct {
	*store.Store
	mu sync.Mutex
	n  map[string]int
}

func (l *loadCounter) add(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n == nil {
		l.n = map[string]int{}
	}
	l.n[key]++
}

func (l *loadCounter) loads(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n[key]
}

func filterLabel(f models.ProductFilter) string {
	b, _ := json.Marshal(f)
	return string(b)
}

func (l *loadCounter) ProductByID(ctx context.Context, id string) (*models.Product, error) {
	l.add("product " + id)
	return l.Store.ProductByID(ctx, id)
}

func (l *loadCounter) ListProducts(ctx context.Context, page models.Page, f models.ProductFilter) ([]models.Product, error) {
	l.add("list " + filterLabel(f))
	return l.Store.ListProducts(ctx, page, f)
}

func (l *loadCounter) ProductsPage(ctx context.Context, c models.Connection, f models.ProductFilter) (models.ProductPage, error) {
	l.add("page " + filterLabel(f))
	return l.Store.ProductsPage(ctx, c, f)
}

func (l *loadCounter) Categories(ctx context.Context, f models.ProductFilter) ([]models.Category, error) {
	l.add("categories " + filterLabel(f))
	return l.Store.Categories(ctx, f)
}

// view is a read of the catalog that depends on one version key; read
// reports whether it reached the database, which a cached read does not
// until a write retires it.
type view struct {
	name string
	read func() (loaded bool)
}

// catalogViews are reads of c (reading lc) of one version key each: the
// products p and q; the shoppers' list (membership); pages sorted by price
// (fields), filtered by stock (stock) and both; the categories
// (membership); and alice's and bob's own responses that read only their
// orders (their customers' keys).
func catalogViews(t *testing.T, c *cache.Catalog, lc *loadCounter, p, q *models.Product) []view {
	ctx := context.Background()
	loaded := func(key string, read func() error) bool {
		t.Helper()
		before := lc.loads(key)
		if err := read(); err != nil && !models.IsNotFound(err) {
			t.Fatal(err)
		}
		return lc.loads(key) > before
	}
	product := func(name, id string) view {
		return view{name, func() bool {
			return loaded("product "+id, func() error { _, err := c.ProductByID(ctx, id); return err })
		}}
	}
	search := func(s models.ProductSearch) models.ProductFilter {
		f, err := models.ParseProductSearch(s, models.ProductFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	page := func(name string, f models.ProductFilter) view {
		return view{name, func() bool {
			return loaded("page "+filterLabel(f), func() error {
				_, err := c.ProductsPage(ctx, models.Connection{First: 10}, f)
				return err
			})
		}}
	}
	customer := func(who string) view {
		return view{who, func() bool {
			_, hit, exec, fill := c.CustomerResponse(ctx, who, "orders")
			if hit {
				return false
			}
			pg, err := c.OrdersPage(exec, models.Connection{First: 20}, models.OrderFilter{CustomerID: who})
			if err != nil {
				t.Fatal(err)
			}
			fill([]byte(strconv.Itoa(len(pg.Orders))))
			return true
		}}
	}
	return []view{
		product("p", p.ID),
		product("q", q.ID),
		{"list", func() bool {
			return loaded("list "+filterLabel(models.ProductFilter{}), func() error {
				_, err := c.ListProducts(ctx, models.Page{Limit: 10}, models.ProductFilter{})
				return err
			})
		}},
		page("page by price", search(models.ProductSearch{Sort: ptr(string(models.SortPriceAsc))})),
		page("page in stock", search(models.ProductSearch{InStock: ptr(true)})),
		page("page in stock by price", search(models.ProductSearch{InStock: ptr(true), Sort: ptr(string(models.SortPriceAsc))})),
		{"categories", func() bool {
			return loaded("categories "+filterLabel(models.ProductFilter{}), func() error {
				_, err := c.Categories(ctx, models.ProductFilter{})
				return err
			})
		}},
		customer("alice"),
		customer("bob"),
	}
}

// warmViews reads every view until it is cached.
func warmViews(t *testing.T, views []view) {
	t.Helper()
	for _, v := range views {
		v.read()
		v.read()
		if v.read() {
			t.Fatalf("%s not cached after warm-up", v.name)
		}
	}
}

// checkViews reads every view once and checks that exactly those named in
// retired reached the database.
func checkViews(t *testing.T, when string, views []view, retired ...string) {
	t.Helper()
	for _, v := range views {
		if got, want := v.read(), slices.Contains(retired, v.name); got != want {
			t.Errorf("%s: %s retired = %v, want %v", when, v.name, got, want)
		}
	}
}

// Every list view but the categories: what a change of a product's stock
// or fields leaves alone is the membership.
var (
	byStock  = []string{"page in stock", "page in stock by price"}
	byFields = []string{"page by price", "page in stock by price"}
	allLists = []string{"list", "page by price", "page in stock", "page in stock by price", "categories"}
)

// TestEventsRetireWhatTheyChange: each write's events retire, through the
// store's sink, the cached reads they change and no others (changesOf): a
// product's own entry with any change to it; the lists of every kind and
// the categories with a create, a delete or a change of membership; the
// lists sorted or filtered by price with a change of its fields; those
// filtered by stock with a change of its stock; a customer's own
// responses with any event of that customer's orders or payments; the
// categories and the lists of membership with a category's change.
func TestEventsRetireWhatTheyChange(t *testing.T) {
	t.Parallel()
	tieredCatalogs(t, func(t *testing.T, b cache.Backend, st *store.Store, c *cache.Catalog) {
		ctx := context.Background()
		lc := &loadCounter{Store: st}
		c = cache.NewCatalog(lc, c.Invalidator)
		p, _ := st.CreateProduct(ctx, models.NewProduct{Price: 100, StockCount: 10})
		q, _ := st.CreateProduct(ctx, models.NewProduct{Price: 200, StockCount: 10})
		views := catalogViews(t, c, lc, p, q)
		orderOf := func(who string, p *models.Product) *models.Order {
			return mustOrder(t, st, who, p, 1)
		}
		var first, second, third *models.Order // alice's, bob's, alice's
		var payment *models.Payment
		pay := func(o *models.Order) {
			var err error
			payment, err = st.AddPayment(ctx, models.Payment{
				ID: models.PaymentIDFor(o.ID, 1), OrderID: o.ID, Attempt: 1, Provider: models.ProviderStripe,
				ProviderID: "pi_" + o.ID, Status: models.PaymentRequiresPaymentMethod, Amount: o.TotalAmount, Currency: "usd",
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		paymentEvent := func(o *models.Order, id, typ string) {
			if _, err := st.ApplyPaymentEvent(ctx, o.ID, models.PaymentEvent{Provider: payment.Provider, ID: id, Type: typ,
				ProviderPaymentID: payment.ProviderID, Amount: int64(payment.Amount), Currency: payment.Currency,
				FailureMessage: "Your card was declined."}); err != nil {
				t.Fatal(err)
			}
		}
		status := func(o *models.Order, to string) {
			if _, err := st.ChangeOrderStatus(ctx, models.StatusChange{OrderID: o.ID, To: to, Actor: models.ActorSystem}); err != nil {
				t.Fatal(err)
			}
		}
		update := func(patch models.ProductPatch) {
			if _, err := st.UpdateProduct(ctx, p.ID, patch); err != nil {
				t.Fatal(err)
			}
		}
		detailsPatch := func(d models.ProductDetails) models.ProductPatch {
			patch, err := models.ParseProductPatch(p.ID, nil, nil, d)
			if err != nil {
				t.Fatal(err)
			}
			return patch
		}
		price, stock := models.Money(150), 20
		for _, step := range []struct {
			name    string
			write   func()
			retired []string
		}{
			{"product.created", func() {
				if _, err := st.CreateProduct(ctx, models.NewProduct{Price: 1, StockCount: 1}); err != nil {
					t.Fatal(err)
				}
			}, allLists},
			{"product.updated (price: fields)", func() { update(models.ProductPatch{Price: &price}) },
				append([]string{"p"}, byFields...)},
			{"product.updated (name: fields)", func() { update(detailsPatch(models.ProductDetails{Name: ptr("Renamed")})) },
				append([]string{"p"}, byFields...)},
			{"product.updated (stock) and stock.changed", func() { update(models.ProductPatch{StockCount: &stock}) },
				append([]string{"p"}, byStock...)},
			{"product.updated (inactive: membership)", func() { update(detailsPatch(models.ProductDetails{Active: ptr(false)})) },
				append([]string{"p"}, allLists...)},
			{"product.updated (active again: membership)", func() { update(detailsPatch(models.ProductDetails{Active: ptr(true)})) },
				append([]string{"p"}, allLists...)},
			{"stock.changed (an adjustment)", func() {
				if _, err := st.AdjustStock(ctx, models.Adjustment{ProductID: p.ID, Delta: 5, Reason: "found", Actor: "adm"}); err != nil {
					t.Fatal(err)
				}
			}, append([]string{"p"}, byStock...)},
			{"order.placed and stock.changed", func() { first = orderOf("alice", p) },
				append([]string{"p", "alice"}, byStock...)},
			{"payment.started", func() { pay(first) }, []string{"alice"}},
			{"payment.succeeded and order.status_changed", func() {
				paymentEvent(first, "evt_paid", models.EventPaymentSucceeded)
			}, []string{"alice"}},
			{"payment.updated (refunding)", func() {
				if _, err := st.ClaimRefund(ctx, models.StatusChange{OrderID: first.ID, To: models.OrderStatusCancelled, Actor: "adm"}); err != nil {
					t.Fatal(err)
				}
			}, []string{"alice"}},
			{"payment.refunded and order.noted", func() {
				if err := st.SettleRefund(ctx, models.RefundSettlement{PaymentID: payment.ID, OrderID: first.ID, RefundID: "re_1", At: time.Now()}); err != nil {
					t.Fatal(err)
				}
			}, []string{"alice"}},
			{"order.noted", func() {
				if _, err := st.AddOrderNote(ctx, models.OrderNote{OrderID: first.ID, Message: "sorry", Actor: "adm"}); err != nil {
					t.Fatal(err)
				}
			}, []string{"alice"}},
			{"order.placed of another customer and another product", func() { second = orderOf("bob", q) },
				append([]string{"q", "bob"}, byStock...)},
			{"order.status_changed", func() { status(second, models.OrderStatusPaid) }, []string{"bob"}},
			{"order.status_changed (a cancellation) and stock.changed", func() { status(second, models.OrderStatusCancelled) },
				append([]string{"q", "bob"}, byStock...)},
			{"order.placed again", func() { third = orderOf("alice", q) }, append([]string{"q", "alice"}, byStock...)},
			{"payment.started again", func() { pay(third) }, []string{"alice"}},
			{"payment.failed and order.noted", func() { paymentEvent(third, "evt_failed", models.EventPaymentFailed) }, []string{"alice"}},
			{"category.changed", func() {
				nc, err := models.ParseNewCategory("Shoes", nil)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := st.CreateCategory(ctx, nc); err != nil {
					t.Fatal(err)
				}
			}, []string{"list", "categories"}},
			{"a write refused by a rule", func() {
				if _, err := st.AdjustStock(ctx, models.Adjustment{ProductID: p.ID, Delta: -1000, Reason: "lost", Actor: "adm"}); err == nil {
					t.Fatal("an adjustment below zero was taken")
				}
			}, nil},
		} {
			warmViews(t, views)
			step.write()
			checkViews(t, step.name, views, step.retired...)
		}

		// A product deleted: its entry (d:p:<id>) is dropped from the
		// backend, not only retired, and every list changes.
		warmViews(t, views)
		entry := func() []byte {
			vals, err := b.MGet(ctx, "d:p:"+p.ID)
			if err != nil {
				t.Fatal(err)
			}
			return vals[0]
		}
		if entry() == nil {
			t.Fatal("p's entry is not in the backend before its delete: the check below proves nothing")
		}
		if ok, err := st.DeleteProduct(ctx, p.ID); err != nil || !ok {
			t.Fatalf("delete = %v, %v", ok, err)
		}
		if e := entry(); e != nil {
			t.Fatalf("p's entry is left in the backend after its delete: %q", e)
		}
		checkViews(t, "product.deleted", views, append([]string{"p"}, allLists...)...)
		if _, err := c.ProductByID(ctx, p.ID); !models.IsNotFound(err) {
			t.Fatalf("p after its delete: %v, want NOT_FOUND", err)
		}
	})
}

// randomWrite is a write id no store made, for events made by hand.
func randomWrite() int64 { return rand.Int64() }

// TestHandleEachEventAlone: an event handed to the outbox's consumer
// alone, with no other event of its write, retires what it changes and
// nothing else; an event the cache has no use for, or one whose payload
// can't be read, retires nothing it can't name.
func TestHandleEachEventAlone(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, b cache.Backend) {
		ctx := context.Background()
		st, c := mustCached(t, b)
		lc := &loadCounter{Store: st}
		c = cache.NewCatalog(lc, c.Invalidator)
		p, _ := st.CreateProduct(ctx, models.NewProduct{Price: 100, StockCount: 10})
		q, _ := st.CreateProduct(ctx, models.NewProduct{Price: 200, StockCount: 10})
		views := catalogViews(t, c, lc, p, q)
		now := time.Now()
		event := func(typ, subject string, payload any) models.Event {
			e := models.NewEvent(typ, subject, payload, now)
			e.Write = randomWrite()
			return e
		}
		order := models.Order{ID: "00000000-0000-4000-8000-000000000001", CustomerID: "alice", Status: models.OrderStatusPending}
		payment := models.Payment{ID: "00000000-0000-4000-8000-000000000002", OrderID: order.ID, Provider: models.ProviderStripe}
		paymentEvent := func(typ string) models.Event {
			e := models.PaymentEventOf(typ, payment, order, now)
			e.Write = randomWrite()
			return e
		}
		unreadable := event(models.EventProductUpdated, p.ID, nil)
		unreadable.Data = "{not json"
		for _, step := range []struct {
			name    string
			event   models.Event
			retired []string
		}{
			{"product.created", event(models.EventProductCreated, "00000000-0000-4000-8000-000000000003",
				models.ProductChanged{ProductID: "00000000-0000-4000-8000-000000000003"}), allLists},
			{"product.updated, fields", event(models.EventProductUpdated, p.ID,
				models.ProductChanged{ProductID: p.ID, Changes: []string{models.ChangedFields}}), append([]string{"p"}, byFields...)},
			{"product.updated, stock", event(models.EventProductUpdated, p.ID,
				models.ProductChanged{ProductID: p.ID, Changes: []string{models.ChangedStock}}), append([]string{"p"}, byStock...)},
			{"product.updated, membership", event(models.EventProductUpdated, p.ID,
				models.ProductChanged{ProductID: p.ID, Changes: []string{models.ChangedMembership}}), append([]string{"p"}, allLists...)},
			{"product.updated, nothing named", event(models.EventProductUpdated, p.ID,
				models.ProductChanged{ProductID: p.ID}), []string{"p"}},
			{"product.updated, unreadable", unreadable, []string{"p"}},
			{"stock.changed", event(models.EventStockChanged, q.ID,
				models.StockChanged{ProductID: q.ID, Delta: -1, StockAfter: 9}), append([]string{"q"}, byStock...)},
			{"order.placed", event(models.EventOrderPlaced, order.ID,
				models.OrderPlaced{OrderID: order.ID, CustomerID: "bob"}), []string{"bob"}},
			{"order.status_changed", models.StatusEvent(order, models.OrderStatusPending, models.ActorSystem, now), []string{"alice"}},
			{"order.noted", event(models.EventOrderNoted, order.ID,
				models.OrderNoted{OrderID: order.ID, CustomerID: "bob"}), []string{"bob"}},
			{"payment.started", paymentEvent(models.EventPaymentStarted), []string{"alice"}},
			{"payment.succeeded", paymentEvent(models.EventPaymentSuccess), []string{"alice"}},
			{"payment.failed", paymentEvent(models.EventPaymentFailure), []string{"alice"}},
			{"payment.refunded", paymentEvent(models.EventPaymentRefunded), []string{"alice"}},
			{"payment.updated", paymentEvent(models.EventPaymentUpdated), []string{"alice"}},
			{"category.changed", event(models.EventCategoryChanged, "00000000-0000-4000-8000-000000000004",
				models.CategoryChanged{CategoryID: "00000000-0000-4000-8000-000000000004", Op: "created"}), []string{"list", "categories"}},
			{"account.registered", event(models.EventAccountRegistered, "00000000-0000-4000-8000-000000000005",
				models.AccountRegistered{UserID: "00000000-0000-4000-8000-000000000005", Role: "customer"}), nil},
		} {
			if step.event.Write == 0 {
				step.event.Write = randomWrite()
			}
			warmViews(t, views)
			if err := c.Handle(ctx, []models.Event{step.event}); err != nil {
				t.Fatal(err)
			}
			checkViews(t, step.name, views, step.retired...)
		}
	})
}

// TestHandleSkipsWritesTheirInstanceInvalidated: the events of writes
// whose own instance invalidated them (it set their markers) change
// nothing when the outbox's consumer hands them over.
func TestHandleSkipsWritesTheirInstanceInvalidated(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, b cache.Backend) {
		ctx := context.Background()
		st, c := mustCached(t, b)
		lc := &loadCounter{Store: st}
		c = cache.NewCatalog(lc, c.Invalidator)
		p, _ := st.CreateProduct(ctx, models.NewProduct{Price: 100, StockCount: 10})
		q, _ := st.CreateProduct(ctx, models.NewProduct{Price: 200, StockCount: 10})
		price := models.Money(150)
		if _, err := st.UpdateProduct(ctx, p.ID, models.ProductPatch{Price: &price}); err != nil {
			t.Fatal(err)
		}
		mustOrder(t, st, "alice", q, 1)
		evs, err := st.Events(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) < 5 {
			t.Fatalf("%d events of 4 writes", len(evs))
		}
		views := catalogViews(t, c, lc, p, q)
		warmViews(t, views)
		for i := 0; i < 2; i++ { // as often as the dispatcher hands them over
			if err := c.Handle(ctx, evs); err != nil {
				t.Fatal(err)
			}
			checkViews(t, "after the consumer handled writes invalidated already", views)
		}
		if n := c.Stats().FromOutbox.Load(); n != 0 {
			t.Fatalf("%d keys invalidated from the outbox, want 0", n)
		}
	})
}

// TestHandleInvalidatesWritesNobodyInvalidated: the writes of an instance
// that never invalidated them (it died between their COMMIT and their
// invalidation: here, a store with no sink) are invalidated when the
// outbox's consumer hands their events over, on the instance that
// handles them, and those of writes invalidated already among them change
// nothing.
func TestHandleInvalidatesWritesNobodyInvalidated(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, b cache.Backend) {
		ctx := context.Background()
		path := dbPath(t)
		st, c := mustInstance(t, path, b)
		lc := &loadCounter{Store: st}
		c = cache.NewCatalog(lc, c.Invalidator)
		dead := openStore(t, path, nil) // the instance that dies
		p, _ := st.CreateProduct(ctx, models.NewProduct{Price: 100, StockCount: 10})
		q, _ := st.CreateProduct(ctx, models.NewProduct{Price: 200, StockCount: 10})
		views := catalogViews(t, c, lc, p, q)
		warmViews(t, views)
		aliceOrders := func() string {
			t.Helper()
			body, hit, exec, fill := c.CustomerResponse(ctx, "alice", "orders")
			if hit {
				return string(body)
			}
			pg, err := c.OrdersPage(exec, models.Connection{First: 20}, models.OrderFilter{CustomerID: "alice"})
			if err != nil {
				t.Fatal(err)
			}
			fill([]byte(strconv.Itoa(len(pg.Orders))))
			return strconv.Itoa(len(pg.Orders))
		}
		shown := func() *models.Product {
			t.Helper()
			got, err := c.ProductByID(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}

		price := models.Money(300)
		if _, err := dead.UpdateProduct(ctx, p.ID, models.ProductPatch{Price: &price}); err != nil {
			t.Fatal(err)
		}
		mustOrder(t, dead, "alice", p, 2)
		// Nobody told the catalog: it serves what it had.
		if got := shown(); got.Price != 100 || got.StockCount != 10 {
			t.Fatalf("before the outbox: %+v; the test needs the old product cached", got)
		}
		if got := aliceOrders(); got != "0" {
			t.Fatalf("before the outbox: alice's response shows %s orders; the test needs the old one cached", got)
		}

		evs, err := st.Events(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ { // repeating it is harmless
			if err := c.Handle(ctx, evs); err != nil {
				t.Fatal(err)
			}
			if got := shown(); got.Price != 300 || got.StockCount != 8 {
				t.Fatalf("after the outbox (%d): %+v; want price 300, stock 8", i+1, got)
			}
			if got := aliceOrders(); got != "1" {
				t.Fatalf("after the outbox (%d): alice's response shows %s orders, want 1", i+1, got)
			}
		}
		if c.Stats().FromOutbox.Load() == 0 {
			t.Fatal("nothing counted as invalidated from the outbox")
		}

		// Once more, with every view warm, in a batch that holds a write
		// its instance invalidated (q's new price) and one it did not (the
		// dead instance's adjustment of p): only the latter's changes are
		// retired.
		last := evs[len(evs)-1].ID
		if _, err := st.UpdateProduct(ctx, q.ID, models.ProductPatch{Price: &price}); err != nil {
			t.Fatal(err)
		}
		if _, err := dead.AdjustStock(ctx, models.Adjustment{ProductID: p.ID, Delta: -3, Reason: "lost", Actor: "adm"}); err != nil {
			t.Fatal(err)
		}
		warmViews(t, views)
		evs, err = st.Events(ctx, last, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 2 || evs[0].Write == evs[1].Write {
			t.Fatalf("events of the two writes: %+v", evs)
		}
		if err := c.Handle(ctx, evs); err != nil {
			t.Fatal(err)
		}
		checkViews(t, "after the outbox handed over both writes", views, append([]string{"p"}, byStock...)...)
		if got := shown(); got.StockCount != 5 {
			t.Fatalf("stock %d, want 5", got.StockCount)
		}
	})
}

// TestHandleReachesOtherInstances: on Redis, the instance that handles
// the events of a write nobody invalidated tells the others, whose local
// tiers then serve the write too.
func TestHandleReachesOtherInstances(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	path := dbPath(t) // one database, two instances and the one that dies
	url, prefix := testenv.MustRedis(t)
	instance := func() (*store.Store, *cache.Catalog) {
		r, err := cache.NewRedis(url, prefix, 500*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = r.Close() })
		st, c := mustInstance(t, path, r)
		if err := c.EnableLocal(ctx, time.Minute, 1000, 1<<20); err != nil {
			t.Fatal(err)
		}
		testenv.WaitFor(t, func() bool { return c.Stats().Resets.Load() >= 1 }) // subscribed
		return st, c
	}
	st, handler := instance()
	_, other := instance()
	dead := openStore(t, path, nil)

	p, _ := st.CreateProduct(ctx, models.NewProduct{Price: 100, StockCount: 10})
	testenv.WaitFor(t, func() bool { return other.Stats().Messages.Load() >= 1 }) // the create's
	stock := func(c *cache.Catalog) int {
		t.Helper()
		got, err := c.ProductByID(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.StockCount
	}
	orders := func(c *cache.Catalog) (hit bool, body string) {
		t.Helper()
		b, hit, exec, fill := c.CustomerResponse(ctx, "alice", "orders")
		if hit {
			return true, string(b)
		}
		pg, err := c.OrdersPage(exec, models.Connection{First: 20}, models.OrderFilter{CustomerID: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		body = strconv.Itoa(len(pg.Orders))
		fill([]byte(body))
		return false, body
	}
	for _, c := range []*cache.Catalog{handler, other} {
		stock(c)
		orders(c)
	}
	localHits := other.Stats().LocalHits.Load()
	if got := stock(other); got != 10 || other.Stats().LocalHits.Load() == localHits {
		t.Fatalf("the other instance: stock %d, local hits %d; want 10 from its local tier", got, other.Stats().LocalHits.Load()-localHits)
	}
	if hit, body := orders(other); !hit || body != "0" {
		t.Fatalf("the other instance's response of alice's orders: hit %v, %q; want a hit showing 0", hit, body)
	}

	mustOrder(t, dead, "alice", p, 3)
	if got := stock(other); got != 10 {
		t.Fatalf("before the outbox: the other instance shows stock %d; the test needs the old one in its local tier", got)
	}
	messages := other.Stats().Messages.Load()
	evs, err := st.Events(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if err := handler.Handle(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if got := stock(handler); got != 7 {
		t.Fatalf("the handling instance shows stock %d, want 7", got)
	}
	testenv.WaitFor(t, func() bool { return other.Stats().Messages.Load() > messages })
	if got := stock(other); got != 7 {
		t.Fatalf("the other instance shows stock %d after the handler's message, want 7", got)
	}
	if _, body := orders(other); body != "1" {
		t.Fatalf("the other instance's response of alice's orders shows %s, want 1", body)
	}
}
