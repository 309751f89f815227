package config

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"shop/models"
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
		{"postgres://u:p@db:5432/shop", "postgres://u:p@db:5432/shop?connect_timeout=5"},
		{"postgresql://u:p@db/shop?sslmode=require", "postgres://u:p@db/shop?connect_timeout=5&sslmode=require"},
		{"postgresql+psycopg2://u:p@db:5432/shop", "postgres://u:p@db:5432/shop?connect_timeout=5"},
		// The URL's own connect_timeout wins over DB_CONNECT_TIMEOUT.
		{"postgres://u:p@db/shop?connect_timeout=30", "postgres://u:p@db/shop?connect_timeout=30"},
	}
	for _, tt := range tests {
		c, err := Load(env("DATABASE_URL", tt.in, "SECRET_KEY", key32, "METRICS_TOKEN", "m"))
		if err != nil || c.DatabaseURL != tt.want {
			t.Errorf("DATABASE_URL %q -> %q, %v; want %q", tt.in, c.DatabaseURL, err, tt.want)
		}
	}
	// DB_CONNECT_TIMEOUT in whole seconds, rounded up: PostgreSQL's unit.
	for in, want := range map[string]string{"2s": "2", "1500ms": "2", "1m": "60"} {
		c, err := Load(env("DATABASE_URL", "postgres://db/shop", "SECRET_KEY", key32, "METRICS_TOKEN", "m", "DB_CONNECT_TIMEOUT", in))
		if err != nil || c.DatabaseURL != "postgres://db/shop?connect_timeout="+want {
			t.Errorf("DB_CONNECT_TIMEOUT=%s: %q, %v; want connect_timeout=%s", in, c.DatabaseURL, err, want)
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
	c, err := Load(env("DATABASE_URL", "postgres://shop:hunter2@db/shop", "REDIS_URL", "rediss://:topsecret@cache:6379", "METRICS_TOKEN", "m3tr1cs",
		"SECRET_KEY", key32, "ADMIN_EMAIL", "owner@example.com", "ADMIN_PASSWORD", "adm1n-pa55word"))
	if err != nil {
		t.Fatal(err)
	}
	s := c.String()
	for _, secret := range []string{"hunter2", "topsecret", "m3tr1cs", key32, "adm1n-pa55word"} {
		if strings.Contains(s, secret) {
			t.Errorf("String() = %q shows %q", s, secret)
		}
	}
	if !strings.Contains(s, "db/shop") || !strings.Contains(s, "secret_key=set") || !strings.Contains(s, "admin_email=owner@example.com") {
		t.Fatalf("String() = %q", s)
	}
}

func TestRateLimitsAndHTTPEdges(t *testing.T) {
	t.Parallel()
	c, err := Load(env())
	if err != nil {
		t.Fatal(err)
	}
	if c.RateLimitRequests != 600 || c.RateLimitUserRequests != 600 || c.RateLimitAuth != 10 || c.RateLimitLoginEmail != 10 || c.RateLimitIPv6Per48 != 16 || c.RateLimitLoginDevice != 10 ||
		c.TrustedProxies != nil || c.TrustedProxyHops != 0 || c.CORSAllowedOrigins != nil || !c.GraphiQL {
		t.Fatalf("defaults = %+v", c)
	}

	c, err = Load(env(
		"RATE_LIMIT_REQUESTS", "0", "RATE_LIMIT_USER_REQUESTS", "1200", "RATE_LIMIT_AUTH", "0", "RATE_LIMIT_LOGIN_EMAIL", "5",
		"TRUSTED_PROXIES", " 10.0.0.0/8, 192.168.1.7 ,2606:4700::/32,::ffff:172.16.0.1,",
		"CORS_ALLOWED_ORIGINS", "https://Shop.example.com, http://localhost:5173/,https://*.example.org",
		"GRAPHIQL", "false", "TRUSTED_PROXY_HOPS", "2", "RATE_LIMIT_IPV6_48_FACTOR", "0", "RATE_LIMIT_LOGIN_DEVICE", "3",
	))
	if err != nil {
		t.Fatal(err)
	}
	if c.TrustedProxyHops != 2 || c.PublicTrustedProxies() != nil || c.RateLimitIPv6Per48 != 0 || c.RateLimitLoginDevice != 3 {
		t.Fatalf("TRUSTED_PROXY_HOPS: %d, public %v", c.TrustedProxyHops, c.PublicTrustedProxies())
	}
	if c.RateLimitRequests != 0 || c.RateLimitUserRequests != 1200 || c.RateLimitAuth != 0 || c.RateLimitLoginEmail != 5 || c.GraphiQL {
		t.Fatalf("limits = %+v", c)
	}
	var proxies []string
	for _, p := range c.TrustedProxies {
		proxies = append(proxies, p.String())
	}
	if got := strings.Join(proxies, " "); got != "10.0.0.0/8 192.168.1.7/32 2606:4700::/32 172.16.0.1/32" {
		t.Fatalf("TrustedProxies = %s", got)
	}
	if got := strings.Join(c.CORSAllowedOrigins, " "); got != "https://shop.example.com http://localhost:5173 https://*.example.org" {
		t.Fatalf("CORSAllowedOrigins = %s", got)
	}

	_, err = Load(env(
		"RATE_LIMIT_REQUESTS", "-1", "RATE_LIMIT_LOGIN_EMAIL", "many",
		"TRUSTED_PROXIES", "10.0.0.0/33,proxy.render.com",
		"CORS_ALLOWED_ORIGINS", "https://ok.example.com,ftp://files.example.com,https://example.com/app,https://*.*.example.com",
		"GRAPHIQL", "maybe", "TRUSTED_PROXY_HOPS", "11", "RATE_LIMIT_IPV6_48_FACTOR", "65537", "RATE_LIMIT_LOGIN_DEVICE", "-2",
	))
	if err == nil {
		t.Fatal("bad values accepted")
	}
	for _, want := range []string{"RATE_LIMIT_REQUESTS", "RATE_LIMIT_LOGIN_EMAIL", `"10.0.0.0/33"`, `"proxy.render.com"`,
		`"ftp://files.example.com"`, `"https://example.com/app"`, `"https://*.*.example.com"`, "GRAPHIQL", `TRUSTED_PROXY_HOPS: "11" is not a whole number from 0 to 10`,
		`RATE_LIMIT_IPV6_48_FACTOR: "65537" is not a whole number from 0 to 65536`, `RATE_LIMIT_LOGIN_DEVICE: "-2"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if strings.Contains(err.Error(), "ok.example.com") {
		t.Errorf("error %q blames a good origin", err)
	}
}

func TestInFlightSettings(t *testing.T) {
	t.Parallel()
	c, err := Load(env())
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxInFlightPerIP != 8 || c.MaxInFlightIPv6Per48 != 2 || c.MaxInFlight != 32 || c.ResponseStallTimeout != 5*time.Second || c.MaxInFlightWait != 2*time.Second {
		t.Fatalf("defaults: per IP %d, /48 factor %d, total %d, stall %s", c.MaxInFlightPerIP, c.MaxInFlightIPv6Per48, c.MaxInFlight, c.ResponseStallTimeout)
	}
	c, err = Load(env("MAX_IN_FLIGHT_PER_IP", "0", "MAX_IN_FLIGHT_IPV6_48_FACTOR", "3", "MAX_IN_FLIGHT", "500", "RESPONSE_STALL_TIMEOUT", "0", "MAX_IN_FLIGHT_WAIT", "0"))
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxInFlightPerIP != 0 || c.MaxInFlightIPv6Per48 != 3 || c.MaxInFlight != 500 || c.ResponseStallTimeout != 0 || c.MaxInFlightWait != 0 {
		t.Fatalf("set: per IP %d, /48 factor %d, total %d, stall %s", c.MaxInFlightPerIP, c.MaxInFlightIPv6Per48, c.MaxInFlight, c.ResponseStallTimeout)
	}
	_, err = Load(env("MAX_IN_FLIGHT_PER_IP", "-1", "MAX_IN_FLIGHT_IPV6_48_FACTOR", "x", "MAX_IN_FLIGHT", "-3", "RESPONSE_STALL_TIMEOUT", "-1s", "MAX_IN_FLIGHT_WAIT", "-2s"))
	for _, want := range []string{"MAX_IN_FLIGHT_PER_IP", "MAX_IN_FLIGHT_IPV6_48_FACTOR", "MAX_IN_FLIGHT:", "RESPONSE_STALL_TIMEOUT", "MAX_IN_FLIGHT_WAIT"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}

// A count of proxies needs the nearest one's addresses; without a count,
// public blocks in TRUSTED_PROXIES (a CDN's) are reported for a warning.
func TestTrustedProxyHops(t *testing.T) {
	t.Parallel()
	_, err := Load(env("TRUSTED_PROXY_HOPS", "2"))
	if err == nil || !strings.Contains(err.Error(), "TRUSTED_PROXY_HOPS: 2 proxies in front, but TRUSTED_PROXIES names none") {
		t.Fatalf("hops without proxies: %v", err)
	}
	c, err := Load(env("TRUSTED_PROXIES", "10.0.0.0/8,127.0.0.1,fd00::/8,104.16.0.0/13,2a06:98c0::/29"))
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(c.PublicTrustedProxies()); got != "[104.16.0.0/13 2a06:98c0::/29]" {
		t.Fatalf("PublicTrustedProxies = %s", got)
	}
}

const key32 = "0123456789abcdef0123456789abcdef"

func TestAccountSettings(t *testing.T) {
	t.Parallel()
	c, err := Load(env())
	if err != nil {
		t.Fatal(err)
	}
	if c.SecretKey != "" || c.AccessTokenTTL != 15*time.Minute || c.RefreshTokenTTL != 30*24*time.Hour || c.BcryptCost != 12 ||
		c.AdminEmail != "" || c.AdminPassword != "" || !strings.Contains(c.String(), "secret_key=generated") {
		t.Fatalf("defaults = %+v", c)
	}
	c, err = Load(env("SECRET_KEY", " "+key32+" ", "ACCESS_TOKEN_TTL", "5m", "REFRESH_TOKEN_TTL", "168h", "BCRYPT_COST", "10",
		"ADMIN_EMAIL", "owner@example.com", "ADMIN_PASSWORD", " with spaces "))
	if err != nil {
		t.Fatal(err)
	}
	if c.SecretKey != key32 || c.AccessTokenTTL != 5*time.Minute || c.RefreshTokenTTL != 7*24*time.Hour || c.BcryptCost != 10 ||
		c.AdminEmail != "owner@example.com" || c.AdminPassword != " with spaces " {
		t.Fatalf("settings = %+v", c)
	}
	for _, tt := range []struct {
		name, want string
		env        func(string) string
	}{
		{"no SECRET_KEY with DATABASE_URL", "SECRET_KEY: required", env("DATABASE_URL", "postgres://db/shop")},
		{"short SECRET_KEY", "SECRET_KEY: has 31 bytes", env("SECRET_KEY", key32[:31])},
		{"no METRICS_TOKEN with DATABASE_URL", "METRICS_TOKEN: required with DATABASE_URL", env("DATABASE_URL", "postgres://db/shop", "SECRET_KEY", key32)},
		{"a blank METRICS_TOKEN with DATABASE_URL", "METRICS_TOKEN: required with DATABASE_URL", env("DATABASE_URL", "postgres://db/shop", "SECRET_KEY", key32, "METRICS_TOKEN", "  ")},
		{"short SECRET_KEY with DATABASE_URL", "SECRET_KEY: has 5 bytes", env("DATABASE_URL", "postgres://db/shop", "SECRET_KEY", "short")},
		{"short local webhook secret", "PAYMENTS_LOCAL_WEBHOOK_SECRET: has 6 bytes", env("PAYMENTS_LOCAL_WEBHOOK_SECRET", "whsec_")},
		{"ADMIN_EMAIL alone", "set both or neither", env("ADMIN_EMAIL", "owner@example.com")},
		{"ADMIN_PASSWORD alone", "set both or neither", env("ADMIN_PASSWORD", "secret password")},
		{"bcrypt cost too low", "BCRYPT_COST", env("BCRYPT_COST", "3")},
		{"bcrypt cost too high", "BCRYPT_COST", env("BCRYPT_COST", "17")},
		{"zero access TTL", "ACCESS_TOKEN_TTL", env("ACCESS_TOKEN_TTL", "0s")},
		{"days are not a Go duration", "REFRESH_TOKEN_TTL", env("REFRESH_TOKEN_TTL", "30d")},
	} {
		_, err := Load(tt.env)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want one containing %q", tt.name, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret password") {
			t.Errorf("%s: the error shows the password", tt.name)
		}
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
		c.GraphQLMaxFragmentSpreads != 500 || c.GraphQLMaxCost != 350_000 || c.GraphQLMaxCostAdmin != 2_000_000 || !c.GraphQLIntrospection || c.DocumentCacheBytes != 32<<20 {
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

func TestPaymentSettings(t *testing.T) {
	t.Parallel()
	c, err := Load(env())
	if err != nil {
		t.Fatal(err)
	}
	if c.PaymentProvider() != "local" || c.ShopCurrency != "usd" || c.PaymentTimeout != 8*time.Second || c.StripeAPIURL != "" {
		t.Fatalf("payment defaults: %s %s %s %q", c.PaymentProvider(), c.ShopCurrency, c.PaymentTimeout, c.StripeAPIURL)
	}
	c, err = Load(env("STRIPE_SECRET_KEY", "sk_test_51Habc", "STRIPE_WEBHOOK_SECRET", "whsec_abc123", "SHOP_CURRENCY", "EUR",
		"STRIPE_API_URL", "http://127.0.0.1:12111", "PAYMENT_TIMEOUT", "3s", "PAYMENTS_LOCAL_WEBHOOK_SECRET", "whsec_local_dev_0123456789abcdef0123"))
	if err != nil {
		t.Fatal(err)
	}
	if c.PaymentProvider() != "stripe" || c.ShopCurrency != "eur" || c.PaymentTimeout != 3*time.Second || c.LocalWebhookSecret != "whsec_local_dev_0123456789abcdef0123" {
		t.Fatalf("payment settings: %+v", c)
	}
	s := c.String()
	if strings.Contains(s, "sk_test_51Habc") || strings.Contains(s, "whsec_") || !strings.Contains(s, "payments=stripe@http://127.0.0.1:12111") || !strings.Contains(s, "currency=eur") {
		t.Fatalf("String() = %q", s)
	}
	for _, tt := range []struct {
		env  func(string) string
		want string
	}{
		{env("STRIPE_SECRET_KEY", "sk_test_1"), "set both"},
		{env("STRIPE_WEBHOOK_SECRET", "whsec_1"), "set both"},
		{env("STRIPE_SECRET_KEY", "pk_test_1", "STRIPE_WEBHOOK_SECRET", "whsec_1"), "STRIPE_SECRET_KEY: a secret key starts with sk_"},
		{env("STRIPE_SECRET_KEY", "sk_test_1", "STRIPE_WEBHOOK_SECRET", "sk_test_1"), "STRIPE_WEBHOOK_SECRET"},
		{env("STRIPE_API_URL", "localhost:12111"), "STRIPE_API_URL"},
		{env("SHOP_CURRENCY", "dollars"), "SHOP_CURRENCY"},
		{env("SHOP_CURRENCY", "jpy"), "SHOP_CURRENCY: jpy does not divide into hundredths"},
		{env("PAYMENT_TIMEOUT", "0"), "PAYMENT_TIMEOUT"},
	} {
		if _, err := Load(tt.env); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("err = %v, want one saying %q", err, tt.want)
		}
	}
}

func TestOrderLimits(t *testing.T) {
	t.Parallel()
	c, err := Load(env())
	if err != nil {
		t.Fatal(err)
	}
	if got := c.OrderLimits(); got != (models.OrderLimits{MaxLineQuantity: 100, MaxOrderUnits: 1000, MaxPendingOrders: 10, MaxPendingUnits: 1000}) {
		t.Fatalf("defaults = %+v", got)
	}
	c, err = Load(env("MAX_LINE_QUANTITY", "0", "MAX_ORDER_UNITS", "5000", "MAX_PENDING_ORDERS", "0", "MAX_PENDING_UNITS", "20"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.OrderLimits(); got != (models.OrderLimits{MaxOrderUnits: 5000, MaxPendingUnits: 20}) {
		t.Fatalf("set = %+v", got)
	}
	_, err = Load(env("MAX_LINE_QUANTITY", "10001", "MAX_ORDER_UNITS", "-1", "MAX_PENDING_ORDERS", "ten", "MAX_PENDING_UNITS", "1.5"))
	for _, want := range []string{`MAX_LINE_QUANTITY: "10001" is not a whole number from 0 to 10000`, "MAX_ORDER_UNITS", "MAX_PENDING_ORDERS", "MAX_PENDING_UNITS"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}

func TestWebhookSettings(t *testing.T) {
	t.Parallel()
	c, err := Load(env())
	if err != nil {
		t.Fatal(err)
	}
	if c.WebhooksAllowPrivate || c.WebhooksTimeout != 10*time.Second || c.WebhooksLease != time.Minute || c.WebhooksRetryWindow != 24*time.Hour ||
		c.WebhooksDisableAfter != 72*time.Hour || c.WebhooksConcurrency != 8 {
		t.Fatalf("webhook defaults: %+v", c)
	}
	c, err = Load(env("WEBHOOKS_ALLOW_PRIVATE", "true", "WEBHOOKS_RETRY_BASE", "50ms", "WEBHOOKS_TIMEOUT", "2s", "WEBHOOKS_LEASE", "3s"))
	if err != nil || !c.WebhooksAllowPrivate || c.WebhooksRetryBase != 50*time.Millisecond {
		t.Fatalf("webhook settings: %+v %v", c, err)
	}
	for _, tt := range []struct {
		env  func(string) string
		want string
	}{
		{env("WEBHOOKS_LEASE", "10s"), "WEBHOOKS_LEASE: 10s must be longer than WEBHOOKS_TIMEOUT"},
		{env("WEBHOOKS_CONCURRENCY", "0"), "WEBHOOKS_CONCURRENCY"},
		{env("WEBHOOKS_ALLOW_PRIVATE", "maybe"), "WEBHOOKS_ALLOW_PRIVATE"},
	} {
		if _, err := Load(tt.env); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("err = %v, want one saying %q", err, tt.want)
		}
	}
}
