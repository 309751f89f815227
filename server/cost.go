package server

import (
	"fmt"

	"github.com/graphql-go/graphql/language/ast"
)

// Limits on one operation's shape. Aliases let a small document ask for the
// same list many times over, so the number of selected fields is bounded, not
// just the body size. GraphiQL's introspection query (about 100 fields,
// depth 13) passes easily.
const (
	maxSelectedFields = 2000
	maxDepth          = 20
)

// checkCost counts the fields the selected operation asks for, with
// fragments expanded (validation has already refused fragment cycles).
func checkCost(doc *ast.Document, opName string) error {
	op := selectedOperation(doc, opName)
	if op == nil {
		return nil
	}
	frags := map[string]*ast.FragmentDefinition{}
	for _, d := range doc.Definitions {
		if f, ok := d.(*ast.FragmentDefinition); ok && f.Name != nil {
			frags[f.Name.Value] = f
		}
	}
	fields, deepest := 0, 0
	var walk func(set *ast.SelectionSet, depth int) error
	walk = func(set *ast.SelectionSet, depth int) error {
		if set == nil {
			return nil
		}
		if depth > deepest {
			deepest = depth
		}
		if deepest > maxDepth {
			return fmt.Errorf("The query is nested more than %d levels deep.", maxDepth)
		}
		for _, sel := range set.Selections {
			switch sel := sel.(type) {
			case *ast.Field:
				fields++
				if fields > maxSelectedFields {
					return fmt.Errorf("The query selects more than %d fields; split it into smaller queries.", maxSelectedFields)
				}
				if err := walk(sel.SelectionSet, depth+1); err != nil {
					return err
				}
			case *ast.InlineFragment:
				if err := walk(sel.SelectionSet, depth); err != nil {
					return err
				}
			case *ast.FragmentSpread:
				if f := frags[sel.Name.Value]; f != nil {
					if err := walk(f.SelectionSet, depth); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	return walk(op.SelectionSet, 1)
}
