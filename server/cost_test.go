package server

import (
	"strings"
	"testing"

	"github.com/graphql-go/graphql/language/parser"
)

func TestCheckCost(t *testing.T) {
	t.Parallel()
	many := "{ " + strings.Repeat("a: getProducts { productId price stockCount } ", 600) + "}"
	viaFragments := "query { ...F ...F ...F } fragment F on Query { " + strings.Repeat("x: getProducts { productId } ", 400) + "}"
	deep := "{ " + strings.Repeat("a { ", 25) + "b" + strings.Repeat(" }", 25) + " }"
	tests := []struct {
		name, doc string
		wantErr   string
	}{
		{"small", `{ getOrders { items { product { price } } } }`, ""},
		{"aliases past the field limit", many, "more than 2000 fields"},
		{"fragments count each time they are spread", viaFragments, "more than 2000 fields"},
		{"too deep", deep, "more than 20 levels"},
	}
	for _, tt := range tests {
		doc, err := parser.Parse(parser.ParseParams{Source: tt.doc})
		if err != nil {
			t.Fatalf("%s: parse: %v", tt.name, err)
		}
		err = checkCost(doc, "")
		if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.wantErr)
		}
	}
}
