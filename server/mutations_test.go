package server

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/graphql-go/graphql"

	"shop/docguard"
	"shop/models"
	"shop/ratelimit"
)

// pokeServer serves a schema whose one mutation, poke, counts its runs.
// The bearer tokens "admin" and "customer" sign in as those roles.
func pokeServer(t *testing.T, o Options) (string, *atomic.Int64) {
	t.Helper()
	var runs atomic.Int64
	query := graphql.NewObject(graphql.ObjectConfig{Name: "Query", Fields: graphql.Fields{
		"hello": &graphql.Field{Type: graphql.String, Resolve: func(graphql.ResolveParams) (any, error) { return "world", nil }}}})
	mutation := graphql.NewObject(graphql.ObjectConfig{Name: "Mutation", Fields: graphql.Fields{
		"poke": &graphql.Field{Type: graphql.Int, Resolve: func(graphql.ResolveParams) (any, error) { return int(runs.Add(1)), nil }}}})
	s, err := graphql.NewSchema(graphql.SchemaConfig{Query: query, Mutation: mutation})
	if err != nil {
		t.Fatal(err)
	}
	o.Schema = s
	o.Logger = slog.New(slog.DiscardHandler)
	o.MaxBodyBytes, o.RequestTimeout = 1<<20, 10*time.Second
	o.Authenticate = func(token string) (models.Caller, error) {
		switch token {
		case "admin":
			return models.Caller{UserID: "a1", Role: models.RoleAdmin}, nil
		case "customer":
			return models.Caller{UserID: "c1", Role: models.RoleCustomer}, nil
		}
		return models.Caller{}, errors.New("bad token")
	}
	srv := httptest.NewServer(New(o))
	t.Cleanup(srv.Close)
	return srv.URL + "/graphql", &runs
}

// The request placed a hundred orders under one request: a
// customer's or an anonymous caller's request runs at most one mutation,
// and one with more is refused before any runs.
func TestOneMutationPerRequest(t *testing.T) {
	t.Parallel()
	url, runs := pokeServer(t, Options{})
	for _, tt := range []struct {
		name, doc string
		headers   []string
		want      string // code, "" for success
	}{
		{"a customer's two", `{"query":"mutation { a: poke b: poke }"}`, []string{"Authorization", "Bearer customer"}, "TOO_MANY_MUTATIONS"},
		{"through a fragment", `{"query":"mutation { a: poke ...M } fragment M on Mutation { b: poke }"}`, []string{"Authorization", "Bearer customer"}, "TOO_MANY_MUTATIONS"},
		{"anonymous", `{"query":"mutation { a: poke b: poke c: poke }"}`, nil, "TOO_MANY_MUTATIONS"},
		{"one key twice runs once", `{"query":"mutation { poke poke __typename }"}`, []string{"Authorization", "Bearer customer"}, ""},
		{"a customer's one", `{"query":"mutation { poke }"}`, []string{"Authorization", "Bearer customer"}, ""},
		{"an admin's three", `{"query":"mutation { a: poke b: poke c: poke }"}`, []string{"Authorization", "Bearer admin"}, ""},
	} {
		before := runs.Load()
		r := mustDo(t, "POST", url, tt.doc, tt.headers...)
		ran := runs.Load() - before
		if tt.want == "" {
			if r.status != http.StatusOK || r.code() != "" || ran == 0 {
				t.Errorf("%s: %d %+v, %d ran", tt.name, r.status, r.Errors, ran)
			}
			continue
		}
		if r.status != http.StatusBadRequest || r.code() != tt.want || ran != 0 {
			t.Errorf("%s: %d %+v, %d ran; want 400 %s and none run", tt.name, r.status, r.Errors, ran, tt.want)
			continue
		}
		if max, _ := r.Errors[0].Extensions["max"].(float64); max != 1 || r.Errors[0].Extensions["value"] == nil {
			t.Errorf("%s: extensions %v lack the value and the maximum", tt.name, r.Errors[0].Extensions)
		}
	}
}

