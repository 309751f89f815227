package models

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"shop/errcode"
)

// Limits of a product's options and variants.
const (
	MaxOptions         = 3
	MaxOptionValues    = 100
	MaxVariants        = 250
	MaxOptionNameSize  = 100
	MaxOptionValueSize = 100
	MaxWeightGrams     = 1_000_000_000 // a thousand tonnes: a typo, not a product
)

// DefaultVariantTitle is the title of the variant of a product without
// options.
const DefaultVariantTitle = "Default"

// ProductVariant is what is sold: one combination of its product's option
// values, with its own SKU, price, stock and image. A product always has at
// least one; a product without options has exactly one (its default
// variant), which carries the product's price, stock and SKU.
//
// The product's own price_cents, stock_count and sku columns are kept
// equal to ProductTotals of its variants in every transaction that changes
// them, so lists, sorts, filters and the contract's fields read one row per
// product, as before variants.
type ProductVariant struct {
	ID        string `gorm:"column:variant_id;primaryKey;type:varchar(36)"`
	ProductID string `gorm:"column:product_id;type:varchar(36);not null;index:idx_product_variants_product,priority:1;uniqueIndex:idx_product_variants_options,priority:1"`
	// Position orders a product's variants (0 first).
	Position int `gorm:"column:position;not null;index:idx_product_variants_product,priority:2"`
	// SKU is unique among all variants, whatever its case (an index on
	// lower(sku), made by the store's migration); nil when it has none.
	SKU            *string `gorm:"column:sku;type:varchar(64)"`
	Title          string  `gorm:"column:title;type:varchar(320);not null"`
	Price          Money   `gorm:"column:price_cents;not null"`
	CompareAtPrice *Money  `gorm:"column:compare_at_price_cents"`
	StockCount     int     `gorm:"column:stock_count;not null;check:chk_product_variants_stock_count,stock_count >= 0"`
	// Options are its values, one per option of the product, in the
	// product's order; OptionKey is them as one string, unique within the
	// product, so two writers can't both add the same combination.
	Options     SelectedOptions `gorm:"column:options;type:text;not null;default:'[]'"`
	OptionKey   string          `gorm:"column:option_key;type:varchar(320);not null;default:'';uniqueIndex:idx_product_variants_options,priority:2"`
	ImageURL    *string         `gorm:"column:image_url;type:varchar(2048)"`
	WeightGrams *int            `gorm:"column:weight_grams"`
	CreatedAt   time.Time       `gorm:"column:created_at;not null"`
	LastUpdated time.Time       `gorm:"column:last_updated;not null;autoUpdateTime:false"`
}

// Available reports whether the variant can be ordered: its product is
// active and it has stock.
func (v ProductVariant) Available(productActive bool) bool {
	return productActive && v.StockCount > 0
}

// VariantOfProduct is a variant read by its id, with the one thing of its
// product that decides who may see it and whether it is available: the
// product's active flag, read in the same statement. Keeping the flag
// with the variant lets a cache hold a variant read by id under the
// variant's own version, not its product's, so an order for a sibling
// variant leaves it cached (a change of active retires all the product's
// variants: the product.updated event names them).
type VariantOfProduct struct {
	ProductVariant
	ProductActive bool `gorm:"column:product_active"`
}

// VisibleTo reports whether c may see the variant: admins see every
// variant, everyone else those of active products (as Visible).
func (v VariantOfProduct) VisibleTo(c Caller) bool { return v.ProductActive || c.IsAdmin() }

// ProductOption is one of a product's options (Size) with its values (S, M,
// L), in display order.
type ProductOption struct {
	Name   string   `json:"name"`
	Values []string `json:"values"`
}

// ProductOptions are a product's options, stored as JSON in a text column.
type ProductOptions []ProductOption

// SelectedOption is a variant's value of one option.
type SelectedOption struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// SelectedOptions are a variant's values, stored as JSON in a text column.
type SelectedOptions []SelectedOption

// Value stores the options as JSON; none as [].
func (o ProductOptions) Value() (driver.Value, error) { return jsonList(o, len(o)) }

// Scan reads them back.
func (o *ProductOptions) Scan(src any) error { return scanJSONList(src, (*[]ProductOption)(o)) }

// Value stores the options as JSON; none as [].
func (o SelectedOptions) Value() (driver.Value, error) { return jsonList(o, len(o)) }

// Scan reads them back.
func (o *SelectedOptions) Scan(src any) error { return scanJSONList(src, (*[]SelectedOption)(o)) }

