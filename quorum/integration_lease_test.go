package quorum_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/quorumlock/quorumlock/internal/redisproc"
	"github.com/quorumlock/quorumlock/quorum"
)

// assertHeldBy fails unless every server that has name's lock key holds it for owner, and at
// least a majority has it.
func (c *itCluster) assertHeldBy(t *testing.T, name, owner, when string) {
	t.Helper()
	n := 0
	for i, v := range c.holders(t, name) {
		switch v {
		case "":
		case owner:
			n++
		default:
			t.Errorf("%s: server %d holds %q for %q, want %q", when, i, name, v, owner)
		}
	}
	if n < len(c.servers)/2+1 {
		t.Errorf("%s: %d servers hold %q for %q, want a majority", when, n, name, owner)
	}
}

// majorityHolder returns the owner that holds name on a majority of the servers.
func (c *itCluster) majorityHolder(t *testing.T, name string) string {
	t.Helper()
	count := make(map[string]int)
	for _, v := range c.holders(t, name) {
		if v != "" {
			count[v]++
		}
	}
	for v, n := range count {
		if n > len(c.servers)/2 {
			return v
		}
	}
	t.Fatalf("no owner holds %q on a majority: %v", name, count)
	return ""
}

// TestIntegrationStaleHolder: once A's lease is gone and B holds the lock, A's Extend fails with
// ErrLeaseLost without touching B's keys, and A's Release does not delete them. A's lease goes
// either by running out on the local clock, or by the nodes' clocks jumping past its expiry
// (rewritten with PEXPIRE) while A still believes it holds the lock.
func TestIntegrationStaleHolder(t *testing.T) {
	for _, jump := range []bool{false, true} {
		t.Run(map[bool]string{false: "local-expiry", true: "node-clock-jump"}[jump], func(t *testing.T) {
			staleHolder(t, jump)
		})
	}
}

func staleHolder(t *testing.T, jump bool) {
	c := itStartN(t, 5, redisproc.Config{})
	// B's longer TTL leaves time to check its keys after A's calls.
	optsA := quorum.Options{TTL: 300 * time.Millisecond, NodeTimeout: 50 * time.Millisecond}
	optsB := quorum.Options{TTL: 2 * time.Second, NodeTimeout: 50 * time.Millisecond}
	if jump {
		optsA.TTL = optsB.TTL
	}
	a, b := c.dial(t, optsA), c.dial(t, optsB)
	itWarmUp(t, a, "job")
	ignore := goleak.IgnoreCurrent()
	ctx, cancel := itCtx()
	defer cancel()
	leA := itAcquire(t, a, "job", 2*time.Second)
	if jump {
		for i := range c.servers {
			if err := c.raw[i].PExpire(ctx, itLockKey("job"), time.Millisecond).Err(); err != nil {
				t.Fatalf("PEXPIRE on server %d: %v", i, err)
			}
		}
		time.Sleep(10 * time.Millisecond)
	} else {
		select {
		case <-leA.Done():
		case <-time.After(2 * time.Second):
			t.Fatal("Done not closed 2s after the lease was granted with TTL 300ms")
		}
		if time.Now().Before(leA.ValidUntil()) || !errors.Is(leA.Err(), quorum.ErrLeaseLost) {
			t.Errorf("Done closed at %v before ValidUntil %v, or Err %v is not ErrLeaseLost",
				time.Now(), leA.ValidUntil(), leA.Err())
		}
	}
	leB := itAcquire(t, b, "job", 2*time.Second)
	if leB.Token() <= leA.Token() {
		t.Errorf("B's token %d is not above A's %d", leB.Token(), leA.Token())
	}
	ownerB := c.majorityHolder(t, "job")

	if err := leA.Extend(ctx); !errors.Is(err, quorum.ErrLeaseLost) {
		t.Errorf("A's Extend after B was granted: %v; want ErrLeaseLost", err)
	}
	select {
	case <-leA.Done():
	default:
		t.Error("A's Done is still open after Extend reported the lease lost")
	}
	c.assertHeldBy(t, "job", ownerB, "after A's Extend")
	_ = leA.Release(ctx)
	c.assertHeldBy(t, "job", ownerB, "after A's Release")
	if err := leB.Extend(ctx); err != nil {
		t.Errorf("B's Extend after A's Release: %v", err)
	}
	if err := leB.Release(ctx); err != nil {
		t.Errorf("B's Release: %v", err)
	}
	_, _ = a.Close(), b.Close()
	c.assertNoLockKeys(t)
	itVerifyNoLeaks(t, ignore)
}

