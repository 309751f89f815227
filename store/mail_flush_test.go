package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"shop/internal/storetest"
	"shop/internal/testenv"
	"shop/models"
	"shop/store"
)

// On PostgreSQL a reset link's transaction commits without waiting for
// its WAL to reach the disk: a commit that wrote rows (an account) waits
// for the flush and one that wrote none does not, milliseconds apart with
// fsync on (p50 4-9 ms against 1.4-3 ms through the API), which told a
// stranger whether the address has an account.
func TestAccountTokenCommitDoesNotWaitForFlush(t *testing.T) {
	t.Parallel()
	s := storetest.MustOpen(t, store.Options{DatabaseURL: testenv.MustPostgres(t), MaxOpenConns: 4, MaxIdleConns: 2})
	var mu sync.Mutex
	var seen []string
	if err := s.OnRawSQL(func(sql string) { mu.Lock(); seen = append(seen, sql); mu.Unlock() }); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	msg := email(models.EmailPasswordReset, "", 0, "reset:h-flush")
	if err := s.IssueAccountToken(context.Background(), "nobody@example.com", models.PasswordReset{TokenHash: "h-flush", Purpose: models.TokenReset, ExpiresAt: now.Add(time.Hour), CreatedAt: now}, msg); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) == 0 || !strings.Contains(seen[0], "synchronous_commit TO off") {
		t.Errorf("the transaction's statements: %q", seen)
	}
}
