package docguard

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"shop/errcode"
)

// Source is a scanned document: the text to hand graphql-go's parser, and
// what is needed to point at places in the text the client sent.
type Source struct {
	// Text is what graphql-go parses: the document with comments and
	// byte-order marks blanked, `name: null` pairs blanked, and a newline
	// inserted before a token that would start past column lineBreakAt.
	// Offsets in it map back to the client's text through Locate.
	Text   []byte
	Tokens int
	Depth  int // deepest nesting of brackets, braces and parentheses
	// ValueDepth is the deepest nesting of lists and input objects in
	// arguments, variable types and default values.
	ValueDepth int
	// ValueTokens are the tokens inside lists and input objects.
	ValueTokens int
	Locator
	doc string
}

// lineBreakAt is the longest line handed to graphql-go before a token. Its
// syntax errors print the offending line and a caret built by appending one
// space at a time (quadratic in the column), so columns must stay small.
const lineBreakAt = 512

// Locator maps offsets in Source.Text to lines and columns of the client's
// text. It holds no text, so a cached document can keep it.
type Locator struct {
	lines    []int32 // offsets in the client's text where lines start
	inserted []int32 // offsets in Text of inserted newlines, ascending
}

// Locate returns the 1-based line and column (in bytes) of offset p of
// Source.Text, in the client's text.
func (l Locator) Locate(p int) (line, col int) {
	p -= sort.Search(len(l.inserted), func(i int) bool { return int(l.inserted[i]) >= p })
	line = sort.Search(len(l.lines), func(i int) bool { return int(l.lines[i]) > p })
	if line == 0 {
		return 1, p + 1
	}
	return line, p - int(l.lines[line-1]) + 1
}

// Excerpt quotes a few characters of the client's text around line:col, so
// an error can show where it is without echoing a long line back.
func (s *Source) Excerpt(line, col int) string {
	if line < 1 || line > len(s.lines) {
		return ""
	}
	start := int(s.lines[line-1])
	end := len(s.doc)
	if line < len(s.lines) {
		end = int(s.lines[line]) // includes the line break, trimmed below
	}
	p := min(start+col-1, end)
	from, to := max(start, p-20), min(end, p+20)
	for k := p; k < to; k++ {
		if s.doc[k] == '\n' || s.doc[k] == '\r' {
			to = k
		}
	}
	// Move to rune boundaries, by at most a rune (the text may not be
	// valid UTF-8 when the excerpt is about that).
	for k := 0; k < utf8.UTFMax && from > start && !utf8.RuneStart(s.doc[from]); k++ {
		from--
	}
	for k := 0; k < utf8.UTFMax && to < end && !utf8.RuneStart(s.doc[to]); k++ {
		to++
	}
	text := s.doc[from:to]
	for len(text) > 0 && (text[len(text)-1] == '\n' || text[len(text)-1] == '\r') {
		text = text[:len(text)-1]
	}
	q := strconv.Quote(text)
	if from > start {
		q = "…" + q
	}
	if to < end && s.doc[to] != '\n' && s.doc[to] != '\r' {
		q += "…"
	}
	return q
}

// scanner holds the state of one Scan.
type scanner struct {
	doc   string
	lim   Limits
	out   []byte
	col   int // bytes since the last line break in out
	src   *Source
	stack []byte // open brackets: 'a' arguments or variables, 'l' list, 'o' input object, 's' selection set
	// values[i] is how many lists and input objects nest at stack[i],
	// itself included (0 for the other brackets)
	values []int32
	// the last three tokens, the newest first, for `name: null` and `= null`
	hist [3]tok
	// the innermost open parenthesis, so that one left empty by dropNull
	// can go too (graphql-go refuses `()`)
	paren paren
}

// paren is an open parenthesis: its depth in stack (0: none open), its
// offset in out, how many tokens follow it that are still there, and
// whether dropNull blanked some. Only the innermost is followed:
// parentheses never nest in GraphQL, and when they do the document is
// refused anyway, so the state costs nothing per level of nesting.
type paren struct {
	depth, open, tokens int
	dropped             bool
}

