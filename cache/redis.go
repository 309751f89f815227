package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"shop/internal/redisopt"
)

// Redis is a Backend on a Redis server. Each call has its own short timeout
// and no retries, and after a failure the backend rests for a moment, so a
// dead or slow Redis costs reads at most one timeout per rest period.
type Redis struct {
	client  *redis.Client
	prefix  string
	timeout time.Duration
	rest    time.Duration
	downTil atomic.Int64 // unix nanos until which calls are skipped
}

// ErrResting is returned while the backend skips Redis after a failure.
var ErrResting = errors.New("redis: skipped after a recent failure")

// NewRedis connects lazily to url (redis:// or rediss://). Keys are prefixed
// with prefix, so several services or test runs can share one server.
func NewRedis(url, prefix string, timeout time.Duration) (*Redis, error) {
	opt, err := redisopt.Options(url, prefix, "", timeout)
	if err != nil {
		return nil, err
	}
	return &Redis{client: redis.NewClient(opt), prefix: prefix, timeout: timeout, rest: time.Second}, nil
}

func (r *Redis) Kind() string { return "Redis" }

func (r *Redis) Close() error { return r.client.Close() }

func (r *Redis) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	err := r.client.Ping(ctx).Err()
	r.note(err)
	return err
}

func (r *Redis) MGet(ctx context.Context, keys ...string) ([][]byte, error) {
	if time.Now().UnixNano() < r.downTil.Load() {
		return nil, ErrResting
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = r.prefix + k
	}
	vals, err := r.client.MGet(ctx, full...).Result()
	r.note(err)
	if err != nil {
		return nil, fmt.Errorf("redis MGET: %w", err)
	}
	out := make([][]byte, len(keys))
	for i, v := range vals {
		if s, ok := v.(string); ok {
			out[i] = []byte(s)
		}
	}
	return out, nil
}

// MSet writes even while resting (persisted queries are small and rare).
func (r *Redis) MSet(ctx context.Context, pairs map[string][]byte, ttl time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for k, v := range pairs {
			p.Set(ctx, r.prefix+k, v, ttl)
		}
		return nil
	})
	r.note(err)
	if err != nil {
		return fmt.Errorf("redis SET: %w", err)
	}
	return nil
}

func (r *Redis) note(err error) {
	if err != nil && !errors.Is(err, redis.Nil) && !errors.Is(err, context.Canceled) {
		r.downTil.Store(time.Now().Add(r.rest).UnixNano())
	}
}

// RouteRedisLogs sends go-redis' own messages (reconnects, dial failures)
// to logger at debug level instead of its default stderr printer. go-redis
// keeps one logger per process, so this is process-wide.
func RouteRedisLogs(logger *slog.Logger) {
	redis.SetLogger(redisLog{logger})
}

type redisLog struct{ logger *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.logger.DebugContext(ctx, "redis: "+fmt.Sprintf(format, v...))
}

// invalidationChannel carries the new versions of every write to the other
// instances' local tiers.
func (r *Redis) invalidationChannel() string { return r.prefix + "invalidations" }

// The catalog's scripts. Each runs atomically in one round trip. Versions
// come from fresh(): Redis's own clock in microseconds, kept above the last
// version issued (v:clock), so they only grow and never repeat, even for a
// key deleted and created again. Versions are compared as the decimal
// strings both sides write.
const scriptLib = `
if redis.replicate_commands then redis.replicate_commands() end
local prefix = ARGV[1]
local ttl = tonumber(ARGV[2])
local last
local function fresh()
  if not last then
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
    last = tonumber(redis.call('GET', prefix .. 'v:clock')) or 0
    if now > last then last = now - 1 end
  end
  last = last + 1
  local v = string.format('%.0f', last)
  redis.call('SET', prefix .. 'v:clock', v)
  return v
end
-- deps calls f(version, key) for each version an entry depends on, and
-- stops early, returning false, when f does.
local function deps(e, f)
  local nl = string.find(e, '\n', 1, true)
  local n = nl and tonumber(string.sub(e, 1, nl - 1))
  if not n then return false end
  local pos = nl + 1
  for i = 1, n do
    local sp = string.find(e, ' ', pos, true)
    local eol = sp and string.find(e, '\n', sp + 1, true)
    if not eol then return false end
    if f(string.sub(e, pos, sp - 1), string.sub(e, sp + 1, eol - 1)) == false then return false end
    pos = eol + 1
  end
  return true
end
`

