package docguard

import (
	"slices"
	"testing"

	"github.com/graphql-go/graphql/language/ast"
)

// mustOperation parses doc and returns its first operation and its
// fragments, as graphql-go's ResolveInfo holds them.
func mustOperation(t *testing.T, doc string) (*ast.OperationDefinition, Fragments) {
	t.Helper()
	var op *ast.OperationDefinition
	frags := Fragments{}
	for _, def := range mustParse(t, doc).Definitions {
		switch def := def.(type) {
		case *ast.OperationDefinition:
			if op == nil {
				op = def
			}
		case *ast.FragmentDefinition:
			frags[def.Name.Value] = def
		}
	}
	return op, frags
}

func fieldNames(set *ast.SelectionSet, frags Fragments) []string {
	var names []string
	for f := range Fields(set, frags) {
		names = append(names, f.Name.Value)
	}
	return names
}

func TestFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"fields in order, not their selections", `{ a b { c } d }`, []string{"a", "b", "d"}},
		{"fragments and inline fragments in their place",
			`{ a ...F ... on Query { b ... { c } } d } fragment F on Query { e ...G } fragment G on Query { f }`,
			[]string{"a", "e", "f", "b", "c", "d"}},
		{"a fragment spread twice yields its fields twice", `{ ...F x: a ...F } fragment F on Query { a }`, []string{"a", "a", "a"}},
		{"a fragment not defined is passed over", `{ a ...Nope b }`, []string{"a", "b"}},
		{"directives do not change the walk", `{ ... @include(if: false) { a } b @skip(if: true) }`, []string{"a", "b"}},
	}
	for _, tt := range tests {
		op, frags := mustOperation(t, tt.doc)
		if got := fieldNames(op.SelectionSet, frags); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Fields = %v, want %v", tt.name, got, tt.want)
		}
	}
	if got := fieldNames(nil, nil); got != nil {
		t.Errorf("Fields of a nil set = %v", got)
	}
}

func TestFieldsStopsWhenAsked(t *testing.T) {
	t.Parallel()
	op, frags := mustOperation(t, `{ a ...F c } fragment F on Query { ... on Query { b } never }`)
	var seen []string
	for f := range Fields(op.SelectionSet, frags) {
		seen = append(seen, f.Name.Value)
		if f.Name.Value == "b" {
			break // inside an inline fragment inside a fragment
		}
	}
	if !slices.Equal(seen, []string{"a", "b"}) {
		t.Fatalf("saw %v, want [a b]", seen)
	}
}
