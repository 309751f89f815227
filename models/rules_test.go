package models

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"shop/errcode"
)

const (
	idA = "00000000-0000-4000-8000-00000000000a"
	idB = "00000000-0000-4000-8000-00000000000b"
)

func fields(t *testing.T, err error) []string {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not a *models.Error", err)
	}
	if e.Code != errcode.BadUserInput {
		t.Fatalf("code = %s, want BAD_USER_INPUT", e.Code)
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestParseNewProduct(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		price      float64
		stock      int
		wantFields []string
	}{
		{"valid", 19.99, 5, nil},
		{"zero price and stock", 0, 0, nil},
		{"max price", 99999999.99, 1, nil},
		{"negative price", -0.01, 1, []string{"price"}},
		{"three decimals", 1.999, 1, []string{"price"}},
		{"too expensive", 100000000, 1, []string{"price"}},
		{"negative stock", 1, -1, []string{"stockCount"}},
		{"huge stock", 1, MaxStockCount + 1, []string{"stockCount"}},
		{"both bad, both reported", -1, -1, []string{"price", "stockCount"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			np, err := ParseNewProduct(tt.price, tt.stock, ProductDetails{})
			if tt.wantFields == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if np.StockCount != tt.stock || np.Price.Float64() != tt.price {
					t.Fatalf("got %+v", np)
				}
				return
			}
			if got := fields(t, err); strings.Join(got, ",") != strings.Join(tt.wantFields, ",") {
				t.Fatalf("fields = %v, want %v", got, tt.wantFields)
			}
			if !strings.Contains(err.Error(), tt.wantFields[0]) {
				t.Fatalf("message %q does not name %s", err.Error(), tt.wantFields[0])
			}
		})
	}
}

func TestProductPatchEachFieldAlone(t *testing.T) {
	t.Parallel()
	base := Product{ID: idA, Price: 1000, StockCount: 7}
	price, stock := 12.5, 3

	t.Run("price only", func(t *testing.T) {
		t.Parallel()
		patch, err := ParseProductPatch(idA, &price, nil, ProductDetails{})
		if err != nil {
			t.Fatal(err)
		}
		p := base
		if !patch.Apply(&p) || p.Price != 1250 || p.StockCount != 7 {
			t.Fatalf("got %+v", p)
		}
	})
	t.Run("stock only", func(t *testing.T) {
		t.Parallel()
		patch, err := ParseProductPatch(idA, nil, &stock, ProductDetails{})
		if err != nil {
			t.Fatal(err)
		}
		p := base
		if !patch.Apply(&p) || p.Price != 1000 || p.StockCount != 3 {
			t.Fatalf("got %+v", p)
		}
	})
	t.Run("nothing", func(t *testing.T) {
		t.Parallel()
		patch, err := ParseProductPatch(idA, nil, nil, ProductDetails{})
		if err != nil {
			t.Fatal(err)
		}
		p := base
		if patch.Apply(&p) || !reflect.DeepEqual(p, base) {
			t.Fatalf("empty patch changed %+v", p)
		}
	})
	t.Run("bad id and bad price", func(t *testing.T) {
		t.Parallel()
		bad := -1.0
		_, err := ParseProductPatch("nope", &bad, nil, ProductDetails{})
		if got := fields(t, err); strings.Join(got, ",") != "productId,price" {
			t.Fatalf("fields = %v", got)
		}
	})
}