func jsonList(v any, n int) (driver.Value, error) {
	if n == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// scanJSONList reads a JSON array column; "[]", the common case, without
// the decoder.
func scanJSONList[T any](src any, dst *[]T) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		*dst = nil
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("scan JSON list from %T", src)
	}
	if len(b) == 0 || string(b) == "[]" {
		*dst = []T{}
		return nil
	}
	return json.Unmarshal(b, dst)
}

// Title is the variant title of these values: "M / Red", or "Default" when
// there are none.
func (o SelectedOptions) Title() string {
	if len(o) == 0 {
		return DefaultVariantTitle
	}
	vals := make([]string, len(o))
	for i, s := range o {
		vals[i] = s.Value
	}
	return strings.Join(vals, " / ")
}

// Key is the values as one string, unique among a product's variants (the
// unit separator can't appear in checked text).
func (o SelectedOptions) Key() string {
	vals := make([]string, len(o))
	for i, s := range o {
		vals[i] = s.Value
	}
	return strings.Join(vals, "\x1f")
}

// Has reports whether the values include name = value.
func (o SelectedOptions) Has(name, value string) bool {
	for _, s := range o {
		if s.Name == name && s.Value == value {
			return true
		}
	}
	return false
}

// ParseOptions validates a product's options: at most MaxOptions, each
// with a name and 1 to MaxOptionValues values, names unique within the
// product and values within their option (whatever their case), all
// trimmed text.
func ParseOptions(field string, in []ProductOption) (ProductOptions, error) {
	var fe fieldErrors
	out := parseOptions(&fe, field, in)
	if err := fe.err(); err != nil {
		return nil, err
	}
	return out, nil
}

func parseOptions(fe *fieldErrors, field string, in []ProductOption) ProductOptions {
	if len(in) > MaxOptions {
		fe.add(field, "must contain at most %d options, got %d", MaxOptions, len(in))
		return nil
	}
	out := make(ProductOptions, 0, len(in))
	names := map[string]bool{}
	for i, o := range in {
		f := fmt.Sprintf("%s[%d]", field, i)
		name := checkOptionName(fe, f+".name", o.Name, names)
		switch {
		case len(o.Values) == 0:
			fe.add(f+".values", "must contain at least one value")
		case len(o.Values) > MaxOptionValues:
			fe.add(f+".values", "must contain at most %d values, got %d", MaxOptionValues, len(o.Values))
		}
		opt := ProductOption{Name: name, Values: make([]string, 0, len(o.Values))}
		seen := map[string]bool{}
		for j, v := range o.Values {
			if j >= MaxOptionValues {
				break
			}
			vf := fmt.Sprintf("%s.values[%d]", f, j)
			v = strings.TrimSpace(v)
			switch {
			case v == "":
				fe.add(vf, "must not be empty")
			case checkText(fe, vf, v, MaxOptionValueSize):
				if seen[foldKey(v)] {
					fe.add(vf, "repeats value %q", v)
				}
				seen[foldKey(v)] = true
			}
			opt.Values = append(opt.Values, v)
		}
		out = append(out, opt)
	}
	return out
}

// foldKey is equal for two values exactly when strings.EqualFold is true
// of them (each rune the smallest of its case-folding orbit), the test
// Select and Reselect match values with: strings.ToLower told "ſ" from
// "S" and "ΣΑΣ" from "σας", which EqualFold then took for the first.
func foldKey(s string) string {
	return strings.Map(func(r rune) rune {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		return least
	}, s)
}

// checkOptionName trims an option's name and checks it (not empty, text
// rules, not repeated among names, whatever its case): a product's options
// and a filter's name options alike.
func checkOptionName(fe *fieldErrors, field, raw string, names map[string]bool) string {
	name := strings.TrimSpace(raw)
	switch {
	case name == "":
		fe.add(field, "must not be empty")
	case checkText(fe, field, name, MaxOptionNameSize):
		if names[strings.ToLower(name)] {
			fe.add(field, "repeats option %q", name)
		}
		names[strings.ToLower(name)] = true
	}
	return name
}

// Combinations counts the variants options allow.
func (o ProductOptions) Combinations() int {
	n := 1
	for _, opt := range o {
		n *= len(opt.Values)
	}
	return n
}

