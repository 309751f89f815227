package docguard

import (
	"fmt"
	"strings"
	"testing"

	"github.com/graphql-go/graphql"

	"shop/errcode"
)

// literalSchema has the shop's shapes of arguments: scalars, an input
// object of scalars, and a list of input objects inside one.
func literalSchema(t testing.TB) (*graphql.Schema, Schema) {
	t.Helper()
	filter := graphql.NewInputObject(graphql.InputObjectConfig{Name: "ProductFilter", Fields: graphql.InputObjectConfigFieldMap{
		"query": {Type: graphql.String}, "minPrice": {Type: graphql.Float}, "inStock": {Type: graphql.Boolean}, "maxStock": {Type: graphql.Int},
	}})
	item := graphql.NewInputObject(graphql.InputObjectConfig{Name: "OrderItemInput", Fields: graphql.InputObjectConfigFieldMap{
		"productId": {Type: graphql.NewNonNull(graphql.String)}, "quantity": {Type: graphql.NewNonNull(graphql.Int)},
	}})
	order := graphql.NewInputObject(graphql.InputObjectConfig{Name: "CreateOrderInput", Fields: graphql.InputObjectConfigFieldMap{
		"customerId": {Type: graphql.String}, "items": {Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(item)))},
	}})
	sort := graphql.NewEnum(graphql.EnumConfig{Name: "Sort", Values: graphql.EnumValueConfigMap{"PRICE": {Value: "price"}, "NAME": {Value: "name"}}})
	product := graphql.NewObject(graphql.ObjectConfig{Name: "Product", Fields: graphql.Fields{"productId": {Type: graphql.String}}})
	query := graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
		"products": {Type: graphql.NewList(product), Args: graphql.FieldConfigArgument{
			"first": {Type: graphql.Int}, "filter": {Type: filter}, "sort": {Type: sort}, "ids": {Type: graphql.NewList(graphql.NewNonNull(graphql.String))},
		}},
	}})
	mutation := graphql.NewObject(graphql.ObjectConfig{Name: "Mutation", Fields: graphql.Fields{
		"createOrder": {Type: graphql.String, Args: graphql.FieldConfigArgument{"input": {Type: graphql.NewNonNull(order)}}},
	}})
	s, err := graphql.NewSchema(graphql.SchemaConfig{Query: query, Mutation: mutation})
	if err != nil {
		t.Fatal(err)
	}
	return &s, NewSchema(&s, Costs{})
}

// literalLimits are the defaults of config (GRAPHQL_MAX_*).
var literalLimits = Limits{MaxBytes: 64 << 10, MaxTokens: 10_000, MaxDepth: 25, MaxValueDepth: 8, MaxValueTokens: 2000,
	MaxFields: 2000, MaxSetFields: 200, MaxAliases: 100, MaxDirectives: 50, MaxSpreads: 500}

func nested(depth int) string {
	return strings.Repeat("{a:", depth) + "1" + strings.Repeat("}", depth)
}

// reportedAttack is issue 17's hostile document 1: 65 aliases, each with 33
// nested objects in an Int argument (11 KB; 1.6 s of graphql-go's
// validation).
func reportedAttack() string {
	var b strings.Builder
	b.WriteString("{")
	for i := range 65 {
		fmt.Fprintf(&b, "a%d:products(first:%s){productId} ", i, nested(33))
	}
	b.WriteString("}")
	return b.String()
}

