package ordering_test

import (
	"context"
	"testing"

	"shop/errcode"
	"shop/models"
	"shop/ordering"
)

const (
	orderID   = "00000000-0000-4000-8000-000000000001"
	productID = "00000000-0000-4000-8000-000000000002"
)

var (
	admin    = models.Caller{UserID: "00000000-0000-4000-8000-0000000000ad", Role: models.RoleAdmin}
	alice    = models.Caller{UserID: "00000000-0000-4000-8000-0000000000a1", Role: models.RoleCustomer}
	bob      = models.Caller{UserID: "00000000-0000-4000-8000-0000000000b0", Role: models.RoleCustomer}
	nobody   = models.Caller{}
	limits   = models.OrderLimits{MaxLineQuantity: 5, MaxOrderUnits: 8, MaxPendingOrders: 2, MaxPendingUnits: 10}
	aliceKey = alice.UserID
)

// fakeStore is every port over one order of alice's, recording what
// reached it.
type fakeStore struct {
	order     models.Order
	placed    []models.OrderRequest
	changes   []models.StatusChange
	filters   []models.OrderFilter
	eventsFor int // calls of OrderEvents
	paysFor   int // calls of OrderPayments
}

func newStore() *fakeStore {
	return &fakeStore{order: models.Order{ID: orderID, CustomerID: alice.UserID, Status: models.OrderStatusPending}}
}

func (f *fakeStore) ListOrders(_ context.Context, _ models.Page, of models.OrderFilter) ([]models.Order, error) {
	f.filters = append(f.filters, of)
	return []models.Order{f.order}, nil
}

func (f *fakeStore) OrdersPage(_ context.Context, _ models.Connection, of models.OrderFilter) (models.OrderPage, error) {
	f.filters = append(f.filters, of)
	return models.OrderPage{Orders: []models.Order{f.order}}, nil
}

func (f *fakeStore) OrderByID(_ context.Context, id string) (*models.Order, error) {
	if id != f.order.ID {
		return nil, &models.Error{Code: errcode.NotFound, Message: "none"}
	}
	o := f.order
	return &o, nil
}

func (f *fakeStore) OrderEvents(_ context.Context, ids []string) (map[string][]models.OrderEvent, error) {
	f.eventsFor++
	out := map[string][]models.OrderEvent{}
	for _, id := range ids {
		out[id] = []models.OrderEvent{{OrderID: id, Status: "pending", Note: "internal", Actor: admin.UserID}}
	}
	return out, nil
}

func (f *fakeStore) OrderPayments(_ context.Context, ids []string) (map[string]*models.Payment, error) {
	f.paysFor++
	return map[string]*models.Payment{ids[0]: {ID: "pay", OrderID: ids[0]}}, nil
}

func (f *fakeStore) CreateOrder(_ context.Context, req models.OrderRequest) (*models.Order, error) {
	f.placed = append(f.placed, req)
	o := f.order
	o.CustomerID = req.CustomerID
	return &o, nil
}

func (f *fakeStore) AddOrderNote(context.Context, models.OrderNote) (*models.Order, error) {
	o := f.order
	return &o, nil
}

func (f *fakeStore) ChangeOrderStatus(_ context.Context, ch models.StatusChange) (*models.Order, error) {
	f.changes = append(f.changes, ch)
	o := f.order
	o.Status = ch.To
	return &o, nil
}

func newService(f *fakeStore) *ordering.Service {
	return ordering.New(ordering.Options{Reader: f, Writer: f, Status: f, Limits: limits, MaxPageSize: 50})
}

func lines(q int) []models.OrderLine { return []models.OrderLine{{ProductID: productID, Quantity: q}} }