type tok struct {
	kind     byte // 'n' name, 'p' punctuator, 'v' other value
	text     string
	outStart int
}

// Scan checks the document's size, tokens and nesting in one pass, refuses
// what graphql-go's lexer would refuse (and invalid UTF-8), and prepares the
// text for graphql-go's parser.
func Scan(doc string, lim Limits) (*Source, *Error) {
	if lim.MaxBytes > 0 && len(doc) > lim.MaxBytes {
		return nil, overLimit(errcode.QueryTooLarge, "The document is", len(doc), lim.MaxBytes, "bytes")
	}
	s := &scanner{doc: doc, lim: lim, out: make([]byte, 0, len(doc)+len(doc)/lineBreakAt+1)}
	s.src = &Source{doc: doc, Locator: Locator{lines: []int32{0}}}
	if err := s.run(); err != nil {
		return nil, err
	}
	// The whole text is scanned before these two are checked, so that the
	// message gives the real figure: the text is at most MaxBytes, and the
	// nesting costs one byte of stack per level.
	if max := lim.MaxDepth + ExtraNesting; lim.MaxDepth > 0 && s.src.Depth > max {
		return nil, overLimit(errcode.QueryTooDeep, "Brackets, braces and parentheses nest", s.src.Depth, max, "levels deep")
	}
	if lim.MaxValueDepth > 0 && s.src.ValueDepth > lim.MaxValueDepth {
		return nil, overLimit(errcode.QueryTooDeep, "Lists and input objects nest", s.src.ValueDepth, lim.MaxValueDepth, "levels deep in an argument or a variable")
	}
	if lim.MaxTokens > 0 && s.src.Tokens > lim.MaxTokens {
		return nil, overLimit(errcode.TooManyTokens, "The document has", s.src.Tokens, lim.MaxTokens, "tokens")
	}
	if lim.MaxValueTokens > 0 && s.src.ValueTokens > lim.MaxValueTokens {
		return nil, overLimit(errcode.TooManyTokens, "Lists and input objects hold", s.src.ValueTokens, lim.MaxValueTokens, "tokens")
	}
	s.src.Text = s.out
	return s.src, nil
}

