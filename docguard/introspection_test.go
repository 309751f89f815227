package docguard

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/graphql-go/graphql"

	"shop/errcode"
	"shop/internal/hostile"
)

// metaSchema has every kind of type introspection describes: an interface
// with its objects, a union, an enum with a deprecated value, an input
// object with defaults, a deprecated field, arguments, and a type whose
// fields are all of its own type.
func metaSchema(t testing.TB) Schema {
	t.Helper()
	node := graphql.NewInterface(graphql.InterfaceConfig{Name: "Node", Fields: graphql.Fields{"id": {Type: graphql.NewNonNull(graphql.ID)}}})
	status := graphql.NewEnum(graphql.EnumConfig{Name: "Status", Values: graphql.EnumValueConfigMap{
		"PENDING": {}, "PAID": {}, "OLD": {DeprecationReason: "gone"},
	}})
	filter := graphql.NewInputObject(graphql.InputObjectConfig{Name: "Filter", Fields: graphql.InputObjectConfigFieldMap{
		"status": {Type: status, DefaultValue: "PAID"}, "min": {Type: graphql.Float}, "tags": {Type: graphql.NewList(graphql.NewNonNull(graphql.String))},
	}})
	var order *graphql.Object
	product := graphql.NewObject(graphql.ObjectConfig{Name: "Product", Interfaces: []*graphql.Interface{node}, Fields: graphql.FieldsThunk(func() graphql.Fields {
		return graphql.Fields{
			"id": {Type: graphql.NewNonNull(graphql.ID)}, "name": {Type: graphql.String}, "sku": {Type: graphql.String, DeprecationReason: "use id"},
			"lastOrder": {Type: order},
		}
	})})
	order = graphql.NewObject(graphql.ObjectConfig{Name: "Order", Interfaces: []*graphql.Interface{node}, Fields: graphql.Fields{
		"id":      {Type: graphql.NewNonNull(graphql.ID)},
		"status":  {Type: status},
		"items":   {Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(product))), Args: graphql.FieldConfigArgument{"first": {Type: graphql.Int, DefaultValue: 10}}},
		"product": {Type: product},
		"first":   {Type: product},
	}})
	result := graphql.NewUnion(graphql.UnionConfig{Name: "Result", Types: []*graphql.Object{product, order},
		ResolveType: func(graphql.ResolveTypeParams) *graphql.Object { return product }})
	// A graph of ten edges a node, where nested introspection explodes.
	var graph *graphql.Object
	graph = graphql.NewObject(graphql.ObjectConfig{Name: "Graph", Fields: graphql.FieldsThunk(func() graphql.Fields {
		fs := graphql.Fields{}
		for _, name := range strings.Fields("a b c d e f g h i j") {
			fs[name] = &graphql.Field{Type: graph}
		}
		return fs
	})})
	query := graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
		"graph":  {Type: graph},
		"node":   {Type: node, Args: graphql.FieldConfigArgument{"id": {Type: graphql.NewNonNull(graphql.ID)}}},
		"search": {Type: graphql.NewList(result), Args: graphql.FieldConfigArgument{"filter": {Type: filter}, "q": {Type: graphql.String}}},
	}})
	mutation := graphql.NewObject(graphql.ObjectConfig{Name: "Mutation", Fields: graphql.Fields{
		"pay": {Type: order, Args: graphql.FieldConfigArgument{"id": {Type: graphql.NewNonNull(graphql.ID)}}},
	}})
	s, err := graphql.NewSchema(graphql.SchemaConfig{Query: query, Mutation: mutation, Types: []graphql.Type{product, order}})
	if err != nil {
		t.Fatal(err)
	}
	return NewSchema(&s, Costs{})
}

// responseFields counts the fields of an answer as the cost counts them:
// each key of each object, a list of leaves as one.
func responseFields(v any) int {
	switch v := v.(type) {
	case map[string]any:
		n := len(v)
		for _, x := range v {
			n += responseFields(x)
		}
		return n
	case []any:
		n := 0
		for _, x := range v {
			n += responseFields(x)
		}
		return n
	}
	return 0
}

