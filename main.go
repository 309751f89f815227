// Command shop serves the shop's GraphQL API.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/joho/godotenv"

	"shop/app"
	"shop/config"
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

// run is the whole program; it lives in package app so that the benchmark
// can start it in-process too.
func run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	return app.Run(ctx, getenv, stdout, nil)
}
