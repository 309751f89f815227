package server

import (
	"fmt"
	"math"
	"strconv"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// checkVariables applies the GraphQL spec's input coercion rules to the
// request's variables before graphql-go sees them. graphql-go (v0.8.1) is
// lenient where the spec is strict: it truncates 1.5 to 1 for an Int, reads
// "12" as a number, and ignores unknown input fields, so a client's mistake
// would silently become a different order. Missing required variables are
// left to graphql-go, which reports them well.
func checkVariables(schema *graphql.Schema, doc *ast.Document, opName string, vars map[string]any) []string {
	op := selectedOperation(doc, opName)
	if op == nil {
		return nil
	}
	var problems []string
	for _, def := range op.VariableDefinitions {
		if def == nil || def.Variable == nil || def.Variable.Name == nil {
			continue
		}
		name := def.Variable.Name.Value
		v, ok := vars[name]
		if !ok {
			continue
		}
		t := inputType(schema, def.Type)
		if t == nil {
			continue
		}
		problems = append(problems, checkValue(t, v, "$"+name)...)
	}
	return problems
}

func selectedOperation(doc *ast.Document, name string) *ast.OperationDefinition {
	var found *ast.OperationDefinition
	for _, d := range doc.Definitions {
		op, ok := d.(*ast.OperationDefinition)
		if !ok {
			continue
		}
		if name == "" {
			if found != nil {
				return nil // ambiguous: graphql-go reports it
			}
			found = op
		} else if op.Name != nil && op.Name.Value == name {
			return op
		}
	}
	return found
}

func inputType(schema *graphql.Schema, t ast.Type) graphql.Input {
	switch t := t.(type) {
	case *ast.NonNull:
		if inner := inputType(schema, t.Type); inner != nil {
			return graphql.NewNonNull(inner)
		}
	case *ast.List:
		if inner := inputType(schema, t.Type); inner != nil {
			return graphql.NewList(inner)
		}
	case *ast.Named:
		if named, ok := schema.Type(t.Name.Value).(graphql.Input); ok {
			return named
		}
	}
	return nil
}

func checkValue(t graphql.Input, v any, path string) []string {
	if v == nil {
		if _, ok := t.(*graphql.NonNull); ok {
			return []string{path + " must not be null"}
		}
		return nil
	}
	switch t := t.(type) {
	case *graphql.NonNull:
		return checkValue(t.OfType.(graphql.Input), v, path)
	case *graphql.List:
		items, ok := v.([]any)
		if !ok {
			return checkValue(t.OfType.(graphql.Input), v, path)
		}
		var out []string
		for i, item := range items {
			out = append(out, checkValue(t.OfType.(graphql.Input), item, path+"["+strconv.Itoa(i)+"]")...)
		}
		return out
	case *graphql.InputObject:
		m, ok := v.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s must be an object of type %s", path, t.Name())}
		}
		fields := t.Fields()
		var out []string
		for k := range m {
			if _, known := fields[k]; !known {
				out = append(out, fmt.Sprintf("%s has no field %q (type %s)", path, k, t.Name()))
			}
		}
		for name, f := range fields {
			if fv, ok := m[name]; ok {
				out = append(out, checkValue(f.Type, fv, path+"."+name)...)
			}
		}
		return out
	case *graphql.Scalar:
		return checkScalar(t.Name(), v, path)
	case *graphql.Enum:
		if _, ok := v.(string); !ok {
			return []string{fmt.Sprintf("%s must be one of the %s values", path, t.Name())}
		}
	}
	return nil
}

func checkScalar(name string, v any, path string) []string {
	switch name {
	case "Int":
		f, ok := v.(float64)
		if !ok || f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32 {
			return []string{fmt.Sprintf("%s must be a whole number from %d to %d, got %s", path, math.MinInt32, math.MaxInt32, show(v))}
		}
	case "Float":
		if _, ok := v.(float64); !ok {
			return []string{fmt.Sprintf("%s must be a number, got %s", path, show(v))}
		}
	case "Boolean":
		if _, ok := v.(bool); !ok {
			return []string{fmt.Sprintf("%s must be true or false, got %s", path, show(v))}
		}
	case "String", "DateTime":
		if _, ok := v.(string); !ok {
			return []string{fmt.Sprintf("%s must be a string, got %s", path, show(v))}
		}
	}
	return nil
}

func show(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	}
	return fmt.Sprint(v)
}