// TestIntrospectionCostIsWhatItReturns: a selection under __schema or
// __type costs the fields its execution returns, walked on the schema,
// through aliases, fragments, inline fragments and __type's name (a
// literal, a variable, a variable's default).
func TestIntrospectionCostIsWhatItReturns(t *testing.T) {
	t.Parallel()
	sch := metaSchema(t)
	const typeRef = `fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }`
	tests := []struct {
		name, doc string
		vars      map[string]any
	}{
		{"types and their fields", `{ __schema { types { name kind fields(includeDeprecated: true) { name isDeprecated deprecationReason args { name defaultValue type { ...TypeRef } } type { ...TypeRef } } } } } ` + typeRef, nil},
		{"roots and directives", `{ __schema { queryType { name fields { name } } mutationType { name } subscriptionType { name }
  directives { name description locations args { name defaultValue type { kind name ofType { name } } } } } }`, nil},
		{"interfaces, possible types, enum values, input fields", `{ __schema { types { name interfaces { name } possibleTypes { name fields(includeDeprecated: true) { name } }
  enumValues(includeDeprecated: true) { name isDeprecated } inputFields { name defaultValue type { ...TypeRef } } } } } ` + typeRef, nil},
		{"__type by a literal", `{ __type(name: "Order") { name fields(includeDeprecated: true) { name type { ...TypeRef } args { name } } } } ` + typeRef, nil},
		{"__type of a type that does not exist", `{ __type(name: "Nope") { name fields { name } } }`, nil},
		{"__type by a variable", `query($n: String!) { __type(name: $n) { name inputFields { name } } }`, map[string]any{"n": "Filter"}},
		{"__type by a variable's default", `query($n: String = "Node") { __type(name: $n) { name possibleTypes { name } } }`, nil},
		{"aliases", `{ a: __type(name: "Product") { name } b: __type(name: "Order") { fields(includeDeprecated: true) { name } } c: __schema { types { name } } }`, nil},
		{"inline fragments and spreads", `{ __schema { types { ... on __Type { name ... on __Type { kind } } ...F } } }
  fragment F on __Type { fields(includeDeprecated: true) { ...G } } fragment G on __Field { name type { name } }`, nil},
		{"__typename", `{ __typename __schema { __typename types { __typename fields(includeDeprecated: true) { __typename } } } }`, nil},
		{"introspection beside other fields", `query { node(id: "1") { id } __type(name: "Status") { enumValues(includeDeprecated: true) { name } } }`, nil},
		{"nested through field types", `{ __schema { types { fields(includeDeprecated: true) { type { fields(includeDeprecated: true) { type { ofType { fields(includeDeprecated: true) { name } } } } } } } } }`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := mustParse(t, tt.doc)
			ops, err := Analyze(doc, analyzeLimits, sch)
			if err != nil {
				t.Fatal(err)
			}
			res := graphql.Do(graphql.Params{Schema: *sch.gql, RequestString: tt.doc, VariableValues: tt.vars})
			if len(res.Errors) > 0 {
				t.Fatalf("execution: %v", res.Errors)
			}
			want := responseFields(res.Data)
			if strings.Contains(tt.doc, "node(") {
				want++ // node is null: its id is not returned, but counted
			}
			if got := ops[""].Cost(tt.vars, 0); got != want {
				t.Errorf("cost %d, the answer has %d fields", got, want)
			}
			// At its exact cost it passes, one less it is refused.
			if err := ops[""].CheckCost(tt.vars, want); err != nil {
				t.Errorf("CheckCost(%d) = %v", want, err)
			}
			if err := ops[""].CheckCost(tt.vars, want-1); want > 1 && (err == nil || err.Code != errcode.QueryTooComplex) {
				t.Errorf("CheckCost(%d) = %v", want-1, err)
			}
		})
	}
}

// The walk counts deprecated fields and values whatever includeDeprecated
// says: their most.
func TestIntrospectionCountsDeprecated(t *testing.T) {
	t.Parallel()
	sch := metaSchema(t)
	for _, doc := range []string{`{ __type(name: "Product") { fields { name } } }`, `{ __type(name: "Status") { enumValues { name } } }`} {
		ops, err := Analyze(mustParse(t, doc), analyzeLimits, sch)
		if err != nil {
			t.Fatal(err)
		}
		res := graphql.Do(graphql.Params{Schema: *sch.gql, RequestString: doc})
		if got, returned := ops[""].Cost(nil, 0), responseFields(res.Data); got != returned+1 {
			t.Errorf("%s: cost %d, want the %d fields returned and the deprecated one", doc, got, returned)
		}
	}
}

// TestHostileIntrospectionIsRefusedQuickly: the walk stops as soon as the
// cost passes the maximum, so the worst nested introspection a document
// may hold is refused in a few milliseconds, and said to cost "more than"
// the maximum (its exact cost is never known). Not parallel: it times.
func TestHostileIntrospectionIsRefusedQuickly(t *testing.T) {
	sch := metaSchema(t)
	// shop's defaults (config.DocumentLimits)
	lim := Limits{MaxBytes: 64 << 10, MaxTokens: 10_000, MaxDepth: 25, MaxFields: 2000, MaxSetFields: 200, MaxAliases: 100, MaxDirectives: 50, MaxSpreads: 500, MaxCost: 350_000}
	levels := (lim.MaxDepth - 3) / 2 // __schema, types and name, then fields { type { … } }
	chainLevels := (lim.MaxDepth - 1) / 2
	for name, text := range map[string]string{
		"nested and aliased": hostile.NestedIntrospection(min(lim.MaxAliases, lim.MaxFields/(3+2*levels)), levels),
		"fragment chains":    hostile.IntrospectionFragmentChains(chainLevels, lim.MaxSpreads/chainLevels-2),
	} {
		t.Run(name, func(t *testing.T) {
			src, serr := Scan(text, lim)
			if serr != nil {
				t.Fatal(serr)
			}
			doc, perr := Parse(src)
			if perr != nil {
				t.Fatal(perr)
			}
			ops, err := Analyze(doc, lim, sch)
			if err != nil {
				t.Fatal(err)
			}
			if v := graphql.ValidateDocument(sch.gql, doc, nil); !v.IsValid {
				t.Fatalf("not valid: %v", v.Errors)
			}
			for _, max := range []int{lim.MaxCost, 2_000_000} {
				took := time.Duration(math.MaxInt64)
				for range 3 { // the quickest of three: the machine is shared
					start := time.Now()
					err := ops[""].CheckCost(nil, max)
					took = min(took, time.Since(start))
					if err == nil || err.Code != errcode.QueryTooComplex || !strings.Contains(err.Message, "costs more than") {
						t.Fatalf("CheckCost(%d) = %v", max, err)
					}
				}
				t.Logf("%d bytes, refused under a maximum of %s in %v", len(text), Count(max), took)
				// The walk is linear in the maximum: 25 ms for 350,000
				// leaves room on a slow machine (it takes a few).
				limit := 25 * time.Millisecond * time.Duration(max) / time.Duration(lim.MaxCost) * raceSlowdown
				if took > limit {
					t.Errorf("refusing took %v under a maximum of %d (at most %v)", took, max, limit)
				}
			}
			if c := ops[""].Cost(nil, lim.MaxCost); c != math.MaxInt {
				t.Errorf("Cost = %d, want math.MaxInt past the maximum", c)
			}
		})
	}
}
