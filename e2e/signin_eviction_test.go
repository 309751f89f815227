package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"shop/internal/testenv"
)

// Hostile finding 4: on a Redis as small as render.yaml's, evicting keys
// with a TTL, anonymous reads of large cached responses between wrong
// passwords evicted the login counters, and 40 guesses passed a limit of
// 10. The 11th wrong guess is refused however often its counters were
// evicted.
func TestSignInLimitSurvivesCacheFlood(t *testing.T) {
	t.Parallel()
	redisURL := testenv.OwnRedis(t, "--maxmemory", "2mb", "--maxmemory-policy", "volatile-lru")
	env := PostgresRedisEnv(t)
	env["REDIS_URL"] = redisURL
	env["TRUSTED_PROXIES"], env["TRUSTED_PROXY_HOPS"] = "127.0.0.1/32", "1"
	// The defaults, which MustStart raises for other tests.
	env["RATE_LIMIT_AUTH"], env["RATE_LIMIT_LOGIN_EMAIL"] = "10", "10"
	in := MustStart(t, env)
	if !strings.Contains(in.logs.String(), "Redis evicts keys with a TTL") {
		t.Errorf("no start-up warning of the evicting policy:\n%s", in.logs)
	}
	// 17 products of 10,000 characters: each distinct alias is a response
	// of 170 kB cached in Redis.
	admin := in.MustAdmin(t)
	var created any
	for i := 0; i < 17; i++ {
		admin.MustData(t, `mutation($d: String!) { createProduct(input: {price: 1, stockCount: 1, description: $d}) { productId } }`,
			map[string]any{"d": strings.Repeat(string(rune('a'+i)), 10_000)}, &created)
	}
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx := context.Background()
	counters := func() int {
		keys, err := rdb.Keys(ctx, env["REDIS_KEY_PREFIX"]+"ratelimit:login-email*").Result()
		if err != nil {
			t.Fatal(err)
		}
		return len(keys)
	}

	from := map[string]string{"X-Forwarded-For": "203.0.113.7"}
	guess := func(i int) gqlResponse {
		return in.Anonymous().MustSend(t, from, `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`,
			map[string]any{"e": testAdminEmail, "p": fmt.Sprintf("guess-%d", i)})
	}
	evicted := 0
	for i := 1; i <= 10; i++ {
		if r := guess(i); r.Code() != "UNAUTHENTICATED" {
			t.Fatalf("guess %d: %d %+v, want UNAUTHENTICATED", i, r.Status, r.Errors)
		}
		for j := 0; j < 10; j++ {
			q := fmt.Sprintf(`{ a%d_%d: products(first: 17) { edges { node { description } } } }`, i, j)
			if r := in.Anonymous().MustSend(t, from, q, nil); r.Status != http.StatusOK || r.Code() != "" {
				t.Fatalf("flood %d/%d: %d %+v", i, j, r.Status, r.Errors)
			}
		}
		if counters() < 2 { // login-email and login-email-ip
			evicted++
		}
	}
	if evicted < 5 {
		t.Fatalf("the counters were evicted after %d of 10 guesses: the flood is too small to show anything", evicted)
	}
	if r := guess(11); r.Status != http.StatusTooManyRequests || r.Code() != "RATE_LIMITED" {
		t.Fatalf("11th guess, counters evicted after %d of 10: %d %+v, want 429 RATE_LIMITED", evicted, r.Status, r.Errors)
	}
	// The right password from the same address waits too.
	if r := in.Anonymous().MustSend(t, from, `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }`,
		map[string]any{"e": testAdminEmail, "p": testAdminPassword}); r.Code() != "RATE_LIMITED" {
		t.Fatalf("right password after 10 wrong: %d %+v, want RATE_LIMITED", r.Status, r.Errors)
	}
}
