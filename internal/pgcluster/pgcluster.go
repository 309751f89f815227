// Package pgcluster starts a throwaway PostgreSQL cluster of a test's own,
// for tests that stop and start the database under a running service. The
// machine's own server, its data and its configuration are never touched:
// the cluster lives in a temporary folder, on a free loopback port, with
// its sockets in that folder, and is stopped and removed when the test ends.
//
// It finds the server's programs the way scripts/services.sh does (the
// newest /usr/lib/postgresql/*/bin, Debian's layout, else initdb on PATH)
// and, since PostgreSQL refuses to run as root, runs them as the postgres
// user when the test runs as root.
package pgcluster

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// Cluster is one running (or stopped) PostgreSQL server of the test's own.
type Cluster struct {
	bin  string // folder of initdb, pg_ctl, postgres
	dir  string // the cluster's temporary folder
	data string // its data directory (and socket directory)
	port int
	cred *syscall.Credential // the postgres user's, when the test runs as root
}

// MustStart creates a cluster (trust authentication for the user
// "postgres") and starts it; the test fails, never skips, when PostgreSQL's
// programs are missing. The cluster is stopped and removed when the test
// ends.
func MustStart(tb testing.TB) *Cluster {
	tb.Helper()
	bin, err := findBin()
	if err != nil {
		tb.Fatal(err)
	}
	c := &Cluster{bin: bin}
	if os.Geteuid() == 0 {
		if c.cred, err = postgresUser(); err != nil {
			tb.Fatal(err)
		}
	}
	// A folder of its own rather than tb.TempDir(): the postgres user must
	// be able to reach it, and the testing package makes its folders
	// private to the user running the test.
	if c.dir, err = os.MkdirTemp("", "shop-pgcluster-"); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		// Immediate: the data is thrown away, so there is nothing to flush.
		_ = c.pgCtl("-m", "immediate", "-w", "stop")
		if err := os.RemoveAll(c.dir); err != nil {
			tb.Errorf("remove the test's PostgreSQL cluster: %v", err)
		}
	})
	if err := os.Chmod(c.dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	c.data = filepath.Join(c.dir, "data")
	if err := os.Mkdir(c.data, 0o700); err != nil {
		tb.Fatal(err)
	}
	if c.cred != nil {
		if err := os.Chown(c.data, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := c.run(filepath.Join(c.bin, "initdb"), "-D", c.data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"); err != nil {
		tb.Fatalf("initdb: %v", err)
	}
	if c.port, err = freePort(); err != nil {
		tb.Fatal(err)
	}
	if err := c.Start(); err != nil {
		tb.Fatal(err)
	}
	return c
}

// URL is the cluster's postgres database, as its superuser.
func (c *Cluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// Start starts the server and waits until it accepts connections. It
// listens on the same port every time, so clients holding the URL find it
// again.
func (c *Cluster) Start() error {
	// fsync off: the cluster lives for one test, and a stopped server
	// flushes everything on a clean stop anyway.
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", c.port, c.data)
	if err := c.pgCtl("-l", filepath.Join(c.data, "server.log"), "-w", "-t", "60", "-o", opts, "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.data, "server.log"))
		return fmt.Errorf("start the test's PostgreSQL: %w\n%s", err, log)
	}
	return nil
}

// Stop stops the server the way an operator restarting it would: "fast"
// mode rolls back open transactions, disconnects every client and waits
// until the server is gone.
func (c *Cluster) Stop() error {
	if err := c.pgCtl("-m", "fast", "-w", "-t", "60", "stop"); err != nil {
		return fmt.Errorf("stop the test's PostgreSQL: %w", err)
	}
	return nil
}

// Restart stops the server and starts it again.
func (c *Cluster) Restart() error {
	if err := c.Stop(); err != nil {
		return err
	}
	return c.Start()
}

func (c *Cluster) pgCtl(args ...string) error {
	return c.run(filepath.Join(c.bin, "pg_ctl"), append([]string{"-D", c.data}, args...)...)
}

// run runs one of PostgreSQL's programs as the cluster's owner. Its output
// goes to a file, not a pipe: pg_ctl leaves the server running in the
// background, and a server holding the pipe would keep a reader waiting.
func (c *Cluster) run(name string, args ...string) error {
	out, err := os.CreateTemp(c.dir, "cmd-*.log")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	cmd := exec.Command(name, args...)
	cmd.Dir = c.dir
	cmd.Stdout, cmd.Stderr = out, out
	// Only what the programs need: no PG* variables of the caller's
	// reach them, so they cannot be pointed at another server.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8", "LC_ALL=C.UTF-8"}
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	if err := cmd.Run(); err != nil {
		text, _ := os.ReadFile(out.Name())
		return fmt.Errorf("%s %s: %w\n%s", filepath.Base(name), strings.Join(args, " "), err, text)
	}
	return nil
}

// findBin returns the folder of the newest PostgreSQL's programs.
func findBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) < version(dirs[j]) })
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "pg_ctl")); err == nil {
			return dirs[i], nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("PostgreSQL's server programs (initdb, pg_ctl) are needed: none under /usr/lib/postgresql/*/bin or on PATH (apt-get install postgresql; `make test` installs it)")
}

// version reads the major version from /usr/lib/postgresql/<v>/bin.
func version(bin string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(bin)))
	return v
}

// postgresUser is the account PostgreSQL's Debian package creates; the
// server runs as it when the test runs as root.
func postgresUser() (*syscall.Credential, error) {
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL needs the postgres user to own its cluster: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("postgres user: uid %q gid %q", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// freePort is a loopback port nothing listens on right now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
