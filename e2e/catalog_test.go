package e2e

import (
	"testing"
)

// MustCategory creates a category, as the admin, under parent ("" for
// none), and returns its id.
func (in *instance) MustCategory(tb testing.TB, name, parent string) string {
	tb.Helper()
	vars := map[string]any{"n": name}
	if parent != "" {
		vars["p"] = parent
	}
	var out struct{ CreateCategory struct{ ID string } }
	in.MustAdmin(tb).MustData(tb, `mutation($n: String!, $p: String) { createCategory(name: $n, parentId: $p) { id } }`, vars, &out)
	return out.CreateCategory.ID
}

// TestCatalogFieldsThroughTheAPI: the catalog fields round-trip, their
// errors name the field, inactive products are hidden from shoppers (also
// from cached responses an admin's read could have filled) and can't be
// ordered, and a rename is seen at once through the cache.
func TestCatalogFieldsThroughTheAPI(t *testing.T) {
	t.Parallel()
	in := MustStart(t, PostgresRedisEnv(t))
	admin := in.MustAdmin(t)
	type product struct {
		ProductID   string
		Name        string
		Description string
		Sku         *string
		ImageUrls   []string
		Active      bool
	}
	const fields = `productId name description sku imageUrls active`
	var created struct{ CreateProduct product }
	admin.MustData(t, `mutation($in: ProductInput!) { createProduct(input: $in) { `+fields+` } }`, map[string]any{"in": map[string]any{
		"price": 12.5, "stockCount": 3, "name": " Blue ceramic mug ", "description": "Holds 350 ml.", "sku": "MUG-BLUE",
		"imageUrls": []string{"https://img.example.com/mug.png"},
	}}, &created)
	p := created.CreateProduct
	if p.Name != "Blue ceramic mug" || p.Sku == nil || *p.Sku != "MUG-BLUE" || len(p.ImageUrls) != 1 || !p.Active {
		t.Fatalf("created %+v", p)
	}
	plain := in.MustCreateProduct(t, 1, 1)
	var got struct{ GetProductsById *product }
	in.MustData(t, `query($id: String!) { getProductsById(id: $id) { `+fields+` } }`, map[string]any{"id": plain}, &got)
	if got.GetProductsById == nil || got.GetProductsById.Name != "Product "+plain[:8] || got.GetProductsById.Sku != nil || got.GetProductsById.ImageUrls == nil {
		t.Fatalf("a product created without catalog fields reads %+v", got.GetProductsById)
	}

	for _, tc := range []struct {
		name  string
		in    map[string]any
		code  string
		field string
	}{
		{"bad name", map[string]any{"price": 1, "stockCount": 1, "name": ""}, "BAD_USER_INPUT", "name"},
		{"http image", map[string]any{"price": 1, "stockCount": 1, "imageUrls": []string{"http://x.example/a.png"}}, "BAD_USER_INPUT", "imageUrls[0]"},
		{"taken sku", map[string]any{"price": 1, "stockCount": 1, "sku": "mug-blue"}, "CONFLICT", "sku"},
		{"direction override in the name", map[string]any{"price": 1, "stockCount": 1, "name": "Blue \u202egum"}, "BAD_USER_INPUT", "name"},
		{"zero width space in the description", map[string]any{"price": 1, "stockCount": 1, "description": "Holds\u200b 350 ml."}, "BAD_USER_INPUT", "description"},
		{"a huge negative price", map[string]any{"price": -1e308, "stockCount": 1}, "BAD_USER_INPUT", "price"},
	} {
		r := admin.MustPost(t, `mutation($in: ProductInput!) { createProduct(input: $in) { productId } }`, map[string]any{"in": tc.in})
		if r.Code() != tc.code {
			t.Fatalf("%s: code %q, want %s (%+v)", tc.name, r.Code(), tc.code, r.Errors)
		}
		fs, _ := r.Errors[0].Extensions["fields"].([]any)
		if len(fs) != 1 || fs[0].(map[string]any)["field"] != tc.field {
			t.Fatalf("%s: fields %v, want %s", tc.name, r.Errors[0].Extensions["fields"], tc.field)
		}
		if tc.field == "price" && r.Errors[0].Message != "Invalid input: price must not be negative." {
			t.Fatalf("%s: message %q", tc.name, r.Errors[0].Message)
		}
	}

	// Warm the shared response cache, then rename: the next read shows it.
	byID := `query($id: String!) { getProductsById(id: $id) { name active } }`
	list := `{ products(first: 10) { edges { node { productId name } } } }`
	in.MustData(t, byID, map[string]any{"id": p.ProductID}, &got)
	var pg struct {
		Products struct{ Edges []struct{ Node product } }
	}
	in.MustData(t, list, nil, &pg)
	admin.MustData(t, `mutation($id: String!) { updateProduct(input: {productId: $id, name: "Blue mug"}) { name } }`, map[string]any{"id": p.ProductID}, &struct{}{})
	in.MustData(t, byID, map[string]any{"id": p.ProductID}, &got)
	if got.GetProductsById == nil || got.GetProductsById.Name != "Blue mug" {
		t.Fatalf("after a rename, the product reads %+v", got.GetProductsById)
	}
	in.MustData(t, list, nil, &pg)
	if len(pg.Products.Edges) != 2 || pg.Products.Edges[0].Node.Name != "Blue mug" {
		t.Fatalf("after a rename, the list reads %+v", pg.Products.Edges)
	}

	// Deactivate: hidden from shoppers, shown to the admin, not orderable.
	admin.MustData(t, `mutation($id: String!) { updateProduct(input: {productId: $id, active: false}) { active } }`, map[string]any{"id": p.ProductID}, &struct{}{})
	// The admin reads first, so a response shared by caller would leak.
	var adminGot struct{ GetProductsById *product }
	admin.MustData(t, byID, map[string]any{"id": p.ProductID}, &adminGot)
	if adminGot.GetProductsById == nil || adminGot.GetProductsById.Active {
		t.Fatalf("the admin reads the inactive product as %+v", adminGot.GetProductsById)
	}
	var adminPg struct {
		Products struct{ Edges []struct{ Node product } }
	}
	admin.MustData(t, list, nil, &adminPg)
	if len(adminPg.Products.Edges) != 2 {
		t.Fatalf("the admin's list has %d products, want 2", len(adminPg.Products.Edges))
	}
	customer, _ := in.MustCustomer(t)
	for _, c := range []*client{in.Anonymous(), customer} {
		got.GetProductsById = nil
		c.MustData(t, byID, map[string]any{"id": p.ProductID}, &got)
		if got.GetProductsById != nil {
			t.Fatalf("a shopper sees the inactive product: %+v", got.GetProductsById)
		}
		c.MustData(t, list, nil, &pg)
		if len(pg.Products.Edges) != 1 || pg.Products.Edges[0].Node.ProductID != plain {
			t.Fatalf("a shopper's list: %+v", pg.Products.Edges)
		}
		var legacy struct{ GetProducts []product }
		c.MustData(t, `{ getProducts { productId } }`, nil, &legacy)
		if len(legacy.GetProducts) != 1 {
			t.Fatalf("a shopper's getProducts: %+v", legacy.GetProducts)
		}
	}
	r := customer.MustPost(t, `mutation($id: String!) { createOrder(input: {items: [{productId: $id, quantity: 1}]}) { orderId } }`, map[string]any{"id": p.ProductID})
	if r.Code() != "PRODUCT_INACTIVE" {
		t.Fatalf("ordering an inactive product: code %q (%+v)", r.Code(), r.Errors)
	}
	if s := in.MustStock(t, plain); s != 1 {
		t.Fatalf("stock of the other product changed to %d", s)
	}
}

