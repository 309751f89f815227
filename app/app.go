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
	"time"

	"shop/cache"
	"shop/config"
	"shop/resolvers"
	"shop/schema"
	"shop/server"
	"shop/store"
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

	db, err := store.Open(ctx, store.Options{
		DatabaseURL:     cfg.DatabaseURL,
		SQLitePath:      cfg.SQLitePath,
		MaxOpenConns:    cfg.DBMaxOpenConns,
		MaxIdleConns:    cfg.DBMaxIdleConns,
		ConnMaxLifetime: cfg.DBConnMaxLifetime,
		Logger:          logger,
	})
	if err != nil {
		return err
	}
	defer db.Close()

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
	logger.Info("backends ready", "database", db.Kind(), "cache", backend.Kind())

	catalog := cache.NewCatalog(db, backend, cfg.CacheTTL, logger)
	if _, shared := backend.(*cache.Redis); shared && cfg.CacheLocalTTL > 0 {
		if err := catalog.EnableLocal(ctx, cfg.CacheLocalTTL, cfg.CacheMaxItems, int(cfg.CacheMaxBytes)); err != nil {
			return err
		}
	}
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	registry := newRegistry(sqlDB, db.Statements, catalog.Stats())
	res := resolvers.New(catalog, logger, cfg.MaxPageSize)
	sch, err := schema.New(res, logger)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler: server.New(server.Options{
			Schema:         sch,
			Prepare:        res.WithLoaders,
			Database:       db,
			Cache:          backend,
			Logger:         logger,
			MaxBodyBytes:   cfg.MaxBodyBytes,
			RequestTimeout: cfg.RequestTimeout,
			Queries:        cache.NewQueries(backend, 24*time.Hour, logger),
			Responses:      catalog,
			Metrics:        registry,
			MetricsToken:   cfg.MetricsToken,

			Limits:               cfg.DocumentLimits(),
			Lists:                schema.ListSizes(&sch, cfg.MaxPageSize),
			DisableIntrospection: !cfg.GraphQLIntrospection,
			DocumentCacheBytes:   cfg.DocumentCacheBytes,
		}),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      cfg.RequestTimeout + 5*time.Second,
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
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	logger.Info("stopped")
	return nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}
