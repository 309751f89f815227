// Package config reads the service's settings from the environment. No
// other package reads the environment.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"shop/docguard"
	"shop/models"
)

// Config is every setting of the service. docs/configuration.md documents each one.
type Config struct {
	Host string
	Port int

	// DatabaseURL is a postgres:// URL; empty means the embedded SQLite file.
	DatabaseURL       string
	SQLitePath        string
	DBMaxOpenConns    int
	DBMaxIdleConns    int
	DBConnMaxLifetime time.Duration
	// DBConnectTimeout bounds each attempt to open a database connection,
	// so that a database that is unreachable (not refusing, just silent)
	// fails requests and the start with a clear error instead of holding
	// them for the operating system's TCP timeout (minutes).
	DBConnectTimeout time.Duration

	// RedisURL is a redis:// or rediss:// URL; empty means the in-process cache.
	RedisURL       string
	RedisKeyPrefix string
	RedisTimeout   time.Duration
	CacheTTL       time.Duration
	CacheMaxItems  int
	CacheMaxBytes  int64
	// CacheLocalTTL bounds how long the in-process tier in front of Redis
	// keeps an entry; 0 turns the tier off.
	CacheLocalTTL time.Duration
	// CacheMaxEntryBytes is the largest entry either tier stores; larger
	// ones (a response of megabytes) are served but not cached.
	CacheMaxEntryBytes int

	MaxBodyBytes    int64
	RequestTimeout  time.Duration
	ShutdownTimeout time.Duration
	// OrderPendingTTL is how long an unpaid order holds its stock before
	// the service cancels it; 0 keeps pending orders forever.
	OrderPendingTTL time.Duration
	// OrderExpiryInterval is how often the service looks for them.
	OrderExpiryInterval time.Duration
	// EventsRetention is how long the outbox keeps events; 0 for ever.
	EventsRetention time.Duration
	// CartTTL is how long a cart lives without a change; 0 for ever.
	CartTTL time.Duration
	// PricesIncludeTax says the catalog's prices already include tax, so
	// checkout extracts it instead of adding it.
	PricesIncludeTax bool
	// EventsPollInterval is how often each instance looks for events the
	// outbox's consumers have not taken.
	EventsPollInterval time.Duration
	MaxPageSize        int
	// What one customer may order and hold unpaid (models.OrderLimits);
	// 0 turns one off. Admins' orders for customers are exempt.
	MaxLineQuantity  int
	MaxOrderUnits    int
	MaxPendingOrders int
	MaxPendingUnits  int
	LogLevel         string
	// MetricsToken, when set, is required as a bearer token on /metrics.
	// Required with DatabaseURL.
	MetricsToken string

	// Rate limits: allowances per client IP and per signed-in user on
	// /graphql (per minute), for login/register/refreshToken per IP (per
	// minute) and for login per email (per 15 minutes). 0 turns one off.
	RateLimitRequests     int
	RateLimitUserRequests int
	RateLimitAuth         int
	RateLimitLoginEmail   int
	// RateLimitGuestCheckout bounds guests' checkoutComplete per client
	// IP, per minute: what an address may hold without an account.
	RateLimitGuestCheckout int
	// RateLimitLoginDevice bounds, per 15 minutes, the login attempts of
	// one device that signed in to the account before (its device token),
	// which don't count per email.
	RateLimitLoginDevice int
	// RateLimitIPv6Per48 gives each IPv6 /48 that many times a /64's
	// allowance of requests and of sign-ins, on top of each /64's own; 0
	// counts /64s only. The default, 16, fits a site with a handful of
	// busy networks, while the 65,536 /64s of one allocation share 16.
	RateLimitIPv6Per48 int
	// MaxInFlightPerIP bounds the /graphql requests one client address
	// (IPv6 /64) has running or being written in this instance at once;
	// an IPv6 /48 holds MaxInFlightIPv6Per48 times as many, all its /64s
	// together; MaxInFlight bounds them all. Each holds a response of up to
	// MAX_RESPONSE_BYTES until its client has read it. 0 turns one off.
	MaxInFlightPerIP     int
	MaxInFlightIPv6Per48 int
	MaxInFlight          int
	// MaxInFlightWait is how long a request past MaxInFlight waits for
	// one to end before it is refused.
	MaxInFlightWait time.Duration
	// ResponseStallTimeout cuts a client that takes nothing of its
	// response for that long; 0 leaves it to the write timeout.
	ResponseStallTimeout time.Duration
	// TrustedProxies are the peers whose X-Forwarded-For is believed; none
	// means the connection's address is the client's.
	TrustedProxies []netip.Prefix
	// TrustedProxyHops, when set, is how many proxies every request passes
	// (the one that connects included): the client is that many entries
	// from the right of X-Forwarded-For. 0 reads the header past every
	// TrustedProxies entry instead.
	TrustedProxyHops int
	// CORSAllowedOrigins may call the API from a browser; none sends no
	// CORS headers, so cross-origin browser calls fail.
	CORSAllowedOrigins []string
	// GraphiQL serves the in-browser IDE on GET /graphql.
	GraphiQL bool
	// SecretKey signs access tokens. Required with DATABASE_URL; empty on
	// the embedded default, where one is generated beside the SQLite file.
	SecretKey       string
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
	BcryptCost      int
	// AdminEmail and AdminPassword, both or neither, create or update an
	// admin account at start.
	AdminEmail    string
	AdminPassword string

	// Payments. With StripeSecretKey they go through Stripe (and
	// StripeWebhookSecret is required); without, through the local
	// provider, whose webhook events are signed with LocalWebhookSecret
	// (random per start when empty). ShopCurrency is lowercase ISO 4217;
	// PaymentTimeout bounds each call to the provider.
	StripeSecretKey     string
	StripeWebhookSecret string
	StripeAPIURL        string
	ShopCurrency        string
	PaymentTimeout      time.Duration
	LocalWebhookSecret  string

	// GraphQL documents: limits checked before graphql-go parses and
	// validates a document (package docguard), whether introspection is
	// answered, and the memory the parsed-document cache may hold.
	GraphQLMaxBytes           int
	GraphQLMaxTokens          int
	GraphQLMaxDepth           int
	GraphQLMaxValueDepth      int
	GraphQLMaxValueTokens     int
	GraphQLMaxFields          int
	GraphQLMaxSetFields       int
	GraphQLMaxAliases         int
	GraphQLMaxDirectives      int
	GraphQLMaxFragmentSpreads int
	GraphQLMaxCost            int
	// GraphQLMaxCostAdmin is the admins' cost limit: the largest legal
	// page of orders (1,000 orders of 100 lines) is theirs to ask for.
	GraphQLMaxCostAdmin int
	// GraphQLMaxDBFields bounds the fields of one operation that reach the
	// database whatever the cache holds (searches, filtered pages, pages of
	// orders): 100 aliased searches are 100 queries.
	GraphQLMaxDBFields int
	// MaxResponseBytes stops a response that grows past it while it
	// executes; MaxResponseBytesAdmin is the admins' (their exports are
	// larger).
	MaxResponseBytes      int
	MaxResponseBytesAdmin int
	GraphQLIntrospection  bool
	DocumentCacheBytes    int64

	// Subscriptions over WebSocket (issue 21, docs/subscriptions.md):
	// subscriptions per connection, connections per user and per client
	// address on one instance (0: any number), the messages a connection
	// queues before it is closed as a slow reader, how long it may wait
	// before connection_init, how often the server pings (0: never), and
	// the hub's poll of the outbox behind its wake-ups.
	SubscriptionsPerConnection     int
	SubscriptionConnectionsPerUser int
	SubscriptionConnectionsPerIP   int
	SubscriptionSendBuffer         int
	SubscriptionInitTimeout        time.Duration
	SubscriptionKeepAlive          time.Duration
	SubscriptionPollInterval       time.Duration
}