func TestIntegrationDoContextDeadlineWhileHeld(t *testing.T) {
	c := itStartN(t, 5, redisproc.Config{})
	opts := quorum.Options{TTL: time.Second, NodeTimeout: 50 * time.Millisecond}
	l, other := c.dial(t, opts), c.dial(t, opts)
	itWarmUp(t, l, "job")
	ignore := goleak.IgnoreCurrent()

	const deadline = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	var ended bool
	var cause error
	var held *quorum.Lease
	start := time.Now()
	err := l.Do(ctx, "job", func(ctx context.Context, le *quorum.Lease) error {
		held = le
		<-ctx.Done()
		ended, cause = true, context.Cause(ctx)
		return ctx.Err()
	})
	elapsed := time.Since(start)
	if !ended || !errors.Is(cause, context.DeadlineExceeded) {
		t.Errorf("fn's context: ended %v, cause %v; want the deadline", ended, cause)
	}
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, quorum.ErrLeaseLost) {
		t.Errorf("Do: %v; want context.DeadlineExceeded and no ErrLeaseLost", err)
	}
	if elapsed > deadline+500*time.Millisecond {
		t.Errorf("Do returned %v after a %v deadline", elapsed, deadline)
	}
	c.waitNoLockKeys(t, 2*time.Second) // Release ran on a context of its own
	octx, ocancel := itCtx()
	defer ocancel()
	le, err := other.TryAcquire(octx, "job")
	if err != nil {
		t.Fatalf("TryAcquire after Do: %v", err)
	}
	if held == nil || le.Token() <= held.Token() {
		t.Errorf("token %d after Do is not above Do's lease %v", le.Token(), held)
	}
	if err := le.Release(octx); err != nil {
		t.Errorf("Release: %v", err)
	}
	_, _ = l.Close(), other.Close()
	itVerifyNoLeaks(t, ignore)
}

func TestIntegrationDoKeepsExtending(t *testing.T) {
	const ttl, run = 300 * time.Millisecond, 1500 * time.Millisecond
	c := itStartN(t, 5, redisproc.Config{})
	l := c.dial(t, quorum.Options{TTL: ttl})
	itWarmUp(t, l, "job")
	ignore := goleak.IgnoreCurrent()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := l.Do(ctx, "job", func(ctx context.Context, le *quorum.Lease) error {
		token, first := le.Token(), le.ValidUntil()
		start := time.Now()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for time.Since(start) < run {
			select {
			case <-ctx.Done():
				return fmt.Errorf("fn's context ended after %v: %w", time.Since(start), context.Cause(ctx))
			case <-tick.C:
			}
			if err := le.Err(); err != nil || !time.Now().Before(le.ValidUntil()) {
				return fmt.Errorf("lease ended after %v (ValidUntil %v): %w", time.Since(start), le.ValidUntil(), err)
			}
		}
		if le.Token() != token {
			return fmt.Errorf("token changed from %d to %d", token, le.Token())
		}
		if moved := le.ValidUntil().Sub(first); moved < run-ttl {
			return fmt.Errorf("ValidUntil moved by only %v in %v", moved, run)
		}
		return nil
	})
	if err != nil {
		t.Errorf("Do: %v", err)
	}
	c.waitNoLockKeys(t, 2*time.Second)
	_ = l.Close()
	itVerifyNoLeaks(t, ignore)
}
