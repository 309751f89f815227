package schema

import (
	"strings"
	"time"

	"github.com/graphql-go/graphql"

	"shop/resolvers"
)

// meter makes every field of the schema's own types charge the request's
// response budget (resolvers.ResponseBudget, the root value) with the
// bytes it adds to the JSON, and stop once the budget is spent: a nullable
// field then resolves to null without a word, and a non-null one to the
// budget's error, which graphql-go carries up to the nearest nullable
// field and which stops the lists on its way (the handler replaces the
// whole response with that one error). Introspection's types are
// graphql-go's, shared by every schema, and left alone: their answer is as
// large as the schema, which the cost bounds.
func meter(s *graphql.Schema) {
	for name, t := range s.TypeMap() {
		obj, ok := t.(*graphql.Object)
		if !ok || strings.HasPrefix(name, "__") {
			continue
		}
		for _, f := range obj.Fields() {
			f.Resolve = metered(f)
		}
	}
}

func metered(f *graphql.FieldDefinition) graphql.FieldResolveFn {
	next := f.Resolve
	if next == nil {
		next = graphql.DefaultResolveFn
	}
	_, nonNull := f.Type.(*graphql.NonNull)
	return func(p graphql.ResolveParams) (any, error) {
		b, _ := p.Info.RootValue.(*resolvers.ResponseBudget)
		if b == nil {
			return next(p)
		}
		if b.Exceeded() {
			if nonNull {
				return nil, b.Err()
			}
			return nil, nil
		}
		v, err := next(p)
		if err != nil {
			return v, err
		}
		key, _ := p.Info.Path.Key.(string)
		// "key": and a comma, then the value.
		if !b.Charge(len(key) + 4 + jsonSize(v)) {
			if nonNull {
				return nil, b.Err()
			}
			return nil, nil
		}
		return v, nil
	}
}

// jsonSize is about how many bytes v takes in the response: exactly for
// text, which is what can be large, and a fair bound for numbers and
// timestamps. An object or a list counts its brackets here, and its
// fields and items count themselves as they resolve.
func jsonSize(v any) int {
	switch v := v.(type) {
	case string:
		return jsonStringSize(v)
	case *string:
		if v == nil {
			return 4
		}
		return jsonStringSize(*v)
	case []string:
		n := 2
		for _, s := range v {
			n += jsonStringSize(s) + 1
		}
		return n
	case nil:
		return 4
	case bool:
		return 5
	case int, int64, float64:
		return 16
	case time.Time, *time.Time:
		return len(DateTimeLayout) + 2
	}
	return 2
}

// jsonStringSize is the length of s as encoding/json writes it: quoted,
// with control characters, quotes, backslashes and <, >, & escaped (the
// last three as \u003c: six bytes for one), and U+2028 and U+2029 too.
// Text from the database is valid UTF-8, so no byte is replaced.
func jsonStringSize(s string) int {
	n := len(s) + 2
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t':
			n++
		case c < 0x20 || c == '<' || c == '>' || c == '&':
			n += 5
		case c == 0xE2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9):
			n += 3 // \u2028 for three bytes
		}
	}
	return n
}
