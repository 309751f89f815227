package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"shop/internal/testenv"
)

// The tests that run the real binary as a process share one build: linking
// takes seconds of the two cores the suite runs on.
var build struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if build.dir != "" {
		_ = os.RemoveAll(build.dir)
	}
	os.Exit(code)
}

// mustBuild builds the binary, once per run of the tests, and returns its
// path.
func mustBuild(tb testing.TB) string {
	tb.Helper()
	testenv.SkipShort(tb, "the built binary")
	build.once.Do(func() {
		if build.dir, build.err = os.MkdirTemp("", "shop-test-bin-"); build.err != nil {
			return
		}
		build.bin = filepath.Join(build.dir, "shop")
		if out, err := exec.Command("go", "build", "-o", build.bin, "shop").CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if build.err != nil {
		tb.Fatal(build.err)
	}
	return build.bin
}

// process is the real binary running as a process of its own, with the
// instance helpers pointed at it.
type process struct {
	*instance
	cmd    *exec.Cmd
	exited chan struct{}
	logs   *processLog
}

// processLog collects a child process's log and reports the address from
// its "listening" line. There is no ready callback across processes; the
// child listens on port 0 and tells the port it holds, so no other process
// can take that port between the test choosing it and the child listening.
type processLog struct {
	logBuffer
	addr  chan string
	found bool // os/exec calls Write from one goroutine at a time (Stdout == Stderr)
	// listened is when the "listening" line came; read it after addr.
	listened time.Time
}

func (l *processLog) Write(p []byte) (int, error) {
	n, err := l.logBuffer.Write(p)
	if !l.found {
		sc := bufio.NewScanner(bytes.NewReader(p))
		for sc.Scan() {
			if addr, ok := listeningAddr(sc.Bytes()); ok {
				l.found = true
				l.listened = time.Now()
				l.addr <- addr
				break
			}
		}
	}
	return n, err
}

// listeningAddr is the address of the program's "listening" log line, which
// it writes once it holds the port.
func listeningAddr(line []byte) (string, bool) {
	var l struct{ Msg, Addr string }
	if json.Unmarshal(line, &l) != nil || l.Msg != "listening" {
		return "", false
	}
	return l.Addr, true
}

// mustStartProcess starts the binary with env, waits until it listens, and
// stops it with SIGTERM when the test ends if it still runs. HOST and PORT
// are a free loopback port; the rate and in-flight limits are off unless env sets them
// (tests send streams from one address).
func mustStartProcess(t *testing.T, bin string, env map[string]string) *process {
	t.Helper()
	p := startProcess(t, bin, env)
	p.mustListen(t, env)
	return p
}

// startProcess starts the binary as mustStartProcess does, without waiting
// for it to listen (mustListen waits): several may start at once.
func startProcess(t *testing.T, bin string, env map[string]string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin), exited: make(chan struct{}), logs: &processLog{addr: make(chan string, 1)}}
	p.cmd.Dir = t.TempDir() // no .env file
	p.cmd.Env = append(os.Environ(), "HOST=127.0.0.1", "PORT=0", "DB_MAX_OPEN_CONNS=8",
		"RATE_LIMIT_REQUESTS=0", "RATE_LIMIT_USER_REQUESTS=0", "RATE_LIMIT_AUTH=0", "RATE_LIMIT_LOGIN_EMAIL=0",
		"MAX_IN_FLIGHT_PER_IP=0", "MAX_IN_FLIGHT=0")
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p.cmd.Env = append(p.cmd.Env, k+"="+env[k]) // the last of a name wins
	}
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(30 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("log of server process %d, its end:\n%s", p.cmd.Process.Pid, tail(p.logs.String(), 40))
		}
	})
	return p
}

// mustListen waits until a process startProcess started listens.
func (p *process) mustListen(t *testing.T, env map[string]string) {
	t.Helper()
	select {
	case addr := <-p.logs.addr:
		p.instance = &instance{URL: "http://" + addr, adminEmail: env["ADMIN_EMAIL"], adminPassword: env["ADMIN_PASSWORD"], metricsToken: env["METRICS_TOKEN"]}
	case <-p.exited:
		t.Fatalf("server process exited before listening: %v\n%s", p.cmd.ProcessState, p.logs)
	case <-time.After(60 * time.Second):
		t.Fatalf("server process did not start listening in 60s\n%s", p.logs)
	}
}

// Kill sends SIGKILL and waits until the process is gone: nothing of it
// runs afterwards, no deferred function, no shutdown.
func (p *process) Kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.exited
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("server process ended with %v, not by SIGKILL", p.cmd.ProcessState)
	}
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
