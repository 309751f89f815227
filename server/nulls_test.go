package server

import "testing"

func TestDropNullLiterals(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`{ a }`, `{ a }`},
		{`mutation { u(input: {id: "x", price: null, stock: 9}) { p } }`, `mutation { u(input: {id: "x",  , stock: 9}) { p } }`},
		{`{ f(a: null) { null: g } }`, `{ f( ) { null: g } }`},
		{`query($x: Int = null) { f(x: $x) }`, `query($x: Int  ) { f(x: $x) }`},
		{`{ f(s: "price: null") }`, `{ f(s: "price: null") }`},
		{`{ f(s: """a: null""", b: null) }`, `{ f(s: """a: null""",  ) }`},
		{"{ f(a: 1) # b: null\n }", "{ f(a: 1) # b: null\n }"},
		{`{ f(l: [1, null]) }`, `{ f(l: [1, null]) }`},
		{`{ f(o: {n: {m: null}}) }`, `{ f(o: {n: { }}) }`},
		{`{ f(s: "unterminated, a: null) }`, `{ f(s: "unterminated, a: null) }`},
	}
	for _, tt := range tests {
		if got := dropNullLiterals(tt.in); got != tt.want {
			t.Errorf("dropNullLiterals(%q)\n = %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func FuzzDropNullLiterals(f *testing.F) {
	f.Add(`mutation { u(input: {id: "x", price: null}) { p } }`)
	f.Add(`{ f(s: """a \""" null""", b: null) }`)
	f.Fuzz(func(t *testing.T, doc string) {
		out := dropNullLiterals(doc)
		if len(out) > len(doc)+len(doc)/2+1 {
			t.Fatalf("output grew: %q -> %q", doc, out)
		}
	})
}