// minSecretKeyBytes is the shortest SECRET_KEY accepted (HS256's 32 bytes).
const minSecretKeyBytes = 32

// Load builds the Config from getenv (os.Getenv in production), applying
// defaults and reporting every bad variable at once.
func Load(getenv func(string) string) (Config, error) {
	p := parser{getenv: getenv}
	c := Config{
		Host:                strings.TrimSpace(getenv("HOST")),
		Port:                p.int("PORT", 8080, 0, 65535),
		SQLitePath:          p.str("SQLITE_PATH", "./data/shop.db"),
		DBMaxOpenConns:      p.int("DB_MAX_OPEN_CONNS", 20, 1, 10000),
		DBMaxIdleConns:      p.int("DB_MAX_IDLE_CONNS", 10, 0, 10000),
		DBConnMaxLifetime:   p.duration("DB_CONN_MAX_LIFETIME", 30*time.Minute),
		DBConnectTimeout:    p.duration("DB_CONNECT_TIMEOUT", 5*time.Second),
		RedisKeyPrefix:      p.str("REDIS_KEY_PREFIX", "shop:"),
		RedisTimeout:        p.duration("REDIS_TIMEOUT", 150*time.Millisecond),
		CacheTTL:            p.duration("CACHE_TTL", 5*time.Minute),
		CacheMaxItems:       p.int("CACHE_MAX_ITEMS", 100_000, 1, 1<<30),
		CacheMaxBytes:       int64(p.int("CACHE_MAX_BYTES", 64<<20, 1<<20, 1<<40)),
		CacheLocalTTL:       p.durationOrZero("CACHE_LOCAL_TTL", 2*time.Second),
		CacheMaxEntryBytes:  p.int("CACHE_MAX_ENTRY_BYTES", 1<<20, 1<<10, 1<<30),
		MaxBodyBytes:        int64(p.int("MAX_BODY_BYTES", 1<<20, 1024, 1<<30)),
		RequestTimeout:      p.duration("REQUEST_TIMEOUT", 10*time.Second),
		ShutdownTimeout:     p.duration("SHUTDOWN_TIMEOUT", 20*time.Second),
		OrderPendingTTL:     p.durationOrZero("ORDER_PENDING_TTL", 30*time.Minute),
		OrderExpiryInterval: p.duration("ORDER_EXPIRY_INTERVAL", time.Minute),
		EventsRetention:     p.durationOrZero("EVENTS_RETENTION", 7*24*time.Hour),
		CartTTL:             p.durationOrZero("CART_TTL", 30*24*time.Hour),
		PricesIncludeTax:    p.bool("PRICES_INCLUDE_TAX", false),
		EventsPollInterval:  p.duration("EVENTS_POLL_INTERVAL", 200*time.Millisecond),
		MaxPageSize:         p.int("MAX_PAGE_SIZE", 1000, 1, 100_000),
		MaxLineQuantity:     p.int("MAX_LINE_QUANTITY", 100, 0, models.MaxLineQuantity),
		MaxOrderUnits:       p.int("MAX_ORDER_UNITS", 1000, 0, models.MaxOrderLines*models.MaxLineQuantity),
		MaxPendingOrders:    p.int("MAX_PENDING_ORDERS", 10, 0, 1<<30),
		MaxPendingUnits:     p.int("MAX_PENDING_UNITS", 1000, 0, 1<<30),
		LogLevel:            strings.ToLower(p.str("LOG_LEVEL", "info")),
		MetricsToken:        strings.TrimSpace(getenv("METRICS_TOKEN")),

		RateLimitRequests:      p.int("RATE_LIMIT_REQUESTS", 600, 0, 1<<30),
		RateLimitUserRequests:  p.int("RATE_LIMIT_USER_REQUESTS", 600, 0, 1<<30),
		RateLimitAuth:          p.int("RATE_LIMIT_AUTH", 10, 0, 1<<30),
		RateLimitGuestCheckout: p.int("RATE_LIMIT_GUEST_CHECKOUT", 10, 0, 1<<30),
		RateLimitLoginEmail:    p.int("RATE_LIMIT_LOGIN_EMAIL", 10, 0, 1<<30),
		RateLimitLoginDevice:   p.int("RATE_LIMIT_LOGIN_DEVICE", 10, 0, 1<<30),
		RateLimitIPv6Per48:     p.int("RATE_LIMIT_IPV6_48_FACTOR", 16, 0, 65536),
		MaxInFlightPerIP:       p.int("MAX_IN_FLIGHT_PER_IP", 8, 0, 1<<20),
		MaxInFlightIPv6Per48:   p.int("MAX_IN_FLIGHT_IPV6_48_FACTOR", 2, 0, 65536),
		MaxInFlight:            p.int("MAX_IN_FLIGHT", 32, 0, 1<<20),
		MaxInFlightWait:        p.durationOrZero("MAX_IN_FLIGHT_WAIT", 2*time.Second),
		ResponseStallTimeout:   p.durationOrZero("RESPONSE_STALL_TIMEOUT", 5*time.Second),
		TrustedProxies:         p.prefixes("TRUSTED_PROXIES"),
		TrustedProxyHops:       p.int("TRUSTED_PROXY_HOPS", 0, 0, 10),
		CORSAllowedOrigins:     p.origins("CORS_ALLOWED_ORIGINS"),
		GraphiQL:               p.bool("GRAPHIQL", true),
		SecretKey:              strings.TrimSpace(getenv("SECRET_KEY")),
		AccessTokenTTL:         p.duration("ACCESS_TOKEN_TTL", 15*time.Minute),
		RefreshTokenTTL:        p.duration("REFRESH_TOKEN_TTL", 30*24*time.Hour),
		BcryptCost:             p.int("BCRYPT_COST", 12, 4, 16),
		AdminEmail:             strings.TrimSpace(getenv("ADMIN_EMAIL")),
		AdminPassword:          getenv("ADMIN_PASSWORD"),

		StripeSecretKey:     strings.TrimSpace(getenv("STRIPE_SECRET_KEY")),
		StripeWebhookSecret: strings.TrimSpace(getenv("STRIPE_WEBHOOK_SECRET")),
		StripeAPIURL:        strings.TrimSpace(getenv("STRIPE_API_URL")),
		PaymentTimeout:      p.duration("PAYMENT_TIMEOUT", 8*time.Second),
		LocalWebhookSecret:  strings.TrimSpace(getenv("PAYMENTS_LOCAL_WEBHOOK_SECRET")),

		GraphQLMaxBytes:           p.int("GRAPHQL_MAX_BYTES", 64<<10, 1<<10, 16<<20),
		GraphQLMaxTokens:          p.int("GRAPHQL_MAX_TOKENS", 10_000, 100, 1_000_000),
		GraphQLMaxDepth:           p.int("GRAPHQL_MAX_DEPTH", 25, 2, 1000),
		GraphQLMaxValueDepth:      p.int("GRAPHQL_MAX_VALUE_DEPTH", 8, 1, 1000),
		GraphQLMaxValueTokens:     p.int("GRAPHQL_MAX_VALUE_TOKENS", 2000, 1, 1_000_000),
		GraphQLMaxFields:          p.int("GRAPHQL_MAX_FIELDS", 2000, 1, 1_000_000),
		GraphQLMaxSetFields:       p.int("GRAPHQL_MAX_SET_FIELDS", 200, 1, 100_000),
		GraphQLMaxAliases:         p.int("GRAPHQL_MAX_ALIASES", 100, 1, 1_000_000),
		GraphQLMaxDirectives:      p.int("GRAPHQL_MAX_DIRECTIVES", 50, 1, 1_000_000),
		GraphQLMaxFragmentSpreads: p.int("GRAPHQL_MAX_FRAGMENT_SPREADS", 500, 1, 1_000_000),
		GraphQLMaxCost:            p.int("GRAPHQL_MAX_COST", 350_000, 1, 1<<50),
		GraphQLMaxCostAdmin:       p.int("GRAPHQL_MAX_COST_ADMIN", 2_000_000, 1, 1<<50),
		GraphQLMaxDBFields:        p.int("GRAPHQL_MAX_DB_FIELDS", 10, 1, 1_000_000),
		MaxResponseBytes:          p.int("MAX_RESPONSE_BYTES", 4<<20, 1<<10, 1<<40),
		MaxResponseBytesAdmin:     p.int("MAX_RESPONSE_BYTES_ADMIN", 64<<20, 1<<10, 1<<40),
		GraphQLIntrospection:      p.bool("GRAPHQL_INTROSPECTION", true),
		DocumentCacheBytes:        int64(p.int("DOCUMENT_CACHE_BYTES", 32<<20, 1<<20, 1<<40)),

		SubscriptionsPerConnection:     p.int("SUBSCRIPTIONS_PER_CONNECTION", 20, 1, 10_000),
		SubscriptionConnectionsPerUser: p.int("SUBSCRIPTION_CONNECTIONS_PER_USER", 10, 0, 1<<20),
		SubscriptionConnectionsPerIP:   p.int("SUBSCRIPTION_CONNECTIONS_PER_IP", 100, 0, 1<<20),
		SubscriptionSendBuffer:         p.int("SUBSCRIPTION_SEND_BUFFER", 32, 1, 100_000),
		SubscriptionInitTimeout:        p.duration("SUBSCRIPTION_INIT_TIMEOUT", 5*time.Second),
		SubscriptionKeepAlive:          p.durationOrZero("SUBSCRIPTION_KEEPALIVE", 15*time.Second),
		SubscriptionPollInterval:       p.duration("SUBSCRIPTION_POLL_INTERVAL", 2*time.Second),
	}
	if raw := strings.TrimSpace(getenv("DATABASE_URL")); raw != "" {
		u, err := NormalizeDatabaseURL(raw)
		if err != nil {
			p.errs = append(p.errs, fmt.Errorf("DATABASE_URL: %w", err))
		}
		c.DatabaseURL = withConnectTimeout(u, c.DBConnectTimeout)
	}
	redisURL, err := redisURL(getenv)
	if err != nil {
		p.errs = append(p.errs, err)
	}
	c.RedisURL = redisURL
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		p.errs = append(p.errs, fmt.Errorf("LOG_LEVEL: %q is not one of debug, info, warn, error", c.LogLevel))
	}
	switch {
	case c.SecretKey == "" && c.DatabaseURL != "":
		p.errs = append(p.errs, fmt.Errorf("SECRET_KEY: required with DATABASE_URL (at least %d bytes, the same on every instance; e.g. `openssl rand -hex 32`)", minSecretKeyBytes))
	case c.SecretKey != "" && len(c.SecretKey) < minSecretKeyBytes:
		p.errs = append(p.errs, fmt.Errorf("SECRET_KEY: has %d bytes; at least %d are needed", len(c.SecretKey), minSecretKeyBytes))
	}
	// /metrics tells anyone who asks the orders taken, sign-in failures
	// and error codes. The embedded SQLite default is a machine of one's
	// own and stays open; a deployment (DATABASE_URL) must close it.
	if c.MetricsToken == "" && c.DatabaseURL != "" {
		p.errs = append(p.errs, errors.New("METRICS_TOKEN: required with DATABASE_URL, because /metrics shows order counts, sign-in failures and error codes; set a random token (e.g. `openssl rand -hex 32`) and scrape with Authorization: Bearer <token>"))
	}
	if c.TrustedProxyHops > 0 && len(c.TrustedProxies) == 0 {
		p.errs = append(p.errs, fmt.Errorf("TRUSTED_PROXY_HOPS: %d proxies in front, but TRUSTED_PROXIES names none: set it to the addresses the nearest proxy connects from (Render's: 10.0.0.0/8)", c.TrustedProxyHops))
	}
	if (c.AdminEmail == "") != (c.AdminPassword == "") {
		p.errs = append(p.errs, errors.New("ADMIN_EMAIL and ADMIN_PASSWORD: set both or neither"))
	}
	if cur, err := models.ParseCurrency(p.str("SHOP_CURRENCY", "usd")); err != nil {
		p.errs = append(p.errs, fmt.Errorf("SHOP_CURRENCY: %w", err))
	} else {
		c.ShopCurrency = cur
	}
	if c.LocalWebhookSecret != "" && len(c.LocalWebhookSecret) < minSecretKeyBytes {
		// Whoever holds it can mark orders paid with no money moving.
		p.errs = append(p.errs, fmt.Errorf("PAYMENTS_LOCAL_WEBHOOK_SECRET: has %d bytes; at least %d are needed", len(c.LocalWebhookSecret), minSecretKeyBytes))
	}
	p.errs = append(p.errs, c.checkStripe()...)
	if c.DBMaxIdleConns > c.DBMaxOpenConns {
		c.DBMaxIdleConns = c.DBMaxOpenConns
	}
	if err := errors.Join(p.errs...); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

