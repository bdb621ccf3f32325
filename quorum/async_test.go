package quorum_test

import (
	"context"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/quorumlock/quorumlock/quorum"
)

// TestRedisNodesRecoverFromScriptFlush: calls that a Locker sends to RedisNodes without a
// goroutine (acquire, extend, release) fall back to the scripts' source when a server has lost
// them.
func TestRedisNodesRecoverFromScriptFlush(t *testing.T) {
	ctx := context.Background()
	var nodes []quorum.Node
	var servers []*miniredis.Miniredis
	for range 3 {
		s := miniredis.RunT(t)
		n, err := quorum.NewRedisNodeURL("redis://"+s.Addr(), quorum.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = n.Close() })
		nodes, servers = append(nodes, n), append(servers, s)
	}
	l, err := quorum.New(nodes, quorum.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	warm(t, l)
	for _, s := range servers {
		c := redis.NewClient(&redis.Options{Addr: s.Addr()})
		if err := c.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		_ = c.Close()
	}
	le := mustAcquire(t, l, "job")
	if err := le.Extend(ctx); err != nil {
		t.Fatalf("Extend after SCRIPT FLUSH: %v", err)
	}
	if err := le.Release(ctx); err != nil {
		t.Fatalf("Release after SCRIPT FLUSH: %v", err)
	}
	le = mustAcquire(t, l, "job") // the release ran: the name is free again
	if le.Token() == 0 {
		t.Fatal("no token")
	}
}
