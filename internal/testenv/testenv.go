// Package testenv gives tests real backing services: a fresh PostgreSQL
// database and a private Redis key prefix per test, removed afterwards.
// When a service is missing the test fails; it never skips, because a
// skipped test would hide work that was never checked.
package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"go/build"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// PostgresBaseURL is the server tests use: TEST_DATABASE_URL, or the local
// default the test script starts.
func PostgresBaseURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// RedisBaseURL is the Redis tests use: TEST_REDIS_URL or the local default.
func RedisBaseURL() string {
	if u := os.Getenv("TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// RandomName is a short random identifier safe in SQL and Redis keys.
func RandomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// MustPostgres creates a database named shop_test_<random> and returns its
// URL; the database is dropped when the test ends.
func MustPostgres(tb testing.TB) string {
	tb.Helper()
	SkipShort(tb, "PostgreSQL")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	base := PostgresBaseURL()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("PostgreSQL is needed at %s (set TEST_DATABASE_URL; `make test` starts it): %v", base, err)
	}
	defer conn.Close(ctx)
	name := RandomName("shop_test_")
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("parse %s: %v", base, err)
	}
	u.Path = "/" + name
	return u.String()
}

// MustRedis checks that Redis answers and returns its URL and a key prefix
// private to this test; the prefix's keys are deleted when the test ends.
func MustRedis(tb testing.TB) (redisURL, prefix string) {
	tb.Helper()
	SkipShort(tb, "Redis")
	base := RedisBaseURL()
	opt, err := redis.ParseURL(base)
	if err != nil {
		tb.Fatalf("parse %s: %v", base, err)
	}
	client := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		tb.Fatalf("Redis is needed at %s (set TEST_REDIS_URL; `make test` starts it): %v", base, err)
	}
	prefix = RandomName("shop_test_") + ":"
	tb.Cleanup(func() {
		defer client.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		iter := client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			client.Del(ctx, iter.Val())
		}
	})
	return base, prefix
}

// StripeMockURL is the stripe-mock tests use: TEST_STRIPE_MOCK_URL (the
// test script starts one on a free port), or its usual port.
func StripeMockURL() string {
	if u := os.Getenv("TEST_STRIPE_MOCK_URL"); u != "" {
		return u
	}
	return "http://127.0.0.1:12111"
}

// MustStripeMock checks that stripe-mock answers and returns its URL.
// stripe-mock checks each request against Stripe's OpenAPI description and
// answers with fixtures; it keeps no state.
func MustStripeMock(tb testing.TB) string {
	tb.Helper()
	SkipShort(tb, "stripe-mock")
	u := StripeMockURL()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u+"/v1/balance", nil)
	if err != nil {
		tb.Fatalf("stripe-mock URL %q: %v", u, err)
	}
	req.SetBasicAuth("sk_test_123", "")
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		_ = resp.Body.Close()
	}
	if err != nil || resp.StatusCode != http.StatusOK {
		tb.Fatalf("stripe-mock is needed at %s (set TEST_STRIPE_MOCK_URL; `make test` installs and starts it): %v", u, err)
	}
	return u
}

