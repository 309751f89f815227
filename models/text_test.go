package models

import (
	"errors"
	"strings"
	"testing"

	"shop/errcode"
)

func TestInvisibleCharacters(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		in     string
		breaks bool
		want   rune // 0: allowed
		pos    int
	}{
		{"plain", "Blue mug", false, 0, 0},
		{"accents and emoji", "Café émoji 🛒", false, 0, 0},
		{"a decomposed accent (a mark, not a format character)", "Cafe\u0301", false, 0, 0},
		{"Japanese", "マグカップ", false, 0, 0},
		{"NUL", "a\x00b", false, 0, 2},
		{"escape", "a\x1b[31m", true, 0x1b, 2},
		{"C1 control", "a\u0085", false, 0x85, 2},
		{"a tab on one line", "a\tb", false, '\t', 2},
		{"a tab and a line break in a description", "a\tb\r\nc", true, 0, 0},
		{"line separator", "a\u2028b", true, 0x2028, 2},
		{"paragraph separator", "a\u2029b", true, 0x2029, 2},
		{"right-to-left override", "\u202egnp.exe", false, 0x202e, 1},
		{"left-to-right embedding", "a\u202ab", false, 0x202a, 2},
		{"zero width space", "Blue\u200bmug", false, 0x200b, 5},
		{"left-to-right isolate", "a\u2066b", false, 0x2066, 2},
		{"right-to-left isolate", "a\u2067b", false, 0x2067, 2},
		{"first strong isolate", "a\u2068b", false, 0x2068, 2},
		{"pop directional isolate", "a\u2069b", false, 0x2069, 2},
		{"right-to-left mark", "a\u200fb", false, 0x200f, 2},
		{"byte order mark", "\ufeffmug", false, 0xfeff, 1},
		{"soft hyphen", "mug\u00adcup", true, 0xad, 4},
		{"word joiner", "a\u2060b", false, 0x2060, 2},
		{"Mongolian vowel separator", "a\u180eb", false, 0x180e, 2},
		{"Hangul filler (default ignorable, not Cf)", "\u3164", false, 0x3164, 1},
		{"halfwidth Hangul filler", "a\uffa0", false, 0xffa0, 2},
		{"interlinear annotation", "a\ufff9b", false, 0xfff9, 2},
		{"a tag alone", "a\U000e0061", false, 0xe0061, 2},
		{"zero width joiner between letters", "a\u200db", true, 0x200d, 2},
		{"zero width joiner after an emoji, at the end", "👩\u200d", true, 0x200d, 2},
		{"zero width joiner before an emoji, at the start", "\u200d💻", true, 0x200d, 1},
		{"zero width joiner between an emoji and a letter", "👩\u200da", true, 0x200d, 2},
		{"two joiners between emoji", "👩\u200d\u200d💻", true, 0x200d, 2},
		{"zero width joiner between Latin-1 symbols", "©\u200d®", false, 0x200d, 2},
		{"zero width non-joiner between Latin letters", "a\u200cb", false, 0x200c, 2},
		{"zero width non-joiner after an Arabic letter, before a space", "ه\u200c ", false, 0x200c, 2},
		{"emoji ZWJ sequence", "Dev 👩\u200d💻 mug", false, 0, 0},
		{"emoji ZWJ sequence with a skin tone", "👩🏽\u200d💻", false, 0, 0},
		{"emoji ZWJ sequence with a variation selector", "🏳\ufe0f\u200d🌈", false, 0, 0},
		{"family", "👨\u200d👩\u200d👧", false, 0, 0},
		{"Devanagari conjunct with a joiner after the virama", "क्\u200dष", false, 0, 0},
		{"Devanagari with a non-joiner after the virama", "क्\u200cष", false, 0, 0},
		{"Persian non-joiner", "نامه\u200cها", false, 0, 0},
		{"flag of Scotland", "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", false, 0, 0},
	} {
		r, pos, bad := invisibleIn(tt.in, tt.breaks)
		switch {
		case tt.want == 0 && tt.pos == 0 && bad:
			t.Errorf("%s: %q refused for U+%04X at %d", tt.name, tt.in, r, pos)
		case (tt.want != 0 || tt.pos != 0) && (!bad || r != tt.want || pos != tt.pos):
			t.Errorf("%s: %q = U+%04X at %d, %v; want U+%04X at %d", tt.name, tt.in, r, pos, bad, tt.want, tt.pos)
		}
	}
}