// PaymentProvider names the provider payments go through: Stripe when its
// key is set, else the local stand-in.
func (c Config) PaymentProvider() string {
	if c.StripeSecretKey != "" {
		return models.ProviderStripe
	}
	return models.ProviderLocal
}

// checkStripe: the key and the webhook secret go together (without the
// secret no payment could ever be confirmed), each in the form Stripe
// gives it, so a value pasted into the wrong variable is caught at start.
func (c Config) checkStripe() []error {
	var errs []error
	if (c.StripeSecretKey == "") != (c.StripeWebhookSecret == "") {
		errs = append(errs, errors.New("STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET: set both (Stripe) or neither (the local provider)"))
	}
	if k := c.StripeSecretKey; k != "" && !strings.HasPrefix(k, "sk_") && !strings.HasPrefix(k, "rk_") {
		errs = append(errs, errors.New("STRIPE_SECRET_KEY: a secret key starts with sk_ (or rk_ for a restricted key); a publishable pk_ key belongs in the app"))
	}
	if w := c.StripeWebhookSecret; w != "" && !strings.HasPrefix(w, "whsec_") {
		errs = append(errs, errors.New("STRIPE_WEBHOOK_SECRET: the signing secret of a webhook endpoint starts with whsec_"))
	}
	if raw := c.StripeAPIURL; raw != "" {
		if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, errors.New("STRIPE_API_URL: must be an http:// or https:// URL, such as stripe-mock's http://127.0.0.1:12111"))
		}
	}
	return errs
}

