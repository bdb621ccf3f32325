package quorum_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/clock"
	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/internal/redisproc"
	"github.com/quorumlock/quorumlock/quorum"
)

// restartOptions: a short TTL (and so quarantine) keeps the wait for healing short.
var restartOptions = quorum.Options{TTL: 2 * time.Second, NodeTimeout: 100 * time.Millisecond}

// holdFromTheFuture has client A, whose clock runs an hour ahead, take name on every node, or
// only on nodes 0-2 when onlyMajority (its requests to 3 and 4 are lost). Its token is then far
// above what any other client proposes: only the nodes' counters keep later tokens above it.
func holdFromTheFuture(t *testing.T, c *itCluster, name string, onlyMajority bool) *quorum.Lease {
	t.Helper()
	opts := restartOptions
	opts.Clock = itOffsetClock{Clock: clock.Real(), off: time.Hour}
	l := c.dial(t, opts)
	if onlyMajority {
		c.faults[3].SetFail(true)
		c.faults[4].SetFail(true)
	}
	le := itAcquire(t, l, name, 5*time.Second)
	c.faults[3].SetFail(false)
	c.faults[4].SetFail(false)
	held := 0
	for _, v := range c.holders(t, name) {
		if v != "" {
			held++
		}
	}
	if onlyMajority && held != 3 {
		t.Fatalf("A's lease is on %d nodes, want exactly 3", held)
	}
	return le
}

// killAndRestart kills servers idx with SIGKILL and starts them again on the same port and dir.
func (c *itCluster) killAndRestart(t *testing.T, idx ...int) {
	t.Helper()
	for _, i := range idx {
		c.servers[i].Kill()
		c.servers[i].Restart(t)
	}
}

// waitHealedBy makes l acquire and release name until servers idx are healed (their marker
// says "ok"), and returns each one's floor.
func (c *itCluster) waitHealedBy(t *testing.T, l *quorum.Locker, name string, idx ...int) []fencing.Token {
	t.Helper()
	deadline := time.Now().Add(3*restartOptions.TTL + 2*time.Second)
	for {
		healed := 0
		for _, i := range idx {
			if c.marker(t, i, "state") == "ok" {
				healed++
			}
		}
		if healed == len(idx) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("servers %v not healed by %v", idx, deadline)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if le, err := l.Acquire(ctx, name); err == nil {
			_ = le.Release(ctx)
		}
		cancel()
		time.Sleep(50 * time.Millisecond)
	}
	floors := make([]fencing.Token, len(idx))
	for j, i := range idx {
		f, err := strconv.ParseUint(c.marker(t, i, "floor"), 10, 64)
		if err != nil {
			t.Fatalf("server %d: floor: %v", i, err)
		}
		floors[j] = fencing.Token(f)
	}
	return floors
}

