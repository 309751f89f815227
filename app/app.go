// Package app assembles shop: configuration, database, cache, schema and
// HTTP server, run until the context ends.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"shop/auth"
	"shop/cache"
	shopcatalog "shop/catalog"
	"shop/checkout"
	"shop/config"
	"shop/expiry"
	"shop/live"
	"shop/mail"
	"shop/models"
	"shop/ordering"
	"shop/outbox"
	"shop/payments"
	"shop/payments/local"
	"shop/payments/stripe"
	"shop/pricing"
	"shop/ratelimit"
	"shop/reports"
	"shop/resolvers"
	"shop/schema"
	"shop/server"
	"shop/store"
	"shop/webhooks"
)

// Run starts the service and blocks until ctx is done, then shuts down
// gracefully: in-flight requests finish, then the pools close. It listens
// before it serves, so a bad port fails at once and tests can use port 0.
// ready, when not nil, is called with the address once it is listening.
func Run(ctx context.Context, getenv func(string) string, stdout io.Writer, ready func(addr string)) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	logger := newLogger(stdout, cfg.LogLevel)
	logger.Info("starting", "config", cfg.String())

	var backend cache.Backend
	if cfg.RedisURL != "" {
		cache.RouteRedisLogs(logger)
		backend, err = cache.NewRedis(cfg.RedisURL, cfg.RedisKeyPrefix, cfg.RedisTimeout)
		if err != nil {
			return err
		}
	} else {
		backend = cache.NewMemory(cfg.CacheMaxItems, cfg.CacheMaxBytes, cfg.CacheTTL)
	}
	defer backend.Close()
	if err := backend.Ping(ctx); err != nil {
		logger.Warn("cache unreachable at start; reads use the database until it answers", "cache", backend.Kind(), "err", err)
	}
	// The cache hears of this instance's writes as the store's sink, and of
	// everyone's from the outbox (the dispatcher's "cache" consumer).
	invalidator := cache.NewInvalidator(backend, cfg.CacheTTL, logger)
	eventCounts := newEventCounter()
	renderer, err := mail.NewRenderer(mail.Brand{Name: cfg.ShopName, URL: cfg.ShopURL, LogoURL: cfg.ShopLogoURL}, cfg.ShopCurrency)
	if err != nil {
		return err
	}
	// The store is opened after the dispatcher that its sink needs.
	queue, wake := &lateQueue{}, webhooks.NewWaker()
	// The mail consumer renders into the store opened below (emails).
	var emails *mail.Consumer
	dispatcher := outbox.New(cfg.EventsPollInterval, logger,
		outbox.Consumer{Name: "cache", Handle: invalidator.Handle},
		outbox.Consumer{Name: "metrics", After: eventCounts.count},
		// Queues webhook deliveries in the outbox's transaction; the
		// sender below sends them.
		outbox.Consumer{Name: webhooks.ConsumerName, Handle: webhooks.Handle(queue), After: wake.After},
		outbox.Consumer{Name: "mail", Handle: func(ctx context.Context, evs []models.Event) error { return emails.Handle(ctx, evs) }},
	)
	db, err := store.Open(ctx, store.Options{
		DatabaseURL:     cfg.DatabaseURL,
		SQLitePath:      cfg.SQLitePath,
		MaxOpenConns:    cfg.DBMaxOpenConns,
		MaxIdleConns:    cfg.DBMaxIdleConns,
		ConnMaxLifetime: cfg.DBConnMaxLifetime,
		Logger:          logger,
		Sink:            invalidator,
	})
	if err != nil {
		return err
	}
	defer db.Close()
	queue.store = db
	logger.Info("backends ready", "database", db.Kind(), "cache", backend.Kind())
	emails = mail.NewConsumer(db, renderer)
	transport, err := mailTransport(cfg, logger)
	if err != nil {
		return err
	}
	sender := &mail.Sender{Store: db, Transport: transport, Every: cfg.MailPollInterval, Logger: logger}

	catalog := cache.NewCatalog(db, invalidator)
	// Before the backend closes: it stops and waits for the cache's
	// background work (invalidation retries, the subscription).
	defer func() {
		if err := catalog.Close(); err != nil {
			logger.Error("closing the cache", "err", err)
		}
	}()
	catalog.LimitEntries(cfg.CacheMaxEntryBytes)
	if _, shared := backend.(*cache.Redis); shared && cfg.CacheLocalTTL > 0 {
		if err := catalog.EnableLocal(ctx, cfg.CacheLocalTTL, cfg.CacheMaxItems, int(cfg.CacheMaxBytes)); err != nil {
			return err
		}
	}
	// The subscriptions' hub reads the outbox on this instance, woken after
	// every write's COMMIT: this instance's own, and every other's through
	// the invalidation messages (once the local tier has applied them).
	hub := live.New(db, cfg.SubscriptionPollInterval, logger)
	if err := invalidator.OnCommitted(ctx, hub.Wake); err != nil {
		return err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	if public := cfg.PublicTrustedProxies(); len(public) > 0 {
		logger.Warn("TRUSTED_PROXIES holds public addresses and TRUSTED_PROXY_HOPS is unset: anyone who can send from them (through a CDN's own services) chooses the client address the rate limits see. Set TRUSTED_PROXY_HOPS to the number of proxies in front of the service (docs/operations.md, Rate limits)", "public", fmt.Sprint(public))
	}
	limits, err := ratelimit.New(cfg.RedisURL, cfg.RedisKeyPrefix, cfg.RedisTimeout, ratelimit.Limits{
		Requests:      cfg.RateLimitRequests,
		UserRequests:  cfg.RateLimitUserRequests,
		Auth:          cfg.RateLimitAuth,
		GuestCheckout: cfg.RateLimitGuestCheckout,
		LoginEmail:    cfg.RateLimitLoginEmail,
		LoginDevice:   cfg.RateLimitLoginDevice,
		IPv6Per48:     cfg.RateLimitIPv6Per48,
		PasswordReset: cfg.RateLimitPasswordReset,
	}, logger)
	if err != nil {
		return err
	}
	defer limits.Close()
	limits.CheckEviction(ctx)
	expirer := &expiry.Worker{Store: db, TTL: cfg.OrderPendingTTL, Every: cfg.OrderExpiryInterval, EventsRetention: cfg.EventsRetention, CartTTL: cfg.CartTTL, Logger: logger}
	registry := newRegistry(sqlDB, db.Statements, db.BackgroundStatements, catalog.Stats(), expirer.Expired, eventCounts, dispatcher)
	registry.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "shop_emails_sent_total", Help: "Emails this instance sent (or wrote as .eml files)."},
			func() float64 { return float64(sender.Sent()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "shop_emails_failed_total", Help: "Attempts to send an email that failed on this instance (each retried, or failed for good after 12)."},
			func() float64 { return float64(sender.Failed()) }),
	)
	key, err := secretKey(cfg, logger)
	if err != nil {
		return err
	}
	accounts, err := auth.New(auth.Options{
		Store:      db,
		SecretKey:  key,
		AccessTTL:  cfg.AccessTokenTTL,
		RefreshTTL: cfg.RefreshTokenTTL,
		BcryptCost: cfg.BcryptCost,
		// Sign-ins per client address, and per email however many
		// addresses the guesses come from.
		IPLimiter:        limits.AuthIP,
		EmailAtIPLimiter: limits.LoginEmailAtIP,
		EmailLimiter:     limits.LoginEmail,
		// ...except attempts from a device that signed in before, which
		// count per device.
		DeviceLimiter: limits.LoginDevice,
		// Password resets and email verification (issue 21).
		Resets:       db,
		Mail:         renderer,
		ResetLimiter: limits.ResetEmail,
		Logger:       logger,
	})
	if err != nil {
		return err
	}
	if err := bootstrapAdmin(ctx, cfg, accounts, logger); err != nil {
		return err
	}
	if err := dispatcher.Register(ctx, db); err != nil {
		return err
	}
	// Background work runs under its own context, stopped and waited for
	// before the pools close.
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var work sync.WaitGroup
	defer func() { stopWork(); work.Wait() }()
	hooks := &webhooks.Sender{
		Store: db, Client: webhooks.NewClient(cfg.WebhooksTimeout, cfg.WebhooksAllowPrivate),
		Retry:        models.WebhookRetry{Base: cfg.WebhooksRetryBase, MaxDelay: cfg.WebhooksRetryMax, Window: cfg.WebhooksRetryWindow},
		DisableAfter: cfg.WebhooksDisableAfter, Lease: cfg.WebhooksLease, Every: cfg.WebhooksPollInterval,
		Concurrency: cfg.WebhooksConcurrency, Logger: logger, Wake: wake,
	}
	registry.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "shop_webhook_deliveries_total", Help: "Webhook requests this instance's sender got a 2xx for."},
			func() float64 { return float64(hooks.Delivered()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "shop_webhook_failures_total", Help: "Webhook attempts that failed on this instance (retried, or failed for good after WEBHOOKS_RETRY_WINDOW)."},
			func() float64 { return float64(hooks.Failed()) }),
	)
	work.Add(5)
	go func() { defer work.Done(); expirer.Run(workCtx) }()
	go func() { defer work.Done(); dispatcher.Run(workCtx, db) }()
	go func() { defer work.Done(); hub.Run(workCtx) }()
	go func() { defer work.Done(); sender.Run(workCtx) }()
	go func() { defer work.Done(); hooks.Run(workCtx) }()

	pay := payments.New(payments.Options{
		Reader: catalog, Writer: db, Provider: paymentProvider(cfg, logger), Currency: cfg.ShopCurrency, Timeout: cfg.PaymentTimeout, Logger: logger,
	})
	// Reads are served through the cache (catalog); writes go to the
	// store, whose events invalidate what the cache holds (the store's
	// sinks above, and the outbox).
	res := resolvers.New(resolvers.Services{
		Catalog: shopcatalog.New(catalog, db, cfg.MaxPageSize),
		Ordering: ordering.New(ordering.Options{
			Reader: catalog, Writer: db,
			// Status changes go through payments, which refund a paid
			// order before it is cancelled.
			Status: pay,
			Limits: cfg.OrderLimits(), MaxPageSize: cfg.MaxPageSize,
		}),
		Reports:  reports.New(catalog),
		Accounts: accounts,
		Payments: pay,
		Checkout: checkout.New(checkout.Options{
			Store: db, Limits: cfg.OrderLimits(), PricesIncludeTax: cfg.PricesIncludeTax, Currency: cfg.ShopCurrency,
			GuestLimiter: limits.GuestCheckoutIP,
		}),
		// Never cached: checkout reads these inside its own work.
		Pricing:  pricing.New(db, db),
		Webhooks: webhooks.New(db, cfg.WebhooksAllowPrivate, nil),
		Outbox:   mail.NewOutbox(db),
	}, logger)
	sch, err := schema.New(res, logger)
	if err != nil {
		return err
	}
	// Requests run under a context of the server's own, so that those
	// still running when the shutdown timeout ends can be cancelled before
	// the pools they use are closed.
	requestsCtx, cancelRequests := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRequests()
	var inflight sync.WaitGroup
	sockets := server.NewSockets(cfg.SubscriptionConnectionsPerUser, cfg.SubscriptionConnectionsPerIP).
		LimitIPv6Per48(cfg.SubscriptionConnectionsPerIP * cfg.MaxInFlightIPv6Per48)
	writeTimeout := cfg.RequestTimeout + 5*time.Second
	srv := &http.Server{
		BaseContext: func(net.Listener) context.Context { return requestsCtx },
		Handler: tracked(&inflight, server.New(server.Options{
			Schema:           sch,
			Prepare:          res.WithLoaders,
			Database:         db,
			Cache:            backend,
			Logger:           logger,
			MaxBodyBytes:     cfg.MaxBodyBytes,
			RequestTimeout:   cfg.RequestTimeout,
			Queries:          cache.NewQueries(backend, 24*time.Hour, logger),
			Responses:        catalog,
			Metrics:          registry,
			MetricsToken:     cfg.MetricsToken,
			TrustedProxies:   cfg.TrustedProxies,
			TrustedProxyHops: cfg.TrustedProxyHops,
			IPLimit:          limits.IP,
			UserLimit:        limits.User,
			CORSOrigins:      cfg.CORSAllowedOrigins,
			NoGraphiQL:       !cfg.GraphiQL,
			Authenticate:     accounts.Verify,
			Webhooks:         pay.HandleWebhook,

			Limits:                cfg.DocumentLimits(),
			Costs:                 schema.Costs(cfg.MaxPageSize),
			DisableIntrospection:  !cfg.GraphQLIntrospection,
			AdminMaxCost:          cfg.GraphQLMaxCostAdmin,
			MaxResponseBytes:      cfg.MaxResponseBytes,
			AdminMaxResponseBytes: cfg.MaxResponseBytesAdmin,
			DocumentCacheBytes:    cfg.DocumentCacheBytes,

			InFlight: server.InFlightLimits{
				PerIP:        cfg.MaxInFlightPerIP,
				PerIPv6Per48: cfg.MaxInFlightPerIP * cfg.MaxInFlightIPv6Per48,
				Total:        cfg.MaxInFlight,
				Wait:         cfg.MaxInFlightWait,
			},
			WriteStall:   cfg.ResponseStallTimeout,
			WriteTimeout: writeTimeout,

			Subscriptions: server.SubscriptionOptions{
				Hub:               hub,
				Watch:             res.Watch,
				AuthenticateUntil: accounts.VerifyUntil,
				Sockets:           sockets,
				PerConnection:     cfg.SubscriptionsPerConnection,
				SendBuffer:        cfg.SubscriptionSendBuffer,
				InitTimeout:       cfg.SubscriptionInitTimeout,
				KeepAlive:         cfg.SubscriptionKeepAlive,
				ReadLimit:         cfg.MaxBodyBytes,
				Fresh:             cache.FreshReads,
			},
		})),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", cfg.Addr())
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr(), err)
	}
	logger.Info("listening", "addr", ln.Addr().String())
	if ready != nil {
		ready(ln.Addr().String())
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	// WebSocket connections are hijacked: http.Server.Shutdown neither
	// waits for nor closes them. Each is closed with 1001 once the messages
	// it has queued are sent, before the requests are waited for.
	if err := sockets.Shutdown(sctx); err != nil {
		logger.Warn("closing the subscriptions' connections", "err", err)
	}
	if err := srv.Shutdown(sctx); err != nil {
		// Requests outlived the timeout: cancel them (their transactions
		// roll back) and wait for their handlers to return, so none of
		// them finds the database or the cache closed under it.
		logger.Warn("requests outlived the shutdown timeout; cancelling them")
		cancelRequests()
		if !waitTimeout(&inflight, cancelGrace) {
			return fmt.Errorf("shutdown: requests still running %s after they were cancelled", cancelGrace)
		}
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// lateQueue is the webhooks consumer's store, set once the store is
// open (the dispatcher is made before it, for the store's sink).
type lateQueue struct{ store *store.Store }

func (q *lateQueue) EnqueueWebhooks(ctx context.Context, msgs []models.WebhookMessage) (int, error) {
	return q.store.EnqueueWebhooks(ctx, msgs)
}

// cancelGrace is how long cancelled requests get to return.
const cancelGrace = 5 * time.Second

// tracked counts the requests in flight in wg.
func tracked(wg *sync.WaitGroup, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wg.Add(1)
		defer wg.Done()
		next.ServeHTTP(w, r)
	})
}