// lookupScript: ARGV prefix, ttl (ms), n, n entry keys, then the version
// keys to observe. Returns the n entries (false where absent or not
// current), then the observed versions.
var lookupScript = redis.NewScript(scriptLib + `
local n = tonumber(ARGV[3])
local out = {}
local function current(ver, key) return redis.call('GET', prefix .. key) == ver end
for i = 1, n do
  local e = redis.call('GET', prefix .. ARGV[3 + i])
  if e and deps(e, current) then out[i] = e else out[i] = false end
end
for i = 4 + n, #ARGV do
  local k = prefix .. ARGV[i]
  local v = redis.call('GET', k)
  if not (v and tonumber(v)) then
    v = fresh()
    redis.call('SET', k, v, 'PX', ttl)
  end
  out[#out + 1] = v
end
return out
`)

// fillScript: ARGV prefix, ttl (ms), then key, entry pairs. Each entry's
// version keys are kept alive as long as it.
var fillScript = redis.NewScript(scriptLib + `
local function renew(ver, key)
  local k = prefix .. key
  local left = redis.call('PTTL', k)
  if left >= 0 and left < ttl then redis.call('PEXPIRE', k, ttl) end
end
for i = 3, #ARGV, 2 do
  redis.call('SET', prefix .. ARGV[i], ARGV[i + 1], 'PX', ttl)
  deps(ARGV[i + 1], renew)
end
return 0
`)

// bumpScript: ARGV prefix, ttl (ms), channel, then "s:<key>" (give it a
// fresh version), "d:<key>" (a fresh version for the message only; delete
// the key), "x:<key>" (delete) or "m:<key>" (set a marker; markers come
// last). Publishes "<version> <key>" lines, or an empty message for a
// write's markers alone (every write is told: OnCommitted), and returns
// the fresh versions.
var bumpScript = redis.NewScript(scriptLib + `
local out, msg = {}, {}
for i = 4, #ARGV do
  local mode, key = string.sub(ARGV[i], 1, 1), string.sub(ARGV[i], 3)
  if mode == 'x' then
    redis.call('DEL', prefix .. key)
  elseif mode == 'm' then
    redis.call('SET', prefix .. key, '1', 'PX', ttl)
  else
    local v = fresh()
    if mode == 'd' then
      redis.call('DEL', prefix .. key)
    else
      redis.call('SET', prefix .. key, v, 'PX', ttl)
    end
    out[#out + 1] = v
    msg[#msg + 1] = v .. ' ' .. key
  end
end
if #msg > 0 then
  redis.call('PUBLISH', ARGV[3], table.concat(msg, '\n'))
elseif string.sub(ARGV[#ARGV] or '', 1, 2) == 'm:' then
  -- A write that changed no cached key (a guest's order noted): its
  -- message is empty, a wake-up for the subscriptions of every instance.
  redis.call('PUBLISH', ARGV[3], '')
end
return out
`)

