package quorum_test

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/quorumlock/quorumlock/quorum"
)

// TestRedisNodesRecoverFromScriptFlush: script calls fall back to the scripts' source when a
// server has lost them (SCRIPT FLUSH).
func TestRedisNodesRecoverFromScriptFlush(t *testing.T) {
	ctx := context.Background()
	c, l := newLocker(t, 3, quorum.Options{})
	servers := c.Servers
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
