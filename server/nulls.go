package server

import "strings"

// dropNullLiterals removes `name: null` pairs from arguments and input
// objects, and `= null` variable defaults, from a GraphQL document.
// graphql-go (v0.8.1) predates the null literal and rejects it as a syntax
// error, while the contract says a field left out or null is unchanged;
// removing the pair gives exactly "left out". A null inside a list is left
// alone (it stays a syntax error). The document is returned unchanged when
// it has no null or does not tokenise.
func dropNullLiterals(doc string) string {
	if !strings.Contains(doc, "null") {
		return doc
	}
	toks, ok := tokenize(doc)
	if !ok {
		return doc
	}
	type span struct{ from, to int }
	var cuts []span
	var stack []byte // 'a' arguments, 'o' input object, 's' selection set, 'l' list
	top := func() byte {
		if len(stack) == 0 {
			return 0
		}
		return stack[len(stack)-1]
	}
	for i, t := range toks {
		switch t.text {
		case "(":
			stack = append(stack, 'a')
		case "[":
			stack = append(stack, 'l')
		case "{":
			if c := top(); c == 'a' || c == 'o' || c == 'l' {
				stack = append(stack, 'o')
			} else {
				stack = append(stack, 's')
			}
		case ")", "]", "}":
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case "null":
			if t.kind != tokName || i < 2 {
				continue
			}
			prev, key := toks[i-1], toks[i-2]
			if c := top(); (c == 'a' || c == 'o') && prev.text == ":" && key.kind == tokName {
				cuts = append(cuts, span{key.start, t.end})
			} else if c == 'a' && prev.text == "=" {
				cuts = append(cuts, span{prev.start, t.end})
			}
		}
	}
	if len(cuts) == 0 {
		return doc
	}
	var b strings.Builder
	last := 0
	for _, c := range cuts {
		b.WriteString(doc[last:c.from])
		b.WriteByte(' ')
		last = c.to
	}
	b.WriteString(doc[last:])
	return b.String()
}

type tokKind int

const (
	tokPunct tokKind = iota
	tokName
	tokOther // numbers, strings
)

type token struct {
	kind       tokKind
	text       string
	start, end int
}

// tokenize splits a document into tokens by byte offsets, knowing just
// enough GraphQL (strings, block strings, comments) not to mistake text
// inside them for syntax.
func tokenize(s string) ([]token, bool) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',':
			i++
		case c == '#':
			for i < len(s) && s[i] != '\n' && s[i] != '\r' {
				i++
			}
		case strings.HasPrefix(s[i:], `"""`):
			end := strings.Index(strings.ReplaceAll(s[i+3:], `\"""`, "xxxx"), `"""`)
			if end < 0 {
				return nil, false
			}
			toks = append(toks, token{tokOther, "", i, i + 3 + end + 3})
			i += 3 + end + 3
		case c == '"':
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' {
					j++
				} else if s[j] == '\n' {
					return nil, false
				}
			}
			if j >= len(s) {
				return nil, false
			}
			toks = append(toks, token{tokOther, "", i, j + 1})
			i = j + 1
		case c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z'):
			j := i + 1
			for j < len(s) && (s[j] == '_' || (s[j]|0x20 >= 'a' && s[j]|0x20 <= 'z') || (s[j] >= '0' && s[j] <= '9')) {
				j++
			}
			toks = append(toks, token{tokName, s[i:j], i, j})
			i = j
		case c == '-' || (c >= '0' && c <= '9'):
			j := i + 1
			for j < len(s) && strings.IndexByte("0123456789.eE+-", s[j]) >= 0 {
				j++
			}
			toks = append(toks, token{tokOther, s[i:j], i, j})
			i = j
		default:
			toks = append(toks, token{tokPunct, s[i : i+1], i, i + 1})
			i++
		}
	}
	return toks, true
}
