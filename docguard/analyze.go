package docguard

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"

	"shop/errcode"
)

// Schema is what the analysis needs to know of the schema: the root types,
// the type each field returns, and what each field costs (Costs).
type Schema struct {
	gql       *graphql.Schema   // for the types of variables
	roots     map[string]string // "query" → "Query"
	fields    map[string]string // "Type.field" → the named type it returns
	types     map[string]bool   // every type's name
	composite map[string]bool   // types with fields (objects, interfaces)
	lists     map[string]List
	weights   map[string]int
	database  map[string]Database
	cache     map[string]Cache
	meta      *metaGraph // the schema as introspection answers it, for its cost
}

// Costs say what the fields of a schema cost, by "Type.field".
type Costs struct {
	// Lists size the list fields. List fields not here count as one item.
	Lists map[string]List
	// Weights are what a field costs instead of 1: a text field weighs
	// what it can return (its maximum length), so that a selection that
	// can return megabytes costs like it.
	Weights map[string]int
	// Database are the fields that reach the database whatever the cache
	// holds, counted apart from the cost (Operation.DatabaseFields).
	Database map[string]Database
	// Cache says which root fields' answers may be kept whole, and for
	// whom (Operation.Cache); a root field not here is never kept.
	Cache map[string]Cache
}

// Cache is how a root field's answer may be kept: never, for the caller
// alone (it reads the caller's own orders and the catalog), or for
// everyone (it reads the catalog alone). Each level allows the ones below.
type Cache int

const (
	CacheNever Cache = iota
	CachePerCustomer
	CachePublic
)

// Database says when a field reaches the database: always, or when it is
// given one of Args (an argument that makes each request a different
// read, which no cache answers, such as a search's filter or a cursor).
type Database struct {
	Always bool
	Args   []string
}

// reached reports whether a field with these arguments reaches the
// database.
func (d Database) reached(args []*ast.Argument) bool {
	if d.Always {
		return true
	}
	for _, arg := range args {
		if arg != nil && slices.Contains(d.Args, nameOf(arg.Name)) {
			return true
		}
	}
	return false
}

// List says how many items a list field returns, for the cost: a list field
// multiplies the cost of what is selected under it by its size.
type List struct {
	Arg     string // the argument that sets the size ("first", "limit"), if any
	Default int    // the size when the argument is not given
	Max     int    // the size at most, whatever the argument says
}

// NewSchema reads root types and field types from a graphql-go schema,
// with what its fields cost.
func NewSchema(s *graphql.Schema, c Costs) Schema {
	sch := Schema{gql: s, roots: map[string]string{}, fields: map[string]string{}, types: map[string]bool{}, composite: map[string]bool{},
		lists: c.Lists, weights: c.Weights, database: c.Database, cache: c.Cache, meta: newMetaGraph(s)}
	for op, t := range map[string]*graphql.Object{
		ast.OperationTypeQuery: s.QueryType(), ast.OperationTypeMutation: s.MutationType(), ast.OperationTypeSubscription: s.SubscriptionType(),
	} {
		if t != nil {
			sch.roots[op] = t.Name()
		}
	}
	for name, t := range s.TypeMap() {
		sch.types[name] = true
		var fields graphql.FieldDefinitionMap
		switch t := t.(type) {
		case *graphql.Object:
			fields = t.Fields()
			sch.composite[name] = true
		case *graphql.Interface:
			fields = t.Fields()
			sch.composite[name] = true
		}
		for fname, f := range fields {
			if named, ok := graphql.GetNamed(f.Type).(graphql.Type); ok {
				sch.fields[name+"."+fname] = named.Name()
			}
		}
	}
	return sch
}

// maxSuggestedName is the longest unknown field name left to graphql-go,
// whose "Did you mean" suggestions cost the name's length times the length
// of every field name of the type.
const maxSuggestedName = 64

// unknown refuses, with graphql-go's wording but no suggestions, the names
// whose suggestions would cost graphql-go time out of proportion: any
// unknown type (suggestions compare it with every type of the schema), and
// an unknown field with a long name.
func (s Schema) unknown(parent, field string) *Error {
	if s.types == nil || !s.composite[parent] || len(field) <= maxSuggestedName || strings.HasPrefix(field, "__") {
		return nil
	}
	if _, ok := s.fields[parent+"."+field]; ok {
		return nil
	}
	return errorf(errcode.GraphqlValidationFailed, "Cannot query field %q on type %q.", Shorten(field, 60), parent)
}

