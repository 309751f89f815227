package e2e

import (
	"database/sql"
	"net/http"
	"testing"
	"time"
)

// Hostile finding 17.2: 10 aliases of getOrders(limit: 1000) { __typename }
// cost about 10,000 and read every line of every order on the pages: a
// million item rows over 1,000 orders of 100 lines, about 1 s of the
// server's CPU and as much of PostgreSQL's per request. The pages now read
// their lines only when items is selected: the request sends a statement
// per alias (its page), none for the lines, beside what any request sends.
func TestOrderPagesWithoutItemsReadNoItems(t *testing.T) {
	t.Parallel()
	env := imageEnv(t)
	p := mustStartProcess(t, mustBuild(t), env)
	mustSeed(t, env, 1000, 100)
	db, err := sql.Open("pgx", env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	admin := p.MustAdmin(t)

	// What a request sends that reads no orders (the caller's session).
	statements := p.MustMetric(t, "shop_sql_statements_total", "")
	if r := mustPostSized(t, admin, `{ __typename }`); r.Status != http.StatusOK {
		t.Fatalf("{ __typename }: %d %+v", r.Status, r.Errors)
	}
	base := p.MustMetric(t, "shop_sql_statements_total", "") - statements

	const n = 10
	statements = p.MustMetric(t, "shop_sql_statements_total", "")
	server, cpu, start := processCPU(t, p.cmd.Process.Pid), backendCPU(t, db), time.Now()
	r := mustPostSized(t, admin, aliases(n, `getOrders(limit: 1000) { __typename }`))
	sent := p.MustMetric(t, "shop_sql_statements_total", "") - statements
	t.Logf("%d aliases of getOrders(limit: 1000) { __typename }: %d, %d bytes in %v, server CPU %v, PostgreSQL CPU %v, %v statements (%v for the session)",
		n, r.Status, r.bytes, time.Since(start).Round(time.Millisecond), processCPU(t, p.cmd.Process.Pid)-server, cpuSince(t, db, cpu), sent, base)
	if r.Status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("%d %+v", r.Status, r.Errors)
	}
	if sent > base+n {
		t.Errorf("%d pages of orders without items sent %v statements, more than one each beside the session's %v", n, sent, base)
	}
}
