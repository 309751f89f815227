package docguard

import (
	"fmt"
	"math"
	"reflect"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"

	"shop/errcode"
)

// graphql-go (v0.8.1) prints a literal value with its AST printer, whose
// cost grows with the square of the literal's size and faster with its
// nesting: `{a:1}` takes 50 µs, a list of 1,000 numbers 28 ms, an object of
// 1,000 fields 450 ms, 20 nested objects 11 ms (issue 17). It prints a
// literal when it refuses it (ArgumentsOfCorrectType,
// DefaultValuesOfCorrectType), and prints the arguments of every pair of
// fields that share a response name to compare them
// (OverlappingFieldsCanBeMerged). So docguard refuses, without printing,
// every literal graphql-go would refuse, and bounds the printing of the
// pairs (mergedSet).

// fieldArgs are the arguments a field of type parent takes, nil when the
// field or the schema is unknown (graphql-go does not check their values
// then either).
func (s Schema) fieldArgs(parent, field string) []*graphql.Argument {
	if s.gql == nil {
		return nil
	}
	// The meta-fields are in no type's Fields, but graphql-go's validator
	// resolves them and prints a literal it refuses there as anywhere:
	// __type(name: {…}) cost 110–175 ms a request.
	switch field {
	case "__typename":
		return graphql.TypeNameMetaFieldDef.Args
	case "__type", "__schema":
		if q := s.gql.QueryType(); q != nil && q.Name() == parent {
			if field == "__type" {
				return graphql.TypeMetaFieldDef.Args
			}
			return graphql.SchemaMetaFieldDef.Args
		}
	}
	var fields graphql.FieldDefinitionMap
	switch t := s.gql.Type(parent).(type) {
	case *graphql.Object:
		fields = t.Fields()
	case *graphql.Interface:
		fields = t.Fields()
	}
	if f := fields[field]; f != nil {
		return f.Args
	}
	return nil
}

// arguments refuses a literal argument that does not fit its type, as
// ArgumentsOfCorrectType would.
func arguments(args []*ast.Argument, defs []*graphql.Argument, of string) *Error {
	if len(defs) == 0 {
		return nil
	}
	for _, arg := range args {
		if arg == nil || arg.Value == nil {
			continue
		}
		name := nameOf(arg.Name)
		for _, def := range defs {
			if def.Name() != name {
				continue
			}
			if why := literalFault(def.Type, arg.Value); why != "" {
				return errorf(errcode.GraphqlValidationFailed, "Argument %q of %s has an invalid value. %s", Shorten(name, 60), of, Shorten(why, 200))
			}
			break
		}
	}
	return nil
}

// directives checks the literal arguments of known directives.
func (s Schema) directives(dirs []*ast.Directive) *Error {
	if s.gql == nil {
		return nil
	}
	for _, d := range dirs {
		if d == nil {
			continue
		}
		name := nameOf(d.Name)
		if def := s.gql.Directive(name); def != nil {
			if err := arguments(d.Arguments, def.Args, "@"+name); err != nil {
				return err
			}
		}
	}
	return nil
}

// literalFault says why value does not fit type t, "" when it does: the
// rules of graphql-go's isValidLiteralValue, stopping at the first fault and
// quoting no part of the value. A variable fits anywhere (its type is
// checked apart); a value left out fits unless t is non-null.
func literalFault(t graphql.Input, v ast.Value) string {
	if _, nonNull := t.(*graphql.NonNull); !nonNull {
		if v == nil {
			return ""
		}
		if _, ok := v.(*ast.Variable); ok {
			return ""
		}
	}
	switch t := t.(type) {
	case *graphql.NonNull:
		if v == nil {
			return fmt.Sprintf("Expected %q, found null.", t.String())
		}
		of, _ := t.OfType.(graphql.Input)
		return literalFault(of, v)
	case *graphql.List:
		item, _ := t.OfType.(graphql.Input)
		list, ok := v.(*ast.ListValue)
		if !ok {
			return literalFault(item, v)
		}
		for i, x := range list.Values {
			if why := literalFault(item, x); why != "" {
				return fmt.Sprintf("In element #%d: %s", i+1, why)
			}
		}
	case *graphql.InputObject:
		obj, ok := v.(*ast.ObjectValue)
		if !ok {
			return fmt.Sprintf("Expected %q, found %s.", t.Name(), kindOf(v))
		}
		fields := t.Fields()
		given := make(map[string]ast.Value, len(obj.Fields))
		for _, f := range obj.Fields {
			name := nameOf(f.Name)
			if fields[name] == nil {
				return fmt.Sprintf("In field %q: Unknown field.", Shorten(name, 60))
			}
			given[name] = f.Value
		}
		for name, f := range fields {
			if why := literalFault(f.Type, given[name]); why != "" {
				return fmt.Sprintf("In field %q: %s", name, why)
			}
		}
	case *graphql.Scalar:
		if isNullish(t.ParseLiteral(v)) {
			return fmt.Sprintf("Expected type %q, found %s.", t.Name(), kindOf(v))
		}
	case *graphql.Enum:
		if isNullish(t.ParseLiteral(v)) {
			return fmt.Sprintf("Expected type %q, found %s.", t.Name(), kindOf(v))
		}
	}
	return ""
}

// isNullish is graphql-go's (values.go), so that a literal fits here
// exactly when it fits there.
func isNullish(src any) bool {
	if src == nil {
		return true
	}
	value := reflect.ValueOf(src)
	if value.Kind() == reflect.Ptr {
		if value.IsNil() {
			return true
		}
		value = value.Elem()
	}
	switch value.Kind() {
	case reflect.Float32, reflect.Float64:
		return math.IsNaN(value.Float())
	}
	return false
}

// kindOf names a literal's kind, for messages that must not quote it.
func kindOf(v ast.Value) string {
	switch v := v.(type) {
	case *ast.ObjectValue:
		return "an object"
	case *ast.ListValue:
		return "a list"
	case *ast.StringValue:
		return "a string"
	case *ast.IntValue:
		return "an integer"
	case *ast.FloatValue:
		return "a float"
	case *ast.BooleanValue:
		return "a boolean"
	case *ast.EnumValue:
		return "an enum value"
	case *ast.Variable:
		return "a variable"
	default:
		return fmt.Sprintf("a %s", v.GetKind())
	}
}

// printCost estimates, in microseconds, what graphql-go's printer takes for
// the values of these arguments (measured: a scalar 0.6 µs, `{a:1}` 50 µs,
// ten fields 0.5 ms, a list of 1,000 numbers 28 ms, an object of 1,000
// fields 450 ms, 8 nested objects 1.2 ms), generously.
func printCost(args []*ast.Argument) int {
	cost := 0
	for _, arg := range args {
		if arg == nil {
			continue
		}
		switch arg.Value.(type) {
		case *ast.ObjectValue, *ast.ListValue:
			n := valueNodes(arg.Value)
			cost = satAdd(cost, satAdd(satMul(100, n), satMul(n, n)/8))
		default:
			cost = satAdd(cost, 1)
		}
	}
	return cost
}

// valueNodes counts the nodes of a literal: values and object fields.
func valueNodes(v ast.Value) int {
	n := 1
	switch v := v.(type) {
	case *ast.ObjectValue:
		for _, f := range v.Fields {
			n += 1 + valueNodes(f.Value)
		}
	case *ast.ListValue:
		for _, x := range v.Values {
			n += valueNodes(x)
		}
	}
	return n
}