func (s Schema) unknownType(name string) *Error {
	if s.types == nil || s.types[name] {
		return nil
	}
	return errorf(errcode.GraphqlValidationFailed, "Unknown type %q.", Shorten(name, 60))
}

// weight is what a field ("Type.field", of type parent) costs before
// what it selects: its weight, or 1.
func (s Schema) weight(parent, key string) int {
	if w, ok := s.weights[key]; ok && parent != "" {
		return w
	}
	return 1
}

// fieldType is the named type a field returns, "" when unknown.
func (s Schema) fieldType(parent, field string) string {
	switch field {
	case "__schema":
		return "__Schema"
	case "__type":
		return "__Type"
	}
	return s.fields[parent+"."+field]
}

// Operation is what the analysis found out about one operation.
type Operation struct {
	Name string
	Type string // ast.OperationTypeQuery, …Mutation or …Subscription
	// RootFields are the names of the fields the operation selects at its
	// root, fragments and inline fragments expanded: sorted, each once.
	RootFields []string
	// RootRuns is how many root fields execution runs: one per response
	// key (an alias counts apart; one key selected twice runs once),
	// __typename aside. A mutation runs each of them, one after another.
	RootRuns int
	// Introspection is true when the operation selects __schema or __type.
	Introspection bool
	// DatabaseFields counts the fields that reach the database (see
	// Costs.Database), each alias and each spread of a fragment apart.
	DatabaseFields int
	// Cache is how a query's whole answer may be kept: the least its root
	// fields allow (Costs.Cache; __typename allows anything). Mutations,
	// subscriptions and introspection are never kept.
	Cache    Cache
	cost     *term
	vars     []variable        // its variable definitions, in order
	defaults map[string]int    // literal Int defaults of its variables
	names    map[string]string // literal String defaults of its variables (__type's name)
	meta     *metaGraph        // for introspection's cost
}

// stats are the counts of a selection set with its fragments expanded,
// kept per fragment so that each is walked once however often it is
// spread. Counts saturate instead of overflowing.
type stats struct {
	fields, aliases, directives, spreads int
	database                             int // fields that reach the database
	depth                                int // fields nested in fields, 1 for a set of leaves
	introspection                        bool
	cost                                 *term
}

func (s *stats) add(o stats, depth int) {
	s.fields = satAdd(s.fields, o.fields)
	s.aliases = satAdd(s.aliases, o.aliases)
	s.directives = satAdd(s.directives, o.directives)
	s.spreads = satAdd(s.spreads, o.spreads)
	s.database = satAdd(s.database, o.database)
	s.depth = max(s.depth, depth+o.depth)
	s.introspection = s.introspection || o.introspection
}

type analysis struct {
	lim   Limits
	sch   Schema
	frags Fragments
	memo  map[string]*stats // walked fragments; nil while being walked
	path  []string          // fragments being walked, for cycles
	// prints memoises printCost by field; printing sums it over the pairs
	// of fields that share a response key (see mergedSet)
	prints   map[*ast.Field]int
	printing int
	// intros are the __schema and __type fields, whose selections are
	// flattened (flatten) once the document's size is known to be bounded
	intros []*introTerm
	flat   map[*metaSet]*metaSet
}

