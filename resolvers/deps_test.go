package resolvers_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The resolvers only translate: they call the services (catalog, ordering,
// reports, auth), which reach the data through ports of their own, so
// neither they nor the services they import may depend on the store, the
// cache or their libraries. The payments service is reached through an
// interface: its package verifies webhooks with stripe-go.
func TestResolversKnowNoStorage(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "shop/resolvers", "shop/schema").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, forbidden := range []string{"gorm.io/gorm", "github.com/redis/go-redis/v9", "shop/store", "shop/cache", "github.com/jackc/pgx/v5",
		"shop/payments", "github.com/stripe/stripe-go/v85"} {
		for _, dep := range strings.Fields(string(out)) {
			if dep == forbidden {
				t.Errorf("resolvers or schema depend on %s", forbidden)
			}
		}
	}
}