// TestCategoriesThroughTheAPI: the tree, a product's category, counts as
// shoppers and admins see them, and the cached categories response
// following renames, moves and products.
func TestCategoriesThroughTheAPI(t *testing.T) {
	t.Parallel()
	in := MustStart(t, PostgresRedisEnv(t))
	admin := in.MustAdmin(t)
	kitchen := in.MustCategory(t, "Kitchen", "")
	mugs := in.MustCategory(t, "Mugs", kitchen)
	type node struct {
		ID, Name, Slug string
		Parent         *struct{ ID string }
		Children       []struct{ ID string }
		ProductCount   int
	}
	const tree = `{ categories { id name slug parent { id } children { id } productCount } }`
	read := func(c *client) []node {
		var out struct{ Categories []node }
		c.MustData(t, tree, nil, &out)
		return out.Categories
	}
	got := read(in.Anonymous())
	if len(got) != 2 || got[0].ID != kitchen || got[1].ID != mugs || got[1].Parent == nil || got[1].Parent.ID != kitchen ||
		len(got[0].Children) != 1 || got[0].ProductCount != 0 {
		t.Fatalf("categories = %+v", got)
	}
	var created struct {
		CreateProduct struct{ Category *struct{ Slug string } }
	}
	admin.MustData(t, `mutation($c: String!) { createProduct(input: {price: 3, stockCount: 1, categoryId: $c}) { category { slug } } }`,
		map[string]any{"c": mugs}, &created)
	if created.CreateProduct.Category == nil || created.CreateProduct.Category.Slug != "mugs" {
		t.Fatalf("created in %+v", created.CreateProduct.Category)
	}
	admin.MustData(t, `mutation($c: String!) { createProduct(input: {price: 3, stockCount: 1, categoryId: $c, active: false}) { productId } }`,
		map[string]any{"c": mugs}, &struct{}{})
	if got := read(in.Anonymous()); got[0].ProductCount != 1 || got[1].ProductCount != 1 {
		t.Fatalf("shoppers' counts after two products (one inactive): %+v", got)
	}
	if got := read(admin); got[0].ProductCount != 2 || got[1].ProductCount != 2 {
		t.Fatalf("the admin's counts: %+v", got)
	}
	// Rename and move to the top: the cached response follows.
	admin.MustData(t, `mutation($id: String!) { updateCategory(id: $id, name: "Drinkware", parentId: "") { slug parent { id } } }`,
		map[string]any{"id": mugs}, &struct{}{})
	got = read(in.Anonymous())
	if len(got) != 2 || got[0].Slug != "drinkware" || got[0].Parent != nil || len(got[1].Children) != 0 {
		t.Fatalf("after the move: %+v", got)
	}
	r := admin.MustPost(t, `mutation($id: String!) { deleteCategory(id: $id) }`, map[string]any{"id": mugs})
	if r.Code() != "CONFLICT" {
		t.Fatalf("deleting a category with products: %q %+v", r.Code(), r.Errors)
	}
	r = admin.MustPost(t, `mutation($id: String!, $p: String!) { updateCategory(id: $id, parentId: $p) { id } }`, map[string]any{"id": kitchen, "p": kitchen})
	if r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("a category under itself: %q %+v", r.Code(), r.Errors)
	}
	var deleted struct{ DeleteCategory bool }
	admin.MustData(t, `mutation($id: String!) { deleteCategory(id: $id) }`, map[string]any{"id": kitchen}, &deleted)
	if !deleted.DeleteCategory || len(read(in.Anonymous())) != 1 {
		t.Fatal("an empty category was not deleted, or still shows")
	}
}

