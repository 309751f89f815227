package schema

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
	"github.com/graphql-go/graphql/language/parser"

	"shop/resolvers"
)

// meteredSchema is a list of n items, each with a text of size bytes, a
// nullable text and a number; calls counts the texts' resolutions.
func meteredSchema(t *testing.T, n, size int, calls *int) graphql.Schema {
	t.Helper()
	text := strings.Repeat("x", size)
	item := graphql.NewObject(graphql.ObjectConfig{Name: "Item", Fields: graphql.Fields{
		"text": {Type: graphql.NewNonNull(graphql.String), Resolve: func(graphql.ResolveParams) (any, error) { *calls++; return text, nil }},
		"note": {Type: graphql.String, Resolve: func(graphql.ResolveParams) (any, error) { return "a note", nil }},
		"n":    {Type: graphql.NewNonNull(graphql.Int), Resolve: func(graphql.ResolveParams) (any, error) { return 1, nil }},
	}})
	query := graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
		"items": {Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(item))), Resolve: func(graphql.ResolveParams) (any, error) {
			return make([]struct{}, n), nil
		}},
		"maybe": {Type: graphql.NewList(graphql.NewNonNull(item)), Resolve: func(graphql.ResolveParams) (any, error) {
			return make([]struct{}, n), nil
		}},
	}})
	s, err := graphql.NewSchema(graphql.SchemaConfig{Query: query})
	if err != nil {
		t.Fatal(err)
	}
	meter(&s)
	return s
}

// Issue 17: once a response passes its budget, execution stops producing
// it: the fields after the one that passed it are not resolved, whatever
// the lists still hold, and graphql-go reports one error per nullable
// field the stop reached, not one per item.
func TestMeterStopsExecution(t *testing.T) {
	t.Parallel()
	calls := 0
	s := meteredSchema(t, 10_000, 1000, &calls)
	for _, doc := range []string{`{ items { text note n } }`, `{ maybe { note text n } a: items { text } }`} {
		calls = 0
		budget := resolvers.NewResponseBudget(100_000)
		r := graphql.Execute(graphql.ExecuteParams{Schema: s, AST: mustParse(t, doc), Root: budget, Context: t.Context()})
		if !budget.Exceeded() {
			t.Fatalf("%s: budget not exceeded", doc)
		}
		t.Logf("%s: %d texts resolved, %d errors, %d bytes charged", doc, calls, len(r.Errors), budget.Used())
		// 100 KB is about 100 texts of 1,000 bytes.
		if calls > 101 {
			t.Errorf("%s: %d texts resolved with a budget for 100", doc, calls)
		}
		if len(r.Errors) > 2 {
			t.Errorf("%s: %d errors", doc, len(r.Errors))
		}
	}
	// Without a budget, or within it, everything is resolved.
	calls = 0
	r := graphql.Execute(graphql.ExecuteParams{Schema: s, AST: mustParse(t, `{ items { text } }`), Context: t.Context()})
	if len(r.Errors) > 0 || calls != 10_000 {
		t.Fatalf("no budget: %d texts, %v", calls, r.Errors)
	}
	calls = 0
	budget := resolvers.NewResponseBudget(20 << 20)
	r = graphql.Execute(graphql.ExecuteParams{Schema: s, AST: mustParse(t, `{ items { text note n } }`), Root: budget, Context: t.Context()})
	if len(r.Errors) > 0 || calls != 10_000 || budget.Exceeded() {
		t.Fatalf("within the budget: %d texts, %v", calls, r.Errors)
	}
}

// The budget charges about what the JSON holds: within a few percent for
// text, and never less.
func TestMeterChargesTheJSON(t *testing.T) {
	t.Parallel()
	calls := 0
	s := meteredSchema(t, 1000, 1000, &calls)
	budget := resolvers.NewResponseBudget(1 << 30)
	r := graphql.Execute(graphql.ExecuteParams{Schema: s, AST: mustParse(t, `{ items { text note n } }`), Root: budget, Context: t.Context()})
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	used := budget.Used()
	t.Logf("charged %d bytes for %d of JSON", used, len(b))
	if used < len(b) || used > len(b)*11/10 {
		t.Fatalf("charged %d bytes for %d of JSON", used, len(b))
	}
}

func TestJSONStringSize(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "plain", `"quoted" \ back`, "line\nbreak\ttab\r", "<b>&amp;</b>", "\x00\x01\x1f", "é ü 日本", "line\u2028sep\u2029", strings.Repeat("<", 100)} {
		b, _ := json.Marshal(s)
		if got := jsonStringSize(s); got != len(b) {
			t.Errorf("jsonStringSize(%q) = %d, json.Marshal makes %d", s, got, len(b))
		}
	}
}

func mustParse(t *testing.T, doc string) *ast.Document {
	t.Helper()
	d, err := parser.Parse(parser.ParseParams{Source: doc})
	if err != nil {
		t.Fatal(err)
	}
	return d
}
