package redisguard_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/fencing/redisguard"
	"github.com/quorumlock/quorumlock/internal/redisproc"
)

// TestMain fails the package's tests if any goroutine outlives them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A suite test runs against one Redis; each gets a guard whose keys no other test uses.
type suiteTest struct {
	name string
	run  func(t *testing.T, g *redisguard.Guard, c redis.UniversalClient)
}

// suite lists the behaviour tests that run against miniredis and a real redis-server alike.
var suite = []suiteTest{
	{"WriteRefusesOlderTokens", testWriteRefusesOlderTokens},
	{"TokenBoundsAreExact", testTokenBoundsAreExact},
	{"ResentCallsAreIdempotent", testResentCallsAreIdempotent},
	{"ReadForUpdateRaisesFence", testReadForUpdateRaisesFence},
	{"StaleTokenRace", testStaleTokenRace},
	{"LostUpdateWithPlainReadAndWrite", testLostUpdateWithPlainReadAndWrite},
	{"ReadForUpdateRefusesStaleHolder", testReadForUpdateRefusesStaleHolder},
	{"WriteIfVersionDetectsInterveningWrite", testWriteIfVersionDetectsInterveningWrite},
	{"SameTokenWritersDoNotLoseUpdates", testSameTokenWritersDoNotLoseUpdates},
}

func TestMiniredis(t *testing.T) {
	for _, st := range suite {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, miniredis.RunT(t).Addr())
			st.run(t, newGuard(t, c, ""), c)
		})
	}
}

// TestRedisServer runs the suite against one real redis-server; it skips when redis-server is
// not installed, unless QUORUMLOCK_REQUIRE_REDIS=1.
func TestRedisServer(t *testing.T) {
	srv := redisproc.Start(t, redisproc.Config{})
	c := newClient(t, srv.Addr())
	for _, st := range suite {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			st.run(t, newGuard(t, c, st.name+":"), c)
		})
	}
}

// newClient returns a go-redis client for addr that honours context deadlines.
func newClient(t *testing.T, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true, PoolSize: 16})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func newGuard(t *testing.T, c redis.Scripter, prefix string) *redisguard.Guard {
	t.Helper()
	g, err := redisguard.New(c, redisguard.Options{KeyPrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// wantStale fails the test unless err is a *fencing.StaleTokenError for key, token and fence
// whose message names all three.
func wantStale(t *testing.T, err error, key string, token, fence fencing.Token) {
	t.Helper()
	var se *fencing.StaleTokenError
	if !errors.Is(err, fencing.ErrStaleToken) || !errors.As(err, &se) {
		t.Fatalf("err = %v, want a *fencing.StaleTokenError", err)
	}
	if se.Resource != key || se.Token != token || se.Fence != fence {
		t.Fatalf("StaleTokenError = %+v, want {%q %d %d}", *se, key, token, fence)
	}
	for _, s := range []string{fmt.Sprintf("%q", key), token.String(), fence.String()} {
		if !strings.Contains(err.Error(), s) {
			t.Fatalf("error %q does not name %s", err, s)
		}
	}
}

// wantRecord fails the test unless key's snapshot is want.
func wantRecord(t *testing.T, g *redisguard.Guard, key string, want redisguard.Record) {
	t.Helper()
	got, err := g.Read(context.Background(), key)
	if err != nil || got != want {
		t.Fatalf("Read(%q) = %+v, %v; want %+v", key, got, err, want)
	}
}

// mustWrite writes and fails the test on error or an unexpected version.
func mustWrite(t *testing.T, g *redisguard.Guard, key string, token fencing.Token, value string, wantVersion uint64) {
	t.Helper()
	v, err := g.Write(context.Background(), key, token, value)
	if err != nil || v != wantVersion {
		t.Fatalf("Write(%q, %d, %q) = %d, %v; want version %d", key, token, value, v, err, wantVersion)
	}
}