// TestSearchThroughTheAPI: searches, filters and sorts through the API,
// each cached response retired by exactly the writes that can change it:
// a rename (search), a price (price order), an order (in stock).
func TestSearchThroughTheAPI(t *testing.T) {
	t.Parallel()
	in := MustStart(t, PostgresRedisEnv(t))
	admin := in.MustAdmin(t)
	create := func(name string, price float64, stock int) string {
		var out struct{ CreateProduct struct{ ProductID string } }
		admin.MustData(t, `mutation($n: String!, $p: Float!, $s: Int!) { createProduct(input: {name: $n, price: $p, stockCount: $s}) { productId } }`,
			map[string]any{"n": name, "p": price, "s": stock}, &out)
		return out.CreateProduct.ProductID
	}
	mug := create("Blue ceramic mug", 12, 1)
	create("Red teapot", 30, 5)
	const doc = `query($f: ProductFilter, $s: ProductSort, $after: String) { products(first: 10, filter: $f, sort: $s, after: $after) {
		edges { cursor node { productId name } } pageInfo { hasNextPage endCursor } } }`
	names := func(vars map[string]any) []string {
		var out struct {
			Products struct {
				Edges []struct{ Node struct{ Name string } }
			}
		}
		in.MustData(t, doc, vars, &out)
		var ns []string
		for _, e := range out.Products.Edges {
			ns = append(ns, e.Node.Name)
		}
		return ns
	}
	search := map[string]any{"f": map[string]any{"query": "blue mugs"}, "s": "RELEVANCE"}
	if got := names(search); len(got) != 1 || got[0] != "Blue ceramic mug" {
		t.Fatalf("search = %v", got)
	}
	byPrice := map[string]any{"s": "PRICE_DESC"}
	if got := names(byPrice); len(got) != 2 || got[0] != "Red teapot" {
		t.Fatalf("by price = %v", got)
	}
	inStock := map[string]any{"f": map[string]any{"inStock": true}}
	if got := names(inStock); len(got) != 2 {
		t.Fatalf("in stock = %v", got)
	}
	admin.MustData(t, `mutation($id: String!) { updateProduct(input: {productId: $id, name: "Green ceramic cup", price: 99}) { name } }`, map[string]any{"id": mug}, &struct{}{})
	if got := names(search); len(got) != 0 {
		t.Fatalf("after the rename, the search still finds %v", got)
	}
	if got := names(byPrice); len(got) != 2 || got[0] != "Green ceramic cup" {
		t.Fatalf("after the price change, by price = %v", got)
	}
	customer, _ := in.MustCustomer(t)
	customer.MustData(t, `mutation($id: String!) { createOrder(input: {items: [{productId: $id, quantity: 1}]}) { orderId } }`, map[string]any{"id": mug}, &struct{}{})
	if got := names(inStock); len(got) != 1 || got[0] != "Red teapot" {
		t.Fatalf("after the last unit sold, in stock = %v", got)
	}
	for _, tc := range []struct {
		vars  map[string]any
		field string
	}{
		{map[string]any{"s": "RELEVANCE"}, "sort"},
		{map[string]any{"f": map[string]any{"minPrice": 5, "maxPrice": 1}}, "filter.maxPrice"},
		{map[string]any{"f": map[string]any{"categoryId": "00000000-0000-4000-8000-000000000001"}}, "filter.categoryId"},
	} {
		r := in.MustPost(t, doc, tc.vars)
		if r.Code() != "BAD_USER_INPUT" {
			t.Fatalf("%v: code %q (%+v)", tc.vars, r.Code(), r.Errors)
		}
		fs, _ := r.Errors[0].Extensions["fields"].([]any)
		if len(fs) != 1 || fs[0].(map[string]any)["field"] != tc.field {
			t.Fatalf("%v: fields %v, want %s", tc.vars, r.Errors[0].Extensions["fields"], tc.field)
		}
	}
}