func (r *Redis) Lookup(ctx context.Context, keys, observe []string, ttl time.Duration) ([][]byte, []uint64, error) {
	if time.Now().UnixNano() < r.downTil.Load() {
		return nil, nil, ErrResting
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	args := make([]any, 0, 3+len(keys)+len(observe))
	args = append(args, r.prefix, max(ttl.Milliseconds(), 1), len(keys))
	for _, k := range keys {
		args = append(args, k)
	}
	for _, k := range observe {
		args = append(args, k)
	}
	res, err := lookupScript.Run(ctx, r.client, nil, args...).Slice()
	r.note(err)
	if err != nil {
		return nil, nil, fmt.Errorf("redis lookup: %w", err)
	}
	if len(res) != len(keys)+len(observe) {
		return nil, nil, fmt.Errorf("redis lookup: %d replies for %d keys", len(res), len(keys)+len(observe))
	}
	entries := make([][]byte, len(keys))
	for i := range keys {
		if s, ok := res[i].(string); ok {
			entries[i] = []byte(s)
		}
	}
	versions, err := parseVersions(res[len(keys):])
	if err != nil {
		return nil, nil, fmt.Errorf("redis lookup: %w", err)
	}
	return entries, versions, nil
}

// Fill is skipped while resting: an entry is worth a round trip only to a
// Redis that answers.
func (r *Redis) Fill(ctx context.Context, entries map[string][]byte, ttl time.Duration) error {
	if time.Now().UnixNano() < r.downTil.Load() {
		return ErrResting
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	args := make([]any, 0, 2+2*len(entries))
	args = append(args, r.prefix, max(ttl.Milliseconds(), 1))
	for k, e := range entries {
		args = append(args, k, e)
	}
	err := fillScript.Run(ctx, r.client, nil, args...).Err()
	r.note(err)
	if err != nil {
		return fmt.Errorf("redis fill: %w", err)
	}
	return nil
}

// Bump writes even while resting: it carries invalidations, which must
// reach Redis whenever it answers.
func (r *Redis) Bump(ctx context.Context, changes []Change, marks []string, ttl time.Duration) ([]uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	args := make([]any, 0, 3+2*len(changes))
	args = append(args, r.prefix, max(ttl.Milliseconds(), 1), r.invalidationChannel())
	for _, c := range changes {
		mode := "s:"
		if c.Gone {
			mode = "d:"
		}
		args = append(args, mode+c.Key)
		for _, k := range c.Drop {
			args = append(args, "x:"+k)
		}
	}
	for _, k := range marks {
		args = append(args, "m:"+k)
	}
	res, err := bumpScript.Run(ctx, r.client, nil, args...).Slice()
	r.note(err)
	if err != nil {
		return nil, fmt.Errorf("redis bump: %w", err)
	}
	if len(res) != len(changes) {
		return nil, fmt.Errorf("redis bump: %d versions for %d keys", len(res), len(changes))
	}
	return parseVersions(res)
}

func parseVersions(res []any) ([]uint64, error) {
	out := make([]uint64, len(res))
	for i, v := range res {
		s, _ := v.(string)
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("version %v: %w", v, err)
		}
		out[i] = n
	}
	return out, nil
}

// Subscribe delivers invalidation messages to onMessage until ctx ends.
// onReset is called whenever messages may have been missed: on every
// (re)subscription and after a connection error.
func (r *Redis) Subscribe(ctx context.Context, onMessage func([]byte), onReset func(listening bool)) <-chan struct{} {
	ps := r.client.Subscribe(ctx, r.invalidationChannel())
	done := make(chan struct{})
	// go-redis's Receive does not return when its context ends: closing
	// the subscription is what wakes it.
	stop := context.AfterFunc(ctx, func() { _ = ps.Close() })
	go func() {
		defer close(done)
		defer stop()
		defer ps.Close()
		for {
			msg, err := ps.Receive(ctx)
			if ctx.Err() != nil {
				return
			}
			switch m := msg.(type) {
			case *redis.Subscription:
				onReset(true)
			case *redis.Message:
				onMessage([]byte(m.Payload))
			}
			if err != nil {
				onReset(false)
				// go-redis reconnects on the next Receive; wait a little
				// so a dead Redis is not polled in a tight loop.
				select {
				case <-ctx.Done():
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
		}
	}()
	return done
}
