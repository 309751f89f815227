package ratelimit

import (
	"context"
	"fmt"
	"testing"
	"time"

	"shop/internal/testenv"
)

func TestBy48(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"2001:db8:aa:1::1":           "2001:db8:aa::/48",
		"2001:db8:aa:ffff:1:2:3:4":   "2001:db8:aa::/48",
		"2001:db8:ab::1":             "2001:db8:ab::/48",
		"fe80::1%eth0":               "fe80::/48",
		"198.51.100.7":               "",
		"::ffff:198.51.100.7":        "",
		"not an address":             "",
		"":                           "",
		"2a06:98c0:3600::103":        "2a06:98c0:3600::/48",
		"2a06:98c0:3600:ffff::ffff":  "2a06:98c0:3600::/48",
		"2a06:98c0:3601::1":          "2a06:98c0:3601::/48",
		"[2001:db8::1]":              "",
		"2001:db8:aa:1::1/64":        "",
		"2001:0db8:00aa:0001:0::0:1": "2001:db8:aa::/48",
	} {
		if got := By48(in); got != want {
			t.Errorf("By48(%q) = %q, want %q", in, got, want)
		}
	}
}

// A zone names the sender's interface: dropped, it wins no /64 of its own.
func TestByIPDropsZones(t *testing.T) {
	t.Parallel()
	want := ByIP("2001:db8:bbbb:1::2")
	for _, in := range []string{"2001:db8:bbbb:1::1%z0", "2001:db8:bbbb:1::1%z1", "2001:db8:bbbb:1:ffff::1%eth0"} {
		if got := ByIP(in); got != want {
			t.Errorf("ByIP(%q) = %q, want %q", in, got, want)
		}
	}
	if ByIP("198.51.100.7") != "198.51.100.7" {
		t.Errorf("ByIP changed an IPv4 address: %q", ByIP("198.51.100.7"))
	}
}

// Many /64s of one /48 stop at the /48's allowance, in process and shared
// through Redis by two instances; a /64 keeps its own limit; other /48s
// and IPv4 addresses count apart.
func TestWidenedTo48(t *testing.T) {
	t.Parallel()
	url, prefix := testenv.MustRedis(t)
	var log lockedLog
	per64 := Allowance{Name: "ip", Limit: 2, Window: 24 * time.Hour, Key: ByIP}
	per48 := Allowance{Name: "ip48", Limit: 6, Window: 24 * time.Hour, Key: By48}
	ctx := context.Background()

	t.Run("in process", func(t *testing.T) {
		l := Local(per64).Widen(Local(per48))
		for i := 1; i <= 6; i++ {
			mustAllow(t, l, ctx, fmt.Sprintf("2001:db8:aa:%x::1", i), true)
		}
		mustAllow(t, l, ctx, "2001:db8:aa:7::1", false)
		mustAllow(t, l, ctx, "2001:db8:aa:ffff::1", false)
		mustAllow(t, l, ctx, "2001:db8:bb:1::1", true)
		mustAllow(t, l, ctx, "2001:db8:bb:1::2", true)
		mustAllow(t, l, ctx, "2001:db8:bb:1::3", false) // the /64's own 2
		// A /64 past its own allowance spends nothing of its /48's: four
		// more /64s of 2001:db8:bb::/48 still fit.
		for i := 2; i <= 5; i++ {
			mustAllow(t, l, ctx, fmt.Sprintf("2001:db8:bb:%x::1", i), true)
		}
		for i := 1; i <= 20; i++ {
			mustAllow(t, l, ctx, fmt.Sprintf("198.51.100.%d", i), true)
		}
	})
	t.Run("exact, two instances", func(t *testing.T) {
		a := Exact(mustRedis(t, url, prefix, &log), per64).Widen(Exact(mustRedis(t, url, prefix, &log), per48))
		b := Exact(mustRedis(t, url, prefix, &log), per64).Widen(Exact(mustRedis(t, url, prefix, &log), per48))
		for i := 1; i <= 6; i++ {
			l := a
			if i%2 == 0 {
				l = b
			}
			mustAllow(t, l, ctx, fmt.Sprintf("2001:db8:cc:%x::1", i), true)
		}
		mustAllow(t, a, ctx, "2001:db8:cc:7::1", false)
		mustAllow(t, b, ctx, "2001:db8:cc:8::1", false)
		mustAllow(t, b, ctx, "2001:db8:cd:1::1", true)
	})
	t.Run("batched, two instances", func(t *testing.T) {
		ra, rb := mustRedis(t, url, prefix+"b:", &log), mustRedis(t, url, prefix+"b:", &log)
		a := Batched(ra, per64, time.Hour).Widen(Batched(ra, per48, time.Hour))
		b := Batched(rb, per64, time.Hour).Widen(Batched(rb, per48, time.Hour))
		for i := 1; i <= 3; i++ {
			mustAllow(t, a, ctx, fmt.Sprintf("2001:db8:dd:%x::1", i), true)
		}
		mustFlush(t, a)
		for i := 4; i <= 6; i++ {
			mustAllow(t, b, ctx, fmt.Sprintf("2001:db8:dd:%x::1", i), true)
		}
		mustFlush(t, b) // b now knows of a's 3: 6 in all
		mustAllow(t, b, ctx, "2001:db8:dd:7::1", false)
		// a still believes 3 until its next flush after a request: the
		// lag the batched design accepts.
		mustAllow(t, a, ctx, "2001:db8:dd:8::1", true)
		mustFlush(t, a)
		mustAllow(t, a, ctx, "2001:db8:dd:9::1", false)
	})
	var off *Limiter
	if off.Widen(Local(per48)) != nil {
		t.Fatal("widening a limit that is off turned it on")
	}
	if n := log.count("level="); n != 0 {
		t.Fatalf("logged with Redis up:\n%s", log.buf.String())
	}
}