// waitTimeout waits for wg, for at most d; it reports whether wg finished.
func waitTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// mailTransport is SMTP when SMTP_URL is set, and otherwise .eml files
// under MAIL_DIR.
func mailTransport(cfg config.Config, logger *slog.Logger) (mail.Transport, error) {
	if cfg.SMTPURL != "" {
		return mail.NewSMTP(cfg.SMTPURL, cfg.MailFrom)
	}
	f, err := mail.NewFiles(cfg.MailDir, cfg.MailFrom)
	if err != nil {
		return nil, err
	}
	if cfg.DatabaseURL != "" {
		// On PostgreSQL shop is run for real, on several instances whose
		// disks may not last: files there reach no customer.
		logger.Warn("emails are written as .eml files on this instance's disk, and reach no customer: set SMTP_URL (docs/emails.md)", "dir", f.Dir)
	} else {
		logger.Info("emails are written as .eml files (set SMTP_URL to send them)", "dir", f.Dir)
	}
	return f, nil
}

// paymentProvider is Stripe when STRIPE_SECRET_KEY is set, and otherwise
// the local stand-in, which moves no money.
func paymentProvider(cfg config.Config, logger *slog.Logger) models.PaymentProvider {
	if cfg.StripeSecretKey != "" {
		return stripe.New(stripe.Options{
			SecretKey: cfg.StripeSecretKey, WebhookSecret: cfg.StripeWebhookSecret, APIURL: cfg.StripeAPIURL, Timeout: cfg.PaymentTimeout,
		})
	}
	logger.Warn("payments go through the local provider: no money moves. Set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET to take payments through Stripe.")
	return local.New(cfg.LocalWebhookSecret)
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}
