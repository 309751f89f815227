package docguard

import (
	"encoding/json"
	"math"
	"strconv"

	"github.com/graphql-go/graphql/language/ast"

	"shop/errcode"
)

// term is the cost of a selection set, kept as a shape because list sizes
// may come from the request's variables: fields counted once, list fields
// whose inner cost is multiplied by their size, spread fragments (shared
// between the places that spread them), and introspection's fields, whose
// cost is walked on the schema (introspection.go).
type term struct {
	fields int
	lists  []listTerm
	frags  []*term
	intro  []*introTerm
	// meta is the selection itself when its type is one of
	// introspection's, for the walk of the __schema or __type above it.
	meta *metaSet
}

type listTerm struct {
	size  size
	inner *term
}

// size is a list field's size: a literal, or a variable of the request.
type size struct {
	n        int    // the literal, or the default when the variable is not given
	variable string // "" for a literal
	max      int
}

// merge adds o's cost into t (o is under a field that is not a list).
func (t *term) merge(o *term) {
	t.fields = satAdd(t.fields, o.fields)
	t.lists = append(t.lists, o.lists...)
	t.frags = append(t.frags, o.frags...)
	t.intro = append(t.intro, o.intro...)
}

// sizeOf reads a list field's size from its arguments.
func sizeOf(l List, args []*ast.Argument) size {
	s := size{n: l.Default, max: l.Max}
	if l.Arg == "" {
		return s
	}
	for _, arg := range args {
		if arg == nil || nameOf(arg.Name) != l.Arg {
			continue
		}
		switch v := arg.Value.(type) {
		case *ast.IntValue:
			n, err := strconv.Atoi(v.Value)
			if err != nil {
				n = l.Max // too large for an int: at least the maximum
			}
			s.n = n
		case *ast.Variable:
			s.variable = nameOf(v.Name)
		default:
			// Not an Int: validation refuses it; count the worst case.
			s.n = l.Max
		}
	}
	return s
}

// Cost is the operation's cost for a request with these variables: each
// field costs its weight (1 unless Costs.Weights says more), a list field
// multiplies the cost of what is selected under it by its size (its
// first/limit argument, clamped to its maximum), and what __schema and
// __type select costs what executing it would return (introspection.go).
// It saturates at math.MaxInt.
//
// Introspection is walked only up to max: past it, Cost is math.MaxInt.
// max <= 0 walks it whole, which only tests may ask (a few nested levels
// of introspection describe billions of values).
func (o *Operation) Cost(vars map[string]any, max int) int {
	if max <= 0 {
		max = math.MaxInt
	}
	return o.cost.eval(o, vars, max)
}

// CheckCost refuses a request whose cost is over max (0: no limit).
func (o *Operation) CheckCost(vars map[string]any, max int) *Error {
	if max <= 0 {
		return nil
	}
	if c := o.Cost(vars, max); c > max {
		what := "The operation costs"
		if c == math.MaxInt {
			what = "The operation costs more than"
			c = max
		}
		return overLimit(errcode.QueryTooComplex, what, c, max, CostRule)
	}
	return nil
}

// CostRule says how the cost is counted, in the message that refuses it.
var CostRule = "(each field costs 1, a text field 1 per " + strconv.Itoa(TextUnit) + " characters it can hold, " +
	"a list field multiplies what it selects by its first or limit argument, or by its largest page when none is given, " +
	"and __schema and __type cost the fields their answer holds)"

// TextUnit is how many characters of a text field's maximum length cost
// 1: a field's weight is its maximum length divided by TextUnit, rounded
// up. With 100, a cost of 1 stands for about as many bytes of response
// as a short field's name and value.
const TextUnit = 100

// TextWeight is the weight of a text field of at most maxLen characters,
// times n for a list of n of them.
func TextWeight(maxLen, n int) int {
	return max(1, n) * max(1, (maxLen+TextUnit-1)/TextUnit)
}

// CheckDatabaseFields refuses an operation with more than max fields
// that reach the database (0: no limit).
func (o *Operation) CheckDatabaseFields(max int) *Error {
	if max > 0 && o.DatabaseFields > max {
		return overLimit(errcode.TooManyDatabaseFields, "The operation reads the database in", o.DatabaseFields, max,
			"fields (each search, filtered or sorted page, page after a cursor and page of orders counts, and each alias of one)")
	}
	return nil
}

// eval is the term's cost. Introspection's walks stop once the cost
// passes budget, and the cost is then math.MaxInt; the rest is exact (and
// bounded by Analyze's limits: the fragments a term reaches are spread at
// most MaxSpreads times).
func (t *term) eval(o *Operation, vars map[string]any, budget int) int {
	if t == nil {
		return 0
	}
	c := t.fields
	for _, l := range t.lists {
		n := l.size.value(o, vars)
		c = satAdd(c, satMul(n, l.inner.eval(o, vars, rest(budget, c)/n)))
	}
	for _, f := range t.frags {
		c = satAdd(c, f.eval(o, vars, rest(budget, c)))
	}
	for _, it := range t.intro {
		c = satAdd(c, it.eval(o, vars, rest(budget, c)))
	}
	return c
}

// rest is what is left of budget once c is spent, -1 when nothing is (so
// that it never overflows: budget >= -1 and c >= 0).
func rest(budget, c int) int {
	return max(budget-c, -1)
}

// value is the size for this request, from 1 to max.
func (s size) value(o *Operation, vars map[string]any) int {
	n := s.n
	if s.variable != "" {
		if v, ok := intVar(vars[s.variable]); ok {
			n = v
		} else if d, ok := o.defaults[s.variable]; ok {
			n = d
		}
	}
	if s.max > 0 && n > s.max {
		n = s.max
	}
	return max(n, 1)
}

// intVar reads a variable decoded from JSON (or given as a Go int) as an
// int; other values are not sizes, and the argument's default applies (the
// variable checks refuse them anyway).
func intVar(v any) (int, bool) {
	switch v := v.(type) {
	case float64:
		if v >= math.MaxInt/2 {
			return math.MaxInt, true
		}
		if v != math.Trunc(v) || v < math.MinInt/2 {
			return 0, false
		}
		return int(v), true
	case int:
		return v, true
	case int64:
		return int(v), true
	case json.Number:
		n, err := v.Int64()
		return int(n), err == nil
	}
	return 0, false
}
