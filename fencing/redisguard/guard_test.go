package redisguard_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/fencing/redisguard"
)

func testWriteRefusesOlderTokens(t *testing.T, g *redisguard.Guard, _ redis.UniversalClient) {
	mustWrite(t, g, "acct", 5, "a", 1)
	mustWrite(t, g, "acct", 5, "b", 2) // an equal token is the same holder writing again
	mustWrite(t, g, "acct", 9, "c", 3)
	_, err := g.Write(context.Background(), "acct", 7, "stale")
	wantStale(t, err, "acct", 7, 9)
	wantRecord(t, g, "acct", redisguard.Record{Value: "c", Version: 3, Fence: 9})
	wantRecord(t, g, "other", redisguard.Record{})
}

// testTokenBoundsAreExact checks that tokens near 2^53 are compared exactly by the server's Lua
// (whose numbers are doubles) and that tokens outside [1, MaxToken] never reach it.
func testTokenBoundsAreExact(t *testing.T, g *redisguard.Guard, _ redis.UniversalClient) {
	ctx := context.Background()
	mustWrite(t, g, "k", fencing.MaxToken-1, "a", 1)
	mustWrite(t, g, "k", fencing.MaxToken, "b", 2)
	_, err := g.Write(ctx, "k", fencing.MaxToken-1, "stale")
	wantStale(t, err, "k", fencing.MaxToken-1, fencing.MaxToken)
	wantRecord(t, g, "k", redisguard.Record{Value: "b", Version: 2, Fence: fencing.MaxToken})
	for _, tok := range []fencing.Token{0, fencing.MaxToken + 1} {
		if _, err := g.Write(ctx, "k", tok, "x"); !errors.Is(err, redisguard.ErrInvalidToken) {
			t.Errorf("Write with token %d: %v, want ErrInvalidToken", tok, err)
		}
		if _, _, err := g.ReadForUpdate(ctx, "k", tok); !errors.Is(err, redisguard.ErrInvalidToken) {
			t.Errorf("ReadForUpdate with token %d: %v, want ErrInvalidToken", tok, err)
		}
		if _, err := g.WriteIfVersion(ctx, "k", tok, 2, "x"); !errors.Is(err, redisguard.ErrInvalidToken) {
			t.Errorf("WriteIfVersion with token %d: %v, want ErrInvalidToken", tok, err)
		}
	}
	if _, err := g.Write(ctx, "", 1, "x"); !errors.Is(err, redisguard.ErrInvalidKey) {
		t.Errorf("Write with an empty key: %v, want ErrInvalidKey", err)
	}
	if _, err := g.Read(ctx, ""); !errors.Is(err, redisguard.ErrInvalidKey) {
		t.Errorf("Read with an empty key: %v, want ErrInvalidKey", err)
	}
}

// testResentCallsAreIdempotent: go-redis may resend a script whose reply was lost; the resent
// call must neither fail nor write again. A resent WriteIfVersion carries its call's write id;
// a new call with the same arguments does not, and is another update.
func testResentCallsAreIdempotent(t *testing.T, g *redisguard.Guard, _ redis.UniversalClient) {
	ctx := context.Background()
	mustWrite(t, g, "k", 5, "a", 1)
	mustWrite(t, g, "k", 5, "a", 1) // resent: nothing changes
	const id = "0123456789abcdef0123456789abcdef"
	for range 2 { // the second call is a resend of the first: the same write id
		if v, err := redisguard.WriteIfVersionWithID(g, ctx, "k", 5, 1, "b", id); err != nil || v != 2 {
			t.Fatalf("WriteIfVersion(5, 1, b) = %d, %v; want 2", v, err)
		}
	}
	for _, value := range []string{"b", "c"} { // not resends: new calls, same value or another
		_, err := g.WriteIfVersion(ctx, "k", 5, 1, value)
		var ve *redisguard.VersionError
		if !errors.As(err, &ve) || !errors.Is(err, redisguard.ErrVersionChanged) ||
			*ve != (redisguard.VersionError{Key: "k", Token: 5, Version: 1, Current: 2}) {
			t.Fatalf("WriteIfVersion(5, 1, %s) = %v, want VersionError{k 5 1 2}", value, err)
		}
		if !strings.Contains(err.Error(), `"k"`) || !strings.Contains(err.Error(), "token 5") {
			t.Fatalf("error %q does not name the key and the token", err)
		}
	}
	// A resend that arrives after a later write is no longer recognised: it reports the change.
	if _, err := g.WriteIfVersion(ctx, "k", 5, 2, "d"); err != nil {
		t.Fatal(err)
	}
	if _, err := redisguard.WriteIfVersionWithID(g, ctx, "k", 5, 1, "b", id); !errors.Is(err, redisguard.ErrVersionChanged) {
		t.Fatalf("late resend = %v, want ErrVersionChanged", err)
	}
	wantRecord(t, g, "k", redisguard.Record{Value: "d", Version: 3, Fence: 5})
}

