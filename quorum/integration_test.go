package quorum_test

// Integration tests against real redis-server processes (internal/redisproc). They skip when
// redis-server is not on PATH, unless QUORUMLOCK_REQUIRE_REDIS=1. This file holds the shared
// helpers and the tests of Dial and Inspect; the scenarios live in integration_*_test.go.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/quorumlock/quorumlock/clock"
	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/internal/faultnet"
	"github.com/quorumlock/quorumlock/internal/redisproc"
	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/quorum/quorumtest"
)

// itPrefix is the key prefix every integration test uses (the default).
const itPrefix = quorum.DefaultKeyPrefix

// itProbeName is the client name of the helpers' own connections, so that waitIdle can tell
// them from the connections of the code under test.
const itProbeName = "itprobe"

// itPersistenceModes runs a scenario with persistence off and with appendfsync always.
var itPersistenceModes = []struct {
	name string
	cfg  redisproc.Config
}{
	{"aof=no", redisproc.Config{}},
	{"aof=always", redisproc.Config{AppendOnly: true}},
}

// itEachPersistence runs f as one subtest per persistence mode.
func itEachPersistence(t *testing.T, f func(t *testing.T, cfg redisproc.Config)) {
	t.Helper()
	for _, m := range itPersistenceModes {
		t.Run(m.name, func(t *testing.T) { f(t, m.cfg) })
	}
}

// itCluster is a set of real redis-server processes, each with a client of the test's own, and
// a fault layer below every Locker's connections (faults[i] acts on server i).
type itCluster struct {
	servers []*redisproc.Server
	raw     []*redis.Client
	net     faultnet.Network
	faults  []*faultnet.Node
	clients int

	urlOverride []string // the URLs Lockers dial, if not the servers' own (a user and password)
}

// itStart starts one server per config; t.Cleanup kills them and closes the clients.
func itStart(t *testing.T, cfgs ...redisproc.Config) *itCluster {
	t.Helper()
	c := &itCluster{}
	for _, cfg := range cfgs {
		s := redisproc.Start(t, cfg)
		rc := redis.NewClient(&redis.Options{Addr: s.Addr(), ClientName: itProbeName, ContextTimeoutEnabled: true})
		t.Cleanup(func() { _ = rc.Close() })
		c.servers = append(c.servers, s)
		c.raw = append(c.raw, rc)
		c.faults = append(c.faults, c.net.Add(s.Addr()))
	}
	t.Cleanup(func() {
		for _, f := range c.faults {
			f.Resume()
		}
	})
	return c
}

// itStartN starts n servers with the same config.
func itStartN(t *testing.T, n int, cfg redisproc.Config) *itCluster {
	t.Helper()
	cfgs := make([]redisproc.Config, n)
	for i := range cfgs {
		cfgs[i] = cfg
	}
	return itStart(t, cfgs...)
}

func (c *itCluster) urls() []string {
	if c.urlOverride != nil {
		return c.urlOverride
	}
	urls := make([]string, len(c.servers))
	for i, s := range c.servers {
		urls[i] = s.URL()
	}
	return urls
}

// dial returns a Locker over every server, dialled through the fault layer as a new client;
// t.Cleanup closes it.
func (c *itCluster) dial(t *testing.T, opts quorum.Options) *quorum.Locker {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.clients++
	opts.Dialer = c.net.Dialer(c.clients)
	l, err := quorum.Dial(ctx, c.urls(), opts)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// itCtx bounds one call of the helpers to a server.
func itCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 3*time.Second)
}

// lockKeys returns the lock keys (not counters, markers or tombstones) on server i.
func (c *itCluster) lockKeys(t *testing.T, i int) []string {
	t.Helper()
	ctx, cancel := itCtx()
	defer cancel()
	var keys []string
	iter := c.raw[i].Scan(ctx, 0, itPrefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		if quorumtest.IsLockKey(itPrefix, iter.Val()) {
			keys = append(keys, iter.Val())
		}
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("SCAN %s: %v", c.servers[i].Addr(), err)
	}
	return keys
}

