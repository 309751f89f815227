package docguard

import "testing"

// BenchmarkCheckCost is what a request pays for its cost check: the
// operation's shape evaluated with its variables.
func BenchmarkCheckCost(b *testing.B) {
	src, _ := Scan(`query($n: Int) { getOrders(limit: $n) { orderId items { productId product { productId price } } } }`, Limits{})
	doc, _ := Parse(src)
	ops, err := Analyze(doc, Limits{}, testSchema(b))
	if err != nil {
		b.Fatal(err)
	}
	vars := map[string]any{"n": float64(50)}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := ops[""].CheckCost(vars, 2_000_000); err != nil {
			b.Fatal(err)
		}
	}
}
