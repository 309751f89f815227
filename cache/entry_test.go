package cache

import (
	"strconv"
	"testing"
	"time"
)

func TestEntryFormat(t *testing.T) {
	t.Parallel()
	deps := []dep{{key: "v:p:a", version: 1764000000000001}, {key: "v:products", version: 7}}
	b := encodeEntry(deps, []byte("payload\nwith lines"))
	got, payload, ok := decodeEntry(b)
	if !ok || len(got) != 2 || got[0] != deps[0] || got[1] != deps[1] || string(payload) != "payload\nwith lines" {
		t.Fatalf("round trip = %v, %q, %v", got, payload, ok)
	}
	for _, bad := range []string{"", "x\n", "2\n1 v:a\n", "1\nnotanumber v:a\npayload", "1\n12\npayload", "-1\n", "9999\n"} {
		if _, _, ok := decodeEntry([]byte(bad)); ok {
			t.Errorf("decodeEntry(%q) accepted a malformed entry", bad)
		}
	}
	if _, _, ok := decodeEntry(nil); ok {
		t.Error("a missing entry decoded")
	}
	if msg, ok := parseMessage([]byte("5 v:p:a\n6 v:products")); !ok || len(msg) != 2 || msg[1] != (dep{key: "v:products", version: 6}) {
		t.Fatalf("parseMessage = %v, %v", msg, ok)
	}
	if _, ok := parseMessage([]byte(`{"v:products":"abc"}`)); ok {
		t.Fatal("a message in another format was accepted (it must flush the local tier)")
	}
	if keyable("a b") || keyable("a\nb") || !keyable("0b9e2a4c-2f0e-4c8e-9a55-1d6f3c2b7e10") {
		t.Fatal("keyable is wrong")
	}
}

func TestClockOnlyGrows(t *testing.T) {
	t.Parallel()
	var c clock
	c.last = uint64(time.Now().Add(time.Hour).UnixMicro()) // as if the wall clock stepped back an hour
	prev := c.last
	for i := 0; i < 1000; i++ {
		v := c.next()
		if v <= prev {
			t.Fatalf("version %d after %d", v, prev)
		}
		prev = v
	}
}

// TestPendingWrites: a key stays untrusted while any write to it is in
// flight and from its failed invalidation until a retry that began after
// that failure succeeds; a newer write ending does not clear an older
// failure.
func TestPendingWrites(t *testing.T) {
	t.Parallel()
	now := time.Now()
	p := newPending(time.Minute, nil)
	k := []string{"v:p:a"}
	if p.untrusted("v:p:a", now) {
		t.Fatal("untrusted with no write")
	}
	p.begin(k, now) // write 1
	p.begin(k, now) // write 2
	if !p.untrusted("v:p:a", now) || p.untrusted("v:p:b", now) {
		t.Fatal("a write in flight is not marked, or marks another key")
	}
	p.fail(k, k, now) // write 1's invalidation failed
	p.end(k)          // write 2's succeeded, though it may have preceded write 1's commit
	if !p.untrusted("v:p:a", now) {
		t.Fatal("a newer write's success cleared an older write's failed invalidation")
	}
	snapshot := p.failed()
	p.begin(k, now)
	p.fail(k, k, now) // fails again after the retry took its snapshot
	p.retried(snapshot, true)
	if !p.untrusted("v:p:a", now) {
		t.Fatal("a retry cleared a failure that came after it began")
	}
	p.retried(p.failed(), true)
	if p.untrusted("v:p:a", now) || p.active.Load() != 0 {
		t.Fatalf("still untrusted after a successful retry (active %d)", p.active.Load())
	}
	// A refused write (nothing changed) just ends.
	p.begin(k, now)
	p.end(k)
	if p.untrusted("v:p:a", now) {
		t.Fatal("a write that ended left its key untrusted")
	}

	// Past the bound, nothing is trusted until entries from before have
	// expired.
	for i := 0; i < maxPending+1; i++ {
		p.fail([]string{"v:p:" + strconv.Itoa(i)}, nil, now)
	}
	if !p.untrusted("v:p:other", now) {
		t.Fatal("an untracked failure left other keys trusted")
	}
	p.retried(p.failed(), true)
	if !p.untrusted("v:p:other", now.Add(time.Minute)) {
		t.Fatal("trusted again before entries from before the failure expired")
	}
	if p.untrusted("v:p:other", now.Add(time.Minute+loadTimeout+time.Second)) {
		t.Fatal("still untrusted after the entries from before the failure expired")
	}
}
