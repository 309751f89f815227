package server_test

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// MustSeed reads one input of FuzzRequest's corpus (Go's fuzz corpus
// format: a header line, then one Go literal per argument).
func MustSeed(tb testing.TB, name string) (mode uint8, query, variables, opName string) {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzRequest", name))
	if err != nil {
		tb.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, 4<<20)
	var args []string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "byte(") || strings.HasPrefix(line, "uint8("):
			lit := line[strings.IndexByte(line, '(')+1 : len(line)-1]
			v, _, _, err := strconv.UnquoteChar(strings.Trim(lit, "'"), '\'')
			if err != nil {
				tb.Fatalf("%s: %v", name, err)
			}
			mode = uint8(v)
		case strings.HasPrefix(line, "string("):
			s, err := strconv.Unquote(line[len("string(") : len(line)-1])
			if err != nil {
				tb.Fatalf("%s: %v", name, err)
			}
			args = append(args, s)
		}
	}
	if len(args) != 3 {
		tb.Fatalf("%s: %d strings", name, len(args))
	}
	return mode, args[0], args[1], args[2]
}

// TestHostileDocuments sends each hostile document of the fuzz corpus
// through the whole request path and checks its answer: the expected status
// and code, soon, with messages that quote no more than a short excerpt.
func TestHostileDocuments(t *testing.T) {
	t.Parallel()
	h := MustHandler(t)
	tests := []struct {
		seed   string
		status int
		code   string
	}{
		{"fragment-cycle", 400, "GRAPHQL_VALIDATION_FAILED"},
		{"fragment-cycle-inline", 400, "GRAPHQL_VALIDATION_FAILED"},
		{"brackets-30000", 400, "QUERY_TOO_DEEP"},
		{"braces-20000", 400, "QUERY_TOO_DEEP"},
		{"object-values-deep", 400, "QUERY_TOO_DEEP"},
		{"fragments-side-by-side-1000", 400, "GRAPHQL_VALIDATION_FAILED"},
		{"typename-5000", 400, "TOO_MANY_FIELDS"},
		{"fragments-doubling-40", 400, "GRAPHQL_VALIDATION_FAILED"},
		{"fragment-chain-1200", 400, "GRAPHQL_VALIDATION_FAILED"},
		{"same-name-with-arguments-201", 400, "SELECTION_SET_TOO_LARGE"},
		{"same-name-merged-sets", 400, "SELECTION_SET_TOO_LARGE"},
		{"fields-deep-40", 400, "QUERY_TOO_DEEP"},
		{"syntax-error-end-of-long-line", 400, "GRAPHQL_PARSE_FAILED"},
		{"syntax-error-after-long-string", 400, "GRAPHQL_PARSE_FAILED"},
		{"long-value-in-validation-error", 400, "GRAPHQL_VALIDATION_FAILED"},
		{"long-unknown-field", 400, "GRAPHQL_VALIDATION_FAILED"},
		{"long-unknown-type", 400, "GRAPHQL_VALIDATION_FAILED"},
		// Introspection costs what it returns (docguard walks the schema):
		// nested six levels deep it is under 2,000 fields of shop's schema.
		// 83 aliases of every type's fields, arguments and types, two
		// levels deep, would be about 600,000: refused as soon as the walk
		// passes the maximum.
		{"introspection-nested", 200, ""},
		{"introspection-wide-aliased", 400, "QUERY_TOO_COMPLEX"},
		{"cost-three-largest-pages", 400, "QUERY_TOO_COMPLEX"},
		{"deep-json-variables", 400, "BAD_REQUEST"},
		{"operations-2000", 200, ""},
		{"variables-2000-unused", 400, "GRAPHQL_VALIDATION_FAILED"},
		{"nul-in-customer-filter-literal", 200, "BAD_USER_INPUT"},
		{"nul-in-customer-filter-variable", 200, "BAD_USER_INPUT"},
		{"invalid-utf8-in-document", 400, "BAD_REQUEST"},
		{"long-operation-name", 400, "BAD_USER_INPUT"},
		{"null-literals", 200, ""},
		{"block-string-escapes", 200, "BAD_USER_INPUT"},
		{"huge-numbers", 400, "GRAPHQL_VALIDATION_FAILED"},
		{"directives-51", 400, "TOO_MANY_DIRECTIVES"},
		{"aliases-101", 400, "TOO_MANY_ALIASES"},
		{"tokens-10001", 400, "TOO_MANY_TOKENS"},
		{"type-definitions", 400, "GRAPHQL_VALIDATION_FAILED"},
		{"variable-types-nested", 400, "QUERY_TOO_DEEP"}, // list types nest like list values
		// Issue 17's hostile 1: 11 KB of nested object literals took 1.6 s
		// of graphql-go's validation; it prints every literal it refuses,
		// and the arguments of every pair of fields of the same name.
		{"object-literals-65-deep-33", 400, "QUERY_TOO_DEEP"},
		{"object-literal-wide-in-int", 400, "GRAPHQL_VALIDATION_FAILED"},
		{"list-literal-long", 400, "TOO_MANY_TOKENS"},
		{"same-name-object-arguments", 400, "SELECTION_SET_TOO_LARGE"},
		{"no-content-type", 415, "BAD_REQUEST"},
		{"text-plain", 415, "BAD_REQUEST"},
		{"raw-body-not-json", 400, "BAD_REQUEST"},
	}
	entries, err := os.ReadDir(filepath.Join("testdata", "fuzz", "FuzzRequest"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, tt := range tests {
		listed["hostile-"+tt.seed] = true
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "hostile-") && !listed[e.Name()] {
			t.Errorf("corpus file %s has no expectation here", e.Name())
		}
	}
	for _, tt := range tests {
		t.Run(tt.seed, func(t *testing.T) {
			// The handler runs on this goroutine: its CPU is this
			// thread's, which other tests and processes on a shared
			// machine can delay but not add to (wall time did: 4.5 s
			// beside a busy CI run).
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			start := threadCPU(t)
			r := MustServe(t, h, h.request(MustSeed(t, "hostile-"+tt.seed)))
			took := threadCPU(t) - start
			if r.Status != tt.status || r.Code() != tt.code {
				t.Fatalf("status %d code %q, want %d %q: %+v", r.Status, r.Code(), tt.status, tt.code, r.Errors)
			}
			// Generous: the race detector and a shared machine slow things
			// down; before the checks these took seconds to minutes, or
			// ended the process.
			if took > 3*time.Second {
				t.Errorf("took %v of CPU", took)
			}
			if len(r.Errors) > 20 {
				t.Errorf("%d errors", len(r.Errors))
			}
			for _, e := range r.Errors {
				if len(e.Message) > 400 {
					t.Errorf("a message of %d bytes: %.100q…", len(e.Message), e.Message)
				}
			}
		})
	}
}

// threadCPU is the CPU time the calling thread has used (getrusage).
func threadCPU(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
