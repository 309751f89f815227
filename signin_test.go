package main

import (
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
)

// renderEnv reads the values render.yaml gives the service's variables
// (the literal ones, not those Render generates or the owner fills in).
func renderEnv(tb testing.TB) map[string]string {
	tb.Helper()
	raw, err := os.ReadFile("render.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]string{}
	re := regexp.MustCompile(`(?m)^\s*- key: (\S+).*\n\s*value: (\S+)`)
	for _, m := range re.FindAllStringSubmatch(string(raw), -1) {
		out[m[1]] = strings.Trim(m[2], `"`)
	}
	if out["TRUSTED_PROXIES"] == "" {
		tb.Fatal("render.yaml sets no TRUSTED_PROXIES")
	}
	return out
}

// The attack on render.yaml's proxy settings: a client behind Cloudflare
// (a Worker, whose requests come from Cloudflare's own ranges) writes an
// address of its choice into X-Forwarded-For; Cloudflare appends the
// Worker's address and Render's proxy Cloudflare's edge. 45 requests, each
// claiming another address, against a limit of 30: the limit must hold,
// because the client is the Worker, two hops from the right. The test's
// loopback connection stands in for Render's proxy (10.x).
func TestForwardedForBehindRender(t *testing.T) {
	t.Parallel()
	render := renderEnv(t)
	env := EmbeddedEnv(t)
	env["TRUSTED_PROXIES"] = render["TRUSTED_PROXIES"] + ",127.0.0.1/32"
	if hops, ok := render["TRUSTED_PROXY_HOPS"]; ok {
		env["TRUSTED_PROXY_HOPS"] = hops
	}
	env["RATE_LIMIT_REQUESTS"] = "30"
	in := MustStart(t, env)
	passed := 0
	for n := 1; n <= 45; n++ {
		r := in.Anonymous().MustSend(t, map[string]string{
			"X-Forwarded-For": fmt.Sprintf("203.0.113.%d, 2a06:98c0:3600::103, 104.16.0.1", n),
		}, `{ getProducts { productId } }`, nil)
		switch {
		case r.Status == http.StatusOK && r.Code() == "":
			passed++
		case r.Status != http.StatusTooManyRequests || r.Code() != "RATE_LIMITED":
			t.Fatalf("request %d: %d %+v", n, r.Status, r.Errors)
		}
	}
	if passed != 30 {
		t.Fatalf("%d of 45 requests passed a limit of 30", passed)
	}
	if logs := in.logs.String(); !strings.Contains(logs, `"client_ip":"2a06:98c0:3600::103"`) || strings.Contains(logs, `"client_ip":"203.0.113.`) {
		t.Fatal("the access log does not name the Worker's address as the client")
	}
}
