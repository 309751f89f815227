package docguard

import (
	"fmt"
	"math"
	"strconv"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"

	"shop/errcode"
)

// variable is one of an operation's variable definitions.
type variable struct {
	name string
	typ  graphql.Input // nil when not an input type of the schema: validation refuses it
}

// variables reads op's variable definitions: their types, resolved in the
// schema once for every request that runs the operation, and their literal
// Int and String defaults, for the cost (list sizes, __type's name).
func (a *analysis) variables(op *ast.OperationDefinition) ([]variable, map[string]int, map[string]string, *Error) {
	var vars []variable
	var defaults map[string]int
	var names map[string]string
	for _, def := range op.VariableDefinitions {
		if def == nil {
			continue
		}
		typ, err := a.sch.inputType(def.Type)
		if err != nil {
			return nil, nil, nil, err
		}
		if def.Variable == nil || def.Variable.Name == nil {
			continue
		}
		name := def.Variable.Name.Value
		vars = append(vars, variable{name: name, typ: typ})
		// DefaultValuesOfCorrectType would print a default it refuses.
		if typ != nil && def.DefaultValue != nil {
			if why := literalFault(typ, def.DefaultValue); why != "" {
				return nil, nil, nil, errorf(errcode.GraphqlValidationFailed, "Variable \"$%s\" has an invalid default value. %s", Shorten(name, 60), Shorten(why, 200))
			}
		}
		if iv, ok := def.DefaultValue.(*ast.IntValue); ok {
			if n, err := strconv.Atoi(iv.Value); err == nil {
				if defaults == nil {
					defaults = map[string]int{}
				}
				defaults[name] = n
			}
		}
		if sv, ok := def.DefaultValue.(*ast.StringValue); ok {
			if names == nil {
				names = map[string]string{}
			}
			names[name] = sv.Value
		}
	}
	return vars, defaults, names, nil
}

// inputType resolves a variable's type in the schema: nil when it is not
// an input type (or the schema is unknown), and an error for a type name
// the schema does not have (see unknownType).
func (s Schema) inputType(t ast.Type) (graphql.Input, *Error) {
	switch t := t.(type) {
	case *ast.NonNull:
		inner, err := s.inputType(t.Type)
		if inner == nil {
			return nil, err
		}
		return graphql.NewNonNull(inner), nil
	case *ast.List:
		inner, err := s.inputType(t.Type)
		if inner == nil {
			return nil, err
		}
		return graphql.NewList(inner), nil
	case *ast.Named:
		name := nameOf(t.Name)
		if err := s.unknownType(name); err != nil {
			return nil, err
		}
		if s.gql == nil {
			return nil, nil
		}
		named, _ := s.gql.Type(name).(graphql.Input)
		return named, nil
	}
	return nil, nil
}

// CheckVariables applies the GraphQL spec's input coercion rules to a
// request's variables before graphql-go sees them, and returns the
// problems found. graphql-go (v0.8.1) is lenient where the spec is strict:
// it truncates 1.5 to 1 for an Int, reads "12" as a number, and ignores
// unknown input fields, so a client's mistake would silently become a
// different order. Missing required variables are left to graphql-go,
// which reports them well.
func (o *Operation) CheckVariables(vars map[string]any) []string {
	var problems []string
	for _, v := range o.vars {
		val, ok := vars[v.name]
		if !ok || v.typ == nil {
			continue
		}
		problems = append(problems, checkValue(v.typ, val, "$"+v.name)...)
	}
	return problems
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
