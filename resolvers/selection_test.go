package resolvers

import (
	"testing"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/parser"
)

// mustField parses doc and returns its first root field and its fragments,
// as graphql-go hands them to the field's resolver.
func mustField(t *testing.T, doc string) graphql.ResolveParams {
	t.Helper()
	d, err := parser.Parse(parser.ParseParams{Source: doc})
	if err != nil {
		t.Fatal(err)
	}
	var p graphql.ResolveParams
	p.Info.Fragments = map[string]ast.Definition{}
	for _, def := range d.Definitions {
		switch def := def.(type) {
		case *ast.OperationDefinition:
			p.Info.FieldASTs = []*ast.Field{def.SelectionSet.Selections[0].(*ast.Field)}
		case *ast.FragmentDefinition:
			p.Info.Fragments[def.Name.Value] = def
		}
	}
	return p
}

func TestSelects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		doc  string
		want bool
	}{
		{`{ orders { items { product { price } } } }`, true},
		{`{ orders { items { productId } } }`, false},
		{`{ orders { product { price } } }`, false}, // not under items
		{`{ orders { ...O } } fragment O on Order { x: items { ... on OrderItem { p: product { price } } } }`, true},
		{`{ orders { items { productId } ...O } } fragment O on Order { items { ...I } } fragment I on OrderItem { product { price } }`, true},
	}
	for _, tt := range tests {
		p := mustField(t, tt.doc)
		if got := selects(p.Info.FieldASTs, p.Info.Fragments, "items", "product"); got != tt.want {
			t.Errorf("selects(%q, items.product) = %v, want %v", tt.doc, got, tt.want)
		}
	}
}

func TestWithInner(t *testing.T) {
	t.Parallel()
	p := mustField(t, `{ orders { edges { node { orderId } } ...E } } fragment E on OrderConnection { more: edges { ... { node { items { product { price } } } } } }`)
	inner := withInner(p, "edges", "node")
	if n := len(inner.Info.FieldASTs); n != 2 {
		t.Fatalf("withInner found %d node fields, want 2 (one through a fragment and an inline fragment)", n)
	}
	if !selects(inner.Info.FieldASTs, inner.Info.Fragments, "items", "product") {
		t.Fatal("the nodes' selection does not show items.product")
	}
	if len(withInner(p, "edges", "cursor").Info.FieldASTs) != 0 {
		t.Fatal("withInner found fields that are not selected")
	}
}