// assertNoLockKeys fails the test for every lock key left on any server.
func (c *itCluster) assertNoLockKeys(t *testing.T) {
	t.Helper()
	for i := range c.servers {
		if keys := c.lockKeys(t, i); len(keys) > 0 {
			t.Errorf("server %d (%s) still has lock keys %q", i, c.servers[i].Addr(), keys)
		}
	}
}

// get returns the value of key on server i, or "" if it does not exist.
func (c *itCluster) get(t *testing.T, i int, key string) string {
	t.Helper()
	ctx, cancel := itCtx()
	defer cancel()
	v, err := c.raw[i].Get(ctx, key).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		t.Fatalf("GET %s on %s: %v", key, c.servers[i].Addr(), err)
	}
	return v
}

// holders returns the value of the lock key of name on each server ("" where it is missing).
func (c *itCluster) holders(t *testing.T, name string) []string {
	t.Helper()
	out := make([]string, len(c.servers))
	for i := range c.servers {
		out[i] = c.get(t, i, itLockKey(name))
	}
	return out
}

// counter returns server i's fencing counter for name (0 if none).
func (c *itCluster) counter(t *testing.T, i int, name string) fencing.Token {
	t.Helper()
	v := c.get(t, i, itLockKey(name)+":fence")
	if v == "" {
		return 0
	}
	tok, err := fencing.ParseToken(v)
	if err != nil {
		t.Fatalf("counter of %q on server %d is %q: %v", name, i, v, err)
	}
	return tok
}

// marker returns field of server i's marker hash ("" if missing).
func (c *itCluster) marker(t *testing.T, i int, field string) string {
	t.Helper()
	ctx, cancel := itCtx()
	defer cancel()
	v, err := c.raw[i].HGet(ctx, itPrefix+"node", field).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		t.Fatalf("HGET marker %s on server %d: %v", field, i, err)
	}
	return v
}

// waitIdle waits until server i has no client connection but the helpers' own: every command
// that was queued on it (while it was stopped) by a closed client has run.
func (c *itCluster) waitIdle(t *testing.T, i int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ctx, cancel := itCtx()
		list, err := c.raw[i].ClientList(ctx).Result()
		cancel()
		others := 0
		for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
			if line != "" && !strings.Contains(line, " name="+itProbeName+" ") {
				others++
			}
		}
		if err == nil && others == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("server %d: other clients still connected after 5s (err %v):\n%s", i, err, list)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func itLockKey(name string) string { return itPrefix + "{" + name + "}" }

// itWarmUp brings fresh servers into service (a new deployment's heal; refused, harmlessly, if
// they are in service), then acquires name and releases it.
func itWarmUp(t *testing.T, l *quorum.Locker, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := l.Heal(ctx, quorum.HealOptions{NewDeployment: true}); err != nil && !errors.Is(err, quorum.ErrHealRefused) {
		t.Fatalf("warm-up heal: %v", err)
	}
	le, err := l.Acquire(ctx, name)
	if err != nil {
		t.Fatalf("warm-up Acquire(%q): %v", name, err)
	}
	if err := le.Release(ctx); err != nil {
		t.Fatalf("warm-up Release(%q): %v", name, err)
	}
}

// acquire calls Acquire with a deadline and fails the test if it does not succeed.
func itAcquire(t *testing.T, l *quorum.Locker, name string, within time.Duration) *quorum.Lease {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	le, err := l.Acquire(ctx, name)
	if err != nil {
		t.Fatalf("Acquire(%q): %v", name, err)
	}
	return le
}

// itIgnoreServers ignores the goroutines that wait for redis-server processes (and for those
// restarted later): they belong to redisproc, not to the code under test.
var itIgnoreServers = goleak.IgnoreAnyFunction("github.com/quorumlock/quorumlock/internal/redisproc.(*Server).launch.func1")

