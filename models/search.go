package models

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// ProductSort orders the products connection. The zero value is the
// contract's order, oldest first.
type ProductSort string

const (
	SortOldest    ProductSort = "OLDEST"
	SortNewest    ProductSort = "NEWEST"
	SortPriceAsc  ProductSort = "PRICE_ASC"
	SortPriceDesc ProductSort = "PRICE_DESC"
	SortName      ProductSort = "NAME"
	// SortRelevance is best match of the query first; it needs a query.
	SortRelevance ProductSort = "RELEVANCE"
)

// Limits of a search.
const (
	MaxQuerySize  = 200
	MaxQueryWords = 10
)

// ProductFilter narrows and orders a list of products. IncludeInactive is
// for admins: shoppers never see inactive products. The other fields are
// the products connection's filter; zero values match all.
type ProductFilter struct {
	IncludeInactive bool `json:"all,omitempty"`
	// Words of the full-text query, lower-case, each letters and digits.
	Words []string `json:"q,omitempty"`
	// CategoryIDs is a category and all its subcategories.
	CategoryIDs []string `json:"cat,omitempty"`
	MinPrice    *Money   `json:"min,omitempty"`
	MaxPrice    *Money   `json:"max,omitempty"`
	InStock     bool     `json:"stock,omitempty"`
	// MaxStock keeps products with at most this many in stock.
	MaxStock *int `json:"maxst,omitempty"`
	// Options keep products with an available variant that has, for each
	// option named, one of its values (whatever their case), all on the
	// same variant: Size in [M, L] and Colour in [Red].
	Options []ProductOption `json:"opt,omitempty"`
	Sort    ProductSort     `json:"sort,omitempty"`
}

// Limits of a filter by options.
const (
	MaxFilterOptions      = MaxOptions
	MaxFilterOptionValues = MaxOptionValues
)

// ReadsVariants reports whether the list asks for a variant of each
// product (store: an EXISTS of product_variants) rather than reading the
// product's totals alone: a price range matches any variant's price, and
// with inStock or options the same variant must be available too.
func (f ProductFilter) ReadsVariants() bool {
	return f.MinPrice != nil || f.MaxPrice != nil || len(f.Options) > 0
}

// NeedsAvailable reports whether the variant matched must be available
// (its product active, itself in stock): options ask for one, and so
// does inStock.
func (f ProductFilter) NeedsAvailable() bool { return f.InStock || len(f.Options) > 0 }

// ReadsStock reports whether the list depends on products' stock: it
// filters by it, or by options, which match available variants only.
func (f ProductFilter) ReadsStock() bool { return f.NeedsAvailable() || f.MaxStock != nil }

// ReadsFields reports whether the list depends on products' prices,
// text or options (and not only on which products exist): its sort or
// its filter. Every write of a variant is a change of fields.
func (f ProductFilter) ReadsFields() bool {
	return len(f.Words) > 0 || f.MinPrice != nil || f.MaxPrice != nil || len(f.Options) > 0 ||
		(f.Sort != "" && f.Sort != SortOldest && f.Sort != SortNewest)
}

// ProductSearch is the products connection's filter and sort, as sent.
type ProductSearch struct {
	Query      *string
	CategoryID *string
	MinPrice   *float64
	MaxPrice   *float64
	InStock    *bool
	MaxStock   *int
	// Options as sent: each an option's name and the values any of which
	// matches.
	Options []ProductOption
	Sort    *string
}

// ParseProductSearch validates the products connection's filter and sort
// into f (which carries the caller's visibility). The category's subtree
// is filled in by the caller, which knows the tree.
func ParseProductSearch(s ProductSearch, f ProductFilter) (ProductFilter, error) {
	var fe fieldErrors
	if s.Query != nil {
		q := strings.TrimSpace(*s.Query)
		if checkText(&fe, "filter.query", q, MaxQuerySize) {
			f.Words = SearchWords(q)
			if len(f.Words) > MaxQueryWords {
				fe.add("filter.query", "must have at most %d words", MaxQueryWords)
			}
		}
	}
	if s.CategoryID != nil && *s.CategoryID != "" {
		if checkID(&fe, "filter.categoryId", *s.CategoryID) {
			f.CategoryIDs = []string{*s.CategoryID}
		}
	}
	if s.MinPrice != nil {
		m := parsePrice(&fe, "filter.minPrice", *s.MinPrice)
		f.MinPrice = &m
	}
	if s.MaxPrice != nil {
		m := parsePrice(&fe, "filter.maxPrice", *s.MaxPrice)
		f.MaxPrice = &m
	}
	if f.MinPrice != nil && f.MaxPrice != nil && *f.MinPrice > *f.MaxPrice {
		fe.add("filter.maxPrice", "must not be less than minPrice")
	}
	if s.InStock != nil {
		f.InStock = *s.InStock
	}
	if s.MaxStock != nil {
		n := *s.MaxStock
		checkStock(&fe, "filter.maxStock", n)
		f.MaxStock = &n
	}
	f.Options = parseOptionFilter(&fe, "filter.options", s.Options)
	if s.Sort != nil {
		switch srt := ProductSort(*s.Sort); srt {
		case SortOldest:
			// The contract's order: the same list, and the same cache entry,
			// as no sort at all.
			f.Sort = ""
		case SortNewest, SortPriceAsc, SortPriceDesc, SortName:
			f.Sort = srt
		case SortRelevance:
			f.Sort = srt
			if len(f.Words) == 0 {
				fe.add("sort", "RELEVANCE needs a filter.query with a word in it (punctuation and common words such as \"the\" are not searched)")
			}
		default:
			fe.add("sort", "is not a known order")
		}
	}
	return f, fe.err()
}