func TestPlace(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newStore()
	s := newService(f)

	// A customer orders for itself, within the limits, as the actor.
	if _, err := s.Place(ctx, alice, ordering.NewOrder{Lines: lines(2)}, ordering.Include{}); err != nil {
		t.Fatal(err)
	}
	req := f.placed[0]
	if req.CustomerID != alice.UserID || req.Actor != alice.UserID || req.Pending != limits.Pending() {
		t.Fatalf("request %+v: want alice's, with the pending caps", req)
	}
	// ...not for another customer, and not past the limits.
	other := bob.UserID
	if _, err := s.Place(ctx, alice, ordering.NewOrder{CustomerID: &other, Lines: lines(1)}, ordering.Include{}); models.ErrorCode(err) != errcode.Forbidden {
		t.Fatalf("alice ordering for bob: %v, want FORBIDDEN", err)
	}
	if _, err := s.Place(ctx, alice, ordering.NewOrder{Lines: lines(6)}, ordering.Include{}); models.ErrorCode(err) != errcode.BadUserInput {
		t.Fatalf("a line past MAX_LINE_QUANTITY: %v, want BAD_USER_INPUT", err)
	}
	if _, err := s.Place(ctx, nobody, ordering.NewOrder{Lines: lines(1)}, ordering.Include{}); models.ErrorCode(err) != errcode.Unauthenticated {
		t.Fatalf("an anonymous order: %v, want UNAUTHENTICATED", err)
	}
	// An admin orders for anyone, exempt from the limits.
	if _, err := s.Place(ctx, admin, ordering.NewOrder{CustomerID: &aliceKey, Lines: lines(50)}, ordering.Include{}); err != nil {
		t.Fatal(err)
	}
	req = f.placed[len(f.placed)-1]
	if req.CustomerID != alice.UserID || req.Actor != admin.UserID || req.Pending.On() {
		t.Fatalf("admin's request %+v: want alice's, by the admin, with no caps", req)
	}
	// The idempotency key comes from the header or the input, which must
	// agree.
	if _, err := s.Place(ctx, alice, ordering.NewOrder{Lines: lines(1), HeaderKey: "k-1"}, ordering.Include{}); err != nil {
		t.Fatal(err)
	}
	if got := f.placed[len(f.placed)-1].IdempotencyKey; got != "k-1" {
		t.Fatalf("key %q, want the header's", got)
	}
	if _, err := s.Place(ctx, alice, ordering.NewOrder{Lines: lines(1), IdempotencyKey: "k-2"}, ordering.Include{}); err != nil {
		t.Fatal(err)
	}
	if got := f.placed[len(f.placed)-1].IdempotencyKey; got != "k-2" {
		t.Fatalf("key %q, want the input's", got)
	}
	n := len(f.placed)
	if _, err := s.Place(ctx, alice, ordering.NewOrder{Lines: lines(1), HeaderKey: "k-1", IdempotencyKey: "k-2"}, ordering.Include{}); models.ErrorCode(err) != errcode.BadUserInput {
		t.Fatalf("keys that differ: %v, want BAD_USER_INPUT", err)
	}
	if len(f.placed) != n {
		t.Fatal("a refused order reached the store")
	}
}

// Another customer's order looks like a missing one, and a customer asking
// for another's orders gets an empty page without a read.
func TestOrdersAsCallerMaySee(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newStore()
	s := newService(f)
	if o, err := s.Order(ctx, bob, orderID, ordering.Include{}); o != nil || err != nil {
		t.Fatalf("bob reads alice's order: %v, %v", o, err)
	}
	if o, err := s.Order(ctx, alice, "00000000-0000-4000-8000-00000000ffff", ordering.Include{}); o != nil || err != nil {
		t.Fatalf("a missing order: %v, %v", o, err)
	}
	for _, c := range []models.Caller{alice, admin} {
		if o, err := s.Order(ctx, c, orderID, ordering.Include{}); o == nil || err != nil {
			t.Fatalf("%s reads alice's order: %v, %v", c.UserID, o, err)
		}
	}
	if _, err := s.Order(ctx, nobody, orderID, ordering.Include{}); models.ErrorCode(err) != errcode.Unauthenticated {
		t.Fatalf("anonymous: %v, want UNAUTHENTICATED", err)
	}
	aliceID := alice.UserID
	page, err := s.Page(ctx, bob, ordering.Query{CustomerID: &aliceID}, ordering.Include{})
	if err != nil || len(page.Orders) != 0 || len(f.filters) != 0 {
		t.Fatalf("bob's page of alice's orders: %+v, %v, %d reads", page, err, len(f.filters))
	}
	if _, err := s.List(ctx, bob, nil, nil, ordering.Include{}); err != nil {
		t.Fatal(err)
	}
	if got := f.filters[0]; got.CustomerID != bob.UserID || !got.WithoutItems {
		t.Fatalf("bob's list filter %+v: want his own orders, without items", got)
	}
	if _, err := s.List(ctx, admin, nil, nil, ordering.Include{Items: true}); err != nil {
		t.Fatal(err)
	}
	if got := f.filters[1]; got.CustomerID != "" || got.WithoutItems {
		t.Fatalf("an admin's list filter %+v: want every order, with items", got)
	}
}