// itVerifyNoLeaks checks that no goroutine started after the snapshot ignore is still running.
// Call it after every Locker of the test is closed.
func itVerifyNoLeaks(t *testing.T, ignore goleak.Option) {
	t.Helper()
	goleak.VerifyNone(t, ignore, itIgnoreServers)
}

// itOffsetClock is the real clock shifted by off: a client whose clock is ahead proposes tokens
// from the future, which makes lost counters visible as tokens that go backwards.
type itOffsetClock struct {
	clock.Clock
	off time.Duration
}

func (c itOffsetClock) Now() time.Time                  { return c.Clock.Now().Add(c.off) }
func (c itOffsetClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

func TestIntegrationDialRefusesSameServerTwice(t *testing.T) {
	c := itStartN(t, 2, redisproc.Config{})
	s := c.servers[0]
	urls := []string{s.URL(), "redis://" + s.Addr() + "/1", c.servers[1].URL()}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l, err := quorum.Dial(ctx, urls, quorum.Options{})
	if err == nil {
		_ = l.Close()
		t.Fatal("Dial accepted two URLs of the same server")
	}
	if !errors.Is(err, quorum.ErrInvalidOptions) {
		t.Errorf("error does not wrap ErrInvalidOptions: %v", err)
	}
	for _, want := range []string{s.Addr() + "/0", s.Addr() + "/1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s: %v", want, err)
		}
	}
}

func TestIntegrationDialNamesBadURL(t *testing.T) {
	c := itStartN(t, 2, redisproc.Config{})
	for _, tc := range []struct{ url, want, secret string }{
		{"memcached://127.0.0.1:1/0", "memcached://127.0.0.1:1/0", ""},
		{"redis://user:hunter2@127.0.0.1:1/notadb", "redis://user:xxxxx@127.0.0.1:1/notadb", "hunter2"},
	} {
		urls := append(c.urls(), tc.url)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		l, err := quorum.Dial(ctx, urls, quorum.Options{})
		cancel()
		if err == nil {
			_ = l.Close()
			t.Errorf("Dial accepted %q", tc.url)
			continue
		}
		if !errors.Is(err, quorum.ErrInvalidOptions) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Dial(%q) = %v; want ErrInvalidOptions naming %s", tc.url, err, tc.want)
		}
		if tc.secret != "" && strings.Contains(err.Error(), tc.secret) {
			t.Errorf("Dial(%q) error leaks the password: %v", tc.url, err)
		}
	}
}

func TestIntegrationInspectFindings(t *testing.T) {
	// An eviction policy only evicts under a memory limit.
	lru := []string{"--maxmemory-policy", "allkeys-lru", "--maxmemory", "64mb"}
	c := itStart(t,
		redisproc.Config{AppendOnly: true, ExtraArgs: lru},
		redisproc.Config{AppendOnly: true, ExtraArgs: lru},
		redisproc.Config{AppendOnly: false},
	)
	l := c.dial(t, quorum.Options{TTL: time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	reports, err := l.Inspect(ctx)
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	has := func(r quorum.NodeReport, s quorum.Severity, substr string) bool {
		for _, f := range r.Findings {
			if f.Severity == s && strings.Contains(f.Message, substr) {
				return true
			}
		}
		return false
	}
	for i, r := range reports {
		if r.Err != nil {
			t.Fatalf("node %d: %v", i, r.Err)
		}
		lruNode := i < 2
		if got := has(r, quorum.Danger, "allkeys-lru"); got != lruNode {
			t.Errorf("node %d: Danger about allkeys-lru = %v, want %v; findings %+v", i, got, lruNode, r.Findings)
		}
		noPersistence := has(r, quorum.Info, "persistence off")
		if noPersistence == lruNode || !lruNode && has(r, quorum.Danger, "") {
			t.Errorf("node %d: Info about persistence off = %v, want %v; findings %+v", i, noPersistence, !lruNode, r.Findings)
		}
		if !r.Info.AppendOnly != !lruNode || r.Info.RunID == "" {
			t.Errorf("node %d: Info %+v", i, r.Info)
		}
	}
}