func testReadForUpdateRaisesFence(t *testing.T, g *redisguard.Guard, _ redis.UniversalClient) {
	ctx := context.Background()
	if v, ver, err := g.ReadForUpdate(ctx, "k", 3); err != nil || v != "" || ver != 0 {
		t.Fatalf("ReadForUpdate of a new key = %q, %d, %v; want empty, 0", v, ver, err)
	}
	wantRecord(t, g, "k", redisguard.Record{Fence: 3})
	_, err := g.Write(ctx, "k", 2, "stale")
	wantStale(t, err, "k", 2, 3)
	_, _, err = g.ReadForUpdate(ctx, "k", 2)
	wantStale(t, err, "k", 2, 3)
	mustWrite(t, g, "k", 3, "a", 1)
	if v, ver, err := g.ReadForUpdate(ctx, "k", 3); err != nil || v != "a" || ver != 1 {
		t.Fatalf("ReadForUpdate(3) = %q, %d, %v; want a, 1", v, ver, err)
	}
	wantRecord(t, g, "k", redisguard.Record{Value: "a", Version: 1, Fence: 3})
}

func TestNewValidatesOptions(t *testing.T) {
	if _, err := redisguard.New(nil, redisguard.Options{}); !errors.Is(err, redisguard.ErrInvalidOptions) {
		t.Errorf("New(nil) = %v, want ErrInvalidOptions", err)
	}
	c := redis.NewClient(&redis.Options{})
	defer c.Close()
	for _, prefix := range []string{"{x", "a}", "{}"} {
		_, err := redisguard.New(c, redisguard.Options{KeyPrefix: prefix})
		if !errors.Is(err, redisguard.ErrInvalidOptions) || !strings.Contains(err.Error(), "KeyPrefix") {
			t.Errorf("New with KeyPrefix %q = %v, want ErrInvalidOptions naming KeyPrefix", prefix, err)
		}
	}
}

// hashTag returns the part of key that Redis Cluster hashes (its CLUSTER KEYSLOT rule).
func hashTag(key string) string {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			return key[i+1 : i+1+j]
		}
	}
	return key
}

// TestKeysShareOneHashSlot checks that the value and the fence of every valid key hash alike,
// and that the keys that would not are refused.
func TestKeysShareOneHashSlot(t *testing.T) {
	c := redis.NewClient(&redis.Options{})
	defer c.Close()
	for _, prefix := range []string{"", "app:"} {
		g := newGuard(t, c, prefix)
		for _, key := range []string{"acct:7", "a{b}c", "{", "{}", "x}{y", "a}"} {
			v, f := g.Keys(key)
			if !strings.HasPrefix(v, prefix) || !strings.HasPrefix(f, prefix) || v == f {
				t.Errorf("prefix %q key %q: keys %q %q", prefix, key, v, f)
			}
			if hashTag(v) != hashTag(f) || hashTag(v) == v {
				t.Errorf("prefix %q key %q: keys %q and %q hash as %q and %q", prefix, key, v, f, hashTag(v), hashTag(f))
			}
		}
		for _, key := range []string{"", "}", "}x"} {
			if v, f := g.Keys(key); hashTag(v) == hashTag(f) {
				t.Errorf("key %q was expected to hash unlike its fence: %q, %q", key, v, f)
			}
			if _, err := g.Write(context.Background(), key, 1, "x"); !errors.Is(err, redisguard.ErrInvalidKey) {
				t.Errorf("Write with key %q = %v, want ErrInvalidKey", key, err)
			}
		}
	}
}

func TestKeyPrefixNamesTheStoredKeys(t *testing.T) {
	c := newClient(t, miniredis.RunT(t).Addr())
	g := newGuard(t, c, "app:")
	mustWrite(t, g, "acct", 4, "v", 1)
	ctx := context.Background()
	if got, err := c.Get(ctx, "app:{acct}:value").Result(); err != nil || got != "v" {
		t.Fatalf("GET app:{acct}:value = %q, %v", got, err)
	}
	if got, err := c.HGetAll(ctx, "app:{acct}:fence").Result(); err != nil || got["fence"] != "4" || got["version"] != "1" {
		t.Fatalf("HGETALL app:{acct}:fence = %v, %v", got, err)
	}
}

func TestCancelledContext(t *testing.T) {
	g := newGuard(t, newClient(t, miniredis.RunT(t).Addr()), "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := g.Write(ctx, "k", 1, "v")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Write on a cancelled context: %v, want context.Canceled", err)
	}
	if _, _, err := g.ReadForUpdate(ctx, "k", 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("ReadForUpdate on a cancelled context: %v, want context.Canceled", err)
	}
}
