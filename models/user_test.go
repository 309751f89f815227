package models

import (
	"strings"
	"testing"
)

func TestParseRegistration(t *testing.T) {
	t.Parallel()
	const secret = "correct horse battery"
	tests := []struct {
		name, email, password, userName string
		wantFields                      []string
		wantEmail, wantName             string
	}{
		{"valid", "ann@example.com", secret, "Ann", nil, "ann@example.com", "Ann"},
		{"email is trimmed and lowercased", "  Ann@Example.COM ", secret, "Ann", nil, "ann@example.com", "Ann"},
		{"name is trimmed", "ann@example.com", secret, "  Ann Lee  ", nil, "ann@example.com", "Ann Lee"},
		{"host without a dot", "admin@localhost", secret, "Admin", nil, "admin@localhost", "Admin"},
		{"unicode name", "ann@example.com", secret, "Анна Ли", nil, "ann@example.com", "Анна Ли"},
		{"exactly 8 bytes", "ann@example.com", "12345678", "Ann", nil, "ann@example.com", "Ann"},
		{"exactly 72 bytes", "ann@example.com", strings.Repeat("p", 72), "Ann", nil, "ann@example.com", "Ann"},
		{"100 characters of name", "ann@example.com", secret, strings.Repeat("é", 100), nil, "ann@example.com", strings.Repeat("é", 100)},

		{"empty email", "", secret, "Ann", []string{"email"}, "", ""},
		{"no at sign", "ann.example.com", secret, "Ann", []string{"email"}, "", ""},
		{"display name", "Ann <ann@example.com>", secret, "Ann", []string{"email"}, "", ""},
		{"two addresses", "ann@example.com, bob@example.com", secret, "Ann", []string{"email"}, "", ""},
		{"NUL in email", "ann\x00@example.com", secret, "Ann", []string{"email"}, "", ""},
		{"email over 254 bytes", strings.Repeat("a", 250) + "@x.io", secret, "Ann", []string{"email"}, "", ""},
		{"short password", "ann@example.com", "1234567", "Ann", []string{"password"}, "", ""},
		{"password over 72 bytes", "ann@example.com", strings.Repeat("p", 73), "Ann", []string{"password"}, "", ""},
		{"password not UTF-8", "ann@example.com", "abcdefgh\xff", "Ann", []string{"password"}, "", ""},
		{"blank name", "ann@example.com", secret, "   ", []string{"name"}, "", ""},
		{"name of 101 characters", "ann@example.com", secret, strings.Repeat("n", 101), []string{"name"}, "", ""},
		{"control character in name", "ann@example.com", secret, "Ann\x00Lee", []string{"name"}, "", ""},
		{"newline in name", "ann@example.com", secret, "Ann\nLee", []string{"name"}, "", ""},
		{"name not UTF-8", "ann@example.com", secret, "Ann\xc3", []string{"name"}, "", ""},
		{"NULs as a password", "ann@example.com", strings.Repeat("\x00", 8), "Ann", []string{"password"}, "", ""},
		{"zero-width space for a name", "ann@example.com", secret, "\u200b", []string{"name"}, "", ""},
		{"direction override in name", "ann@example.com", secret, "\u202egnp.exe", []string{"name"}, "", ""},
		{"line separator in name", "ann@example.com", secret, "a\u2028b", []string{"name"}, "", ""},
		{"zero-width space in email", "admin@shop.test\u200b", secret, "Ann", []string{"email"}, "", ""},
		{"every field bad, all reported", "nope", "short", "", []string{"email", "password", "name"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := ParseRegistration(tt.email, tt.password, tt.userName)
			if tt.wantFields == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if r.Email != tt.wantEmail || r.Name != tt.wantName || r.Password != tt.password {
					t.Fatalf("got %+v", r)
				}
				return
			}
			if got := fields(t, err); strings.Join(got, ",") != strings.Join(tt.wantFields, ",") {
				t.Fatalf("fields = %v, want %v", got, tt.wantFields)
			}
			for _, f := range tt.wantFields {
				if !strings.Contains(err.Error(), f+" ") {
					t.Fatalf("message %q does not name %s", err.Error(), f)
				}
			}
			if len(tt.password) >= 4 && strings.Contains(err.Error(), tt.password) {
				t.Fatalf("message %q quotes the password", err.Error())
			}
		})
	}
}

func TestUserCaller(t *testing.T) {
	t.Parallel()
	c := User{ID: idA, Role: RoleAdmin}.Caller()
	if c.UserID != idA || !c.IsAdmin() || c.Anonymous() {
		t.Fatalf("caller = %+v", c)
	}
}