// parseOptionFilter validates a filter by options: at most
// MaxFilterOptions, each a name and 1 to MaxFilterOptionValues values,
// trimmed text as a product's options are. Names are compared whatever
// their case, so one named twice is refused (a variant has one value of
// it: the filter could match nothing); a value given twice is dropped. None
// is no filter (nil, so it is the same list and cache entry as no filter).
func parseOptionFilter(fe *fieldErrors, field string, in []ProductOption) []ProductOption {
	if len(in) == 0 {
		return nil
	}
	if len(in) > MaxFilterOptions {
		fe.add(field, "must contain at most %d options, got %d", MaxFilterOptions, len(in))
		return nil
	}
	out := make([]ProductOption, 0, len(in))
	names := map[string]bool{}
	for i, o := range in {
		f := fmt.Sprintf("%s[%d]", field, i)
		name := checkOptionName(fe, f+".name", o.Name, names)
		switch {
		case len(o.Values) == 0:
			fe.add(f+".values", "must contain at least one value")
		case len(o.Values) > MaxFilterOptionValues:
			fe.add(f+".values", "must contain at most %d values, got %d", MaxFilterOptionValues, len(o.Values))
			continue
		}
		opt := ProductOption{Name: name, Values: make([]string, 0, len(o.Values))}
		seen := map[string]bool{}
		for j, v := range o.Values {
			vf := fmt.Sprintf("%s.values[%d]", f, j)
			v = strings.TrimSpace(v)
			switch {
			case v == "":
				fe.add(vf, "must not be empty")
			case checkText(fe, vf, v, MaxOptionValueSize) && !seen[v]:
				seen[v] = true
				opt.Values = append(opt.Values, v)
			}
		}
		out = append(out, opt)
	}
	return out
}

// SearchWords splits a shopper's query into the words both databases'
// full-text search take: runs of letters and digits, lower-cased, without
// English stop words. Anything else (quotes, operators) separates words,
// so no query syntax gets through. Stop words are dropped here because
// PostgreSQL's english configuration drops them and FTS5 does not: "the
// blue mug" otherwise needed a "the" in the product on SQLite.
func SearchWords(q string) []string {
	words := strings.FieldsFunc(strings.ToLower(q), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	out := words[:0]
	for _, w := range words {
		if !stopWords[w] {
			out = append(out, w)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// stopWords is PostgreSQL's english.stop (the Snowball list), which its
// english configuration leaves out of documents and queries.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`i me my myself we our ours ourselves you your yours yourself yourselves
		he him his himself she her hers herself it its itself they them their theirs themselves what which
		who whom this that these those am is are was were be been being have has had having do does did
		doing a an the and but if or because as until while of at by for with about against between into
		through during before after above below to from up down in out on off over under again further
		then once here there when where why how all any both each few more most other some such no nor not
		only own same so than too very s t can will just don should now`) {
		m[w] = true
	}
	return m
}()

// ProductCursor is the position just after p in a list sorted by sort;
// score is p's relevance (lower is better), for SortRelevance only.
func ProductCursorFor(p Product, sort ProductSort, score float64) Cursor {
	c := Cursor{CreatedAt: p.CreatedAt, ID: p.ID, Sort: sort}
	switch sort {
	case SortPriceAsc, SortPriceDesc:
		c.Num = int64(p.Price)
	case SortName:
		c.Text = p.Name
	case SortRelevance:
		c.Score = score
	case SortOldest:
		c.Sort = ""
	}
	return c
}

// encodeSorted encodes a cursor of a sorted list: "s", the sort, its key
// and the id, separated by newlines (which no key contains).
func (c Cursor) encodeSorted() string {
	var key string
	switch c.Sort {
	case SortNewest:
		key = strconv.FormatInt(c.CreatedAt.UnixMicro(), 10)
	case SortPriceAsc, SortPriceDesc:
		key = strconv.FormatInt(c.Num, 10)
	case SortName:
		key = c.Text
	case SortRelevance:
		key = strconv.FormatUint(math.Float64bits(c.Score), 16)
	}
	return base64.RawURLEncoding.EncodeToString([]byte("s\n" + string(c.Sort) + "\n" + key + "\n" + c.ID))
}

func decodeSorted(raw string) (Cursor, error) {
	parts := strings.Split(raw, "\n")
	if len(parts) != 4 || parts[0] != "s" {
		return Cursor{}, fmt.Errorf("not a sorted cursor")
	}
	c := Cursor{Sort: ProductSort(parts[1]), ID: parts[3]}
	var err error
	switch c.Sort {
	case SortNewest:
		c.CreatedAt, err = cursorTime(parts[2])
	case SortPriceAsc, SortPriceDesc:
		c.Num, err = strconv.ParseInt(parts[2], 10, 64)
	case SortName:
		// The key is bound as text: PostgreSQL refuses NUL and invalid
		// UTF-8 there, so a forged one would fail as a database error.
		// Anything a name can't hold is no cursor this server gave out.
		c.Text = parts[2]
		var fe fieldErrors
		if !checkText(&fe, "after", c.Text, MaxNameSize) {
			err = fmt.Errorf("not a product name")
		}
	case SortRelevance:
		var bits uint64
		bits, err = strconv.ParseUint(parts[2], 16, 64)
		c.Score = math.Float64frombits(bits)
	default:
		err = fmt.Errorf("unknown sort %q", parts[1])
	}
	if err != nil {
		return Cursor{}, err
	}
	if err := ValidateID("after", c.ID); err != nil {
		return Cursor{}, err
	}
	return c, nil
}