// PublicTrustedProxies are the TRUSTED_PROXIES blocks that hold public
// addresses, when no TRUSTED_PROXY_HOPS is set: X-Forwarded-For is then
// believed from anyone who can send from them (a CDN's ranges: anyone, through
// the CDN's own services), so the start-up log warns of them.
func (c Config) PublicTrustedProxies() []netip.Prefix {
	if c.TrustedProxyHops > 0 {
		return nil
	}
	var out []netip.Prefix
	for _, p := range c.TrustedProxies {
		if a := p.Addr(); !a.IsPrivate() && !a.IsLoopback() && !a.IsLinkLocalUnicast() {
			out = append(out, p)
		}
	}
	return out
}

// DocumentLimits are the GraphQL document limits, in docguard's terms.
func (c Config) DocumentLimits() docguard.Limits {
	return docguard.Limits{
		MaxBytes: c.GraphQLMaxBytes, MaxTokens: c.GraphQLMaxTokens, MaxDepth: c.GraphQLMaxDepth, MaxValueDepth: c.GraphQLMaxValueDepth, MaxValueTokens: c.GraphQLMaxValueTokens,
		MaxFields: c.GraphQLMaxFields, MaxSetFields: c.GraphQLMaxSetFields, MaxAliases: c.GraphQLMaxAliases,
		MaxDirectives: c.GraphQLMaxDirectives, MaxSpreads: c.GraphQLMaxFragmentSpreads, MaxCost: c.GraphQLMaxCost,
		MaxDatabaseFields: c.GraphQLMaxDBFields,
	}
}