// MustMailpit checks that mailpit answers and returns its SMTP address
// (host:port) and its HTTP API's URL: TEST_MAILPIT_SMTP and
// TEST_MAILPIT_API (scripts/services.sh's ensure_mailpit starts one), or
// its usual ports. It fails, never skips, when mailpit is missing.
func MustMailpit(tb testing.TB) (smtpAddr, apiURL string) {
	tb.Helper()
	SkipShort(tb, "mailpit")
	smtpAddr, apiURL = os.Getenv("TEST_MAILPIT_SMTP"), os.Getenv("TEST_MAILPIT_API")
	if smtpAddr == "" || apiURL == "" {
		smtpAddr, apiURL = "127.0.0.1:1025", "http://127.0.0.1:8025"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, apiURL+"/api/v1/info", nil)
	if err != nil {
		tb.Fatalf("mailpit URL %q: %v", apiURL, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		_ = resp.Body.Close()
	}
	if err != nil || resp.StatusCode != http.StatusOK {
		tb.Fatalf("mailpit is needed at %s (set TEST_MAILPIT_SMTP and TEST_MAILPIT_API; `make test` installs and starts it: scripts/services.sh ensure_mailpit): %v", apiURL, err)
	}
	return smtpAddr, apiURL
}

// ClosedAddr returns a loopback address nothing listens on, for testing
// what happens when a service is down.
func ClosedAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// WaitFor polls cond until it holds, failing after 10 s. It is for
// conditions the code under test exposes only as state (counters), not for
// standing in for a signal the code could give.
func WaitFor(tb testing.TB, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatal("condition not reached in 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

// OwnRedis starts a redis-server of this test's own on a free port, with
// args added to its command line (--maxmemory 2mb, say: settings a shared
// Redis must not be given), and returns its URL; it is stopped when the
// test ends. redis-server must be on PATH (scripts/services.sh installs it).
func OwnRedis(tb testing.TB, args ...string) string {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Fatalf("redis-server is needed on PATH (scripts/services.sh ensure_redis installs it): %v", err)
	}
	addr := ClosedAddr(tb)
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, append([]string{"--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no", "--dir", tb.TempDir()}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start redis-server: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	url := "redis://" + addr + "/0"
	client := redis.NewClient(&redis.Options{Addr: addr})
	defer client.Close()
	WaitFor(tb, func() bool {
		select {
		case <-exited:
			tb.Fatalf("redis-server %v exited:\n%s", args, out.String())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return client.Ping(ctx).Err() == nil
	})
	return url
}

// OwnMailpit starts a mailpit of this test's own on free loopback ports,
// with args added to its command line (TLS, a password file: what the
// shared mailpit must not be given), and returns its SMTP address and its
// HTTP API's URL; it is stopped, and its database removed, when the test
// ends. mailpit is looked for on PATH, then in GOPATH/bin
// (scripts/services.sh ensure_mailpit installs it there).
func OwnMailpit(tb testing.TB, args ...string) (smtpAddr, apiURL string) {
	tb.Helper()
	SkipShort(tb, "mailpit")
	bin, err := exec.LookPath("mailpit")
	if err != nil {
		bin = filepath.Join(build.Default.GOPATH, "bin", "mailpit")
		if _, err := os.Stat(bin); err != nil {
			tb.Fatalf("mailpit is needed on PATH or in GOPATH/bin (scripts/services.sh ensure_mailpit installs it): %v", err)
		}
	}
	smtpAddr, httpAddr := ClosedAddr(tb), ClosedAddr(tb)
	apiURL = "http://" + httpAddr
	cmd := exec.Command(bin, append([]string{"--smtp", smtpAddr, "--listen", httpAddr,
		"--database", filepath.Join(tb.TempDir(), "mailpit.db"), "--disable-version-check", "--quiet"}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start mailpit: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	WaitFor(tb, func() bool {
		select {
		case <-exited:
			tb.Fatalf("mailpit %v exited:\n%s", args, out.String())
		default:
		}
		resp, err := http.Get(apiURL + "/api/v1/info")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		c, err := net.DialTimeout("tcp", smtpAddr, time.Second)
		if err != nil {
			return false
		}
		_ = c.Close()
		return resp.StatusCode == http.StatusOK
	})
	return smtpAddr, apiURL
}

// SkipShort skips a test that needs a service (PostgreSQL, Redis,
// stripe-mock, Chromium, a built binary) under go test -short, the quick
// run of the unit tests alone; make test runs without -short, so every
// such test runs there, and a missing service fails it.
func SkipShort(tb testing.TB, needs string) {
	tb.Helper()
	if testing.Short() {
		tb.Skipf("needs %s: runs without -short (make test)", needs)
	}
}

// NeedAssets is for a test of the pages built from npm (GraphiQL's
// assets, the admin dashboard): without them (built tells, from package
// web) it is skipped under -short, which needs no npm, and fails
// otherwise, since make test builds them first.
func NeedAssets(tb testing.TB, built bool) {
	tb.Helper()
	if built {
		return
	}
	if testing.Short() {
		tb.Skip("needs the web assets (make assets): runs without -short (make test)")
	}
	tb.Fatal("the web assets are not built into this test binary: run make assets")
}