// Analyze checks a parsed document against the limits, before graphql-go's
// validator runs: fragment cycles, fragment spreads, fields, aliases,
// directives and depth, all counted with fragments expanded (by
// memoisation, so a fragment spread many times is walked once). It returns
// what the handler needs to know of each operation, by name ("" for an
// anonymous one), and the only operation of a document also under "", as
// a request that names none selects it.
func Analyze(doc *ast.Document, lim Limits, sch Schema) (map[string]*Operation, *Error) {
	a := &analysis{lim: lim, sch: sch, frags: Fragments{}, memo: map[string]*stats{}, prints: map[*ast.Field]int{}}
	var ops []*ast.OperationDefinition
	for _, def := range doc.Definitions {
		switch def := def.(type) {
		case *ast.OperationDefinition:
			ops = append(ops, def)
		case *ast.FragmentDefinition:
			name := nameOf(def.Name)
			if _, dup := a.frags[name]; dup {
				return nil, errorf(errcode.GraphqlValidationFailed, "There can be only one fragment named %q.", Shorten(name, 60))
			}
			a.frags[name] = def
		default:
			return nil, errorf(errcode.GraphqlValidationFailed, "A request may hold only operations and fragments, not type system definitions (found a %s).", def.GetKind())
		}
	}

	var total stats
	out := map[string]*Operation{}
	found := make([]*Operation, len(ops))
	for i, op := range ops {
		vars, defaults, names, err := a.variables(op)
		if err != nil {
			return nil, err
		}
		if err := a.sch.directives(op.Directives); err != nil {
			return nil, err
		}
		st, err := a.set(op.SelectionSet, a.sch.roots[op.Operation])
		if err != nil {
			return nil, err
		}
		st.directives = satAdd(st.directives, len(op.Directives))
		total.add(*st, 0)
		o := &Operation{Name: nameOf(op.Name), Type: op.Operation, Introspection: st.introspection, DatabaseFields: st.database, cost: st.cost, vars: vars, defaults: defaults, names: names, meta: a.sch.meta}
		out[o.Name] = o
		found[i] = o
	}
	// The fragments the operations reach are in the memo now. Then every
	// other fragment, so a cycle is reported as one even in a fragment no
	// operation uses; each is walked once, through the memo.
	used := make(map[string]bool, len(a.memo))
	for name := range a.memo {
		used[name] = true
	}
	for _, def := range doc.Definitions {
		if f, ok := def.(*ast.FragmentDefinition); ok {
			if _, err := a.fragment(nameOf(f.Name)); err != nil {
				return nil, err
			}
		}
	}
	for _, def := range doc.Definitions {
		if f, ok := def.(*ast.FragmentDefinition); ok && !used[nameOf(f.Name)] {
			return nil, errorf(errcode.GraphqlValidationFailed, "Fragment %q is never used.", Shorten(nameOf(f.Name), 60))
		}
	}
	if err := a.check(total); err != nil {
		return nil, err
	}
	a.flat = map[*metaSet]*metaSet{}
	for _, it := range a.intros {
		it.set = a.flatten(it.set)
	}
	// Now that the expanded size is known to be bounded, expand: graphql-go's
	// overlapping-fields rule compares, pairwise, the fields merged into one
	// selection set through fragments and same-named fields.
	for i, op := range ops {
		if err := a.merged(op.SelectionSet, newMergedSet()); err != nil {
			return nil, err
		}
		found[i].RootFields, found[i].RootRuns = a.rootFields(op.SelectionSet)
		found[i].Cache = a.sch.cacheOf(found[i])
	}
	if len(found) == 1 {
		out[""] = found[0]
	}
	return out, nil
}

func (a *analysis) check(t stats) *Error {
	lim := a.lim
	switch {
	case lim.MaxDepth > 0 && t.depth > lim.MaxDepth:
		return overLimit(errcode.QueryTooDeep, "Fields nest", t.depth, lim.MaxDepth, "levels deep (fragments expanded)")
	case lim.MaxSpreads > 0 && t.spreads > lim.MaxSpreads:
		return overLimit(errcode.GraphqlValidationFailed, "Too many fragment spreads: fragments are spread", t.spreads, lim.MaxSpreads, "times (a spread inside a fragment counts each time the fragment is)")
	case lim.MaxFields > 0 && t.fields > lim.MaxFields:
		return overLimit(errcode.TooManyFields, "The document selects", t.fields, lim.MaxFields, "fields (fragments expanded)")
	case lim.MaxAliases > 0 && t.aliases > lim.MaxAliases:
		return overLimit(errcode.TooManyAliases, "The document uses", t.aliases, lim.MaxAliases, "aliases (fragments expanded)")
	case lim.MaxDirectives > 0 && t.directives > lim.MaxDirectives:
		return overLimit(errcode.TooManyDirectives, "The document uses", t.directives, lim.MaxDirectives, "directives (fragments expanded)")
	}
	return nil
}

