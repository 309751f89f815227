package errcode_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"shop/errcode"
)

// TestDocsDescribeEveryCode: docs/api.md's table of codes and this
// catalogue name the same codes, so a client reading the docs sees every
// code it can be sent and none that does not exist.
func TestDocsDescribeEveryCode(t *testing.T) {
	doc, err := os.ReadFile("../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile("`([A-Z_]+)`")
	documented := map[string]bool{}
	// A row's first cell names one code or several: | `A`, `B` | …
	for _, m := range regexp.MustCompile("(?m)^\\| (`[A-Z_]+`(?:, `[A-Z_]+`)*) \\|").FindAllSubmatch(doc, -1) {
		for _, n := range name.FindAllSubmatch(m[1], -1) {
			documented[string(n[1])] = true
		}
	}
	known := map[string]bool{}
	for _, c := range errcode.All {
		known[string(c)] = true
		if !documented[string(c)] {
			t.Errorf("%s has no row in docs/api.md's table of codes", c)
		}
	}
	for c := range documented {
		if !known[c] {
			t.Errorf("docs/api.md describes %s, which is not in the catalogue", c)
		}
	}
}

// TestNoCodeSpelledOutside: outside this package and the tests (which
// check the wire), no Go file spells a code as a string literal.
func TestNoCodeSpelledOutside(t *testing.T) {
	var alt []string
	for _, c := range errcode.All {
		alt = append(alt, string(c))
	}
	literal := regexp.MustCompile(`"(` + strings.Join(alt, "|") + `)"`)
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "errcode" || strings.HasPrefix(d.Name(), ".")) && path != ".." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range literal.FindAll(src, -1) {
			t.Errorf("%s spells the code %s: use errcode's constant", path, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
