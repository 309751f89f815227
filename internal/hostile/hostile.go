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

// NestedIntrospection is a query of n aliases of __schema, each nesting
// types' fields' types' fields levels deep: { a0: __schema { types {
// fields { type { fields { type { … name } } } } } } … }. Its fields nest
// 3+2*levels deep, and it selects n*(3+2*levels) fields. On a schema whose
// object fields are of object types, each level multiplies what it
// describes by the number of fields a type has.
func NestedIntrospection(n, levels int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, " a%d: __schema { types { %sname%s } }", i, strings.Repeat("fields { type { ", levels), strings.Repeat(" } }", levels))
	}
	b.WriteString(" }")
	return b.String()
}

// WideIntrospection is a query of n aliases of __schema, each describing
// every type's name, kind, fields, their arguments and types, and through
// each field's type (the type it wraps, for a list or a required value)
// the same again, levels deep: a few levels are most of a schema, many
// times over. Each alias selects 4+10*levels fields, nested 3+3*levels
// deep.
func WideIntrospection(n, levels int) string {
	inner := "name kind"
	for i := 0; i < levels; i++ {
		inner = "name kind fields { name args { name } type { name kind ofType { " + inner + " } } }"
	}
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, " a%d: __schema { types { %s } }", i, inner)
	}
	b.WriteString(" }")
	return b.String()
}

// IntrospectionFragmentChains is a query of __schema { types { … } } nested
// levels deep through fields { type { … } }, each level reached through a
// chain of chain fragments spread one in the next: levels*(chain+1)
// spreads, and a chain's length of spreads for every field the level
// selects.
func IntrospectionFragmentChains(levels, chain int) string {
	var b strings.Builder
	b.WriteString("{ __schema { types { ...L0C0 } } }")
	for l := 0; l < levels; l++ {
		for c := 0; c < chain; c++ {
			fmt.Fprintf(&b, "\nfragment L%dC%d on __Type { ...L%dC%d }", l, c, l, c+1)
		}
		if l == levels-1 {
			fmt.Fprintf(&b, "\nfragment L%dC%d on __Type { name }", l, chain)
		} else {
			fmt.Fprintf(&b, "\nfragment L%dC%d on __Type { name fields { type { ...L%dC0 } } }", l, chain, l+1)
		}
	}
	return b.String()
}
