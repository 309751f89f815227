package docguard

import (
	"slices"
	"strings"
	"testing"

	"github.com/graphql-go/graphql/language/ast"
)

func TestOperationRootFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"fields, sorted and each once", `{ getProducts { price } a: getProducts { price } __typename getOrders { orderId } }`,
			[]string{"__typename", "getOrders", "getProducts"}},
		{"through a fragment", `{ ...Q } fragment Q on Query { getProducts { price } }`, []string{"getProducts"}},
		{"through an inline fragment", `{ ... on Query { products { edges { node { price } } } } __typename }`, []string{"__typename", "products"}},
		{"through fragments in fragments, not below the root", `{ ...Q } fragment Q on Query { ... { ...R } getOrders { ...O } } fragment R on Query { getProductsById(id: "x") { price } } fragment O on Order { orderId }`,
			[]string{"getOrders", "getProductsById"}},
		{"introspection", `{ __schema { types { name } } }`, []string{"__schema"}},
	}
	for _, tt := range tests {
		ops, err := mustAnalyze(t, tt.doc, analyzeLimits)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := ops[""].RootFields; !slices.Equal(got, tt.want) {
			t.Errorf("%s: RootFields = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// RootRuns counts what a mutation would run: one field per response key.
func TestOperationRootRuns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc string
		want      int
	}{
		{"one", `mutation { deleteProduct(productId: "x") }`, 1},
		{"aliases count apart", `mutation { a: deleteProduct(productId: "x") b: deleteProduct(productId: "y") c: cancelOrder(orderId: "z") { status } }`, 3},
		{"one key twice runs once", `mutation { deleteProduct(productId: "x") deleteProduct(productId: "x") }`, 1},
		{"__typename is not run", `mutation { __typename t: __typename deleteProduct(productId: "x") }`, 1},
		{"through fragments", `mutation { ...M ... on Mutation { b: deleteProduct(productId: "y") } } fragment M on Mutation { a: deleteProduct(productId: "x") }`, 2},
		{"a key named like another field", `mutation { deleteProduct: deleteCategory(id: "x") d: deleteProduct(productId: "y") }`, 2},
	}
	for _, tt := range tests {
		ops, err := mustAnalyze(t, tt.doc, analyzeLimits)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := ops[""].RootRuns; got != tt.want {
			t.Errorf("%s: RootRuns = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestOperationsByName(t *testing.T) {
	t.Parallel()
	ops, err := mustAnalyze(t, `query A { ...P } query B($n: Int) { getOrders(limit: $n) { orderId } } mutation C { deleteProduct }
		fragment P on Query { getProducts { price } }`, analyzeLimits)
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 3 || ops[""] != nil {
		t.Fatalf("operations %v: want A, B and C, and none unnamed", ops)
	}
	for name, want := range map[string]struct {
		typ   string
		roots []string
	}{
		"A": {ast.OperationTypeQuery, []string{"getProducts"}},
		"B": {ast.OperationTypeQuery, []string{"getOrders"}},
		"C": {ast.OperationTypeMutation, []string{"deleteProduct"}},
	} {
		op := ops[name]
		if op.Name != name || op.Type != want.typ || !slices.Equal(op.RootFields, want.roots) {
			t.Errorf("%s: %+v, want type %s, root fields %v", name, op, want.typ, want.roots)
		}
	}
	if got := ops["B"].CheckVariables(map[string]any{"n": 1.5}); len(got) != 1 {
		t.Errorf("B's variables: %v", got)
	}
	if got := ops["A"].CheckVariables(map[string]any{"n": 1.5}); got != nil {
		t.Errorf("A has no variables, but: %v", got)
	}

	// A request that names no operation runs the only one, named or not.
	ops, err = mustAnalyze(t, `query Only { getProducts { price } }`, analyzeLimits)
	if err != nil {
		t.Fatal(err)
	}
	if ops[""] != ops["Only"] || ops[""] == nil {
		t.Fatalf("the only operation is not under \"\": %v", ops)
	}
}

func TestCheckVariables(t *testing.T) {
	t.Parallel()
	const order = `mutation($input: OrderInput!) { createOrder(input: $input) { orderId } }`
	const scalars = `query($n: Int, $ids: [String!], $s: String) { getProducts(limit: $n) { price } getProductsById(id: $s) { price } }`
	item := func(quantity any) map[string]any { return map[string]any{"productId": "p", "quantity": quantity} }
	tests := []struct {
		name, doc string
		vars      map[string]any
		want      []string
	}{
		{"good variables", order, map[string]any{"input": map[string]any{"customerId": "c", "items": []any{item(2.0)}, "status": "PAID", "rush": true, "tip": 1.5}}, nil},
		{"a variable not given is left to graphql-go", scalars, map[string]any{}, nil},
		{"an Int with a fraction", scalars, map[string]any{"n": 1.5}, []string{"$n must be a whole number from -2147483648 to 2147483647, got 1.5"}},
		{"an Int past 32 bits", scalars, map[string]any{"n": 1e10}, []string{"$n must be a whole number from -2147483648 to 2147483647, got 1e+10"}},
		{"an Int as a string", scalars, map[string]any{"n": "12"}, []string{`$n must be a whole number from -2147483648 to 2147483647, got "12"`}},
		{"a null where the type allows it", scalars, map[string]any{"n": nil, "s": nil}, nil},
		{"a null in a list of non-null", scalars, map[string]any{"ids": []any{"a", nil}}, []string{"$ids[1] must not be null"}},
		{"a number in a list of strings", scalars, map[string]any{"ids": []any{"a", 3.0}}, []string{"$ids[1] must be a string, got 3"}},
		{"one value for a list", scalars, map[string]any{"ids": true}, []string{"$ids must be a string, got true"}},
		{"a required input that is null", order, map[string]any{"input": nil}, []string{"$input must not be null"}},
		{"an input that is not an object", order, map[string]any{"input": []any{}}, []string{"$input must be an object of type OrderInput"}},
		{"an unknown input field", order, map[string]any{"input": map[string]any{"customerId": "c", "extra": 1.0}}, []string{`$input has no field "extra" (type OrderInput)`}},
		{"problems deep in an input", order, map[string]any{"input": map[string]any{"customerId": 7.0, "items": []any{item(2.0), item(0.5)}, "status": 1.0, "rush": "yes", "tip": map[string]any{}}},
			[]string{
				"$input.customerId must be a string, got 7",
				"$input.items[1].quantity must be a whole number from -2147483648 to 2147483647, got 0.5",
				"$input.rush must be true or false, got \"yes\"",
				"$input.status must be one of the Status values",
				"$input.tip must be a number, got an object",
			}},
	}
	for _, tt := range tests {
		ops, err := mustAnalyze(t, tt.doc, analyzeLimits)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got := ops[""].CheckVariables(tt.vars)
		slices.Sort(got) // an input object's fields are checked in no set order
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: CheckVariables =\n  %s\nwant\n  %s", tt.name, strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
		}
	}
}

// A variable whose type is not an input type is left to graphql-go's
// validation, and without a graphql-go schema nothing is checked.
func TestCheckVariablesLeavesTheRestToGraphQLGo(t *testing.T) {
	t.Parallel()
	ops, err := mustAnalyze(t, `query($p: Product) { __typename }`, analyzeLimits)
	if err != nil {
		t.Fatal(err)
	}
	if got := ops[""].CheckVariables(map[string]any{"p": 1.0}); got != nil {
		t.Errorf("an output type as a variable's: %v", got)
	}
	bare, gerr := Analyze(mustParse(t, `query($n: Int) { __typename }`), analyzeLimits, Schema{})
	if gerr != nil {
		t.Fatal(gerr)
	}
	if got := bare[""].CheckVariables(map[string]any{"n": "x"}); got != nil {
		t.Errorf("without a schema: %v", got)
	}
}
