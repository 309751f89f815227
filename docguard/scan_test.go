package docguard

import (
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/graphql-go/graphql/language/parser"
	"github.com/graphql-go/graphql/language/printer"

	"shop/errcode"
)

var testLimits = Limits{MaxBytes: 64 << 10, MaxTokens: 10_000, MaxDepth: 25}

func TestScanLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc string
		lim       Limits
		wantCode  errcode.Code
		wantMsg   string
	}{
		{"small", `{ getProducts { productId } }`, testLimits, "", ""},
		{"too large", "{ a }" + strings.Repeat(" ", 70_000), testLimits, errcode.QueryTooLarge, "The document is 70,005 bytes; the maximum is 65,536."},
		{"too many tokens", "{" + strings.Repeat("a ", 10_000) + "}", testLimits, errcode.TooManyTokens, "The document has 10,002 tokens; the maximum is 10,000."},
		{"700,000 brackets", "{ getProducts(limit: " + strings.Repeat("[", 700_000), Limits{MaxDepth: 25}, errcode.QueryTooDeep, "nest 700,002 levels deep; the maximum is 35."},
		{"deep braces", strings.Repeat("{a", 40) + strings.Repeat("}", 40), testLimits, errcode.QueryTooDeep, "nest 40 levels deep; the maximum is 35."},
		{"brackets in strings and comments do not nest", `{ a(s: "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", t: """{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{""") } # ((((((((((((((((((((((((((((((((((((((((((((`, testLimits, "", ""},
		{"nesting at the limit", strings.Repeat("{a", 35) + strings.Repeat("}", 35), testLimits, "", ""},
		{"unterminated string", `{ a(s: "abc) }`, testLimits, errcode.GraphqlParseFailed, "Unterminated string."},
		{"newline in string", "{ a(s: \"ab\nc\") }", testLimits, errcode.GraphqlParseFailed, "Unterminated string."},
		{"control character in string", "{ a(s: \"a\x01\") }", testLimits, errcode.GraphqlParseFailed, `Invalid character within String: "\u0001".`},
		{"bad escape", `{ a(s: "\q") }`, testLimits, errcode.GraphqlParseFailed, "Invalid escape sequence"},
		{"short unicode escape", `{ a(s: "\u12") }`, testLimits, errcode.GraphqlParseFailed, "Invalid Unicode escape"},
		{"unicode escape at the end", `{ a(s: "\u123`, testLimits, errcode.GraphqlParseFailed, "Invalid Unicode escape"},
		{"unicode escape then the end", `{ a(s: "\u1234`, testLimits, errcode.GraphqlParseFailed, "Unterminated string."},
		{"unterminated block string", `{ a(s: """abc) }`, testLimits, errcode.GraphqlParseFailed, "Unterminated string."},
		{"lone dot", `{ a. }`, testLimits, errcode.GraphqlParseFailed, `Unexpected character ".".`},
		{"two dots", `{ ..a }`, testLimits, errcode.GraphqlParseFailed, `Unexpected character ".".`},
		{"percent", `{ a% }`, testLimits, errcode.GraphqlParseFailed, `Unexpected character '%'.`},
		{"non-ASCII outside strings", `{ é }`, testLimits, errcode.GraphqlParseFailed, `Unexpected character 'é'.`},
		{"invalid UTF-8 in a string", "{ a(s: \"\xff\") }", testLimits, errcode.GraphqlParseFailed, "not valid UTF-8"},
		{"invalid UTF-8 in a comment", "{ a } # \xc3", testLimits, errcode.GraphqlParseFailed, "not valid UTF-8"},
		{"NUL", "{ a\x00 }", testLimits, errcode.GraphqlParseFailed, `Invalid character "\u0000".`},
		{"leading zero", `{ a(n: 012) }`, testLimits, errcode.GraphqlParseFailed, "unexpected digit after 0"},
		{"lone minus", `{ a(n: -) }`, testLimits, errcode.GraphqlParseFailed, "expected a digit"},
		{"bare exponent", `{ a(n: 1e) }`, testLimits, errcode.GraphqlParseFailed, "expected a digit"},
		{"bare fraction", `{ a(n: 1.) }`, testLimits, errcode.GraphqlParseFailed, "expected a digit"},
		{"numbers", `{ a(n: -0, m: 1.5e-3, k: 12E+4, j: 0.0) }`, testLimits, "", ""},
		{"escapes", `{ a(s: "\" \\ \/ \b \f \n \r \t \u00e9 é") }`, testLimits, "", ""},
		{"block string with escaped quotes and lines", "{ a(s: \"\"\"x \\\"\"\" y\r\nz\"\"\") }", testLimits, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := Scan(tt.doc, tt.lim)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("Scan: %v", err)
				}
				if _, perr := parser.Parse(parser.ParseParams{Source: string(src.Text)}); perr != nil {
					t.Fatalf("graphql-go cannot parse what Scan accepted: %v", perr)
				}
				return
			}
			if err == nil || err.Code != tt.wantCode || !strings.Contains(err.Message, tt.wantMsg) {
				t.Fatalf("Scan = %+v, want %s containing %q", err, tt.wantCode, tt.wantMsg)
			}
			if len(err.Message) > 200 {
				t.Fatalf("message of %d bytes: %q", len(err.Message), err.Message)
			}
		})
	}
}

