package docguard

import (
	"math"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// Introspection's cost is what executing it would produce, walked on the
// schema itself: a list under __schema or __type is as long as the list it
// returns (this type's fields, that field's arguments), not a size fixed
// for the whole schema. Fixed sizes had to be the largest of each kind
// (every type's fields counted as many as the type with the most), so the
// cost grew as the product of the schema's dimensions; walked, it grows
// with the schema. The walk stops as soon as the cost passes the caller's
// maximum: a few nested levels of types { fields { type { fields … } } }
// describe billions of values, and each step of the walk counts one of
// them, so refusing one costs at most as many steps as the maximum.
//
// Like the rest of the cost, the walk counts every field of the document
// as selected: @skip and @include are not read, fields that execution
// merges (two selections of one response key) are counted each, and
// deprecated fields and enum values are counted whatever
// includeDeprecated says.

// metaSet is a selection set on one of introspection's object types
// (__Schema, __Type, __Field, __InputValue, __EnumValue, __Directive).
type metaSet struct {
	typ    string
	fields []metaField
	// sets are the inline fragments and spread fragments selected here,
	// each applying when its type is the set's (a spread fragment is shared
	// by every place that spreads it). flatten empties them.
	sets []*metaSet
}

// metaField is one field of a metaSet, with what it selects (nil for a
// leaf, or for a selection on no introspection type).
type metaField struct {
	name string
	sub  *metaSet
	edge int // which of a metaNode's edges it follows (flatten sets it)
}

// metaEdges are the fields of introspection's types that return objects:
// the edge of a metaNode each follows, and the type of what it returns.
var metaEdges = map[string]map[string]struct {
	edge   int
	target string
}{
	"__Schema": {"types": {0, "__Type"}, "queryType": {1, "__Type"}, "mutationType": {2, "__Type"}, "subscriptionType": {3, "__Type"},
		"directives": {4, "__Directive"}},
	"__Type": {"fields": {0, "__Field"}, "interfaces": {1, "__Type"}, "possibleTypes": {2, "__Type"}, "enumValues": {3, "__EnumValue"},
		"inputFields": {4, "__InputValue"}, "ofType": {5, "__Type"}},
	"__Field":      {"args": {0, "__InputValue"}, "type": {1, "__Type"}},
	"__InputValue": {"type": {0, "__Type"}},
	"__Directive":  {"args": {0, "__InputValue"}},
}

// metaNode is one object introspection returns (the schema, a type, a
// field, an argument or input field, an enum value, a directive): for
// each of its type's metaEdges, the objects that field returns (none for
// null). Built once per schema, so the walk only follows slices.
type metaNode struct {
	edges [6][]*metaNode
}

// metaGraph is a schema as introspection answers it.
type metaGraph struct {
	schema *metaNode
	types  map[string]*metaNode // named types, for __type(name:)
}

// newMetaGraph reads s as graphql-go's introspection resolves it.
func newMetaGraph(s *graphql.Schema) *metaGraph {
	g := &metaGraph{schema: &metaNode{}, types: map[string]*metaNode{}}
	typeMap := s.TypeMap()
	for name := range typeMap {
		g.types[name] = &metaNode{}
	}
	wrapped := map[string]*metaNode{}
	var typ func(t graphql.Type) []*metaNode
	typ = func(t graphql.Type) []*metaNode {
		var inner graphql.Type
		switch w := t.(type) {
		case *graphql.List:
			inner = w.OfType
		case *graphql.NonNull:
			inner = w.OfType
		default:
			if t == nil || g.types[t.Name()] == nil {
				return nil
			}
			return []*metaNode{g.types[t.Name()]}
		}
		n := wrapped[t.String()]
		if n == nil {
			n = &metaNode{}
			wrapped[t.String()] = n
			n.edges[5] = typ(inner)
		}
		return []*metaNode{n}
	}
	value := func(t graphql.Type) *metaNode {
		n := &metaNode{}
		n.edges[0] = typ(t)
		return n
	}
	args := func(as []*graphql.Argument) []*metaNode {
		out := make([]*metaNode, len(as))
		for i, a := range as {
			out[i] = value(a.Type)
		}
		return out
	}
	objects := func(os []*graphql.Object) []*metaNode {
		out := make([]*metaNode, 0, len(os))
		for _, o := range os {
			out = append(out, typ(o)...)
		}
		return out
	}
	leaf := &metaNode{}
	for name, t := range typeMap {
		n := g.types[name]
		var fields graphql.FieldDefinitionMap
		switch t := t.(type) {
		case *graphql.Object:
			fields = t.Fields()
			for _, i := range t.Interfaces() {
				n.edges[1] = append(n.edges[1], typ(i)...)
			}
		case *graphql.Interface:
			fields = t.Fields()
			n.edges[2] = objects(s.PossibleTypes(t))
		case *graphql.Union:
			n.edges[2] = objects(s.PossibleTypes(t))
		case *graphql.Enum:
			for range t.Values() {
				n.edges[3] = append(n.edges[3], leaf)
			}
		case *graphql.InputObject:
			for _, f := range t.Fields() {
				n.edges[4] = append(n.edges[4], value(f.Type))
			}
		}
		for _, f := range fields {
			fn := &metaNode{}
			fn.edges[0] = args(f.Args)
			fn.edges[1] = typ(f.Type)
			n.edges[0] = append(n.edges[0], fn)
		}
		g.schema.edges[0] = append(g.schema.edges[0], n)
	}
	if t := s.QueryType(); t != nil {
		g.schema.edges[1] = typ(t)
	}
	if t := s.MutationType(); t != nil {
		g.schema.edges[2] = typ(t)
	}
	if t := s.SubscriptionType(); t != nil {
		g.schema.edges[3] = typ(t)
	}
	for _, d := range s.Directives() {
		dn := &metaNode{}
		dn.edges[0] = args(d.Args)
		g.schema.edges[4] = append(g.schema.edges[4], dn)
	}
	return g
}

// introTerm is a __schema or __type field: its selection, walked on the
// schema per request (__type's name may be a variable).
type introTerm struct {
	root     string // "__schema" or "__type"
	name     string // __type's name, when a literal
	variable string // __type's name, when a variable
	set      *metaSet
}

// isMeta reports whether typ is one of introspection's object types.
func isMeta(typ string) bool {
	_, ok := metaEdges[typ]
	return ok || typ == "__EnumValue"
}

// metaOf starts the metaSet of a selection set of type typ, nil when typ
// is not one of introspection's.
func metaOf(typ string) *metaSet {
	if !isMeta(typ) {
		return nil
	}
	return &metaSet{typ: typ}
}

// add selects s (a fragment's set) in m; either may be nil (not
// introspection's).
func (m *metaSet) add(s *metaSet) {
	if m != nil && s != nil {
		m.sets = append(m.sets, s)
	}
}

// newIntroTerm reads a __schema or __type field.
func newIntroTerm(root string, args []*ast.Argument, set *metaSet) *introTerm {
	it := &introTerm{root: root, set: set}
	for _, arg := range args {
		if arg == nil || nameOf(arg.Name) != "name" {
			continue
		}
		switch v := arg.Value.(type) {
		case *ast.StringValue:
			it.name = v.Value
		case *ast.Variable:
			it.variable = nameOf(v.Name)
		}
	}
	return it
}

// eval is the cost of what the field selects (the field itself is counted
// with the others), or math.MaxInt once it passes budget.
func (it *introTerm) eval(o *Operation, vars map[string]any, budget int) int {
	if it.set == nil || o.meta == nil {
		return 0
	}
	var root *metaNode
	switch {
	case it.root == "__schema" && it.set.typ == "__Schema":
		root = o.meta.schema
	case it.root == "__type" && it.set.typ == "__Type":
		name := it.name
		if it.variable != "" {
			// What graphql-go would look up: the variable, or its default.
			// Anything else names no type (validation or CheckVariables
			// refuses it) and the answer is null.
			if v, ok := vars[it.variable]; ok {
				name, _ = v.(string)
			} else {
				name = o.names[it.variable]
			}
		}
		root = o.meta.types[name]
	}
	if root == nil {
		return 0
	}
	w := walk{budget: budget}
	if !w.set(it.set, root) {
		return math.MaxInt
	}
	return w.cost
}

// walk counts what a selection on introspection's objects returns, until
// the count passes budget.
type walk struct {
	cost, budget int
}

// set counts m (flattened) selected on n, an object of m's type; false
// once over the budget. Each step counts a field: the walk takes at most
// budget+1 steps.
func (w *walk) set(m *metaSet, n *metaNode) bool {
	for i := range m.fields {
		f := &m.fields[i]
		w.cost++
		if w.cost > w.budget {
			return false
		}
		if f.sub == nil {
			continue
		}
		for _, c := range n.edges[f.edge] {
			if !w.set(f.sub, c) {
				return false
			}
		}
	}
	return true
}

// flatten returns m with its fragments' fields in its own (the fragments
// of its type: execution skips the others) and its fields' selections
// flattened too and tied to the edges they follow, nil when it selects no
// field. The walk then counts 1 at each step: a chain of fragments spread
// in one another would otherwise cost a step each for every object the
// selection is walked on, and count nothing. Analyze calls it only once
// the document's size is bounded (MaxFields and MaxSpreads, fragments
// expanded), which bounds what it builds; sets shared by several places
// are flattened once.
func (a *analysis) flatten(m *metaSet) *metaSet {
	if m == nil {
		return nil
	}
	if f, ok := a.flat[m]; ok {
		return f
	}
	out := &metaSet{typ: m.typ}
	var add func(s *metaSet)
	add = func(s *metaSet) {
		for _, f := range s.fields {
			e, ok := metaEdges[m.typ][f.name]
			sub := a.flatten(f.sub)
			if !ok || sub == nil || sub.typ != e.target {
				// A leaf (or a selection validation refuses).
				out.fields = append(out.fields, metaField{name: f.name})
				continue
			}
			out.fields = append(out.fields, metaField{name: f.name, sub: sub, edge: e.edge})
		}
		for _, sub := range s.sets {
			if sub.typ == m.typ {
				add(sub)
			}
		}
	}
	add(m)
	if len(out.fields) == 0 {
		out = nil
	}
	a.flat[m] = out
	return out
}
