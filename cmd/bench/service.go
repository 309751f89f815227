package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/pprof"
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
// Go's. The README gives figures of both.
const serveEnv = "BENCH_SERVE"

// service is a running service.
type service struct {
	url   string
	pid   int    // the process whose CPU is counted as the service's
	label string // what that CPU is
	own   bool   // a process of its own
	stop  func() // ends the service and waits for it
}

// start starts the service as settings say.
func start(ctx context.Context, own bool, vars map[string]string) (*service, error) {
	if own {
		return startService(ctx, vars)
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
		}
		return &service{url: "http://" + addr, pid: os.Getpid(), label: "this process (the service and the load generator)", stop: stop}, nil
	case err := <-done:
		cancel()
		return nil, fmt.Errorf("service did not start: %w", err)
	}
}

// serve is the service process's main: app.Run with this environment,
// printing the address it listens on. BENCH_CPUPROFILE, when set, profiles
// it until it is stopped (SIGTERM); SIGUSR1 writes the live heap to
// BENCH_HEAPPROFILE.
func serve() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if name := os.Getenv("BENCH_CPUPROFILE"); name != "" {
		f, err := os.Create(name)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if name := os.Getenv("BENCH_HEAPPROFILE"); name != "" {
		usr1 := make(chan os.Signal, 1)
		signal.Notify(usr1, syscall.SIGUSR1)
		go func() {
			for range usr1 {
				if err := writeHeapProfile(name + ".tmp"); err == nil {
					_ = os.Rename(name+".tmp", name)
				}
			}
		}()
	}
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
	// and GOMEMLIMIT as in the production image).
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
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cancel()
		_ = cmd.Wait()
		return nil, fmt.Errorf("the service did not start: %w", err)
	}
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, out)
		_ = cmd.Wait()
		close(done)
	}()
	stop := func() {
		cancel()
		<-done
	}
	return &service{url: "http://" + strings.TrimSpace(addr), pid: cmd.Process.Pid, label: "the service", own: true, stop: stop}, nil
}

// cpu is the CPU time the service process has used so far.
func (s *service) cpu() time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(s.pid) + "/stat")
	if err != nil {
		return 0
	}
	st := string(b)
	fields := strings.Fields(st[strings.LastIndexByte(st, ')')+1:])
	if len(fields) < 13 {
		return 0
	}
	user, _ := strconv.ParseFloat(fields[11], 64)
	sys, _ := strconv.ParseFloat(fields[12], 64)
	return time.Duration((user + sys) / 100 * float64(time.Second)) // USER_HZ
}

// heapProfile writes the service's live heap to name.
func (s *service) heapProfile(ctx context.Context, name string) error {
	if !s.own {
		return writeHeapProfile(name)
	}
	want := os.Getenv("BENCH_HEAPPROFILE")
	_ = os.Remove(want)
	if err := syscall.Kill(s.pid, syscall.SIGUSR1); err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(want); err == nil {
			return os.Rename(want, name)
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("the service wrote no heap profile")
		}
		runtime.Gosched()
		time.Sleep(50 * time.Millisecond)
	}
}