// Each calls fn with every combination of values, in order (the first
// option's values vary slowest), until fn returns false.
func (o ProductOptions) Each(fn func(SelectedOptions) bool) {
	idx := make([]int, len(o))
	for {
		sel := make(SelectedOptions, len(o))
		for i, opt := range o {
			sel[i] = SelectedOption{Name: opt.Name, Value: opt.Values[idx[i]]}
		}
		if !fn(sel) {
			return
		}
		i := len(o) - 1
		for ; i >= 0; i-- {
			idx[i]++
			if idx[i] < len(o[i].Values) {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			return
		}
	}
}

// Select matches a variant's values against the product's options: one
// value of each option, each among its option's values, whatever order
// and case they came in. It returns them in the options' order, spelled as
// the options spell them. field names the variant's options in errors.
func (o ProductOptions) Select(field string, in []SelectedOption) (SelectedOptions, error) {
	var fe fieldErrors
	out := o.selectInto(&fe, field, in)
	if err := fe.err(); err != nil {
		return nil, err
	}
	return out, nil
}

func (o ProductOptions) selectInto(fe *fieldErrors, field string, in []SelectedOption) SelectedOptions {
	given := map[string]string{}
	for i, s := range in {
		name := strings.ToLower(strings.TrimSpace(s.Name))
		if _, dup := given[name]; dup {
			fe.add(fmt.Sprintf("%s[%d].name", field, i), "repeats option %q", strings.TrimSpace(s.Name))
			continue
		}
		given[name] = strings.TrimSpace(s.Value)
	}
	out := make(SelectedOptions, 0, len(o))
	for _, opt := range o {
		v, ok := given[strings.ToLower(opt.Name)]
		if !ok {
			fe.add(field, "must give a value of option %q", opt.Name)
			continue
		}
		delete(given, strings.ToLower(opt.Name))
		match := ""
		for _, allowed := range opt.Values {
			if strings.EqualFold(allowed, v) {
				match = allowed
				break
			}
		}
		if match == "" {
			fe.add(field, "%q is not a value of option %q (%s)", truncate(v, 40), opt.Name, strings.Join(opt.Values, ", "))
			continue
		}
		out = append(out, SelectedOption{Name: opt.Name, Value: match})
	}
	for _, s := range in {
		name := strings.TrimSpace(s.Name)
		if _, left := given[strings.ToLower(name)]; left {
			fe.add(field, "names %q, which is not an option of the product", truncate(name, 40))
			delete(given, strings.ToLower(name))
		}
	}
	return out
}

// Reselect gives existing variants' values under new options, for
// setProductOptions: values and options may be reordered or added to, and
// an option may be added (every variant takes its first value); a value a
// variant still uses may not be dropped, and an option only when every
// variant has the same value of it. It returns each variant's new values,
// by index, and refuses a change that would leave two variants alike.
func Reselect(field string, next ProductOptions, variants []ProductVariant) ([]SelectedOptions, error) {
	var fe fieldErrors
	out := make([]SelectedOptions, len(variants))
	keys := map[string]int{}
	for i, v := range variants {
		cur := map[string]string{}
		for _, s := range v.Options {
			cur[strings.ToLower(s.Name)] = s.Value
		}
		sel := make(SelectedOptions, 0, len(next))
		for _, opt := range next {
			val, had := cur[strings.ToLower(opt.Name)]
			delete(cur, strings.ToLower(opt.Name))
			if !had {
				sel = append(sel, SelectedOption{Name: opt.Name, Value: opt.Values[0]})
				continue
			}
			match := ""
			for _, allowed := range opt.Values {
				if strings.EqualFold(allowed, val) {
					match = allowed
				}
			}
			if match == "" {
				fe.add(field, "must keep value %q of option %q: variant %s (%s) uses it", val, opt.Name, v.ID, v.Title)
				continue
			}
			sel = append(sel, SelectedOption{Name: opt.Name, Value: match})
		}
		// What is left in cur are dropped options: allowed only when
		// nothing told the variants apart by them (a duplicate, below).
		out[i] = sel
		if j, dup := keys[sel.Key()]; dup {
			fe.add(field, "would make variants %s and %s the same (%s): delete one first", variants[j].ID, v.ID, sel.Title())
		}
		keys[sel.Key()] = i
	}
	if len(fe) > 0 {
		// Several variants usually trip the same rule: say each once.
		return nil, dedupe(fe).err()
	}
	return out, nil
}

func dedupe(fe fieldErrors) fieldErrors {
	seen := map[FieldError]bool{}
	var out fieldErrors
	for _, f := range fe {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// Totals are what a product shows of its variants: the contract's price
// and stockCount, and its sku.
type Totals struct {
	Price      Money
	StockCount int
	// SKU is its only variant's; nil with several.
	SKU *string
}

// ProductTotals are a product's price, stock and SKU from its variants:
// the stock is their sum; the price the lowest among the variants
// available (the product active, with stock), or among all when none is;
// the SKU the only variant's. For a product without options that is its
// default variant's price, stock and SKU, as before variants.
func ProductTotals(active bool, variants []ProductVariant) Totals {
	var t Totals
	lowest, lowestAvailable := Money(-1), Money(-1)
	for _, v := range variants {
		t.StockCount += v.StockCount
		if lowest < 0 || v.Price < lowest {
			lowest = v.Price
		}
		if v.Available(active) && (lowestAvailable < 0 || v.Price < lowestAvailable) {
			lowestAvailable = v.Price
		}
	}
	switch {
	case lowestAvailable >= 0:
		t.Price = lowestAvailable
	case lowest >= 0:
		t.Price = lowest
	}
	if len(variants) == 1 {
		t.SKU = variants[0].SKU
	}
	return t
}

// Apply sets p's totals; it reports whether any changed.
func (t Totals) Apply(p *Product) bool {
	same := p.Price == t.Price && p.StockCount == t.StockCount && sameSKU(p.SKU, t.SKU)
	p.Price, p.StockCount, p.SKU = t.Price, t.StockCount, t.SKU
	return !same
}

func sameSKU(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// VariantRequired is the error for a product named where one of its
// several variants must be: it names them.
func VariantRequired(productID string, variants []ProductVariant) error {
	type named struct {
		VariantID string `json:"variantId"`
		Title     string `json:"title"`
	}
	list := make([]named, len(variants))
	titles := make([]string, len(variants))
	for i, v := range variants {
		list[i] = named{VariantID: v.ID, Title: v.Title}
		titles[i] = fmt.Sprintf("%s (%s)", v.Title, v.ID)
	}
	shown := titles
	if len(shown) > 10 {
		shown = append(shown[:10:10], fmt.Sprintf("and %d more", len(titles)-10))
	}
	return &Error{
		Code:    errcode.VariantRequired,
		Message: fmt.Sprintf("Product %s has %d variants: name one by variantId: %s.", productID, len(variants), strings.Join(shown, ", ")),
		Details: map[string]any{"productId": productID, "variants": list},
	}
}

// VariantNotFound is the error for a variant id that names no variant (of
// the product given with it, when one was).
func VariantNotFound(variantID, productID string) error {
	msg := fmt.Sprintf("Variant %s does not exist.", variantID)
	details := map[string]any{"variantId": variantID}
	if productID != "" {
		msg = fmt.Sprintf("Product %s has no variant %s.", productID, variantID)
		details["productId"] = productID
	}
	return &Error{Code: errcode.NotFound, Message: msg, Details: details}
}

// PickVariant is the variant a line, adjustment or ledger read names: the
// one with variantID, or, with none given, the product's only variant
// (VariantRequired when it has several).
func PickVariant(productID, variantID string, variants []ProductVariant) (ProductVariant, error) {
	if variantID != "" {
		for _, v := range variants {
			if v.ID == variantID {
				return v, nil
			}
		}
		return ProductVariant{}, VariantNotFound(variantID, productID)
	}
	switch len(variants) {
	case 0:
		return ProductVariant{}, ProductNotFound(productID)
	case 1:
		return variants[0], nil
	}
	return ProductVariant{}, VariantRequired(productID, variants)
}

// VariantInput is a variant's input as the client sent it: nil is left out
// (on an update, unchanged; on a creation, the default).
type VariantInput struct {
	SKU            *string // "" means none
	Price          *float64
	CompareAtPrice *float64 // 0 clears it (graphql-go drops a null input field: it can't say "none")
	// WeightGrams: negative clears it (0 is a weight).
	StockCount  *int
	Options     *[]SelectedOption
	ImageURL    *string // "" means none
	WeightGrams *int
}

// VariantDraft is VariantInput validated; Options are as sent, matched
// against the product's options by the store (ProductOptions.Select)
// under the product's lock.
type VariantDraft struct {
	SKU            **string
	Price          *Money
	CompareAtPrice **Money
	StockCount     *int
	Options        *[]SelectedOption
	ImageURL       **string
	WeightGrams    **int
}

// ParseVariant validates a variant's input; field prefixes its fields in
// errors ("input", "variants[2]").
func ParseVariant(field string, in VariantInput) (VariantDraft, error) {
	var fe fieldErrors
	d := parseVariant(&fe, field, in)
	if err := fe.err(); err != nil {
		return VariantDraft{}, err
	}
	return d, nil
}

func parseVariant(fe *fieldErrors, field string, in VariantInput) VariantDraft {
	var d VariantDraft
	if in.SKU != nil {
		var sku *string
		if s := strings.TrimSpace(*in.SKU); s != "" {
			checkSKU(fe, field+".sku", s)
			sku = &s
		}
		d.SKU = &sku
	}
	if in.Price != nil {
		m := parsePrice(fe, field+".price", *in.Price)
		d.Price = &m
	}
	if in.CompareAtPrice != nil {
		// 0 clears it (a compare-at price of 0 says nothing; graphql-go
		// passes no null on); a negative one is refused like any price.
		var m *Money
		if *in.CompareAtPrice != 0 {
			v := parsePrice(fe, field+".compareAtPrice", *in.CompareAtPrice)
			m = &v
		}
		d.CompareAtPrice = &m
	}
	if in.StockCount != nil {
		checkStock(fe, field+".stockCount", *in.StockCount)
		n := *in.StockCount
		d.StockCount = &n
	}
	if in.Options != nil {
		if len(*in.Options) > MaxOptions {
			fe.add(field+".options", "must contain at most %d values, got %d", MaxOptions, len(*in.Options))
		}
		for i, s := range *in.Options {
			if i >= MaxOptions {
				break
			}
			f := fmt.Sprintf("%s.options[%d]", field, i)
			checkText(fe, f+".name", strings.TrimSpace(s.Name), MaxOptionNameSize)
			checkText(fe, f+".value", strings.TrimSpace(s.Value), MaxOptionValueSize)
		}
		opts := append([]SelectedOption(nil), *in.Options...)
		d.Options = &opts
	}
	if in.ImageURL != nil {
		var u *string
		if s := strings.TrimSpace(*in.ImageURL); s != "" {
			// One URL, not a list: its errors name the field, not [0].
			var one fieldErrors
			if urls := checkImageURLs(&one, field+".imageUrl", []string{s}); len(urls) == 1 {
				u = &urls[0]
			}
			for _, f := range one {
				fe.add(field+".imageUrl", "%s", f.Message)
			}
		}
		d.ImageURL = &u
	}
	if in.WeightGrams != nil {
		// A negative weight clears it: graphql-go v0.8.1 passes no null
		// in an input object on, so null can't say it.
		var w *int
		if *in.WeightGrams >= 0 {
			if *in.WeightGrams > MaxWeightGrams {
				fe.add(field+".weightGrams", "must be at most %d", MaxWeightGrams)
			}
			n := *in.WeightGrams
			w = &n
		}
		d.WeightGrams = &w
	}
	return d
}

// NewVariant is the variant a draft makes for product p at position, with
// id, at now: price and stock default to def's when the draft has none.
// The draft's options are matched against p's options.
func (d VariantDraft) NewVariant(field string, p Product, id string, position int, def Totals, now time.Time) (ProductVariant, error) {
	v := ProductVariant{ID: id, ProductID: p.ID, Position: position, Price: def.Price, StockCount: def.StockCount, CreatedAt: now, LastUpdated: now}
	var sel []SelectedOption
	if d.Options != nil {
		sel = *d.Options
	}
	opts, err := p.Options.Select(field+".options", sel)
	if err != nil {
		return ProductVariant{}, err
	}
	v.Options, v.OptionKey, v.Title = opts, opts.Key(), opts.Title()
	d.apply(&v)
	return v, nil
}

// Apply changes v by the draft (an update), matching new options against
// the product's; it reports whether anything was set.
func (d VariantDraft) Apply(field string, options ProductOptions, v *ProductVariant) (bool, error) {
	changed := d.apply(v)
	if d.Options != nil {
		opts, err := options.Select(field+".options", *d.Options)
		if err != nil {
			return false, err
		}
		if opts.Key() != v.OptionKey {
			v.Options, v.OptionKey, v.Title = opts, opts.Key(), opts.Title()
			changed = true
		}
	}
	return changed, nil
}

func (d VariantDraft) apply(v *ProductVariant) bool {
	changed := false
	if d.SKU != nil {
		v.SKU, changed = *d.SKU, true
	}
	if d.Price != nil {
		v.Price, changed = *d.Price, true
	}
	if d.CompareAtPrice != nil {
		v.CompareAtPrice, changed = *d.CompareAtPrice, true
	}
	if d.StockCount != nil {
		v.StockCount, changed = *d.StockCount, true
	}
	if d.ImageURL != nil {
		v.ImageURL, changed = *d.ImageURL, true
	}
	if d.WeightGrams != nil {
		v.WeightGrams, changed = *d.WeightGrams, true
	}
	return changed
}

// WithVariants adds createProduct's options and variants to np: options
// alone make every combination, each with np's price and stock; variants
// name their values of the options, and take np's price and stock where
// they give none; neither makes one default variant, as before variants.
func (np NewProduct) WithVariants(options []ProductOption, variants []VariantInput) (NewProduct, error) {
	var fe fieldErrors
	if options != nil {
		np.Options = parseOptions(&fe, "input.options", options)
	}
	np.Variants = nil
	for i, in := range variants {
		if i >= MaxVariants {
			fe.add("input.variants", "must contain at most %d variants, got %d", MaxVariants, len(variants))
			break
		}
		np.Variants = append(np.Variants, parseVariant(&fe, fmt.Sprintf("input.variants[%d]", i), in))
	}
	if err := fe.err(); err != nil {
		return NewProduct{}, err
	}
	if n := np.Options.Combinations(); len(variants) == 0 && n > MaxVariants {
		return NewProduct{}, Errorf(errcode.BadUserInput, "Invalid input: input.options make %d combinations; a product has at most %d variants (give variants for those sold).", n, MaxVariants)
	}
	return np, nil
}

// Build makes the new product with id at now and its variants: a product
// created without variants has one whose id is the product's own (as
// every product had when variants came), the others get ids from newID.
// The product's price, stock and SKU are its variants' totals.
func (np NewProduct) Build(id string, now time.Time, newID func() string) (Product, []ProductVariant, error) {
	p := np.Product(id, now)
	p.Options = np.Options
	if p.Options == nil {
		p.Options = ProductOptions{}
	}
	def := Totals{Price: np.Price, StockCount: np.StockCount}
	var vs []ProductVariant
	switch {
	case len(np.Variants) == 0 && len(p.Options) == 0:
		vs = []ProductVariant{{ID: id, ProductID: id, SKU: p.SKU, Title: DefaultVariantTitle, Price: np.Price, StockCount: np.StockCount,
			Options: SelectedOptions{}, CreatedAt: now, LastUpdated: now}}
	case len(np.Variants) == 0:
		p.Options.Each(func(sel SelectedOptions) bool {
			vs = append(vs, ProductVariant{ID: newID(), ProductID: id, Position: len(vs), Title: sel.Title(), Options: sel, OptionKey: sel.Key(),
				Price: np.Price, StockCount: np.StockCount, CreatedAt: now, LastUpdated: now})
			return true
		})
	default:
		var fe fieldErrors
		keys := map[string]int{}
		for i, d := range np.Variants {
			f := fmt.Sprintf("input.variants[%d]", i)
			vid := newID()
			if len(p.Options) == 0 {
				if len(np.Variants) > 1 {
					fe.add("input.variants", "a product without options has one variant; give options to sell several")
					break
				}
				vid = id
			}
			v, err := d.NewVariant(f, p, vid, i, def, now)
			if err != nil {
				var e *Error
				if errors.As(err, &e) {
					fe = append(fe, e.Fields...)
				}
				continue
			}
			if j, dup := keys[v.OptionKey]; dup {
				fe.add(f+".options", "repeats input.variants[%d] (%s)", j, v.Title)
			}
			keys[v.OptionKey] = i
			vs = append(vs, v)
		}
		if err := fe.err(); err != nil {
			return Product{}, nil, err
		}
	}
	if p.SKU != nil && (len(vs) > 1 || len(np.Variants) > 0 && vs[0].SKU != nil && *vs[0].SKU != *p.SKU) {
		return Product{}, nil, Errorf(errcode.BadUserInput, "Invalid input: input.sku is for a product with one variant; give each variant its own sku.")
	}
	if len(vs) == 1 && vs[0].SKU == nil {
		vs[0].SKU = p.SKU
	}
	ProductTotals(p.Active, vs).Apply(&p)
	return p, vs, nil
}

// ParsePriceAndStock validates a price and a stock count given together
// (generateVariants).
func ParsePriceAndStock(price float64, stock int) (Money, int, error) {
	var fe fieldErrors
	m := parsePrice(&fe, "price", price)
	checkStock(&fe, "stockCount", stock)
	if err := fe.err(); err != nil {
		return 0, 0, err
	}
	return m, stock, nil
}