// Each mutation an admin's request runs counts against the per-user and
// the per-IP allowances, the IPv6 /48's share included, as a request of
// its own.
func TestEveryMutationCounts(t *testing.T) {
	t.Parallel()
	t.Run("per user", func(t *testing.T) {
		t.Parallel()
		user := ratelimit.Local(ratelimit.Allowance{Name: "user", Limit: 4, Window: time.Hour})
		url, runs := pokeServer(t, Options{UserLimit: user})
		admin := []string{"Authorization", "Bearer admin"}
		if r := mustDo(t, "POST", url, `{"query":"mutation { a: poke b: poke c: poke }"}`, admin...); r.status != http.StatusOK {
			t.Fatalf("three mutations: %d %+v", r.status, r.Errors)
		}
		// The fourth event is the request, the fifth its second mutation.
		mustRateLimited(t, mustDo(t, "POST", url, `{"query":"mutation { a: poke b: poke }"}`, admin...))
		if runs.Load() != 3 {
			t.Fatalf("%d mutations ran, want the first request's 3", runs.Load())
		}
	})
	t.Run("per IPv6 /48", func(t *testing.T) {
		t.Parallel()
		ip := ratelimit.Local(ratelimit.Allowance{Name: "ip", Limit: 100, Window: time.Hour, Key: ratelimit.ByIP}).
			Widen(ratelimit.Local(ratelimit.Allowance{Name: "ip48", Limit: 6, Window: time.Hour, Key: ratelimit.By48}))
		url, _ := pokeServer(t, Options{IPLimit: ip, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
		from := func(addr string) []string {
			return []string{"Authorization", "Bearer admin", "X-Forwarded-For", addr}
		}
		// Two /64s of one /48, three mutations each: six events.
		for _, addr := range []string{"2001:db8:7:1::1", "2001:db8:7:2::1"} {
			if r := mustDo(t, "POST", url, `{"query":"mutation { a: poke b: poke c: poke }"}`, from(addr)...); r.status != http.StatusOK {
				t.Fatalf("from %s: %d %+v", addr, r.status, r.Errors)
			}
		}
		mustRateLimited(t, mustDo(t, "POST", url, `{"query":"{ hello }"}`, from("2001:db8:7:3::1")...))
		if r := mustDo(t, "POST", url, `{"query":"{ hello }"}`, from("2001:db8:8:1::1")...); r.status != http.StatusOK {
			t.Fatalf("another /48: %d", r.status)
		}
	})
}

// Ten aliased searches cost the database ten searches: each field that
// reaches the database after the first counts against the allowances as a
// request of its own, so batching them buys no more than sending them
// one by one.
func TestEveryDatabaseFieldCounts(t *testing.T) {
	t.Parallel()
	ip := ratelimit.Local(ratelimit.Allowance{Name: "ip", Limit: 5, Window: time.Hour, Key: ratelimit.ByIP})
	url, _ := pokeServer(t, Options{IPLimit: ip, Costs: docguard.Costs{Database: map[string]docguard.Database{"Query.hello": {Always: true}}}})
	// One request of three database fields: three events of five.
	if r := mustDo(t, "POST", url, `{"query":"{ a: hello b: hello c: hello }"}`); r.status != http.StatusOK {
		t.Fatalf("three searches: %d %+v", r.status, r.Errors)
	}
	// The fourth and fifth events are the next request and its second
	// field; its third is over the allowance.
	mustRateLimited(t, mustDo(t, "POST", url, `{"query":"{ a: hello b: hello c: hello }"}`))
	// A field that does not reach the database costs nothing more.
	ip2 := ratelimit.Local(ratelimit.Allowance{Name: "ip", Limit: 2, Window: time.Hour, Key: ratelimit.ByIP})
	url2, _ := pokeServer(t, Options{IPLimit: ip2})
	for range 2 {
		if r := mustDo(t, "POST", url2, `{"query":"{ a: hello b: hello c: hello }"}`); r.status != http.StatusOK {
			t.Fatalf("fields that do not reach the database: %d %+v", r.status, r.Errors)
		}
	}
}
