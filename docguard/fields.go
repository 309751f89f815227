package docguard

import (
	"iter"

	"github.com/graphql-go/graphql/language/ast"
)

// Fragments are a document's fragment definitions by name, held as
// graphql-go's ResolveInfo.Fragments holds them, so resolvers can pass
// theirs as they are.
type Fragments map[string]ast.Definition

// get is the fragment named name, nil when the document defines none.
func (fs Fragments) get(name string) *ast.FragmentDefinition {
	f, _ := fs[name].(*ast.FragmentDefinition)
	return f
}

// Fields yields the fields of a selection set as execution merges them:
// the fields of its inline fragments and spread fragments in their place,
// in the order of the document, without going into the fields' own
// selections. A nil set has no fields.
//
// It follows every spread each time it is reached, so it is for documents
// Analyze accepted (no fragment cycles, spreads bounded by MaxSpreads) and
// graphql-go validated; fragments it does not find are passed over.
func Fields(set *ast.SelectionSet, frags Fragments) iter.Seq[*ast.Field] {
	return func(yield func(*ast.Field) bool) {
		eachField(set, frags, yield)
	}
}

// eachField is Fields' walk; it returns false once yield has.
func eachField(set *ast.SelectionSet, frags Fragments, yield func(*ast.Field) bool) bool {
	if set == nil {
		return true
	}
	for _, sel := range set.Selections {
		switch sel := sel.(type) {
		case *ast.Field:
			if !yield(sel) {
				return false
			}
		case *ast.InlineFragment:
			if !eachField(sel.SelectionSet, frags, yield) {
				return false
			}
		case *ast.FragmentSpread:
			if f := frags.get(nameOf(sel.Name)); f != nil && !eachField(f.SelectionSet, frags, yield) {
				return false
			}
		}
	}
	return true
}
