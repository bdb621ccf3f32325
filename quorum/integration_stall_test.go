package quorum_test

import (
	"context"
	"errors"
	"regexp"
	"strconv"
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
		c.waitNoLockKeys(t, 2*time.Second)
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		c.assertNoLockKeys(t)
		itVerifyNoLeaks(t, ignore)
	})
}

// TestIntegrationReleaseWhileNodesStopped releases a lease while the acquire that granted it is
// still queued on two stopped nodes. Release returns once the majority released; the release
// is queued behind the acquire on each stopped node's connection, so when they resume (after
// the Locker was closed) no key is left anywhere, and the next grant has a larger token.
func TestIntegrationReleaseWhileNodesStopped(t *testing.T) {
	c := itStartN(t, 5, redisproc.Config{})
	opts := quorum.Options{TTL: 10 * time.Second, NodeTimeout: 300 * time.Millisecond}
	l := c.dial(t, opts)
	itWarmUp(t, l, "job")
	c.stop(t, 3, 4)
	le := itAcquire(t, l, "job", 5*time.Second)
	owner := c.get(t, 0, itLockKey("job"))
	ctx, cancel := itCtx()
	defer cancel()
	if err := le.Release(ctx); err != nil {
		t.Errorf("Release with a majority running: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	c.cont(3, 4)
	c.waitIdle(t, 3)
	c.waitIdle(t, 4)
	for i, v := range c.holders(t, "job") {
		if v != "" {
			t.Errorf("server %d holds %q after Release and resume (released owner %q)", i, v, owner)
		}
	}
	l2 := c.dial(t, opts)
	le2, err := l2.TryAcquire(ctx, "job")
	if err != nil {
		t.Fatalf("TryAcquire after Release: %v", err)
	}
	if le2.Token() <= le.Token() {
		t.Errorf("token %d is not above the released %d", le2.Token(), le.Token())
	}
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

// TestIntegrationQueuedAcquireAfterClientGaveUp stops a majority and lets an attempt fail; the
// acquires queued on the stopped nodes run after the client gave up on them. They are resumed
// either while the attempt's clean-up still retries, or only after the Locker closed (its
// clean-up gave up too). Either way no key of the attempt may stay, and a new client must get
// the lock at once with a token above the counters of a majority.
func TestIntegrationQueuedAcquireAfterClientGaveUp(t *testing.T) {
	itEachPersistence(t, func(t *testing.T, cfg redisproc.Config) {
		for _, resumeAfterClose := range []bool{false, true} {
			name := map[bool]string{false: "resume-during-cleanup", true: "resume-after-close"}[resumeAfterClose]
			t.Run(name, func(t *testing.T) { queuedAcquire(t, cfg, resumeAfterClose) })
		}
	})
}

func queuedAcquire(t *testing.T, cfg redisproc.Config, resumeAfterClose bool) {
	c := itStartN(t, 5, cfg)
	// Clean-up tries each node 3 times, CleanupTimeout (4 × NodeTimeout = 400 ms) each.
	opts := quorum.Options{TTL: 5 * time.Second, NodeTimeout: 100 * time.Millisecond}
	l := c.dial(t, opts)
	itWarmUp(t, l, "job")
	stopped := []int{2, 3, 4}
	c.stop(t, stopped...)
	ctx, cancel := itCtx()
	defer cancel()
	if le, err := l.TryAcquire(ctx, "job"); err == nil {
		t.Fatalf("TryAcquire granted %d with 3 of 5 nodes stopped", le.Token())
	}
	if !resumeAfterClose {
		// The first clean-up try has timed out; the others are still to come.
		time.Sleep(opts.NodeTimeout + 50*time.Millisecond)
		c.cont(stopped...)
	}
	if err := l.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	c.cont(stopped...)
	for i := range c.servers {
		c.waitIdle(t, i)
	}
	c.assertNoLockKeys(t)

	before := make([]fencing.Token, len(c.servers))
	for i := range c.servers {
		before[i] = c.counter(t, i, "job")
	}
	l2 := c.dial(t, opts)
	start := time.Now()
	le := itAcquire(t, l2, "job", 2*time.Second) // well below TTL: a leftover key would block it
	t.Logf("new client granted after %v", time.Since(start))
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
}

func TestIntegrationSlowNodeDoesNotSlowGrants(t *testing.T) {
	const delay = 300 * time.Millisecond
	c := itStartN(t, 5, redisproc.Config{})
	opts := quorum.Options{TTL: 5 * time.Second, NodeTimeout: time.Second}
	l := c.dial(t, opts)
	other := c.dial(t, opts)
	itWarmUp(t, l, "job")
	ignore := goleak.IgnoreCurrent()
	c.faults[0].SetDelay(delay)

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

// TestIntegrationLateAcquiresLeaveNoKey: a failed attempt's acquires are held on a slow link
// to three of five servers until long after the attempt gave up and its clean-up was sent; when
// they arrive, the clean-up's releases arrive behind them (one pipelined connection per
// server keeps the order), so no key is left to block the next client.
func TestIntegrationLateAcquiresLeaveNoKey(t *testing.T) {
	c := itStartN(t, 5, redisproc.Config{})
	opts := quorum.Options{TTL: 5 * time.Second, NodeTimeout: 100 * time.Millisecond}
	l := c.dial(t, opts)
	itWarmUp(t, l, "warm-up")
	for _, f := range c.faults[2:] {
		f.SetDelay(time.Second)
	}
	ctx, cancel := itCtx()
	defer cancel()
	if le, err := l.TryAcquire(ctx, "job"); err == nil {
		t.Fatalf("TryAcquire granted %d with 3 of 5 acquires held back", le.Token())
	}
	if err := l.Close(); err != nil { // the clean-up has been sent to every server
		t.Errorf("Close: %v", err)
	}
	for _, f := range c.faults[2:] {
		f.SetDelay(0)
	}
	for i := 2; i < 5; i++ {
		c.waitIdle(t, i)
	}
	c.assertNoLockKeys(t)
	le := itAcquire(t, c.dial(t, opts), "job", 2*time.Second) // well below TTL
	if err := le.Release(ctx); err != nil {
		t.Errorf("Release: %v", err)
	}
}

// TestTimedOutCleanUpIsNotQueuedTwice: the clean-up of a failed attempt sends one release to a
// stalled node: the release times out, but it is on the node's pipelined connection and runs
// when the node resumes; trying again would only pile copies onto a node that is already slow.
func TestTimedOutCleanUpIsNotQueuedTwice(t *testing.T) {
	redisproc.Require(t)
	c := itStartN(t, 3, redisproc.Config{})
	l := c.dial(t, quorum.Options{TTL: 2 * time.Second, NodeTimeout: 50 * time.Millisecond})
	itWarmUp(t, l, "warm-up")
	base := c.evalshaCalls(t, 1)
	c.stop(t, 1, 2)
	ctx, cancel := itCtx()
	defer cancel()
	if _, err := l.TryAcquire(ctx, "job"); !errors.Is(err, quorum.ErrUnavailable) {
		t.Fatalf("TryAcquire with two of three stalled = %v, want ErrUnavailable", err)
	}
	if err := l.Close(); err != nil { // waits for the clean-up's tries
		t.Fatal(err)
	}
	c.cont(1, 2)
	c.waitIdle(t, 1)
	// The acquire and one release; three releases before the clean-up knew the pipe keeps them.
	if got := c.evalshaCalls(t, 1) - base; got != 2 {
		t.Fatalf("scripts run on the resumed node: %d, want 2 (the acquire and one release)", got)
	}
	c.assertNoLockKeys(t)
}

// evalshaCalls returns how many EVALSHA calls server i has run (INFO commandstats).
func (c *itCluster) evalshaCalls(t *testing.T, i int) int {
	t.Helper()
	ctx, cancel := itCtx()
	defer cancel()
	info, err := c.raw[i].Info(ctx, "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`cmdstat_evalsha:calls=(\d+)`).FindStringSubmatch(info)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}