// Events and payments are loaded only when asked for, and events as the
// caller may read them.
func TestIncludeLoadsWhatIsAskedFor(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newStore()
	s := newService(f)
	os, err := s.List(ctx, alice, nil, nil, ordering.Include{})
	if err != nil || f.eventsFor != 0 || f.paysFor != 0 || os[0].Events != nil || os[0].PaymentLoaded {
		t.Fatalf("nothing asked for, yet loaded: %d event reads, %d payment reads, %v", f.eventsFor, f.paysFor, err)
	}
	os, err = s.List(ctx, alice, nil, nil, ordering.Include{Events: true, Payment: true})
	if err != nil || f.eventsFor != 1 || f.paysFor != 1 {
		t.Fatalf("%d event reads, %d payment reads, %v", f.eventsFor, f.paysFor, err)
	}
	if e := os[0].Events[0]; e.Note != "" || e.Actor != models.ActorShop {
		t.Fatalf("the customer sees event %+v: want no internal note, and the shop as the actor", e)
	}
	if !os[0].PaymentLoaded || os[0].Payment == nil {
		t.Fatalf("payment not attached: %+v", os[0])
	}
	o, err := s.Order(ctx, admin, orderID, ordering.Include{Events: true})
	if err != nil || o.Events[0].Note != "internal" || o.Events[0].Actor != admin.UserID {
		t.Fatalf("the admin sees %+v, %v: want the whole event", o, err)
	}
	events, err := s.Events(ctx, bob, f.order)
	if err != nil || events[0].Note != "" {
		t.Fatalf("events for a customer: %+v, %v", events, err)
	}
}

// Status changes are judged here and made through the StatusChanger.
func TestStatusChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newStore()
	s := newService(f)
	up := ordering.StatusUpdate{OrderID: orderID, Status: "paid"}
	if _, err := s.UpdateStatus(ctx, alice, up, ordering.Include{}); models.ErrorCode(err) != errcode.Forbidden {
		t.Fatalf("a customer updating a status: %v, want FORBIDDEN", err)
	}
	if _, err := s.Cancel(ctx, nobody, orderID, "", "", ordering.Include{}); models.ErrorCode(err) != errcode.Unauthenticated {
		t.Fatalf("an anonymous cancellation: %v, want UNAUTHENTICATED", err)
	}
	if len(f.changes) != 0 {
		t.Fatal("a refused change reached the StatusChanger")
	}
	if o, err := s.UpdateStatus(ctx, admin, up, ordering.Include{}); err != nil || o.Status != "paid" {
		t.Fatalf("admin: %+v, %v", o, err)
	}
	if o, err := s.Cancel(ctx, alice, orderID, "changed my mind", "", ordering.Include{}); err != nil || o.Status != models.OrderStatusCancelled {
		t.Fatalf("alice cancels: %+v, %v", o, err)
	}
	if len(f.changes) != 2 || f.changes[1].Actor != alice.UserID {
		t.Fatalf("changes %+v", f.changes)
	}
}
