// Package hostile builds the GraphQL documents tests throw at shop to show
// that no document, however shaped, can take it down: the unit tests of
// docguard, the handler's fuzz corpus and the test against the real
// process all use the same ones.
package hostile

import (
	"fmt"
	"strings"
)

// FragmentsSideBySide is a query spreading n fragments F0…F(n-1) side by
// side, each selecting __typename.
func FragmentsSideBySide(n int) string {
	var b strings.Builder
	b.WriteString("{ ")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "...F%d ", i)
	}
	b.WriteString("}\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "fragment F%d on Query { __typename }\n", i)
	}
	return b.String()
}

// FragmentChain is a query spreading F0, and n fragments F0…F(n-1), each
// spreading the next fan times (the last selects __typename): fan^(n-1)
// spreads of the last one.
func FragmentChain(n, fan int) string {
	var b strings.Builder
	b.WriteString("{ ...F0 }\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "fragment F%d on Query { ", i)
		if i == n-1 {
			b.WriteString("__typename ")
		}
		for k := 0; k < fan && i < n-1; k++ {
			fmt.Fprintf(&b, "...F%d ", i+1)
		}
		b.WriteString("}\n")
	}
	return b.String()
}
