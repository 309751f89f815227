package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"shop/app"
)

// By default the service runs in the bench's process, where it shares one
// heap and one GC with the load generator: vegeta's garbage, at tens of
// thousands of requests a second, starts GC cycles that mark the service's
// heap too. With BENCH_SERVICE_PROCESS=1 it runs in a process of its own
// (this binary again, with BENCH_SERVE=1), as when deployed; the two
// processes then share the 2 cores by the OS scheduler's rules instead of
// Go's. docs/performance.md gives figures of both.
const serveEnv = "BENCH_SERVE"

// service is a running service.
type service struct {
	replies <-chan string // the process's lines on stdout after its addresses
	url     string
	floor   string // the HTTP floor, served in the service's process
	pid     int    // the process whose CPU is counted as the service's
	label   string // what that CPU is
	own     bool   // a process of its own
	stop    func() // ends the service and waits for it
}

// start starts the service as settings say.
func start(ctx context.Context, own bool, vars map[string]string) (*service, error) {
	if own {
		return startService(ctx, vars)
	}
	floor, stopFloor, err := floorServer()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- app.Run(ctx, func(k string) string { return vars[k] }, io.Discard, func(a string) { ready <- a })
	}()
	select {
	case addr := <-ready:
		stop := func() {
			cancel()
			<-done
			stopFloor()
		}
		return &service{url: "http://" + addr, floor: floor, pid: os.Getpid(), label: "this process (the service and the load generator)", stop: stop}, nil
	case err := <-done:
		cancel()
		stopFloor()
		return nil, fmt.Errorf("service did not start: %w", err)
	}
}

// serve is the service process's main: the HTTP floor and app.Run with
// this environment, printing the addresses they listen on, in that order.
// BENCH_CPUPROFILE, when set, profiles it until it is stopped (SIGTERM);
// SIGUSR1 writes the live heap to BENCH_HEAPPROFILE and says so on stdout.
func serve() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if name := os.Getenv("BENCH_CPUPROFILE"); name != "" {
		stopProfile, err := startCPUProfile(name)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	if name := os.Getenv("BENCH_HEAPPROFILE"); name != "" {
		usr1 := make(chan os.Signal, 1)
		signal.Notify(usr1, syscall.SIGUSR1)
		go func() {
			// Each profile is answered with a line on stdout, which
			// the bench waits for.
			for range usr1 {
				err := writeHeapProfile(name)
				fmt.Println("heap profile:", errText(err))
			}
		}()
	}
	floor, stopFloor, err := floorServer()
	if err != nil {
		return err
	}
	defer stopFloor()
	fmt.Println(floor)
	return app.Run(ctx, os.Getenv, io.Discard, func(addr string) { fmt.Println(addr) })
}

// startService starts the real service in a process of its own with vars
// as its whole configuration, and returns it once it listens. It stops
// when ctx ends (SIGTERM, then SIGKILL after 10 s), and dies with this
// process.
func startService(ctx context.Context, vars map[string]string) (*service, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(ctx, self)
	cmd.Env = []string{serveEnv + "=1"}
	// The runtime's settings as given to the bench (make bench sets GOGC
	// as in the production image, and GOMEMLIMIT).
	for _, k := range []string{"PATH", "HOME", "GOGC", "GOMEMLIMIT", "GODEBUG", "GOMAXPROCS"} {
		if v, ok := os.LookupEnv(k); ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("start the service: %w", err)
	}
	lines := bufio.NewScanner(out)
	var addrs []string // the floor's, then the service's
	for len(addrs) < 2 && lines.Scan() {
		addrs = append(addrs, strings.TrimSpace(lines.Text()))
	}
	if len(addrs) < 2 {
		cancel()
		_ = cmd.Wait()
		return nil, fmt.Errorf("the service did not start: %v", lines.Err())
	}
	replies := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		for lines.Scan() {
			replies <- lines.Text()
		}
		_, _ = io.Copy(io.Discard, out)
		_ = cmd.Wait()
		close(replies)
		close(done)
	}()
	stop := func() {
		cancel()
		<-done
	}
	return &service{url: "http://" + addrs[1], floor: addrs[0], pid: cmd.Process.Pid, label: "the service", own: true, stop: stop, replies: replies}, nil
}

// cpu is the CPU time the service's process has used so far.
func (s *service) cpu() time.Duration {
	_, cpu, _ := statCPU(strconv.Itoa(s.pid))
	return cpu
}

// errText is "ok" or the error's text.
func errText(err error) string {
	if err != nil {
		return err.Error()
	}
	return "ok"
}

// heapProfile writes the service's live heap to name.
func (s *service) heapProfile(ctx context.Context, name string) error {
	if !s.own {
		return writeHeapProfile(name)
	}
	if err := syscall.Kill(s.pid, syscall.SIGUSR1); err != nil {
		return err
	}
	select {
	case reply, ok := <-s.replies:
		if !ok {
			return fmt.Errorf("the service ended before it wrote a heap profile")
		}
		if reply != "heap profile: ok" {
			return fmt.Errorf("the service's %s", reply)
		}
		return os.Rename(os.Getenv("BENCH_HEAPPROFILE"), name)
	case <-ctx.Done():
		return ctx.Err()
	}
}
