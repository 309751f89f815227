package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

const (
	subProductDoc      = `subscription($p: String!) { productUpdated(productId: $p) { productId price stockCount active } }`
	subOrderDoc        = `subscription($o: String!) { orderUpdated(orderId: $o) { orderId status events { status } } }`
	subMyOrdersDoc     = `subscription { myOrders { orderId status customerId } }`
	subOrderEventsDoc  = `subscription { orderEvents { orderId status message note actor order { orderId status } } }`
	updatePriceDoc     = `mutation($p: String!, $price: Float!) { updateProduct(input: {productId: $p, price: $price}) { price } }`
	deactivateDoc      = `mutation($p: String!) { updateProduct(input: {productId: $p, active: false}) { active } }`
	deleteProductDoc   = `mutation($p: String!) { deleteProduct(productId: $p) }`
	subscriptionWait   = 5 * time.Second
	productPayloadWant = `{"productUpdated":{"productId":"%s"`
)

type liveProduct struct {
	ProductUpdated struct {
		ProductID  string
		Price      float64
		StockCount int
		Active     bool
	}
}

type liveOrder struct {
	OrderID, Status, CustomerID string
	Events                      []struct{ Status string }
}

// TestSubscriptionsOnEachBackend: the four subscriptions over the
// graphql-transport-ws protocol, on the embedded default (SQLite, the
// in-process signal) and on PostgreSQL with Redis: each payload is the
// subject as it is after the change, as its subscriber may read it.
func TestSubscriptionsOnEachBackend(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  func(testing.TB) map[string]string
	}{
		{"SQLite", EmbeddedEnv},
		{"PostgreSQL", PostgresRedisEnv},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := MustStart(t, tc.env(t))
			admin := in.MustAdmin(t)
			ann, _ := in.MustCustomer(t)
			bob, _ := in.MustCustomer(t)
			pid := in.MustCreateProduct(t, 10, 50)

			// productUpdated: anyone, anonymous included.
			anon := MustDialWS(t, in).MustInit("").MustSubscribe("p", subProductDoc, map[string]any{"p": pid})
			admin.MustData(t, updatePriceDoc, map[string]any{"p": pid, "price": 12.5}, &struct{}{})
			var p liveProduct
			anon.MustNext("p", subscriptionWait, &p)
			if p.ProductUpdated.ProductID != pid || p.ProductUpdated.Price != 12.5 || p.ProductUpdated.StockCount != 50 {
				t.Fatalf("productUpdated after a price change: %+v", p.ProductUpdated)
			}

			// Ann's order: orderUpdated for Ann and the admin, myOrders for Ann.
			annWS := MustDialWS(t, in).MustInit(ann.Token).MustSubscribe("mine", subMyOrdersDoc, nil)
			oid := ann.MustOrder(t, orderLine{ProductID: pid, Quantity: 2})
			var mine struct{ MyOrders liveOrder }
			annWS.MustNext("mine", subscriptionWait, &mine)
			if mine.MyOrders.OrderID != oid || mine.MyOrders.Status != "pending" || mine.MyOrders.CustomerID != ann.ID {
				t.Fatalf("myOrders after createOrder: %+v", mine.MyOrders)
			}
			// The order took stock: the product's subscriber hears of it.
			anon.MustNext("p", subscriptionWait, &p)
			if p.ProductUpdated.StockCount != 48 {
				t.Fatalf("productUpdated after an order of 2: %+v", p.ProductUpdated)
			}

			annWS.MustSubscribe("o", subOrderDoc, map[string]any{"o": oid})
			adminWS := MustDialWS(t, in).MustInit(admin.Token).
				MustSubscribe("o", subOrderDoc, map[string]any{"o": oid}).
				MustSubscribe("all", subOrderEventsDoc, nil)
			admin.MustTransition(t, oid, "cancelled", "internal", "", "")

			var annOrder, adminOrder struct{ OrderUpdated liveOrder }
			// Ann's connection carries two of her subscriptions: one payload
			// each, in either order.
			got := map[string]bool{}
			for len(got) < 2 {
				m := annWS.MustRead(subscriptionWait)
				if m.Type != "next" {
					t.Fatalf("Ann read %+v (%s)", m, m.Payload)
				}
				got[m.ID] = true
				var res struct{ Data json.RawMessage }
				_ = json.Unmarshal(m.Payload, &res)
				switch m.ID {
				case "o":
					_ = json.Unmarshal(res.Data, &annOrder)
				case "mine":
					_ = json.Unmarshal(res.Data, &mine)
				}
			}
			if annOrder.OrderUpdated.Status != "cancelled" || len(annOrder.OrderUpdated.Events) != 2 || mine.MyOrders.Status != "cancelled" {
				t.Fatalf("Ann's payloads after the cancellation: %+v %+v", annOrder, mine)
			}
			adminWS.MustNext("o", subscriptionWait, &adminOrder)
			if adminOrder.OrderUpdated.Status != "cancelled" {
				t.Fatalf("the admin's orderUpdated: %+v", adminOrder)
			}
			var ev struct {
				OrderEvents struct {
					OrderID, Status, Actor string
					Note                   *string
					Order                  struct{ OrderID, Status string }
				}
			}
			adminWS.MustNext("all", subscriptionWait, &ev)
			if e := ev.OrderEvents; e.OrderID != oid || e.Status != "cancelled" || e.Note == nil || *e.Note != "internal" || e.Order.Status != "cancelled" || e.Actor != admin.ID {
				t.Fatalf("orderEvents after the cancellation: %+v", ev.OrderEvents)
			}

			// The cancellation put the stock back.
			anon.MustNext("p", subscriptionWait, &p)
			if p.ProductUpdated.StockCount != 50 {
				t.Fatalf("productUpdated after the cancellation: %+v", p.ProductUpdated)
			}

			// Bob may follow his own orders and products, not Ann's order,
			// nor every order.
			bobWS := MustDialWS(t, in).MustInit(bob.Token)
			mustSubscribeError(t, bobWS, "x", subOrderDoc, map[string]any{"o": oid}, "NOT_FOUND")
			mustSubscribeError(t, bobWS, "y", subOrderEventsDoc, nil, "FORBIDDEN")
			mustSubscribeError(t, anon, "z", subMyOrdersDoc, nil, "UNAUTHENTICATED")

			// A product that disappears from a shopper's view ends the
			// subscription with an error.
			admin.MustData(t, deactivateDoc, map[string]any{"p": pid}, &struct{}{})
			m := anon.MustRead(subscriptionWait)
			if m.Type != "error" || m.ID != "p" || !strings.Contains(string(m.Payload), "NOT_FOUND") {
				t.Fatalf("after the product was deactivated: %+v (%s)", m, m.Payload)
			}
		})
	}
}

// mustSubscribeError checks that a subscribe is refused with an error
// message of code, the connection staying open.
func mustSubscribeError(tb testing.TB, w *wsClient, id, query string, vars map[string]any, code string) {
	tb.Helper()
	w.MustSend(map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": query, "variables": vars}})
	m := w.MustRead(subscriptionWait)
	if m.Type != "error" || m.ID != id {
		tb.Fatalf("subscribe %s: %+v (%s), want an error", id, m, m.Payload)
	}
	var errs []gqlError
	if err := json.Unmarshal(m.Payload, &errs); err != nil || len(errs) == 0 {
		tb.Fatalf("subscribe %s: error payload %s", id, m.Payload)
	}
	if c, _ := errs[0].Extensions["code"].(string); c != code {
		tb.Fatalf("subscribe %s: %s, want %s", id, m.Payload, code)
	}
}
