package quorum_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/internal/redisproc"
	"github.com/quorumlock/quorumlock/quorum"
)

// stallOptions make a stalled node obvious: a call to it lasts a whole second.
var stallOptions = quorum.Options{TTL: 10 * time.Second, NodeTimeout: time.Second}

// stop SIGSTOPs the servers idx; t.Cleanup resumes them (Kill does too, but a failed test should
// not leave the next Cleanups waiting on a stalled server).
func (c *itCluster) stop(t *testing.T, idx ...int) {
	t.Helper()
	for _, i := range idx {
		c.servers[i].Stop()
		t.Cleanup(c.servers[i].Cont)
	}
}

func (c *itCluster) cont(idx ...int) {
	for _, i := range idx {
		c.servers[i].Cont()
	}
}

// waitSameHolder polls until every server holds name under one owner, and fails if a second
// owner or another lock key ever shows up.
func (c *itCluster) waitSameHolder(t *testing.T, name string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var owner string
		all := true
		for i := range c.servers {
			for _, k := range c.lockKeys(t, i) {
				if k != itLockKey(name) {
					t.Fatalf("server %d has the foreign lock key %q", i, k)
				}
			}
			v := c.get(t, i, itLockKey(name))
			switch {
			case v == "":
				all = false
			case owner == "":
				owner = v
			case v != owner:
				t.Fatalf("%q is held by two owners: %q and %q", name, owner, v)
			}
		}
		if all {
			return owner
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q is not held by one owner on every server after 5s: %q", name, c.holders(t, name))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestIntegrationTwoStoppedNodesDoNotDelayGrant(t *testing.T) {
	itEachPersistence(t, func(t *testing.T, cfg redisproc.Config) {
		c := itStartN(t, 5, cfg)
		l := c.dial(t, stallOptions)
		itWarmUp(t, l, "job")
		ignore := goleak.IgnoreCurrent()
		c.stop(t, 3, 4)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		le, err := l.TryAcquire(ctx, "job")
		elapsed := time.Since(start)
		if err != nil {
			t.Fatalf("TryAcquire with 2 of 5 nodes stopped: %v", err)
		}
		if elapsed >= stallOptions.NodeTimeout {
			t.Errorf("TryAcquire took %v: it waited for the stopped nodes (NodeTimeout %v)", elapsed, stallOptions.NodeTimeout)
		}
		t.Logf("granted after %v with 2 nodes stopped", elapsed)
		c.cont(3, 4)
		// The queued acquires run on resume: they may only add the lease's own key.
		c.waitSameHolder(t, "job")
		if err := le.Release(ctx); err != nil {
			t.Errorf("Release: %v", err)
		}
		c.assertNoLockKeys(t)
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		c.assertNoLockKeys(t)
		itVerifyNoLeaks(t, ignore)
	})
}

// TestIntegrationReleaseWhileNodesStopped releases a lease while the acquire that granted it is
// still queued on two stopped nodes: whichever of the queued acquire and the release runs first
// on resume, no key may remain.
func TestIntegrationReleaseWhileNodesStopped(t *testing.T) {
	c := itStartN(t, 5, redisproc.Config{})
	opts := quorum.Options{TTL: 10 * time.Second, NodeTimeout: 300 * time.Millisecond}
	l := c.dial(t, opts)
	itWarmUp(t, l, "job")
	c.stop(t, 3, 4)
	le := itAcquire(t, l, "job", 5*time.Second)
	ctx, cancel := itCtx()
	defer cancel()
	if err := le.Release(ctx); err == nil {
		t.Error("Release reported no error although two nodes could not be reached")
	}
	if err := l.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	c.cont(3, 4)
	c.waitIdle(t, 3)
	c.waitIdle(t, 4)
	c.assertNoLockKeys(t)
}

func TestIntegrationThreeStoppedNodesUnavailable(t *testing.T) {
	itEachPersistence(t, func(t *testing.T, cfg redisproc.Config) {
		c := itStartN(t, 5, cfg)
		l := c.dial(t, stallOptions)
		itWarmUp(t, l, "job")
		ignore := goleak.IgnoreCurrent()
		c.stop(t, 2, 3, 4)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		le, err := l.TryAcquire(ctx, "job")
		elapsed := time.Since(start)
		if err == nil {
			t.Fatalf("TryAcquire granted %d with 3 of 5 nodes stopped", le.Token())
		}
		if !errors.Is(err, quorum.ErrUnavailable) {
			t.Errorf("TryAcquire: %v; want ErrUnavailable", err)
		}
		var ne *quorum.NodeError
		if !errors.As(err, &ne) {
			t.Errorf("TryAcquire error has no *NodeError: %v", err)
		}
		if limit := stallOptions.NodeTimeout + 2*time.Second; elapsed > limit {
			t.Errorf("TryAcquire failed after %v, want within %v", elapsed, limit)
		}
		c.cont(2, 3, 4)
		if err := l.Close(); err != nil { // waits for the clean-up
			t.Errorf("Close: %v", err)
		}
		for _, i := range []int{2, 3, 4} {
			c.waitIdle(t, i)
		}
		c.assertNoLockKeys(t)
		itVerifyNoLeaks(t, ignore)
	})
}

// TestIntegrationQueuedAcquireAfterClientGaveUp stops a majority, lets an attempt fail and the
// Locker close (its clean-up gives up on the stopped nodes too), and only then resumes them:
// the acquire and releases queued on them run when nobody waits for them any more.
func TestIntegrationQueuedAcquireAfterClientGaveUp(t *testing.T) {
	itEachPersistence(t, func(t *testing.T, cfg redisproc.Config) {
		c := itStartN(t, 5, cfg)
		opts := quorum.Options{TTL: 5 * time.Second, NodeTimeout: 100 * time.Millisecond}
		l := c.dial(t, opts)
		itWarmUp(t, l, "job")
		c.stop(t, 2, 3, 4)
		ctx, cancel := itCtx()
		defer cancel()
		if le, err := l.TryAcquire(ctx, "job"); err == nil {
			t.Fatalf("TryAcquire granted %d with 3 of 5 nodes stopped", le.Token())
		}
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		c.cont(2, 3, 4)
		for i := range c.servers {
			c.waitIdle(t, i)
		}
		c.assertNoLockKeys(t)

		before := make([]fencing.Token, len(c.servers))
		for i := range c.servers {
			before[i] = c.counter(t, i, "job")
		}
		l2 := c.dial(t, opts)
		le := itAcquire(t, l2, "job", 5*time.Second)
		above, holds := 0, 0
		for i := range c.servers {
			if le.Token() > before[i] {
				above++
			}
			if c.counter(t, i, "job") == le.Token() {
				holds++
			}
		}
		if above < 3 || holds < 3 {
			t.Errorf("token %d is above the counters %v on %d nodes and recorded on %d; want a majority of both",
				le.Token(), before, above, holds)
		}
		if err := le.Release(ctx); err != nil {
			t.Errorf("Release: %v", err)
		}
	})
}

func TestIntegrationSlowNodeDoesNotSlowGrants(t *testing.T) {
	const delay = 300 * time.Millisecond
	c := itStartN(t, 5, redisproc.Config{})
	nodes := c.nodes(t, -1)
	opts := quorum.Options{TTL: 5 * time.Second, NodeTimeout: time.Second}
	l := itNewLocker(t, nodes, opts)
	other := itNewLocker(t, nodes, opts)
	itWarmUp(t, l, "job")
	ignore := goleak.IgnoreCurrent()
	nodes[0].SetDelay(delay)

	ctx, cancel := itCtx()
	defer cancel()
	timed := func(what string, f func() error) error {
		t.Helper()
		start := time.Now()
		err := f()
		if elapsed := time.Since(start); elapsed > delay/2 {
			t.Errorf("%s took %v with one node %v slow", what, elapsed, delay)
		}
		return err
	}
	var le, le2 *quorum.Lease
	if err := timed("TryAcquire", func() (err error) { le, err = l.TryAcquire(ctx, "job"); return err }); err != nil {
		t.Fatalf("TryAcquire: %v", err)
	}
	if err := timed("TryAcquire of a held lock", func() (err error) { le2, err = other.TryAcquire(ctx, "job"); return err }); !errors.Is(err, quorum.ErrNotAcquired) {
		t.Fatalf("second TryAcquire of a held lock: lease %v, err %v; want ErrNotAcquired", le2, err)
	}
	if err := le.Release(ctx); err != nil {
		t.Errorf("Release: %v", err)
	}
	if err := timed("TryAcquire after Release", func() (err error) { le2, err = other.TryAcquire(ctx, "job"); return err }); err != nil {
		t.Fatalf("TryAcquire after Release: %v", err)
	}
	if le2.Token() <= le.Token() {
		t.Errorf("token %d after Release is not above %d", le2.Token(), le.Token())
	}
	if err := le2.Release(ctx); err != nil {
		t.Errorf("Release: %v", err)
	}
	_ = l.Close()
	_ = other.Close()
	c.assertNoLockKeys(t)
	itVerifyNoLeaks(t, ignore)
}