// TestIntegrationRestartWithoutPersistence kills and restarts two of five servers without
// persistence while A holds a lease: they come back amnesic. B must not get the lock while A's
// lease is valid, and every later token must be above A's, even from a majority that contains
// both restarted nodes and none that saw A's grant: their floor carries it.
func TestIntegrationRestartWithoutPersistence(t *testing.T) {
	for _, onlyMajority := range []bool{false, true} {
		t.Run(map[bool]string{false: "lease-on-all", true: "lease-on-0-1-2"}[onlyMajority], func(t *testing.T) {
			c := itStartN(t, 5, redisproc.Config{})
			itWarmUp(t, c.dial(t, restartOptions), "x")
			leA := holdFromTheFuture(t, c, "x", onlyMajority)
			c.killAndRestart(t, 0, 1)
			b := c.dial(t, restartOptions)
			ctx, cancel := itCtx()
			defer cancel()

			// B tries again and again for a while: a node's first contact after its restart
			// and its later ones must all refuse.
			var err error
			for until := time.Now().Add(400 * time.Millisecond); time.Now().Before(until); {
				var le *quorum.Lease
				if le, err = b.TryAcquire(ctx, "x"); err == nil {
					t.Fatalf("B was granted %d while A holds %d", le.Token(), leA.Token())
				}
				time.Sleep(20 * time.Millisecond)
			}
			if !time.Now().Before(leA.ValidUntil()) {
				t.Fatal("A's lease ran out before B's attempts ended: the test is too slow to judge")
			}
			// With A on 0-2 only, no majority is impossible before an amnesic node answered.
			if !errors.Is(err, quorum.ErrNotAcquired) || onlyMajority && !errors.Is(err, quorum.ErrNodeAmnesic) {
				t.Errorf("B's TryAcquire: %v; want ErrNotAcquired (with amnesic nodes: %v)", err, onlyMajority)
			}
			// A still holds a majority unless its lease lived on 0-2 only: then the amnesic
			// nodes abstain, and no majority can extend it.
			err = leA.Extend(ctx)
			if onlyMajority == (err == nil) {
				t.Errorf("A's Extend after the restarts: %v (lease on 0-2 only: %v)", err, onlyMajority)
			}
			if !onlyMajority {
				if err := leA.Release(ctx); err != nil {
					t.Errorf("A's Release: %v", err)
				}
			}
			floors := c.waitHealedBy(t, b, "y", 0, 1)
			for j, f := range floors {
				if f < leA.Token() {
					t.Errorf("server %d healed with floor %d, below A's token %d", j, f, leA.Token())
				}
			}
			c.stop(t, 2) // the majority left, {0, 1, 3, 4}, may have only the floor to go by
			le := itAcquire(t, b, "x", 3*time.Second)
			if le.Token() <= leA.Token() {
				t.Errorf("B's token %d is not above A's %d", le.Token(), leA.Token())
			}
			c.cont(2)
			if err := le.Release(ctx); err != nil {
				t.Errorf("Release: %v", err)
			}
		})
	}
}

// TestIntegrationRestartWithPersistence: with appendfsync always, a killed and restarted server
// keeps its marker, counters and keys, but a restart may have reloaded older data (a snapshot,
// a backup): the marker names the process that wrote it, so the node is amnesic from its first
// call, refuses grants until it has been quarantined and healed, and keeps its counters. A
// majority made of the restarted nodes and nodes that never saw A's grant then gives a token
// above A's.
func TestIntegrationRestartWithPersistence(t *testing.T) {
	c := itStartN(t, 5, redisproc.Config{AppendOnly: true})
	itWarmUp(t, c.dial(t, restartOptions), "x")
	leA := holdFromTheFuture(t, c, "x", true)
	owner := c.get(t, 0, itLockKey("x"))
	c.killAndRestart(t, 0, 1)
	for _, i := range []int{0, 1} {
		if got := c.counter(t, i, "x"); got != leA.Token() {
			t.Errorf("server %d: counter %d after restart, want A's token %d", i, got, leA.Token())
		}
		if got := c.get(t, i, itLockKey("x")); got != owner {
			t.Errorf("server %d: lock key holds %q after restart, want A's %q", i, got, owner)
		}
	}
	b := c.dial(t, restartOptions)
	ctx, cancel := itCtx()
	defer cancel()
	for range 2 { // the first attempt may meet connections the restarts closed
		if le, err := b.TryAcquire(ctx, "x"); err == nil {
			t.Fatalf("B was granted %d while A holds %d", le.Token(), leA.Token())
		}
	}
	for _, i := range []int{0, 1} {
		if st, lost := c.marker(t, i, "state"), c.marker(t, i, "lost"); st != "amnesic" || lost != "restart" {
			t.Errorf("server %d after a call: marker %s, lost %q; want amnesic after a restart", i, st, lost)
		}
	}
	if err := leA.Release(ctx); err != nil {
		t.Errorf("A's Release: %v", err)
	}
	c.waitHealedBy(t, b, "y", 0, 1)
	c.stop(t, 2)
	le := itAcquire(t, b, "x", 3*time.Second)
	if le.Token() <= leA.Token() {
		t.Errorf("B's token %d is not above A's %d", le.Token(), leA.Token())
	}
	c.cont(2)
	if err := le.Release(ctx); err != nil {
		t.Errorf("Release: %v", err)
	}
}