// fragment returns the stats of a fragment, walking it the first time.
func (a *analysis) fragment(name string) (*stats, *Error) {
	if st, ok := a.memo[name]; ok {
		if st == nil { // on the path being walked
			return nil, a.cycle(name)
		}
		return st, nil
	}
	f := a.frags.get(name)
	if f == nil {
		return &stats{}, nil // unknown: graphql-go reports it
	}
	a.memo[name] = nil
	a.path = append(a.path, name)
	typ := ""
	if f.TypeCondition != nil {
		typ = nameOf(f.TypeCondition.Name)
		if err := a.sch.unknownType(typ); err != nil {
			return nil, err
		}
	}
	if err := a.sch.directives(f.Directives); err != nil {
		return nil, err
	}
	st, err := a.set(f.SelectionSet, typ)
	if err != nil {
		return nil, err
	}
	st.directives = satAdd(st.directives, len(f.Directives))
	a.path = a.path[:len(a.path)-1]
	a.memo[name] = st
	return st, nil
}

func (a *analysis) cycle(name string) *Error {
	i := len(a.path) - 1
	for i > 0 && a.path[i] != name {
		i--
	}
	via := a.path[i+1:]
	msg := fmt.Sprintf("Cannot spread fragment %q within itself", Shorten(name, 60))
	if len(via) > 0 {
		if len(via) > 5 {
			via = append(via[:5:5], fmt.Sprintf("… (%d more)", len(a.path)-i-6))
		}
		msg += " via " + strings.Join(via, ", ")
	}
	return &Error{Code: errcode.GraphqlValidationFailed, Message: Shorten(msg, MaxMessage) + "."}
}

// set walks a selection set whose fields belong to type typ ("" when
// unknown) and returns its stats, fragments expanded through the memo.
func (a *analysis) set(set *ast.SelectionSet, typ string) (*stats, *Error) {
	st := &stats{cost: &term{meta: metaOf(typ)}}
	meta := st.cost.meta
	if set == nil {
		return st, nil
	}
	for _, sel := range set.Selections {
		switch sel := sel.(type) {
		case *ast.Field:
			name := nameOf(sel.Name)
			if err := a.sch.unknown(typ, name); err != nil {
				return nil, err
			}
			if err := arguments(sel.Arguments, a.sch.fieldArgs(typ, name), typ+"."+name); err != nil {
				return nil, err
			}
			if err := a.sch.directives(sel.Directives); err != nil {
				return nil, err
			}
			st.fields = satAdd(st.fields, 1)
			if sel.Alias != nil {
				st.aliases = satAdd(st.aliases, 1)
			}
			st.directives = satAdd(st.directives, len(sel.Directives))
			st.introspection = st.introspection || name == "__schema" || name == "__type"
			key := typ + "." + name
			st.cost.fields = satAdd(st.cost.fields, a.sch.weight(typ, key))
			if d, ok := a.sch.database[key]; ok && typ != "" && d.reached(sel.Arguments) {
				st.database = satAdd(st.database, 1)
			}
			st.depth = max(st.depth, 1)
			if sel.SelectionSet == nil {
				if meta != nil {
					meta.fields = append(meta.fields, metaField{name: name})
				}
				continue
			}
			inner, err := a.set(sel.SelectionSet, a.sch.fieldType(typ, name))
			if err != nil {
				return nil, err
			}
			st.add(*inner, 1)
			if meta != nil {
				meta.fields = append(meta.fields, metaField{name: name, sub: inner.cost.meta})
			}
			switch l, ok := a.sch.lists[key]; {
			case name == "__schema" || name == "__type":
				// Walked on the schema, per request (introspection.go).
				it := newIntroTerm(name, sel.Arguments, inner.cost.meta)
				st.cost.intro = append(st.cost.intro, it)
				a.intros = append(a.intros, it)
			case ok && typ != "":
				st.cost.lists = append(st.cost.lists, listTerm{size: sizeOf(l, sel.Arguments), inner: inner.cost})
			default:
				st.cost.merge(inner.cost)
			}
		case *ast.InlineFragment:
			t := typ
			if sel.TypeCondition != nil {
				t = nameOf(sel.TypeCondition.Name)
				if err := a.sch.unknownType(t); err != nil {
					return nil, err
				}
			}
			if err := a.sch.directives(sel.Directives); err != nil {
				return nil, err
			}
			inner, err := a.set(sel.SelectionSet, t)
			if err != nil {
				return nil, err
			}
			st.directives = satAdd(st.directives, len(sel.Directives))
			st.add(*inner, 0)
			st.cost.merge(inner.cost)
			meta.add(inner.cost.meta)
		case *ast.FragmentSpread:
			st.spreads = satAdd(st.spreads, 1)
			st.directives = satAdd(st.directives, len(sel.Directives))
			if err := a.sch.directives(sel.Directives); err != nil {
				return nil, err
			}
			inner, err := a.fragment(nameOf(sel.Name))
			if err != nil {
				return nil, err
			}
			st.add(*inner, 0)
			st.cost.frags = append(st.cost.frags, inner.cost)
			meta.add(inner.cost.meta)
		}
	}
	return st, nil
}

