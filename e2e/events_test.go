package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

const addOrderNoteDoc = `mutation($o: String!, $m: String, $n: String) { addOrderNote(orderId: $o, message: $m, note: $n) { ` + orderFields + ` } }`

// mustEventsEverywhere reads an order's events as c through each field that
// shows orders, and fails unless every one shows the same events; it
// returns them, and the bodies of the responses.
func (c *client) mustEventsEverywhere(tb testing.TB, id string) ([]eventView, string) {
	tb.Helper()
	const events = `orderId events { status actor message note at }`
	var bodies strings.Builder
	read := func(doc string, vars map[string]any, pick func(json.RawMessage) []eventView) []eventView {
		r := c.MustPost(tb, doc, vars)
		if r.Status != 200 || len(r.Errors) > 0 {
			tb.Fatalf("%s: %d %+v", doc, r.Status, r.Errors)
		}
		bodies.Write(r.Data)
		return pick(r.Data)
	}
	byID := read(`query($o: String!) { getOrderById(orderId: $o) { `+events+` } }`, map[string]any{"o": id}, func(d json.RawMessage) []eventView {
		var out struct{ GetOrderByID orderView }
		_ = json.Unmarshal(d, &out)
		return out.GetOrderByID.Events
	})
	find := func(orders []orderView) []eventView {
		for _, o := range orders {
			if o.OrderID == id {
				return o.Events
			}
		}
		tb.Fatalf("order %s not listed", id)
		return nil
	}
	page := read(`{ orders(first: 100) { edges { node { `+events+` } } } }`, nil, func(d json.RawMessage) []eventView {
		var out struct {
			Orders struct{ Edges []struct{ Node orderView } }
		}
		_ = json.Unmarshal(d, &out)
		var orders []orderView
		for _, e := range out.Orders.Edges {
			orders = append(orders, e.Node)
		}
		return find(orders)
	})
	list := read(`{ getOrders(limit: 100) { `+events+` } }`, nil, func(d json.RawMessage) []eventView {
		var out struct{ GetOrders []orderView }
		_ = json.Unmarshal(d, &out)
		return find(out.GetOrders)
	})
	for name, got := range map[string][]eventView{"orders": page, "getOrders": list} {
		if fmt.Sprint(eventTexts(got)) != fmt.Sprint(eventTexts(byID)) {
			tb.Fatalf("%s shows events %v, getOrderById %v", name, eventTexts(got), eventTexts(byID))
		}
	}
	return byID, bodies.String()
}

func eventTexts(evs []eventView) []string {
	var out []string
	for _, e := range evs {
		m, n := "<null>", "<null>"
		if e.Message != nil {
			m = *e.Message
		}
		if e.Note != nil {
			n = *e.Note
		}
		out = append(out, e.Status+"|"+e.Actor+"|"+m+"|"+n)
	}
	return out
}

// TestOrderEventsForCustomerAndAdmin: the same order's events, read by its
// customer and by an admin through every field that shows orders. The
// customer reads the messages and "the shop" for an admin, never an
// admin's note or id; the admin reads everything. A note written after the
// customer's read was cached is in the customer's very next read.
func TestOrderEventsForCustomerAndAdmin(t *testing.T) {
	t.Parallel()
	in := MustStart(t, PostgresRedisEnv(t))
	admin := in.MustAdmin(t)
	cust, _ := in.MustCustomer(t)
	p := in.MustCreateProduct(t, 2.5, 20)
	o := cust.MustOrder(t, orderLine{p, 1})
	const secret = "fraud check passed; customer looked dodgy"
	admin.MustTransition(t, o, "paid", secret, "", "")

	// The customer's reads are cached from the second on.
	cust.mustEventsEverywhere(t, o)
	if !cacheServed(t, in, func() { cust.mustEventsEverywhere(t, o) }) {
		t.Fatal("the customer's warm reads of the order were not served from the cache")
	}
	noted := mustOrderIn(t, admin.MustPost(t, addOrderNoteDoc, map[string]any{"o": o, "m": "Your parcel ships on Monday.", "n": "warehouse short-staffed"}), "addOrderNote")
	if len(noted.Events) != 3 || noted.Status != "paid" {
		t.Fatalf("addOrderNote returned %+v", noted)
	}

	for _, tt := range []struct {
		name   string
		reader *client
		want   []string
	}{
		{"the order's customer", cust, []string{
			"pending|" + cust.ID + "|<null>|<null>",
			"paid|the shop|<null>|<null>",
			"paid|the shop|Your parcel ships on Monday.|<null>",
		}},
		{"an admin", admin, []string{
			"pending|" + cust.ID + "|<null>|<null>",
			"paid|" + admin.ID + "|<null>|" + secret,
			"paid|" + admin.ID + "|Your parcel ships on Monday.|warehouse short-staffed",
		}},
	} {
		got, bodies := tt.reader.mustEventsEverywhere(t, o)
		if fmt.Sprint(eventTexts(got)) != fmt.Sprint(tt.want) {
			t.Errorf("%s reads events\n%v\nwant\n%v", tt.name, eventTexts(got), tt.want)
		}
		if tt.reader == cust {
			for _, hidden := range []string{secret, "short-staffed", admin.ID} {
				if strings.Contains(bodies, hidden) {
					t.Errorf("the customer's responses hold %q", hidden)
				}
			}
		}
	}

	// Only admins write notes: addOrderNote is theirs, and a customer's
	// cancellation gives a reason, which is a message.
	MustRefuse(t, cust.MustPost(t, addOrderNoteDoc, map[string]any{"o": o, "m": "hello"}), forbidden)
	o2 := cust.MustOrder(t, orderLine{p, 1})
	MustRefuse(t, cust.MustPost(t, `mutation($o: String!) { cancelOrder(orderId: $o, reason: "changed my mind", note: "psst") { orderId } }`, map[string]any{"o": o2}), badUserInput)
	MustRefuse(t, admin.MustPost(t, addOrderNoteDoc, map[string]any{"o": o2}), badUserInput)
	var out struct{ CancelOrder orderView }
	admin.MustData(t, `mutation($o: String!) { cancelOrder(orderId: $o, reason: "out of stock", note: "supplier late") { `+orderFields+` } }`, map[string]any{"o": o2}, &out)
	if got, _ := cust.mustEventsEverywhere(t, o2); fmt.Sprint(eventTexts(got)) != fmt.Sprint([]string{"pending|" + cust.ID + "|<null>|<null>", "cancelled|the shop|out of stock|<null>"}) {
		t.Errorf("the customer reads the admin's cancellation as %v", eventTexts(got))
	}
	if got, _ := admin.mustEventsEverywhere(t, o2); eventTexts(got)[1] != "cancelled|"+admin.ID+"|out of stock|supplier late" {
		t.Errorf("the admin reads its cancellation as %v", eventTexts(got))
	}
}
