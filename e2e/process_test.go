package e2e

import (
	"bufio"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// TestOrdersAcrossProcesses builds the real binary, runs three server
// processes on one PostgreSQL and one Redis, sends 150 concurrent one-unit
// orders for 40 units, and stops the processes with SIGTERM: exactly 40
// orders succeed, and every process exits cleanly.
func TestOrdersAcrossProcesses(t *testing.T) {
	t.Parallel()
	bin := mustBuild(t)
	env := PostgresRedisEnv(t)
	roomForOrders(env) // one buyer takes the whole stock
	var urls []string
	var procs []*exec.Cmd
	for i := 0; i < 3; i++ {
		cmd := exec.Command(bin)
		cmd.Dir = t.TempDir() // no .env file
		// 150 orders at once from one address: the hammer, not a client.
		cmd.Env = append(os.Environ(), "HOST=127.0.0.1", "PORT=0", "DB_MAX_OPEN_CONNS=8", "MAX_IN_FLIGHT_PER_IP=0", "MAX_IN_FLIGHT=0")
		for _, k := range []string{"DATABASE_URL", "REDIS_URL", "REDIS_KEY_PREFIX", "SECRET_KEY", "METRICS_TOKEN", "ADMIN_EMAIL", "ADMIN_PASSWORD", "BCRYPT_COST", "MAX_PENDING_ORDERS", "MAX_PENDING_UNITS"} {
			cmd.Env = append(cmd.Env, k+"="+env[k])
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, cmd)
		t.Cleanup(func() { _ = cmd.Process.Kill() })
		addr := make(chan string, 1)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if a, ok := listeningAddr(sc.Bytes()); ok {
					addr <- a
				}
			}
		}()
		select {
		case a := <-addr:
			urls = append(urls, "http://"+a)
		case <-time.After(60 * time.Second):
			t.Fatal("process did not start listening")
		}
	}
	ins := make([]*instance, len(urls))
	for i, u := range urls {
		ins[i] = &instance{URL: u, adminEmail: env["ADMIN_EMAIL"], adminPassword: env["ADMIN_PASSWORD"], metricsToken: env["METRICS_TOKEN"]}
	}
	const stock, orders = 40, 150
	id := ins[0].MustCreateProduct(t, 2.5, stock)
	buyer, _ := ins[1].MustCustomer(t)
	MustHammer(t, urls, buyer.Token, id, orders, stock)
	for _, in := range ins {
		MustSeeWithin(t, crossInstanceBound, func() bool { return in.MustStock(t, id) == 0 })
	}
	for i, p := range procs {
		if err := p.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := p.Wait(); err != nil {
			t.Fatalf("process %d after SIGTERM: %v", i, err)
		}
	}
}