// mergedSet is one selection set as execution sees it: the fields of every
// same-named field, fragment and inline fragment merged.
type mergedSet struct {
	n    int // field nodes merged into the set
	subs map[string]*mergedSet
	// keys are the response keys seen in the set: how many fields use
	// each, and the sum of what printing their arguments costs (printCost)
	keys map[string]keyPrints
}

type keyPrints struct{ fields, cost int }

func newMergedSet() *mergedSet {
	return &mergedSet{subs: map[string]*mergedSet{}, keys: map[string]keyPrints{}}
}

// maxComparePrinting bounds, in printCost's estimated microseconds, what
// graphql-go's overlapping-fields rule may spend printing arguments: it
// prints the arguments of both fields of every pair that shares a response
// name. Two fields that share one, each with an input object of six
// fields, cost about 2,600 (they take 1 ms); ten, 120,000 (45 ms).
const maxComparePrinting = 50_000

// merged expands set into m, refusing a merged set with more fields than
// MaxSetFields. Analyze calls it only once the expanded size is bounded.
func (a *analysis) merged(set *ast.SelectionSet, m *mergedSet) *Error {
	for f := range Fields(set, a.frags) {
		m.n++
		if a.lim.MaxSetFields > 0 && m.n > a.lim.MaxSetFields {
			return errorf(errcode.SelectionSetTooLarge, "A selection set merges more than %s fields (through fragments and fields of the same name); the maximum is %s.", Count(a.lim.MaxSetFields), Count(a.lim.MaxSetFields))
		}
		key := nameOf(f.Name)
		if f.Alias != nil {
			key = f.Alias.Value
		}
		// This field is compared with each one before it of the same key.
		w, ok := a.prints[f]
		if !ok {
			w = printCost(f.Arguments)
			a.prints[f] = w
		}
		k := m.keys[key]
		a.printing = satAdd(a.printing, satAdd(k.cost, satMul(k.fields, w)))
		m.keys[key] = keyPrints{fields: k.fields + 1, cost: satAdd(k.cost, w)}
		if a.printing > maxComparePrinting {
			return errorf(errcode.SelectionSetTooLarge, "The fields named %q in one selection set (through fragments and fields of the same name) have arguments too large to compare: the validator prints both fields' arguments for every pair. Select the field once, or pass its list and object arguments as variables.", Shorten(key, 60))
		}
		if f.SelectionSet == nil {
			continue
		}
		sub := m.subs[key]
		if sub == nil {
			sub = newMergedSet()
			m.subs[key] = sub
		}
		if err := a.merged(f.SelectionSet, sub); err != nil {
			return err
		}
	}
	return nil
}

// rootFields are the names of the fields set selects, fragments expanded,
// sorted and each once, and how many of them execution runs (one per
// response key, __typename aside; a field skipped by a directive still
// counts). Analyze calls it only once the expanded size is bounded.
func (a *analysis) rootFields(set *ast.SelectionSet) ([]string, int) {
	var names []string
	keys := map[string]bool{}
	for f := range Fields(set, a.frags) {
		name := nameOf(f.Name)
		names = append(names, name)
		if key := nameOf(f.Alias); name != "__typename" {
			if key == "" {
				key = name
			}
			keys[key] = true
		}
	}
	slices.Sort(names)
	return slices.Compact(names), len(keys)
}

func nameOf(n *ast.Name) string {
	if n == nil {
		return ""
	}
	return n.Value
}

func satAdd(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

func satMul(a, b int) int {
	if a == 0 || b == 0 {
		return 0
	}
	if a > math.MaxInt/b {
		return math.MaxInt
	}
	return a * b
}

// cacheOf is the least the operation's root fields allow.
func (s Schema) cacheOf(o *Operation) Cache {
	if o.Type != ast.OperationTypeQuery {
		return CacheNever
	}
	c := CachePublic
	for _, f := range o.RootFields {
		if f == "__typename" {
			continue
		}
		c = min(c, s.cache[s.roots[o.Type]+"."+f])
	}
	return c
}
