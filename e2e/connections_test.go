package e2e

import (
	"testing"
)

func TestConnectionsThroughTheAPI(t *testing.T) {
	t.Parallel()
	in := MustStart(t, PostgresRedisEnv(t))
	var ids []string
	for i := 0; i < 5; i++ {
		ids = append(ids, in.MustCreateProduct(t, float64(i)+0.5, 10))
	}
	type page struct {
		Products struct {
			Edges []struct {
				Cursor string
				Node   struct{ ProductID string }
			}
			PageInfo struct {
				HasNextPage bool
				EndCursor   *string
			}
		}
	}
	var walked []string
	var after *string
	for i := 0; i < 4; i++ {
		var pg page
		in.MustData(t, `query($after: String) { products(first: 2, after: $after) { edges { cursor node { productId } } pageInfo { hasNextPage endCursor } } }`,
			map[string]any{"after": after}, &pg)
		for _, e := range pg.Products.Edges {
			walked = append(walked, e.Node.ProductID)
		}
		if n := len(pg.Products.Edges); n > 0 && *pg.Products.PageInfo.EndCursor != pg.Products.Edges[n-1].Cursor {
			t.Fatal("endCursor is not the last edge's cursor")
		}
		if !pg.Products.PageInfo.HasNextPage {
			break
		}
		after = pg.Products.PageInfo.EndCursor
	}
	if len(walked) != 5 {
		t.Fatalf("walked %v", walked)
	}
	for i := range ids {
		if walked[i] != ids[i] {
			t.Fatalf("walked %v, want %v", walked, ids)
		}
	}
	// A write invalidates cached pages.
	admin := in.MustAdmin(t)
	admin.MustData(t, `mutation($id: String!) { deleteProduct(productId: $id) }`, map[string]any{"id": ids[0]}, &struct{}{})
	var pg page
	in.MustData(t, `{ products(first: 2) { edges { node { productId } } pageInfo { hasNextPage endCursor } } }`, nil, &pg)
	if pg.Products.Edges[0].Node.ProductID != ids[1] {
		t.Fatalf("first page after deleting the first product starts with %s", pg.Products.Edges[0].Node.ProductID)
	}

	for _, c := range []string{"alice", "bob", "alice"} {
		admin.MustData(t, `mutation($c: String!, $id: String!) { createOrder(input: {customerId: $c, items: [{productId: $id, quantity: 1}]}) { orderId } }`,
			map[string]any{"c": c, "id": ids[2]}, &struct{}{})
	}
	var orders struct {
		Orders struct {
			Edges    []struct{ Node struct{ CustomerID string } }
			PageInfo struct{ HasNextPage bool }
		}
	}
	admin.MustData(t, `{ orders(first: 5, customerId: "alice", status: "pending") { edges { node { customerId } } pageInfo { hasNextPage } } }`, nil, &orders)
	if len(orders.Orders.Edges) != 2 || orders.Orders.PageInfo.HasNextPage || orders.Orders.Edges[0].Node.CustomerID != "alice" {
		t.Fatalf("alice's orders: %+v", orders)
	}
	for _, tc := range []struct{ doc, code string }{
		{`{ products(first: 101) { pageInfo { hasNextPage } } }`, "BAD_USER_INPUT"},
		{`{ products(after: "nonsense") { pageInfo { hasNextPage } } }`, "BAD_USER_INPUT"},
		{`{ orders(status: "lost") { pageInfo { hasNextPage } } }`, "BAD_USER_INPUT"},
	} {
		if r := admin.MustPost(t, tc.doc, nil); r.Code() != tc.code {
			t.Errorf("%s: code %q, want %s (%+v)", tc.doc, r.Code(), tc.code, r.Errors)
		}
	}
}

// TestListsNeverExceedTheMaximum: getProducts and getOrders return at most
// MAX_PAGE_SIZE items, with or without a larger limit.
func TestListsNeverExceedTheMaximum(t *testing.T) {
	t.Parallel()
	env := EmbeddedEnv(t)
	env["MAX_PAGE_SIZE"] = "3"
	in := MustStart(t, env)
	admin := in.MustAdmin(t)
	var id string
	for i := 0; i < 5; i++ {
		id = in.MustCreateProduct(t, 1, 100)
		admin.MustData(t, `mutation($id: String!) { createOrder(input: {customerId: "c", items: [{productId: $id, quantity: 1}]}) { orderId } }`,
			map[string]any{"id": id}, &struct{}{})
	}
	for _, q := range []string{`{ getProducts { productId } }`, `{ getProducts(limit: 10) { productId } }`} {
		var out struct{ GetProducts []struct{ ProductID string } }
		in.MustData(t, q, nil, &out)
		if len(out.GetProducts) != 3 {
			t.Fatalf("%s returned %d products, want the maximum of 3", q, len(out.GetProducts))
		}
	}
	for _, q := range []string{`{ getOrders { orderId } }`, `{ getOrders(limit: 100) { orderId } }`} {
		var out struct{ GetOrders []struct{ OrderID string } }
		admin.MustData(t, q, nil, &out)
		if len(out.GetOrders) != 3 {
			t.Fatalf("%s returned %d orders, want the maximum of 3", q, len(out.GetOrders))
		}
	}
	var out struct{ GetProducts []struct{ ProductID string } }
	in.MustData(t, `{ getProducts(limit: 2, offset: 3) { productId } }`, nil, &out)
	if len(out.GetProducts) != 2 || out.GetProducts[1].ProductID != id {
		t.Fatalf("limit 2 offset 3 = %+v, want the last two products", out.GetProducts)
	}
}