func TestScanIsFastOnHostileInput(t *testing.T) {
	t.Parallel()
	doc := "{ getProducts(limit: " + strings.Repeat("[", 700_000)
	start := time.Now()
	if _, err := Scan(doc, Limits{MaxDepth: 25}); err == nil || err.Code != errcode.QueryTooDeep {
		t.Fatalf("Scan = %v", err)
	}
	// Linear work takes milliseconds (a second or two under the race
	// detector on a busy machine); anything quadratic in 700,000 brackets
	// would take hours, and recursion would end the process.
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("Scan took %v", d)
	}
}

func TestScanErrorLocationAndExcerpt(t *testing.T) {
	t.Parallel()
	doc := "query {\n  a(s: \"ok\")\n  b(s: \"" + strings.Repeat("x", 5000) + "\\q" + strings.Repeat("y", 5000) + "\")\n}"
	_, err := Scan(doc, Limits{})
	if err == nil || err.Line != 3 || err.Column != 5009 {
		t.Fatalf("Scan = %+v, want an error at 3:5009", err)
	}
	if !strings.Contains(err.Message, `Near …"xxxxxxxxxxxxxxxxxxxx\\qyyyyyyyyyyyyyyyyyy"…`) || len(err.Message) > 200 {
		t.Fatalf("message = %q", err.Message)
	}
}

// Scan's text parses to the same document as the client's, with offsets
// unchanged: comments and byte-order marks blanked, null pairs blanked, and
// newlines only inserted (and accounted for) before tokens on long lines.
func TestScanPreparesTheText(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`{ a }`, `{ a }`},
		{"{ a } # comment é", "{ a } " + strings.Repeat(" ", len("# comment é"))},
		{"\ufeff{ a }", "   { a }"},
		{`mutation { u(input: {id: "x", price: null, stock: 9}) { p } }`, `mutation { u(input: {id: "x",            , stock: 9}) { p } }`},
		{`{ f(a: null) { null: g } }`, `{ f          { null: g } }`},
		{`{ f(a: null, b: null) @skip(if: null) }`, `{ f        ,          @skip           }`},
		{`{ f(a: 1, b: null) }`, `{ f(a: 1,        ) }`},
		{`{ f(a: {b: null}) }`, `{ f(a: {       }) }`},
		{`query($x: Int = null) { f(x: $x) }`, `query($x: Int       ) { f(x: $x) }`},
		{`{ f(s: "price: null") }`, `{ f(s: "price: null") }`},
		{`{ f(s: """a: null""", b: null) }`, `{ f(s: """a: null""",` + strings.Repeat(" ", 8) + ") }"},
		{"{ f(a: 1) # b: null\n }", "{ f(a: 1) " + strings.Repeat(" ", len("# b: null")) + "\n }"},
		{`{ f(l: [1, null]) }`, `{ f(l: [1, null]) }`},
		{`{ f(o: {n: {m: null}}) }`, `{ f(o: {n: {       }}) }`},
		{"{ f(a:\nnull) }", "{ f   \n      }"},
		{"{ f(\n  a: null # why\n) }", "{ f \n               \n  }"},
	}
	for _, tt := range tests {
		src, err := Scan(tt.in, Limits{})
		if err != nil {
			t.Fatalf("Scan(%q): %v", tt.in, err)
		}
		if string(src.Text) != tt.want {
			t.Errorf("Scan(%q).Text\n = %q\nwant %q", tt.in, src.Text, tt.want)
		}
	}
}