// TestNestedLiteralsAreRefusedBeforeParsing: Scan, the first step, refuses
// a literal nested deeper than MaxValueDepth wherever it is.
func TestNestedLiteralsAreRefusedBeforeParsing(t *testing.T) {
	for name, doc := range map[string]string{
		"the report's":         reportedAttack(),
		"a list of lists":      `{products(ids:` + strings.Repeat("[", 9) + `"x"` + strings.Repeat("]", 9) + `){productId}}`,
		"in an input object":   `{products(filter:{query:` + nested(8) + `}){productId}}`,
		"in a directive":       `{products @include(if:` + nested(9) + `){productId}}`,
		"in a default":         `query($f: ProductFilter = ` + nested(9) + `){products(filter:$f){productId}}`,
		"in a variable's type": `query($f: ` + strings.Repeat("[", 9) + `Int` + strings.Repeat("]", 9) + `){products(first:1){productId}}`,
	} {
		_, err := Scan(doc, literalLimits)
		if err == nil || err.Code != errcode.QueryTooDeep || !strings.Contains(err.Message, "nest 9 levels deep") && !strings.Contains(err.Message, "nest 33 levels deep") ||
			!strings.HasSuffix(err.Message, "the maximum is 8.") {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The deepest input of the shop (an order's lines) nests 3 deep.
	if _, err := Scan(`mutation{createOrder(input:{items:[{productId:"p",quantity:1}]})}`, Limits{MaxValueDepth: 3}); err != nil {
		t.Error(err)
	}
	if _, err := Scan(`{products(filter:`+nested(8)+`){productId}}`, literalLimits); err != nil {
		t.Errorf("at the limit: %v", err)
	}
}

// TestLiteralsAreCheckedAsGraphqlGoDoes: docguard refuses a literal exactly
// when graphql-go's validator would (and then print it), without quoting it.
func TestLiteralsAreCheckedAsGraphqlGoDoes(t *testing.T) {
	gql, sch := literalSchema(t)
	for _, tt := range []struct {
		doc string
		ok  bool
	}{
		{`{products(first:1 filter:{query:"mug" minPrice:1 inStock:true maxStock:2} sort:PRICE ids:["a","b"]){productId}}`, true},
		{`{products(ids:"a"){productId}}`, true}, // a list of one
		{`query($n:Int){products(first:$n filter:{maxStock:$n}){productId}}`, true},
		{`mutation{createOrder(input:{items:[{productId:"p",quantity:1},{productId:"q",quantity:2}]})}`, true},
		{`mutation($q:Int!){createOrder(input:{items:{productId:"p",quantity:$q}})}`, true},
		{`query($f:ProductFilter={query:"x"}){products(filter:$f){productId}}`, true},
		{`{products(filter:{minPrice:1}){productId @include(if:true)}}`, true},
		{`{products(first:{a:1}){productId}}`, false},
		{`{products(first:[1]){productId}}`, false},
		{`{products(first:"1"){productId}}`, false},
		{`{products(first:1.5){productId}}`, false},
		{`{products(sort:"PRICE"){productId}}`, false},
		{`{products(sort:COST){productId}}`, false},
		{`{products(filter:{query:["x"]}){productId}}`, false},
		{`{products(filter:{nope:1}){productId}}`, false},
		{`{products(filter:"x"){productId}}`, false},
		{`{products(ids:["a",1]){productId}}`, false},
		{`mutation{createOrder(input:{items:[{productId:"p",quantity:1},{productId:"q"}]})}`, false},
		{`mutation{createOrder(input:{customerId:"c"})}`, false},
		{`query($f:ProductFilter={query:1}){products(filter:$f){productId}}`, false},
		{`query($n:Int!=[1]){products(first:$n){productId}}`, false},
		{`{products(first:1){productId @include(if:{a:1})}}`, false},
		{`{products @skip(if:"yes"){productId}}`, false},
		{`query @include(if:1) {products{productId}}`, false},
		{`{...F} fragment F on Query {products(first:{a:1}){productId}}`, false},
		{`{... on Query @skip(if:[true]) {products{productId}}}`, false},
		// The meta-fields, which no type lists among its fields.
		{`{__type(name:"Product"){name} __schema{queryType{name}} __typename}`, true},
		{`{__type(name:{a:{a:1}}){name}}`, false},
		{`{__type(name:["Product"]){name}}`, false},
		{`{a:__type(name:"Query"){name} ...F} fragment F on Query {__type(name:1){name}}`, false},
	} {
		src, err := Scan(tt.doc, literalLimits)
		if err != nil {
			t.Fatalf("%s: %v", tt.doc, err)
		}
		doc, err := Parse(src)
		if err != nil {
			t.Fatalf("%s: %v", tt.doc, err)
		}
		_, err = Analyze(doc, literalLimits, sch)
		valid := graphql.ValidateDocument(gql, doc, nil)
		switch {
		case tt.ok && (err != nil || !valid.IsValid):
			t.Errorf("%s: refused: %v %v", tt.doc, err, valid.Errors)
		case !tt.ok && (err == nil || err.Code != errcode.GraphqlValidationFailed):
			t.Errorf("%s: docguard let it through (%v); graphql-go: %v", tt.doc, err, valid.Errors)
		case !tt.ok && valid.IsValid:
			t.Errorf("%s: graphql-go finds it valid; docguard: %v", tt.doc, err)
		case !tt.ok && (strings.Contains(err.Message, "{a") || strings.Contains(err.Message, "[1")):
			t.Errorf("%s: the message quotes the literal: %s", tt.doc, err.Message)
		}
	}
}

// prepare is the server's path for a document: docguard's three steps,
// then graphql-go's validation if docguard let it through.
func prepare(t testing.TB, gql *graphql.Schema, sch Schema, q string) *Error {
	src, err := Scan(q, literalLimits)
	if err != nil {
		return err
	}
	doc, err := Parse(src)
	if err != nil {
		return err
	}
	if _, err := Analyze(doc, literalLimits, sch); err != nil {
		return err
	}
	if v := graphql.ValidateDocument(gql, doc, nil); !v.IsValid {
		return errorf(errcode.GraphqlValidationFailed, "graphql-go: %v", v.Errors[0].Message)
	}
	return nil
}

// TestPreparingLiteralsIsBounded: the worst literals within the default
// limits cost at most a few times what an order of 100 lines (the largest
// the shop takes) costs to prepare, counted in allocations: graphql-go's
// printer, which made such documents cost seconds, allocates for every
// node it prints (the reported document: 59 million allocations).
func TestPreparingLiteralsIsBounded(t *testing.T) {
	gql, sch := literalSchema(t)
	rep := strings.Repeat
	lines := func(n int, line string) string {
		return `mutation{createOrder(input:{items:[` + rep(line+" ", n) + `]})}`
	}
	order := lines(100, `{productId:"p",quantity:1}`)
	if err := prepare(t, gql, sch, order); err != nil {
		t.Fatal(err)
	}
	base := testing.AllocsPerRun(3, func() { prepare(t, gql, sch, order) })
	aliases := func(n int, arg string) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			fmt.Fprintf(&b, "a%d:products(%s){productId} ", i, arg)
		}
		return b.String() + "}"
	}
	for _, tt := range []struct {
		name, doc string
		code      errcode.Code
	}{
		{"the report's document", reportedAttack(), errcode.QueryTooDeep},
		{"nested objects at the limit, under an Int", aliases(100, "first:"+nested(8)), errcode.TooManyTokens},
		{"nested objects at the limit, fewer", aliases(60, "first:"+nested(8)), errcode.GraphqlValidationFailed},
		{"a wide object under an Int", `{products(first:{` + rep("a:1 ", 3300) + `}){productId}}`, errcode.TooManyTokens},
		{"a wide object under an Int, within the tokens", `{products(first:{` + rep("a:1 ", 660) + `}){productId}}`, errcode.GraphqlValidationFailed},
		{"a list of objects under an Int", `{products(first:[` + rep("{a:1}", 2400) + `]){productId}}`, errcode.TooManyTokens},
		{"a list of objects under a String", `{products(filter:{query:[` + rep("{a:1}", 390) + `]}){productId}}`, errcode.GraphqlValidationFailed},
		{"a long flat list under an Int", `{products(first:[` + rep("1 ", 9900) + `]){productId}}`, errcode.TooManyTokens},
		{"a flat list under an Int, within the tokens", `{products(first:[` + rep("1 ", 1990) + `]){productId}}`, errcode.GraphqlValidationFailed},
		{"the largest valid list", `{products(ids:[` + rep(`"a" `, 1990) + `]){productId}}`, ""},
		{"an order, one line wrong at the end", lines(245, `{productId:"p",quantity:1}`)[:len(lines(245, `{productId:"p",quantity:1}`))-4] + `{productId:"p"}]})}`, errcode.GraphqlValidationFailed},
		{"a wrong default", `query($f:ProductFilter={query:[` + rep("1 ", 1990) + `]}){products(filter:$f){productId}}`, errcode.GraphqlValidationFailed},
		{"a wrong directive argument", `{products{productId @include(if:[` + rep("1 ", 1990) + `])}}`, errcode.GraphqlValidationFailed},
		{"100 fields of one name with an object each", `{` + rep(`products(filter:{query:"x" minPrice:1 inStock:true maxStock:3}){productId} `, 100) + `}`, errcode.SelectionSetTooLarge},
		{"190 fields of one name with two scalars each", `{` + rep(`products(first:1 sort:PRICE){productId} `, 190) + `}`, errcode.SelectionSetTooLarge},
		{"two fields of one name with long lists", `{` + rep(`products(ids:[`+rep(`"a" `, 990)+`]){productId} `, 2) + `}`, errcode.SelectionSetTooLarge},
		{"two fields of one name with lists within the budget", `{` + rep(`products(ids:[`+rep(`"a" `, 140)+`]){productId} `, 2) + `}`, ""},
		{"two orders of one name", `mutation{` + rep(`createOrder(input:{items:[`+rep(`{productId:"p",quantity:1} `, 30)+`]}) `, 2) + `}`, ""},
	} {
		err := prepare(t, gql, sch, tt.doc)
		var code errcode.Code
		if err != nil {
			code = err.Code
		}
		if code != tt.code || code == errcode.GraphqlValidationFailed && strings.HasPrefix(err.Message, "graphql-go:") {
			t.Errorf("%s: %v, want %q from docguard", tt.name, err, tt.code)
		}
		allocs := testing.AllocsPerRun(1, func() { prepare(t, gql, sch, tt.doc) })
		t.Logf("%s: %.0f allocations (an order of 100 lines: %.0f)", tt.name, allocs, base)
		if allocs > 4*base {
			t.Errorf("%s: %.0f allocations, more than 4 × %.0f", tt.name, allocs, base)
		}
	}
}