func TestParseOrder(t *testing.T) {
	t.Parallel()
	many := make([]OrderLine, MaxOrderLines+1)
	for i := range many {
		many[i] = OrderLine{ProductID: idA, Quantity: 1}
	}
	tests := []struct {
		name       string
		customer   string
		lines      []OrderLine
		wantLines  []OrderLine
		wantFields []string
	}{
		{"merges duplicates and sorts", "c1",
			[]OrderLine{{ProductID: idB, Quantity: 1}, {ProductID: idA, Quantity: 2}, {ProductID: idB, Quantity: 3}},
			[]OrderLine{{ProductID: idA, Quantity: 2}, {ProductID: idB, Quantity: 4}}, nil},
		{"empty customer", "  ", []OrderLine{{ProductID: idA, Quantity: 1}}, nil, []string{"customerId"}},
		{"control chars in customer", "a\x00b", []OrderLine{{ProductID: idA, Quantity: 1}}, nil, []string{"customerId"}},
		{"no items", "c1", nil, nil, []string{"items"}},
		{"too many items", "c1", many, nil, []string{"items"}},
		{"zero quantity", "c1", []OrderLine{{ProductID: idA, Quantity: 0}}, nil, []string{"items[0].quantity"}},
		{"negative quantity", "c1", []OrderLine{{ProductID: idA, Quantity: -3}}, nil, []string{"items[0].quantity"}},
		{"malformed id", "c1", []OrderLine{{ProductID: idA, Quantity: 1}, {ProductID: "not-a-uuid", Quantity: 1}}, nil, []string{"items[1].productId"}},
		{"uppercase id is not canonical", "c1", []OrderLine{{ProductID: strings.ToUpper("0000000a-0000-4000-8000-00000000000a"), Quantity: 1}}, nil, []string{"items[0].productId"}},
		{"merged quantity too large", "c1", []OrderLine{{ProductID: idA, Quantity: MaxLineQuantity}, {ProductID: idA, Quantity: 1}}, nil, []string{"items"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req, err := ParseOrder(tt.customer, tt.lines)
			if tt.wantFields != nil {
				if got := fields(t, err); strings.Join(got, ",") != strings.Join(tt.wantFields, ",") {
					t.Fatalf("fields = %v, want %v", got, tt.wantFields)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(req.Lines) != len(tt.wantLines) {
				t.Fatalf("lines = %v, want %v", req.Lines, tt.wantLines)
			}
			for i := range req.Lines {
				if req.Lines[i] != tt.wantLines[i] {
					t.Fatalf("lines = %v, want %v", req.Lines, tt.wantLines)
				}
			}
		})
	}
}

func TestPriceOrder(t *testing.T) {
	t.Parallel()
	sku := "TEE-M"
	a := ProductVariant{ID: idA, ProductID: idB, Price: 3999, SKU: &sku, Title: "M", Options: SelectedOptions{{Name: "Size", Value: "M"}}}
	b := ProductVariant{ID: idB, ProductID: idB, Price: 1010, Title: DefaultVariantTitle}
	items, total, err := PriceOrder([]OrderLine{{ProductID: idB, VariantID: idA, Quantity: 2}, {ProductID: idB, Quantity: 1}}, []ProductVariant{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if total != 9008 || len(items) != 2 || items[0].PriceAtPurchase != 3999 || items[1].Quantity != 1 {
		t.Fatalf("total %d items %+v", total, items)
	}
	// Each line keeps what the variant was when it was bought.
	if items[0].VariantID != idA || *items[0].SKU != sku || items[0].Title != "M" || !items[0].Options.Has("Size", "M") || items[1].Title != DefaultVariantTitle {
		t.Fatalf("snapshot %+v", items)
	}
	_, _, err = PriceOrder([]OrderLine{{ProductID: idA, Quantity: MaxLineQuantity}}, []ProductVariant{{ID: idA, ProductID: idA, Price: maxTotal}})
	if ErrorCode(err) != errcode.BadUserInput {
		t.Fatalf("huge total: err = %v, want BAD_USER_INPUT", err)
	}
}

func TestErrorCode(t *testing.T) {
	t.Parallel()
	wrapped := errors.Join(errors.New("ctx"), InsufficientStock(idA, 1, 2))
	if ErrorCode(wrapped) != errcode.InsufficientStock {
		t.Fatalf("code of wrapped error = %s", ErrorCode(wrapped))
	}
	if ErrorCode(errors.New("boom")) != errcode.InternalServerError {
		t.Fatal("unknown error is not internal")
	}
	if ErrorCode(nil) != "" {
		t.Fatal("nil error has a code")
	}
}

// TestPriceMessages: a bad price is reported for what is wrong with the
// number sent, whatever its size: -1e308 is negative, not "too large".
func TestPriceMessages(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		price float64
		want  string
	}{
		{-0.01, "must not be negative"},
		{-1, "must not be negative"},
		{-1e15, "must not be negative"},
		{-1e308, "must not be negative"},
		{-math.MaxFloat64, "must not be negative"},
		{math.Inf(-1), "must not be negative"},
		{-1.999, "must not be negative"},
		{1e308, "must be at most 99999999.99"},
		{1e15, "must be at most 99999999.99"},
		{100000000, "must be at most 99999999.99"},
		{math.Inf(1), "must be at most 99999999.99"},
		{math.NaN(), "is not a finite number"},
		{1.999, "has more than 2 decimal places"},
	} {
		// Creates, updates and the filter's prices follow the same rules.
		_, create := ParseNewProduct(tt.price, 1, ProductDetails{})
		_, update := ParseProductPatch(idA, &tt.price, nil, ProductDetails{})
		_, filter := ParseProductSearch(ProductSearch{MinPrice: &tt.price}, ProductFilter{})
		for _, got := range []struct {
			field string
			err   error
		}{{"price", create}, {"price", update}, {"filter.minPrice", filter}} {
			field, err := got.field, got.err
			var e *Error
			if !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != field || e.Fields[0].Message != tt.want ||
				!strings.Contains(e.Message, field+" "+tt.want) {
				t.Errorf("%s %v: %v, want %q", field, tt.price, err, tt.want)
			}
		}
	}
	for _, ok := range []float64{0, math.Copysign(0, -1), 0.01, 99999999.99} {
		if _, err := ParseNewProduct(ok, 1, ProductDetails{}); err != nil {
			t.Errorf("price %v refused: %v", ok, err)
		}
	}
}
