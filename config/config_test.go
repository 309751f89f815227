package config

import (
	"strings"
	"testing"
	"time"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(env())
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 8080 || c.DatabaseURL != "" || c.SQLitePath != "./data/shop.db" || c.RedisURL != "" ||
		c.MaxBodyBytes != 1<<20 || c.MaxPageSize != 1000 || c.CacheTTL != 5*time.Minute {
		t.Fatalf("defaults = %+v", c)
	}
	if c.Addr() != ":8080" {
		t.Fatalf("Addr = %q", c.Addr())
	}
}

func TestDatabaseURLForms(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"postgres://u:p@db:5432/shop", "postgres://u:p@db:5432/shop"},
		{"postgresql://u:p@db/shop?sslmode=require", "postgres://u:p@db/shop?sslmode=require"},
		{"postgresql+psycopg2://u:p@db:5432/shop", "postgres://u:p@db:5432/shop"},
	}
	for _, tt := range tests {
		c, err := Load(env("DATABASE_URL", tt.in))
		if err != nil || c.DatabaseURL != tt.want {
			t.Errorf("DATABASE_URL %q -> %q, %v; want %q", tt.in, c.DatabaseURL, err, tt.want)
		}
	}
	for _, bad := range []string{"mysql://u@db/shop", "postgres:///nohost", "::::"} {
		if _, err := Load(env("DATABASE_URL", bad)); err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
			t.Errorf("DATABASE_URL %q: err = %v, want one naming DATABASE_URL", bad, err)
		}
	}
}

func TestRedisSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  func(string) string
		want string
	}{
		{"url", env("REDIS_URL", "redis://:pw@cache:6379/1"), "redis://:pw@cache:6379/1"},
		{"tls url", env("REDIS_URL", "rediss://red-x.render.com:6379"), "rediss://red-x.render.com:6379"},
		{"host only", env("REDIS_HOST", "cache"), "redis://cache:6379"},
		{"host, port, password", env("REDIS_HOST", "cache", "REDIS_PORT", "6380", "REDIS_PASSWORD", "s3cret"), "redis://:s3cret@cache:6380"},
		{"url wins over host", env("REDIS_URL", "redis://a:1", "REDIS_HOST", "b"), "redis://a:1"},
		{"nothing: in-process", env(), ""},
	}
	for _, tt := range tests {
		c, err := Load(tt.env)
		if err != nil || c.RedisURL != tt.want {
			t.Errorf("%s: RedisURL = %q, %v; want %q", tt.name, c.RedisURL, err, tt.want)
		}
	}
	if _, err := Load(env("REDIS_URL", "http://x")); err == nil {
		t.Error("http:// accepted as a Redis URL")
	}
	if _, err := Load(env("REDIS_HOST", "x", "REDIS_PORT", "99999")); err == nil {
		t.Error("port 99999 accepted")
	}
}

func TestEveryBadVariableReported(t *testing.T) {
	t.Parallel()
	_, err := Load(env("PORT", "eighty", "CACHE_TTL", "-1s", "LOG_LEVEL", "loud"))
	if err == nil {
		t.Fatal("no error")
	}
	for _, name := range []string{"PORT", "CACHE_TTL", "LOG_LEVEL"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %s", err, name)
		}
	}
}

func TestStringMasksSecrets(t *testing.T) {
	t.Parallel()
	c, err := Load(env("DATABASE_URL", "postgres://shop:hunter2@db/shop", "REDIS_URL", "rediss://:topsecret@cache:6379", "METRICS_TOKEN", "m3tr1cs"))
	if err != nil {
		t.Fatal(err)
	}
	s := c.String()
	if strings.Contains(s, "hunter2") || strings.Contains(s, "topsecret") || strings.Contains(s, "m3tr1cs") || !strings.Contains(s, "db/shop") {
		t.Fatalf("String() = %q", s)
	}
}

func TestGraphQLLimits(t *testing.T) {
	t.Parallel()
	c, err := Load(env())
	if err != nil {
		t.Fatal(err)
	}
	if c.GraphQLMaxBytes != 64<<10 || c.GraphQLMaxTokens != 10_000 || c.GraphQLMaxDepth != 25 || c.GraphQLMaxFields != 2000 ||
		c.GraphQLMaxSetFields != 200 || c.GraphQLMaxAliases != 100 || c.GraphQLMaxDirectives != 50 ||
		c.GraphQLMaxFragmentSpreads != 500 || c.GraphQLMaxCost != 2_000_000 || !c.GraphQLIntrospection || c.DocumentCacheBytes != 32<<20 {
		t.Fatalf("defaults = %+v", c)
	}
	c, err = Load(env("GRAPHQL_MAX_BYTES", "2048", "GRAPHQL_MAX_TOKENS", "500", "GRAPHQL_MAX_DEPTH", "8", "GRAPHQL_MAX_FIELDS", "30",
		"GRAPHQL_MAX_SET_FIELDS", "10", "GRAPHQL_MAX_ALIASES", "3", "GRAPHQL_MAX_DIRECTIVES", "4", "GRAPHQL_MAX_FRAGMENT_SPREADS", "5",
		"GRAPHQL_MAX_COST", "1000", "GRAPHQL_INTROSPECTION", "false", "DOCUMENT_CACHE_BYTES", "2097152"))
	if err != nil {
		t.Fatal(err)
	}
	if c.GraphQLMaxBytes != 2048 || c.GraphQLMaxTokens != 500 || c.GraphQLMaxDepth != 8 || c.GraphQLMaxFields != 30 ||
		c.GraphQLMaxSetFields != 10 || c.GraphQLMaxAliases != 3 || c.GraphQLMaxDirectives != 4 ||
		c.GraphQLMaxFragmentSpreads != 5 || c.GraphQLMaxCost != 1000 || c.GraphQLIntrospection || c.DocumentCacheBytes != 2<<20 {
		t.Fatalf("set = %+v", c)
	}
	// Zero would mean "no limit" to the checks, so it is refused.
	bad := []string{"GRAPHQL_MAX_BYTES", "0", "GRAPHQL_MAX_TOKENS", "0", "GRAPHQL_MAX_DEPTH", "1", "GRAPHQL_MAX_FIELDS", "0",
		"GRAPHQL_MAX_SET_FIELDS", "0", "GRAPHQL_MAX_ALIASES", "0", "GRAPHQL_MAX_DIRECTIVES", "-1", "GRAPHQL_MAX_FRAGMENT_SPREADS", "0",
		"GRAPHQL_MAX_COST", "lots", "GRAPHQL_INTROSPECTION", "maybe", "DOCUMENT_CACHE_BYTES", "1000"}
	_, err = Load(env(bad...))
	if err == nil {
		t.Fatal("no error")
	}
	for i := 0; i < len(bad); i += 2 {
		if !strings.Contains(err.Error(), bad[i]+":") {
			t.Errorf("error does not name %s: %v", bad[i], err)
		}
	}
}