// TestScanDropsNullArguments: a document whose arguments are all null
// parses as if they were left out, parentheses included, in every place a
// null may stand; what was wrong before stays wrong.
func TestScanDropsNullArguments(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, same string }{
		{`{ getProducts(limit: null) { productId } }`, `{ getProducts { productId } }`},
		{`{ getProducts(limit:null){productId} }`, `{ getProducts { productId } }`},
		{`{ f(a: null, b: null) }`, `{ f }`},
		{`{ f(a: null b: null) { g(c: null) } }`, `{ f { g } }`},
		{`{ f(a: 1, b: null) }`, `{ f(a: 1) }`},
		{`{ f(b: null, a: 1) }`, `{ f(a: 1) }`},
		{`{ f(a: null, b: "x", c: null) }`, `{ f(b: "x") }`},
		{`{ f(o: {x: null}) }`, `{ f(o: {}) }`},
		{`{ f(o: {x: null, y: {z: null}}, p: null) }`, `{ f(o: {y: {}}) }`},
		{`{ f @include(if: null) }`, `{ f @include }`},
		{`{ f(a: null) @skip(if: null) @include(if: true) }`, `{ f @skip @include(if: true) }`},
		{`query($a: Int = null) { f(a: $a) }`, `query($a: Int) { f(a: $a) }`},
		{`query($a: Int = null, $o: In = {x: null}) { f(a: $a, o: $o) }`, `query($a: Int, $o: In = {}) { f(a: $a, o: $o) }`},
		{`query Q($a: Int = 1) @dir(x: null) { f(a: null) }`, `query Q($a: Int = 1) @dir { f }`},
		{`mutation { m(input: {id: "x", price: null}) { id } }`, `mutation { m(input: {id: "x"}) { id } }`},
		{"{ f(\n  a: null # why\n  ,b: null\n) }", `{ f }`},
		{"{ f(a: null)\n g(b: null) }", `{ f g }`},
		{`fragment F on T { f(a: null) }`, `fragment F on T { f }`},
	} {
		src, err := Scan(tt.in, testLimits)
		if err != nil {
			t.Fatalf("Scan(%q): %v", tt.in, err)
		}
		got, perr := parser.Parse(parser.ParseParams{Source: string(src.Text)})
		if perr != nil {
			t.Errorf("%q: %v (text %q)", tt.in, perr, src.Text)
			continue
		}
		want, werr := parser.Parse(parser.ParseParams{Source: tt.same})
		if werr != nil {
			t.Fatal(werr)
		}
		if printer.Print(got) != printer.Print(want) {
			t.Errorf("%q parses as\n%v\nwant\n%v", tt.in, printer.Print(got), printer.Print(want))
		}
	}
	// Still refused: parentheses the client sent empty, a null in a list,
	// and nulls in brackets that don't match.
	for _, doc := range []string{`{ f() }`, `{ f(  ) { g(a: null) } }`, `{ f(l: [null]) }`, `{ f(a: null] }`, `{ f(a: null}`, `query() { f(a: null) }`, `{ f((a: null)) }`} {
		src, err := Scan(doc, testLimits)
		if err != nil {
			continue
		}
		if _, perr := parser.Parse(parser.ParseParams{Source: string(src.Text)}); perr == nil {
			t.Errorf("%q parses (text %q)", doc, src.Text)
		}
	}
}

// emptyParens counts pairs of parentheses with nothing between them but
// what graphql-go ignores.
var emptyParens = regexp.MustCompile(`\((?:[\s,\x{feff}]|#[^\n\r]*)*\)`)

