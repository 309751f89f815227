package main

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// cpuTimes is the CPU time used so far by the service's process and by
// this machine's PostgreSQL and Redis processes, found by name in /proc (0
// when they run elsewhere).
type cpuTimes struct{ self, postgres, redis time.Duration }

func cpuNow(svc *service) cpuTimes {
	return cpuTimes{
		self:     svc.cpu(),
		postgres: procCPU("postgres"),
		redis:    procCPU("redis-server"),
	}
}

// cores is the CPU used between a and b, in cores over elapsed.
func cores(a, b cpuTimes, elapsed time.Duration) [3]float64 {
	f := func(d time.Duration) float64 { return d.Seconds() / elapsed.Seconds() }
	return [3]float64{f(b.self - a.self), f(b.postgres - a.postgres), f(b.redis - a.redis)}
}

// procCPU sums the user and system time of the processes whose command
// name starts with comm (PostgreSQL's backends, WAL writer and
// checkpointer are all "postgres").
func procCPU(comm string) time.Duration {
	var total time.Duration
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if name, cpu, ok := statCPU(e.Name()); ok && strings.HasPrefix(name, comm) {
			total += cpu
		}
	}
	return total
}

// statCPU reads a process's command name and the user and system time it
// has used from /proc/<pid>/stat.
func statCPU(pid string) (comm string, cpu time.Duration, ok bool) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return "", 0, false
	}
	st := string(b)
	open, end := strings.IndexByte(st, '('), strings.LastIndexByte(st, ')')
	if open < 0 || end < open {
		return "", 0, false
	}
	fields := strings.Fields(st[end+1:])
	if len(fields) < 13 {
		return "", 0, false
	}
	user, _ := strconv.ParseFloat(fields[11], 64)
	sys, _ := strconv.ParseFloat(fields[12], 64)
	const tick = 100.0 // USER_HZ on Linux
	return st[open+1 : end], time.Duration((user + sys) / tick * float64(time.Second)), true
}