// OrderLimits are the bounds on customers' orders, in models' terms.
func (c Config) OrderLimits() models.OrderLimits {
	return models.OrderLimits{
		MaxLineQuantity: c.MaxLineQuantity, MaxOrderUnits: c.MaxOrderUnits,
		MaxPendingOrders: c.MaxPendingOrders, MaxPendingUnits: c.MaxPendingUnits,
	}
}

// Addr is the address to listen on.
func (c Config) Addr() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// String describes the configuration for the start-up log, without secrets.
func (c Config) String() string {
	db := "sqlite:" + c.SQLitePath
	if c.DatabaseURL != "" {
		db = MaskURL(c.DatabaseURL)
	}
	cache := "in-process"
	if c.RedisURL != "" {
		cache = MaskURL(c.RedisURL)
	}
	metrics := "open"
	if c.MetricsToken != "" {
		metrics = "token"
	}
	secret := "set"
	if c.SecretKey == "" {
		secret = "generated"
	}
	admin := "unset"
	if c.AdminEmail != "" {
		admin = c.AdminEmail
	}
	payments := c.PaymentProvider()
	if c.StripeAPIURL != "" {
		payments += "@" + MaskURL(c.StripeAPIURL)
	}
	return fmt.Sprintf("addr=%s database=%s cache=%s cache_ttl=%s max_body=%d request_timeout=%s metrics=%s secret_key=%s access_token_ttl=%s refresh_token_ttl=%s bcrypt_cost=%d admin_email=%s payments=%s currency=%s",
		c.Addr(), db, cache, c.CacheTTL, c.MaxBodyBytes, c.RequestTimeout, metrics, secret, c.AccessTokenTTL, c.RefreshTokenTTL, c.BcryptCost, admin, payments, c.ShopCurrency)
}

