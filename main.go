// Command shop serves the shop's GraphQL API.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/joho/godotenv"

	"shop/cache"
	"shop/config"
	"shop/resolvers"
	"shop/schema"
	"shop/server"
	"shop/store"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "healthcheck" {
		os.Exit(healthcheck(envWithDotenv(".env")))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, envWithDotenv(".env"), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "shop:", err)
		os.Exit(1)
	}
}

// envWithDotenv reads the environment, falling back to a .env file in the
// working directory when there is one. Real environment variables win.
func envWithDotenv(path string) func(string) string {
	file, err := godotenv.Read(path)
	if err != nil {
		file = nil
	}
	return func(k string) string {
		if v, ok := os.LookupEnv(k); ok {
			return v
		}
		return file[k]
	}
}

// run starts the service and blocks until ctx is done, then shuts down
// gracefully: in-flight requests finish, then the pools close. It listens
// before it serves, so a bad port fails at once and tests can use port 0.
func run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
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
		backend, err = cache.NewRedis(cfg.RedisURL, cfg.RedisKeyPrefix, cfg.RedisTimeout)
		if err != nil {
			return err
		}
	} else {
		backend = cache.NewMemory(cfg.CacheMaxItems, cfg.CacheTTL)
	}
	defer backend.Close()
	if err := backend.Ping(ctx); err != nil {
		logger.Warn("cache unreachable at start; reads use the database until it answers", "cache", backend.Kind(), "err", err)
	}
	logger.Info("backends ready", "database", db.Kind(), "cache", backend.Kind())

	catalog := cache.NewCatalog(db, backend, cfg.CacheTTL, logger)
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

// healthcheck asks the local server's /health, for container health checks
// in images that have no curl. It exits 0 when the service can serve.
func healthcheck(getenv func(string) string) int {
	cfg, err := config.Load(getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/health", cfg.Port))
	if err != nil {
		fmt.Fprintln(os.Stderr, "health:", err)
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "health:", resp.Status)
		return 1
	}
	return 0
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}
