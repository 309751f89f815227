package config

import (
	"os"
	"regexp"
	"testing"
)

// TestEverySettingIsDocumented: each variable Load reads has a row in
// docs/configuration.md, and each row names a variable Load reads, so the
// one table stays the truth as settings come and go.
func TestEverySettingIsDocumented(t *testing.T) {
	src, err := os.ReadFile("config.go")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	read := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?:p\.[a-zA-Z]+|getenv)\("([A-Z0-9_]+)"`).FindAllSubmatch(src, -1) {
		read[string(m[1])] = true
	}
	if len(read) < 20 {
		t.Fatalf("found %d settings in config.go: the pattern no longer matches how Load reads them", len(read))
	}
	rows := map[string]bool{}
	// A row's first cell names one variable or several: | `A`, `B` | …
	name := regexp.MustCompile("`([A-Z0-9_]+)`")
	for _, m := range regexp.MustCompile("(?m)^\\| (`[A-Z0-9_]+`(?:, `[A-Z0-9_]+`)*) \\|").FindAllSubmatch(doc, -1) {
		for _, n := range name.FindAllSubmatch(m[1], -1) {
			rows[string(n[1])] = true
		}
	}
	for name := range read {
		if !rows[name] {
			t.Errorf("%s is read by Load but has no row in docs/configuration.md", name)
		}
	}
	for name := range rows {
		if !read[name] && !readByGo[name] {
			t.Errorf("docs/configuration.md has a row for %s, which Load does not read", name)
		}
	}
}

// readByGo are rows for variables the Go runtime reads, not Load.
var readByGo = map[string]bool{"GOGC": true, "GOMEMLIMIT": true}
