package resolvers_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The resolvers only translate: they must not reach the database or the
// cache libraries except through the models interfaces.
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
