package resolvers

import (
	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"

	"shop/docguard"
)

// selects reports whether the selection under fields asks for the nested
// path of fields (aliases and fragments included).
func selects(fields []*ast.Field, frags docguard.Fragments, path ...string) bool {
	return len(fieldsAt(fields, frags, path)) > 0
}

// withInner narrows p's field selection to the fields at path below it, so
// a check written for an order list works on a connection's nodes.
func withInner(p graphql.ResolveParams, path ...string) graphql.ResolveParams {
	p.Info.FieldASTs = fieldsAt(p.Info.FieldASTs, p.Info.Fragments, path)
	return p
}

// fieldsAt are the fields at path below fields, through fragments and
// inline fragments: every field of that name at each step, whatever its
// alias.
func fieldsAt(fields []*ast.Field, frags docguard.Fragments, path []string) []*ast.Field {
	for _, name := range path {
		var next []*ast.Field
		for _, f := range fields {
			for inner := range docguard.Fields(f.SelectionSet, frags) {
				if inner.Name != nil && inner.Name.Value == name {
					next = append(next, inner)
				}
			}
		}
		fields = next
	}
	return fields
}
