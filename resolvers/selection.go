package resolvers

import (
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// selects reports whether the selection under fields asks for the nested
// path of fields (aliases and fragments included).
func selects(fields []*ast.Field, frags map[string]ast.Definition, path ...string) bool {
	if len(path) == 0 {
		return true
	}
	for _, f := range fields {
		if f.SelectionSet != nil && selectsIn(f.SelectionSet, frags, path) {
			return true
		}
	}
	return false
}

func selectsIn(set *ast.SelectionSet, frags map[string]ast.Definition, path []string) bool {
	for _, sel := range set.Selections {
		switch sel := sel.(type) {
		case *ast.Field:
			if sel.Name != nil && sel.Name.Value == path[0] {
				if len(path) == 1 || (sel.SelectionSet != nil && selectsIn(sel.SelectionSet, frags, path[1:])) {
					return true
				}
			}
		case *ast.InlineFragment:
			if sel.SelectionSet != nil && selectsIn(sel.SelectionSet, frags, path) {
				return true
			}
		case *ast.FragmentSpread:
			if def, ok := frags[sel.Name.Value].(*ast.FragmentDefinition); ok && def.SelectionSet != nil && selectsIn(def.SelectionSet, frags, path) {
				return true
			}
		}
	}
	return false
}

// withInner narrows p's field selection to the fields at path below it, so
// a check written for an order list works on a connection's nodes.
func withInner(p graphql.ResolveParams, path ...string) graphql.ResolveParams {
	fields := p.Info.FieldASTs
	for _, name := range path {
		var next []*ast.Field
		for _, f := range fields {
			if f.SelectionSet != nil {
				next = append(next, fieldsNamed(f.SelectionSet, p.Info.Fragments, name)...)
			}
		}
		fields = next
	}
	p.Info.FieldASTs = fields
	return p
}

func fieldsNamed(set *ast.SelectionSet, frags map[string]ast.Definition, name string) []*ast.Field {
	var out []*ast.Field
	for _, sel := range set.Selections {
		switch sel := sel.(type) {
		case *ast.Field:
			if sel.Name != nil && sel.Name.Value == name {
				out = append(out, sel)
			}
		case *ast.InlineFragment:
			if sel.SelectionSet != nil {
				out = append(out, fieldsNamed(sel.SelectionSet, frags, name)...)
			}
		case *ast.FragmentSpread:
			if def, ok := frags[sel.Name.Value].(*ast.FragmentDefinition); ok && def.SelectionSet != nil {
				out = append(out, fieldsNamed(def.SelectionSet, frags, name)...)
			}
		}
	}
	return out
}
