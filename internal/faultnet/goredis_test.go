package faultnet_test

import (
	"context"
	"errors"
	"testing"

	"github.com/quorumlock/quorumlock/internal/faultnet"
	"github.com/redis/go-redis/v9"
)

// newGoRedis returns a go-redis client, without retries, whose connections go through dial.
func newGoRedis(t *testing.T, addr string, dial dialFunc) *redis.Client {
	t.Helper()
	rc := redis.NewClient(&redis.Options{Addr: addr, Dialer: dial, MaxRetries: -1, PoolSize: 1, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = rc.Close() })
	return rc
}

// TestGoRedisThroughStall: a real client's call times out on a stalled node and, as on a
// SIGSTOPped server, its command still runs on Resume although the client gave up and
// closed the connection.
func TestGoRedisThroughStall(t *testing.T) {
	s, n := startNode(t)
	rc := newGoRedis(t, s.Addr(), n.Dialer(0))
	if err := rc.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	n.Stall()
	ctx, cancel := context.WithTimeout(context.Background(), heldFor)
	err := rc.Set(ctx, "k", "v", 0).Err()
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) && !isTimeout(err) {
		n.Resume()
		t.Fatalf("SET on a stalled node: %v, want a timeout", err)
	}
	staysAbsent(t, s, "k")
	n.Resume()
	eventually(t, "run", func() bool { return s.Exists("k") })
	if err := rc.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("PING after Resume: %v", err)
	}

}

// TestGoRedisFailAndLose: a real client sees SetFail and SetLoseReplies as connection errors,
// with the command not run and run respectively.
func TestGoRedisFailAndLose(t *testing.T) {
	s, n := startNode(t)
	rc := newGoRedis(t, s.Addr(), n.Dialer(0))
	ctx, cancel := context.WithTimeout(context.Background(), replyWait)
	defer cancel()
	if err := rc.Ping(ctx).Err(); err != nil { // a pooled connection, for the fault to reset
		t.Fatal(err)
	}
	n.SetFail(true)
	if err := rc.Set(ctx, "failed", "v", 0).Err(); !errors.Is(err, faultnet.ErrInjected) {
		t.Fatalf("SET under SetFail: %v, want ErrInjected", err)
	}
	n.SetFail(false)
	staysAbsent(t, s, "failed")
	// A new connection's handshake (HELLO) would lose its reply too: dial one first.
	if err := rc.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	n.SetLoseReplies(true)
	if err := rc.Set(ctx, "lost", "v", 0).Err(); !errors.Is(err, faultnet.ErrInjected) {
		t.Fatalf("SET under SetLoseReplies: %v, want ErrInjected", err)
	}
	n.SetLoseReplies(false)
	if !s.Exists("lost") {
		t.Fatal("the SET whose reply was lost did not run")
	}
	if err := rc.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING once healed: %v", err)
	}
}

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}
