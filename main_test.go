package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDotenvFallback: main reads .env beneath the real environment, which
// wins, and a missing .env changes nothing.
func TestDotenvFallback(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(path, []byte("SHOP_TEST_FROM_FILE=file\nSHOP_TEST_BOTH=file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SHOP_TEST_BOTH", "env")
	getenv := envWithDotenv(path)
	if getenv("SHOP_TEST_FROM_FILE") != "file" || getenv("SHOP_TEST_BOTH") != "env" || getenv("SHOP_TEST_NEITHER") != "" {
		t.Fatalf("got %q %q %q", getenv("SHOP_TEST_FROM_FILE"), getenv("SHOP_TEST_BOTH"), getenv("SHOP_TEST_NEITHER"))
	}
	if envWithDotenv(filepath.Join(t.TempDir(), "missing"))("SHOP_TEST_BOTH") != "env" {
		t.Fatal("a missing .env broke the environment")
	}
}
