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
	tick := 100.0 // USER_HZ on Linux
	var total float64
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		st := string(b)
		open, end := strings.IndexByte(st, '('), strings.LastIndexByte(st, ')')
		if open < 0 || end < open || !strings.HasPrefix(st[open+1:end], comm) {
			continue
		}
		fields := strings.Fields(st[end+1:])
		if len(fields) < 13 {
			continue
		}
		user, _ := strconv.ParseFloat(fields[11], 64)
		sys, _ := strconv.ParseFloat(fields[12], 64)
		total += (user + sys) / tick
	}
	return time.Duration(total * float64(time.Second))
}
