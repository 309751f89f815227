package e2e

import (
	"sort"
	"strings"
	"testing"
)

// TestVariantFiltersThroughTheAPI: products(filter: {options}) finds the
// products with a variant in stock of those values, whatever their case;
// a variant's SKU finds its product; an order of a variant's last unit
// retires the cached answer; filter.options is checked as input. On both
// databases and caches.
func TestVariantFiltersThroughTheAPI(t *testing.T) {
	t.Parallel()
	for name, env := range map[string]func(testing.TB) map[string]string{"PostgreSQL": PostgresRedisEnv, "SQLite": EmbeddedEnv} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in := MustStart(t, env(t))
			admin := in.MustAdmin(t)
			type created struct {
				CreateProduct struct {
					ProductID string
					Variants  []struct{ VariantID, Title string }
				}
			}
			const create = `mutation($in: ProductInput!) { createProduct(input: $in) { productId variants { variantId title } } }`
			var tee, hoodie created
			admin.MustData(t, create, map[string]any{"in": map[string]any{"name": "Tee", "price": 10, "stockCount": 0,
				"options": []any{map[string]any{"name": "Size", "values": []any{"S", "M", "L"}}, map[string]any{"name": "Colour", "values": []any{"Red"}}},
				"variants": []any{
					map[string]any{"sku": "TEE-S", "price": 10, "stockCount": 2, "options": []any{map[string]any{"name": "Size", "value": "S"}, map[string]any{"name": "Colour", "value": "Red"}}},
					map[string]any{"sku": "TEE-M-RED", "price": 20, "stockCount": 0, "options": []any{map[string]any{"name": "Size", "value": "M"}, map[string]any{"name": "Colour", "value": "Red"}}},
					map[string]any{"sku": "TEE-L-RED", "price": 30, "stockCount": 1, "options": []any{map[string]any{"name": "Size", "value": "L"}, map[string]any{"name": "Colour", "value": "Red"}}},
				}}}, &tee)
			admin.MustData(t, create, map[string]any{"in": map[string]any{"name": "Hoodie", "price": 50, "stockCount": 1,
				"options": []any{map[string]any{"name": "Size", "values": []any{"M"}}}}}, &hoodie)
			in.MustCreateProduct(t, 5, 3)

			const doc = `query($f: ProductFilter) { products(first: 10, filter: $f) { edges { node { name price } } } }`
			names := func(f map[string]any) string {
				var out struct {
					Products struct {
						Edges []struct{ Node struct{ Name string } }
					}
				}
				in.MustData(t, doc, map[string]any{"f": f}, &out)
				var ns []string
				for _, e := range out.Products.Edges {
					ns = append(ns, e.Node.Name)
				}
				sort.Strings(ns)
				return strings.Join(ns, "|")
			}
			sizes := func(vals ...any) map[string]any {
				return map[string]any{"options": []any{map[string]any{"name": "Size", "values": append([]any{}, vals...)}}}
			}
			for _, tc := range []struct {
				f    map[string]any
				want string
			}{
				{sizes("M", "L"), "Hoodie|Tee"},
				{map[string]any{"options": []any{map[string]any{"name": "size", "values": []any{"m"}}}}, "Hoodie"},
				{sizes("S", "XL"), "Tee"},
				{map[string]any{"query": "TEE-M-RED"}, "Tee"},
				{map[string]any{"minPrice": 15, "maxPrice": 25}, "Tee"}, // its M, sold out
				{map[string]any{"minPrice": 15, "maxPrice": 25, "inStock": true}, ""},
				{map[string]any{"options": []any{map[string]any{"name": "Size", "values": []any{"M", "L"}}}, "maxPrice": 40}, "Tee"},
			} {
				if got := names(tc.f); got != tc.want {
					t.Errorf("%v: %q, want %q", tc.f, got, tc.want)
				}
			}
			// The hoodie's last M sold: the cached answer goes with it.
			customer, _ := in.MustCustomer(t)
			customer.MustData(t, `mutation($p: String!, $v: String) { createOrder(input: {items: [{productId: $p, variantId: $v, quantity: 1}]}) { orderId } }`,
				map[string]any{"p": hoodie.CreateProduct.ProductID, "v": hoodie.CreateProduct.Variants[0].VariantID}, &struct{}{})
			if got := names(sizes("M", "L")); got != "Tee" {
				t.Errorf("after the hoodie's last M sold: %q", got)
			}

			many := []any{}
			for _, n := range []string{"A", "B", "C", "D"} {
				many = append(many, map[string]any{"name": n, "values": []any{"1"}})
			}
			for _, tc := range []struct {
				f     map[string]any
				field string
			}{
				{map[string]any{"options": many}, "filter.options"},
				{sizes(), "filter.options[0].values"},
				{sizes("M", "\u202eL"), "filter.options[0].values[1]"},
			} {
				r := in.MustPost(t, doc, map[string]any{"f": tc.f})
				if r.Code() != "BAD_USER_INPUT" {
					t.Fatalf("%v: code %q (%+v)", tc.f, r.Code(), r.Errors)
				}
				fs, _ := r.Errors[0].Extensions["fields"].([]any)
				if len(fs) != 1 || fs[0].(map[string]any)["field"] != tc.field {
					t.Fatalf("%v: fields %v, want %s", tc.f, r.Errors[0].Extensions["fields"], tc.field)
				}
			}
		})
	}
}
