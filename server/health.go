package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

type serviceHealth struct {
	Status string `json:"status"`
	Type   string `json:"type"`
}

type healthReport struct {
	Status    string                   `json:"status"`
	Timestamp string                   `json:"timestamp"`
	Services  map[string]serviceHealth `json:"services"`
}

// health answers 200 while the database answers ("degraded" when only the
// cache is down, since reads then fall back to the database) and 503 when
// the database does not.
func health(db, cache Pinger, logger *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		var dbErr, cacheErr error
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); dbErr = db.Ping(ctx) }()
		go func() { defer wg.Done(); cacheErr = cache.Ping(ctx) }()
		wg.Wait()

		rep := healthReport{
			Status:    "healthy",
			Timestamp: time.Now().UTC().Format(time.RFC3339),
			Services: map[string]serviceHealth{
				"database": {Status: connected(dbErr), Type: db.Kind()},
				"redis":    {Status: connected(cacheErr), Type: cache.Kind()},
			},
		}
		code := http.StatusOK
		switch {
		case dbErr != nil:
			rep.Status, code = "unhealthy", http.StatusServiceUnavailable
			logger.WarnContext(r.Context(), "health: database down", "err", dbErr)
		case cacheErr != nil:
			rep.Status = "degraded"
			logger.WarnContext(r.Context(), "health: cache down", "err", cacheErr)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(rep)
	}
}

func connected(err error) string {
	if err != nil {
		return "disconnected"
	}
	return "connected"
}