// NormalizeDatabaseURL accepts the URL forms users bring from the original
// service and from Render, and returns one pgx understands.
func NormalizeDatabaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("not a URL")
	}
	switch strings.ToLower(u.Scheme) {
	case "postgres", "postgresql", "postgresql+psycopg2", "postgres+psycopg2", "postgresql+asyncpg":
		u.Scheme = "postgres"
	default:
		return "", fmt.Errorf("scheme %q is not postgres:// or postgresql://", u.Scheme)
	}
	if u.Host == "" {
		return "", fmt.Errorf("has no host")
	}
	return u.String(), nil
}

// withConnectTimeout gives a postgres URL PostgreSQL's connect_timeout
// parameter (whole seconds, rounded up), unless the URL sets its own.
func withConnectTimeout(raw string, d time.Duration) string {
	u, err := url.Parse(raw)
	if err != nil || raw == "" {
		return raw
	}
	q := u.Query()
	if q.Has("connect_timeout") {
		return raw
	}
	q.Set("connect_timeout", strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10))
	u.RawQuery = q.Encode()
	return u.String()
}

// MaskURL hides the password of a URL.
func MaskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	return u.String()
}

func redisURL(getenv func(string) string) (string, error) {
	if raw := strings.TrimSpace(getenv("REDIS_URL")); raw != "" {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			return "", fmt.Errorf("REDIS_URL: must look like redis://host:6379/0 or rediss://…")
		}
		return raw, nil
	}
	host := strings.TrimSpace(getenv("REDIS_HOST"))
	if host == "" {
		return "", nil
	}
	port := strings.TrimSpace(getenv("REDIS_PORT"))
	if port == "" {
		port = "6379"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("REDIS_PORT: %q is not a port number", port)
	}
	u := url.URL{Scheme: "redis", Host: net.JoinHostPort(host, port)}
	if pw := getenv("REDIS_PASSWORD"); pw != "" {
		u.User = url.UserPassword("", pw)
	}
	if db := strings.TrimSpace(getenv("REDIS_DB")); db != "" {
		u.Path = "/" + db
	}
	return u.String(), nil
}

