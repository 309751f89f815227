package models

import (
	"errors"
	"strings"
	"testing"
	"time"

	"shop/errcode"
)

func TestConnectionArguments(t *testing.T) {
	t.Parallel()
	ptr := func(v int) *int { return &v }
	str := func(v string) *string { return &v }
	c, err := ParseConnection(nil, nil)
	if err != nil || c.First != DefaultPageFirst || c.After != nil {
		t.Fatalf("defaults: %+v, %v", c, err)
	}
	cur := Cursor{CreatedAt: time.Date(2026, 11, 25, 6, 5, 33, 123456000, time.UTC), ID: idA}
	c, err = ParseConnection(ptr(100), str(cur.Encode()))
	if err != nil || c.First != 100 || c.After == nil || !c.After.CreatedAt.Equal(cur.CreatedAt) || c.After.ID != idA {
		t.Fatalf("round trip: %+v, %v", c, err)
	}
	for _, tt := range []struct {
		first *int
		after *string
		field string
	}{
		{ptr(0), nil, "first"},
		{ptr(101), nil, "first"},
		{nil, str("garbage!"), "after"},
		{nil, str("MTIzOm5vdC1hLXV1aWQ"), "after"}, // "123:not-a-uuid"
	} {
		_, err := ParseConnection(tt.first, tt.after)
		if got := fields(t, err); len(got) != 1 || got[0] != tt.field {
			t.Errorf("fields = %v, want [%s]", got, tt.field)
		}
	}
	if _, err := ParseOrderFilter(nil, str("lost"), nil); err == nil {
		t.Error("unknown status accepted")
	}
	if f, err := ParseOrderFilter(str(" c1 "), str("pending"), nil); err != nil || f.CustomerID != "c1" || f.Status != "pending" {
		t.Errorf("filter = %+v, %v", f, err)
	}
	// Text that would reach the database as a filter: PostgreSQL refuses
	// NUL and invalid UTF-8 in text, which must not become internal errors.
	for _, bad := range []string{"a\x00b", "\xff\xfe", "c\x1b1", strings.Repeat("é", MaxCustomerIDSize+1)} {
		_, err := ParseOrderFilter(str(bad), nil, nil)
		if got := fields(t, err); len(got) != 1 || got[0] != "customerId" {
			t.Errorf("customerId %q: fields = %v, want [customerId]", bad, got)
		}
	}
	if _, err := ParseOrderFilter(str(strings.Repeat("é", MaxCustomerIDSize)), nil, nil); err != nil {
		t.Errorf("128 characters refused: %v", err)
	}
}

func TestValidateText(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		max  int
		want string // in the message; "" for valid
	}{
		{"plain", 10, ""}, {"émoji 🛒", 7, ""}, {"nul\x00", 10, "control or invisible characters"}, {"bad\xc3", 10, "valid UTF-8"},
		{"tab\t", 10, "control or invisible characters"}, {"zero\u200bwidth", 20, "found U+200B at character 5"}, {"12345", 4, "at most 4 characters"},
	} {
		err := ValidateText("name", tt.in, tt.max)
		if tt.want == "" {
			if err != nil {
				t.Errorf("ValidateText(%q) = %v", tt.in, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != errcode.BadUserInput || len(e.Fields) != 1 || e.Fields[0].Field != "name" || !strings.Contains(e.Message, tt.want) {
			t.Errorf("ValidateText(%q) = %v, want BAD_USER_INPUT on name: %q", tt.in, err, tt.want)
		}
	}
}

func TestParsePage(t *testing.T) {
	t.Parallel()
	ptr := func(v int) *int { return &v }
	tests := []struct {
		name          string
		limit, offset *int
		want          Page
		wantFields    []string
	}{
		{"defaults to the maximum", nil, nil, Page{Limit: 50}, nil},
		{"a smaller limit", ptr(10), ptr(5), Page{Limit: 10, Offset: 5}, nil},
		{"a larger limit is capped", ptr(500), nil, Page{Limit: 50}, nil},
		{"zero limit", ptr(0), nil, Page{}, []string{"limit"}},
		{"negative offset", nil, ptr(-1), Page{}, []string{"offset"}},
		{"both bad, both reported", ptr(-1), ptr(-1), Page{}, []string{"limit", "offset"}},
	}
	for _, tt := range tests {
		got, err := ParsePage(tt.limit, tt.offset, 50)
		if tt.wantFields != nil {
			if f := fields(t, err); strings.Join(f, ",") != strings.Join(tt.wantFields, ",") {
				t.Errorf("%s: fields %v, want %v", tt.name, f, tt.wantFields)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: got %+v, %v; want %+v", tt.name, got, err, tt.want)
		}
	}
}