func (s *scanner) run() *Error {
	doc := s.doc
	for i := 0; i < len(doc); {
		c := doc[i]
		switch {
		case c == '\n' || c == '\r':
			i = s.newline(i)
		case c == ' ' || c == '\t' || c == ',':
			s.blank(c)
			i++
		case c == '#':
			j := i + 1
			for j < len(doc) && doc[j] != '\n' && doc[j] != '\r' && (doc[j] >= 0x20 || doc[j] == '\t') {
				if doc[j] >= utf8.RuneSelf {
					n, err := s.rune(j)
					if err != nil {
						return err
					}
					j += n
					continue
				}
				j++
			}
			for ; i < j; i++ {
				s.blank(' ')
			}
		case c == 0xEF && len(doc) >= i+3 && doc[i+1] == 0xBB && doc[i+2] == 0xBF: // byte-order mark
			s.blank(' ')
			s.blank(' ')
			s.blank(' ')
			i += 3
		case c == '"':
			if err := s.token('v', i); err != nil {
				return err
			}
			var j int
			var err *Error
			if len(doc) >= i+3 && doc[i+1] == '"' && doc[i+2] == '"' {
				j, err = s.blockString(i)
			} else {
				j, err = s.str(i)
			}
			if err != nil {
				return err
			}
			s.emit(doc[i:j])
			if k := strings.LastIndexAny(doc[i:j], "\n\r"); k >= 0 {
				s.col = j - (i + k + 1) // a block string's last line
			}
			i = j
		case c == '.':
			if len(doc) < i+3 || doc[i+1] != '.' || doc[i+2] != '.' {
				return s.fail(i, `Unexpected character ".".`)
			}
			if err := s.token('p', i); err != nil {
				return err
			}
			s.emit("...")
			i += 3
		case c == '{' || c == '[' || c == '(':
			if err := s.token('p', i); err != nil {
				return err
			}
			s.open(c)
			if c == '(' {
				s.paren = paren{depth: len(s.stack), open: len(s.out)}
			}
			if len(s.stack) > s.src.Depth {
				s.src.Depth = len(s.stack)
			}
			s.emit(doc[i : i+1])
			i++
		case c == '}' || c == ']' || c == ')':
			// Parentheses whose every argument was `name: null` are
			// blanked as well: `f(a: null)` means `f`.
			empty, open := false, s.paren.open
			if s.paren.depth > 0 && s.paren.depth == len(s.stack) {
				empty = c == ')' && s.top() == 'a' && s.paren.dropped && s.paren.tokens == 0
				s.paren = paren{}
			}
			if err := s.token('p', i); err != nil {
				return err
			}
			if len(s.stack) > 0 {
				s.stack = s.stack[:len(s.stack)-1]
				s.values = s.values[:len(s.values)-1]
			}
			if empty {
				s.out[open] = ' '
				s.emit(" ")
			} else {
				s.emit(doc[i : i+1])
			}
			i++
		case c == '!' || c == '$' || c == '&' || c == ':' || c == '=' || c == '@' || c == '|':
			if err := s.token('p', i); err != nil {
				return err
			}
			s.emit(doc[i : i+1])
			i++
		case c == '_' || c|0x20 >= 'a' && c|0x20 <= 'z':
			j := i + 1
			for j < len(doc) && (doc[j] == '_' || doc[j]|0x20 >= 'a' && doc[j]|0x20 <= 'z' || doc[j] >= '0' && doc[j] <= '9') {
				j++
			}
			if err := s.token('n', i); err != nil {
				return err
			}
			s.hist[0].text = doc[i:j]
			s.emit(doc[i:j])
			if doc[i:j] == "null" {
				s.dropNull()
			}
			i = j
		case c == '-' || c >= '0' && c <= '9':
			j, err := s.number(i)
			if err != nil {
				return err
			}
			if err := s.token('v', i); err != nil {
				return err
			}
			s.emit(doc[i:j])
			i = j
		case c < 0x20:
			return s.fail(i, fmt.Sprintf("Invalid character %s.", quoteByte(c)))
		default:
			if c >= utf8.RuneSelf {
				if _, err := s.rune(i); err != nil {
					return err
				}
				r, _ := utf8.DecodeRuneInString(doc[i:])
				return s.fail(i, fmt.Sprintf("Unexpected character %q.", r))
			}
			return s.fail(i, fmt.Sprintf("Unexpected character %q.", rune(c)))
		}
	}
	return nil
}

// token starts a token at offset i of the document: counts it, and breaks
// the line first when it is already long.
func (s *scanner) token(kind byte, i int) *Error {
	s.src.Tokens++
	if t := s.top(); t == 'l' || t == 'o' {
		s.src.ValueTokens++
	}
	if s.col >= lineBreakAt {
		// Turn the blank before the token into the line break if there is
		// one; otherwise insert one, and remember where.
		if n := len(s.out); n > 0 && (s.out[n-1] == ' ' || s.out[n-1] == '\t' || s.out[n-1] == ',') {
			s.out[n-1] = '\n'
		} else {
			s.src.inserted = append(s.src.inserted, int32(len(s.out)))
			s.out = append(s.out, '\n')
		}
		s.col = 0
	}
	if s.paren.depth > 0 {
		s.paren.tokens++
	}
	s.hist[2], s.hist[1] = s.hist[1], s.hist[0]
	s.hist[0] = tok{kind: kind, outStart: len(s.out)}
	if kind == 'p' {
		s.hist[0].text = s.doc[i : i+1]
	}
	return nil
}

func (s *scanner) emit(text string) {
	s.out = append(s.out, text...)
	s.col += len(text)
}

// blank writes an ignored character, as a line break once the line is long.
func (s *scanner) blank(c byte) {
	if s.col >= lineBreakAt {
		c = '\n'
	}
	s.out = append(s.out, c)
	s.col++
	if c == '\n' {
		s.col = 0
	}
}

// newline copies the line break at i (\n, \r\n or \r) and records the
// line that starts after it.
func (s *scanner) newline(i int) int {
	j := i + 1
	if s.doc[i] == '\r' && j < len(s.doc) && s.doc[j] == '\n' {
		j++
	}
	s.out = append(s.out, s.doc[i:j]...)
	s.col = 0
	s.src.lines = append(s.src.lines, int32(j))
	return j
}

// open pushes a bracket, knowing from the enclosing one whether a brace
// opens a selection set or an input object.
func (s *scanner) open(c byte) {
	kind := byte('s')
	switch c {
	case '(':
		kind = 'a'
	case '[':
		kind = 'l'
	case '{':
		if t := s.top(); t == 'a' || t == 'o' || t == 'l' {
			kind = 'o'
		}
	}
	// graphql-go's validator prints a literal it refuses, at a cost that
	// grows much faster than the literal's nesting (issue 17).
	var values int32
	if kind == 'l' || kind == 'o' {
		values = 1
		if t := s.top(); t == 'l' || t == 'o' {
			values += s.values[len(s.values)-1]
		}
		s.src.ValueDepth = max(s.src.ValueDepth, int(values))
	}
	s.stack = append(s.stack, kind)
	s.values = append(s.values, values)
}

func (s *scanner) top() byte {
	if len(s.stack) == 0 {
		return 0
	}
	return s.stack[len(s.stack)-1]
}

// dropNull blanks `name: null` in arguments and input objects and `= null`
// in variable definitions, the token just read being `null`. graphql-go
// (v0.8.1) predates the null literal and rejects it; the contract says a
// field left out or null is unchanged, and blanking the pair means exactly
// "left out". A null in a list stays (and stays a syntax error). Blanking
// keeps every offset, so locations stay right.
func (s *scanner) dropNull() {
	sep, key := s.hist[1], s.hist[2]
	// What comes before the pair must still be there: `a: null: null` and
	// `= null = null` are not a pair twice, and `(= null)` is no default.
	kept := s.out[key.outStart] != ' '
	dropped := 0
	switch t := s.top(); {
	case (t == 'a' || t == 'o') && sep.text == ":" && key.kind == 'n' && kept:
		s.blankOut(key.outStart)
		dropped = 3
	case t == 'a' && sep.text == "=" && (key.kind == 'n' || key.text == "]" || key.text == "!") && kept:
		s.blankOut(sep.outStart)
		dropped = 2
	}
	if dropped > 0 && s.paren.depth > 0 {
		s.paren.tokens -= dropped
		s.paren.dropped = true
	}
}

func (s *scanner) blankOut(from int) {
	for i := from; i < len(s.out); i++ {
		if s.out[i] != '\n' && s.out[i] != '\r' {
			s.out[i] = ' '
		}
	}
}

// rune checks the UTF-8 sequence at i and returns its length.
func (s *scanner) rune(i int) (int, *Error) {
	r, n := utf8.DecodeRuneInString(s.doc[i:])
	if r == utf8.RuneError && n <= 1 {
		return 0, s.fail(i, "The document is not valid UTF-8.")
	}
	return n, nil
}

// str reads a string starting at the quote at i, checking what graphql-go's
// lexer checks, and returns the offset after its closing quote.
func (s *scanner) str(i int) (int, *Error) {
	doc := s.doc
	for j := i + 1; j < len(doc); {
		c := doc[j]
		switch {
		case c == '"':
			return j + 1, nil
		case c == '\n' || c == '\r':
			return 0, s.fail(j, "Unterminated string.")
		case c < 0x20 && c != '\t':
			return 0, s.fail(j, fmt.Sprintf("Invalid character within String: %s.", quoteByte(c)))
		case c == '\\':
			if j+1 >= len(doc) {
				return 0, s.fail(j, "Unterminated string.")
			}
			switch doc[j+1] {
			case '"', '/', '\\', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+5 >= len(doc) || !isHex(doc[j+2]) || !isHex(doc[j+3]) || !isHex(doc[j+4]) || !isHex(doc[j+5]) {
					return 0, s.fail(j, "Invalid Unicode escape sequence in String: \\u must be followed by 4 hexadecimal digits.")
				}
				j += 6
			default:
				return 0, s.fail(j, "Invalid escape sequence in String.")
			}
		case c >= utf8.RuneSelf:
			n, err := s.rune(j)
			if err != nil {
				return 0, err
			}
			j += n
		default:
			j++
		}
	}
	return 0, s.fail(i, "Unterminated string.")
}

// blockString reads a """block string""" starting at i, recording the
// lines it spans, and returns the offset after it.
func (s *scanner) blockString(i int) (int, *Error) {
	doc := s.doc
	for j := i + 3; j < len(doc); {
		c := doc[j]
		switch {
		case c == '"' && len(doc) >= j+3 && doc[j+1] == '"' && doc[j+2] == '"':
			// The caller copies the string; its last line sets the column.
			return j + 3, nil
		case c == '\\' && len(doc) >= j+4 && doc[j+1] == '"' && doc[j+2] == '"' && doc[j+3] == '"':
			j += 4
		case c == '\n' || c == '\r':
			k := j + 1
			if c == '\r' && k < len(doc) && doc[k] == '\n' {
				k++
			}
			s.src.lines = append(s.src.lines, int32(k))
			j = k
		case c < 0x20 && c != '\t':
			return 0, s.fail(j, fmt.Sprintf("Invalid character within String: %s.", quoteByte(c)))
		case c >= utf8.RuneSelf:
			n, err := s.rune(j)
			if err != nil {
				return 0, err
			}
			j += n
		default:
			j++
		}
	}
	return 0, s.fail(i, "Unterminated string.")
}

// number reads a number as graphql-go's lexer does:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number(i int) (int, *Error) {
	doc := s.doc
	j := i
	if doc[j] == '-' {
		j++
	}
	digits := func() *Error {
		if j >= len(doc) || doc[j] < '0' || doc[j] > '9' {
			return s.fail(j, "Invalid number, expected a digit.")
		}
		for j < len(doc) && doc[j] >= '0' && doc[j] <= '9' {
			j++
		}
		return nil
	}
	if j < len(doc) && doc[j] == '0' {
		j++
		if j < len(doc) && doc[j] >= '0' && doc[j] <= '9' {
			return 0, s.fail(j, "Invalid number, unexpected digit after 0.")
		}
	} else if err := digits(); err != nil {
		return 0, err
	}
	if j < len(doc) && doc[j] == '.' {
		j++
		if err := digits(); err != nil {
			return 0, err
		}
	}
	if j < len(doc) && (doc[j] == 'e' || doc[j] == 'E') {
		j++
		if j < len(doc) && (doc[j] == '+' || doc[j] == '-') {
			j++
		}
		if err := digits(); err != nil {
			return 0, err
		}
	}
	return j, nil
}

// fail is a syntax error at offset i of the client's text.
func (s *scanner) fail(i int, msg string) *Error {
	line := sort.Search(len(s.src.lines), func(k int) bool { return int(s.src.lines[k]) > i })
	col := i - int(s.src.lines[line-1]) + 1
	return &Error{
		Code:    errcode.GraphqlParseFailed,
		Message: fmt.Sprintf("Syntax Error (line %d, column %d): %s Near %s.", line, col, msg, s.src.Excerpt(line, col)),
		Line:    line, Column: col,
	}
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'f'
}

func quoteByte(c byte) string { return fmt.Sprintf(`"\u%04X"`, c) }
