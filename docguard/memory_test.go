package docguard

import (
	"runtime"
	"strings"
	"testing"
)

// TestMemoryEstimate parses documents of several shapes and checks that
// Memory bounds the heap their ASTs hold, without overstating a plain
// document of fields more than 4 times. It does not run in parallel, so the heap is
// this test's alone.
func TestMemoryEstimate(t *testing.T) {
	docs := map[string]string{
		"one-letter fields":      "{" + strings.Repeat(" a", 5000) + " }",
		"aliases with arguments": "{" + strings.Repeat(" a: getProducts(limit: 5) { productId }", 500) + " }",
		"an order":               `mutation CreateOrder($id: String!) { createOrder(input: {customerId: "customer-42", items: [{productId: $id, quantity: 2}]}) { orderId customerId totalAmount status createdAt items { id productId quantity priceAtPurchase product { productId stockCount } } } }`,
		"a long string":          `{ a(s: "` + strings.Repeat("x", 60000) + `") }`,
		"a long list":            "{ a(l: [" + strings.Repeat("1, ", 5000) + "]) }",
		"lines":                  strings.Repeat("{\n a\n}\n", 2000),
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	for name, d := range docs {
		const n = 20
		keep := make([]any, n)
		var estimate int64
		before := heap()
		for i := range keep {
			src, err := Scan(d, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			doc, perr := Parse(src)
			if perr != nil {
				t.Fatal(perr)
			}
			estimate = src.Memory()
			keep[i] = []any{doc, src.Locator}
		}
		used := int64(heap()-before) / n
		runtime.KeepAlive(keep)
		t.Logf("%-22s %6d bytes, AST %8d bytes, estimate %8d", name, len(d), used, estimate)
		if used > estimate {
			t.Errorf("%s: holds %d bytes, estimated %d", name, used, estimate)
		}
		if name == "aliases with arguments" && estimate > 4*used {
			t.Errorf("%s: holds %d bytes, estimated %d", name, used, estimate)
		}
	}
}