func TestScanBreaksLongLines(t *testing.T) {
	t.Parallel()
	// One line: 3,000 fields, then a syntax error at its end.
	doc := "{" + strings.Repeat(" abc", 3000) + " )"
	src, err := Scan(doc, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(src.inserted) != 0 {
		t.Fatalf("spaces should become line breaks without inserting: %d inserted", len(src.inserted))
	}
	for _, line := range strings.Split(string(src.Text), "\n") {
		if len(line) > lineBreakAt+1 {
			t.Fatalf("line of %d bytes", len(line))
		}
	}
	// No spaces at all: newlines are inserted before tokens, and offsets
	// still map back to the client's text.
	doc = "{a(s:[" + strings.Repeat("1,", 1000) + "\"" + strings.Repeat("z", 2000) + "\")" + strings.Repeat("[", 600) + "b"
	src, err = Scan(doc, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(src.inserted) == 0 {
		t.Fatal("no newline inserted")
	}
	text := string(src.Text)
	for _, line := range strings.Split(text, "\n") {
		if len(line) > lineBreakAt+2000+2 {
			t.Fatalf("line of %d bytes", len(line))
		}
	}
	b := strings.LastIndexByte(text, 'b')
	if line, col := src.Locate(b); line != 1 || col != len(doc) {
		t.Fatalf("Locate(b) = %d:%d, want 1:%d", line, col, len(doc))
	}
	z := strings.IndexByte(text, 'z')
	if line, col := src.Locate(z); line != 1 || col != strings.IndexByte(doc, 'z')+1 {
		t.Fatalf("Locate(z) = %d:%d", line, col)
	}
}

func TestLocate(t *testing.T) {
	t.Parallel()
	doc := "{\r\n  a\n\r  b \"\"\"x\ny\"\"\" c\n}"
	src, err := Scan(doc, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		at        string
		line, col int
	}{{"{", 1, 1}, {"a", 2, 3}, {"b", 4, 3}, {"y", 5, 1}, {"c", 5, 6}, {"}", 6, 1}} {
		if line, col := src.Locate(strings.Index(doc, tt.at)); line != tt.line || col != tt.col {
			t.Errorf("Locate(%q) = %d:%d, want %d:%d", tt.at, line, col, tt.line, tt.col)
		}
	}
}

// FuzzScan checks Scan against graphql-go's own lexer and parser: what Scan
// accepts lexes cleanly (graphql-go may only object to tokens in the wrong
// place, at a small column), parses to the same document as the original
// text, and what Scan refuses as a syntax error graphql-go refuses too.
func FuzzScan(f *testing.F) {
	for _, s := range []string{
		`{ getProducts(limit: 5) { productId } }`,
		"query Q($x: Int = 3) { a(x: $x, s: \"é\\u00e9\", b: \"\"\"x\n\\\"\"\"\"\"\") @skip(if: false) { ...F } } fragment F on T { b }",
		`{ f(a: null, o: {x: null}, l: [1]) }`, `{ f(a: null) @skip(if: null) }`, `query($a: Int = null) { f(a: null, b: $a) }`, "# c\n{ a }", "\ufeff{a}", `{ a(n: -1.5e3) }`, `{ ..a }`, `{ a(s: "\u00") }`,
	} {
		f.Add(s)
	}
	lexical := []string{"Invalid character", "Unexpected character", "Invalid number", "Unterminated string", "escape sequence"}
	f.Fuzz(func(t *testing.T, doc string) {
		src, err := Scan(doc, Limits{MaxDepth: 100})
		if err != nil {
			if err.Code == errcode.GraphqlParseFailed && utf8.ValidString(doc) && !strings.Contains(doc, "\ufeff") {
				if _, perr := parser.Parse(parser.ParseParams{Source: doc}); perr == nil && !strings.Contains(doc, "#") {
					t.Fatalf("Scan refused what graphql-go parses: %v", err)
				}
			}
			if len(err.Message) > 400 {
				t.Fatalf("message of %d bytes", len(err.Message))
			}
			return
		}
		// Blanking `name: null` never leaves `()` for graphql-go to refuse.
		if n, was := len(emptyParens.FindAllIndex(src.Text, -1)), len(emptyParens.FindAllStringIndex(doc, -1)); n > was {
			t.Fatalf("%d empty pairs of parentheses in %q, %d in the document", n, src.Text, was)
		}
		got, perr := parser.Parse(parser.ParseParams{Source: string(src.Text)})
		if perr != nil {
			for _, l := range lexical {
				if strings.Contains(perr.Error(), l) {
					t.Fatalf("graphql-go's lexer refused what Scan accepted: %v", perr)
				}
			}
			return
		}
		// Documents without comments, null or non-ASCII (which graphql-go
		// v0.8.1 lexes wrongly after a comment) must parse the same.
		if strings.ContainsAny(doc, "#\ufeff") || strings.Contains(doc, "null") {
			return
		}
		for _, r := range doc {
			if r >= utf8.RuneSelf {
				return
			}
		}
		want, werr := parser.Parse(parser.ParseParams{Source: doc})
		if werr != nil {
			t.Fatalf("graphql-go parses Scan's text but not the original: %v", werr)
		}
		if printer.Print(got) != printer.Print(want) {
			t.Fatalf("documents differ:\n%v\n%v", printer.Print(got), printer.Print(want))
		}
	})
}