type parser struct {
	getenv func(string) string
	errs   []error
}

func (p *parser) str(name, def string) string {
	if v := strings.TrimSpace(p.getenv(name)); v != "" {
		return v
	}
	return def
}

func (p *parser) int(name string, def, min, max int) int {
	v := strings.TrimSpace(p.getenv(name))
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		p.errs = append(p.errs, fmt.Errorf("%s: %q is not a whole number from %d to %d", name, v, min, max))
		return def
	}
	return n
}

func (p *parser) bool(name string, def bool) bool {
	v := strings.TrimSpace(p.getenv(name))
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.errs = append(p.errs, fmt.Errorf("%s: %q is not true or false", name, v))
		return def
	}
	return b
}

// list splits a comma-separated variable, dropping empty items.
func (p *parser) list(name string) []string {
	var out []string
	for _, item := range strings.Split(p.getenv(name), ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// prefixes reads addresses and CIDR blocks; a bare address is a block of one.
func (p *parser) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, item := range p.list(name) {
		if pfx, err := netip.ParsePrefix(item); err == nil {
			out = append(out, pfx.Masked())
			continue
		}
		addr, err := netip.ParseAddr(item)
		if err != nil {
			p.errs = append(p.errs, fmt.Errorf("%s: %q is neither an IP address nor a CIDR block such as 10.0.0.0/8", name, item))
			continue
		}
		addr = addr.Unmap()
		out = append(out, netip.PrefixFrom(addr, addr.BitLen()))
	}
	return out
}

// origins reads browser origins: "*", or scheme://host[:port] with at most
// one "*" standing for a subdomain part (https://*.example.com).
func (p *parser) origins(name string) []string {
	var out []string
	for _, item := range p.list(name) {
		if item == "*" {
			out = append(out, item)
			continue
		}
		u, err := url.Parse(strings.Replace(item, "*", "wildcard", 1))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil ||
			strings.Count(item, "*") > 1 {
			p.errs = append(p.errs, fmt.Errorf("%s: %q is not an origin such as https://shop.example.com", name, item))
			continue
		}
		out = append(out, strings.ToLower(strings.TrimSuffix(item, "/")))
	}
	return out
}

func (p *parser) durationOrZero(name string, def time.Duration) time.Duration {
	if v := strings.TrimSpace(p.getenv(name)); v == "0" {
		return 0
	}
	return p.duration(name, def)
}

func (p *parser) duration(name string, def time.Duration) time.Duration {
	v := strings.TrimSpace(p.getenv(name))
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		p.errs = append(p.errs, fmt.Errorf("%s: %q is not a positive duration such as 250ms or 5s", name, v))
		return def
	}
	return d
}