// Every text field a client sends refuses invisible characters, naming
// the field and the character.
func TestTextFieldsRefuseInvisibleCharacters(t *testing.T) {
	t.Parallel()
	const bad = "Blue\u202emug" // the override is the 5th character
	var admin Caller
	for _, tt := range []struct {
		field string
		err   error
		found string // "" for a rule of its own (the SKU's ASCII)
	}{
		{"name", second(ParseNewProduct(1, 1, ProductDetails{Name: ptr(bad)})), "U+202E at character 5"},
		{"name", second(ParseProductPatch(idA, nil, nil, ProductDetails{Name: ptr(bad)})), "U+202E at character 5"},
		{"description", second(ParseNewProduct(1, 1, ProductDetails{Description: ptr("Line one\n" + bad)})), "U+202E at character 14"},
		{"sku", second(ParseNewProduct(1, 1, ProductDetails{SKU: ptr(bad)})), ""},
		{"imageUrls[0]", second(ParseNewProduct(1, 1, ProductDetails{ImageURLs: ptr([]string{"https://a.example/" + bad})})), "U+202E at character 23"},
		{"name", second(ParseNewCategory(bad, nil)), "U+202E at character 5"},
		{"name", second(ParseCategoryPatch(idA, ptr(bad), nil)), "U+202E at character 5"},
		{"filter.query", second(ParseProductSearch(ProductSearch{Query: ptr(bad)}, ProductFilter{})), "U+202E at character 5"},
		{"customerId", second(ParseOrder(bad, []OrderLine{{ProductID: idA, Quantity: 1}})), "U+202E at character 5"},
		{"customerId", second(ParseOrderFilter(ptr(bad), nil, nil)), "U+202E at character 5"},
		{"query", second(ParseOrderFilter(nil, nil, ptr(bad))), "U+202E at character 5"},
		{"query", second(ParseCustomerSearch(nil, nil, ptr(bad))), "U+202E at character 5"},
		{"note", second(ParseStatusChange(idA, OrderStatusPaid, bad, "", "", admin)), "U+202E at character 5"},
		{"carrier", second(ParseStatusChange(idA, OrderStatusShipped, "", "1Z", bad, admin)), "U+202E at character 5"},
		{"reason", second(ParseCancel(idA, bad, "", admin)), "U+202E at character 5"},
		{"reason", second(ParseAdjustment(idA, "", 1, bad, admin)), "U+202E at character 5"},
		{"name", second(ParseRegistration("ann@example.com", "correct horse", bad)), "U+202E at character 5"},
		{"name", ValidateText("name", bad, 100), "U+202E at character 5"},
	} {
		var e *Error
		if !errors.As(tt.err, &e) || e.Code != errcode.BadUserInput || len(e.Fields) != 1 || e.Fields[0].Field != tt.field {
			t.Errorf("%s: %v, want one bad field %s", tt.field, tt.err, tt.field)
			continue
		}
		if !strings.Contains(e.Message, tt.field+" ") {
			t.Errorf("%s: message %q does not name the field", tt.field, e.Message)
		}
		if tt.found != "" && !strings.Contains(e.Fields[0].Message, "invisible") || !strings.Contains(e.Fields[0].Message, tt.found) {
			t.Errorf("%s: message %q, want the rule and %q", tt.field, e.Fields[0].Message, tt.found)
		}
	}
	// An email with a zero-width space is not an address.
	if _, err := ParseRegistration("ann\u200b@example.com", "correct horse", "Ann"); !hasField(err, "email") {
		t.Errorf("email: %v", err)
	}
	// What the rule allows passes the fields.
	for _, ok := range []string{"Dev mug 👩\u200d💻", "نامه\u200cها", "क्\u200dष"} {
		if _, err := ParseNewProduct(1, 1, ProductDetails{Name: ptr(ok), Description: ptr(ok)}); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
		if _, err := ParseNewCategory(ok+" 1", nil); err != nil {
			t.Errorf("category %q refused: %v", ok, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }
