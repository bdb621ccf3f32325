package election_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/clock/clocktest"
	"github.com/quorumlock/quorumlock/election"
	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/quorum/quorumtest"
)

var epoch = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

// newCluster returns n in-process nodes, brought into service.
func newCluster(t *testing.T, n int) *quorumtest.Cluster {
	t.Helper()
	c := quorumtest.NewCluster(t, n)
	c.Bootstrap(t)
	return c
}

// patient gives opts a NodeTimeout of 500 ms if it sets neither TTL nor NodeTimeout: the tests
// run on shared, loaded machines, and only the tests of timeouts should meet them.
func patient(opts quorum.Options) quorum.Options {
	if opts.TTL == 0 && opts.NodeTimeout == 0 {
		opts.NodeTimeout = 500 * time.Millisecond
	}
	return opts
}

// candidate returns the candidate id in the election "scheduler", on a Locker of its own (a
// client of its own, as another process would be).
func candidate(t *testing.T, c *quorumtest.Cluster, id string, lo quorum.Options) *election.Election {
	t.Helper()
	return election.New(c.Locker(t, patient(lo)), "scheduler", election.Options{ID: id})
}

// fakeCandidate is candidate on a Locker whose clock is a fake one that the test steps, with a
// 10 s TTL and 500 ms NodeTimeout: StopMargin defaults to 2 s, ExtendInterval to 3.33 s.
func fakeCandidate(t *testing.T, c *quorumtest.Cluster, id string, opts election.Options) (*election.Election, *clocktest.Fake) {
	t.Helper()
	l, clk := fakeLocker(t, c)
	opts.ID = id
	return election.New(l, "scheduler", opts), clk
}

// fakeLocker returns a Locker over c whose clock is a fake one, with a 10 s TTL and 500 ms
// NodeTimeout.
func fakeLocker(t *testing.T, c *quorumtest.Cluster) (*quorum.Locker, *clocktest.Fake) {
	t.Helper()
	clk := clocktest.NewFake(epoch)
	return c.Locker(t, quorum.Options{TTL: 10 * time.Second, NodeTimeout: 500 * time.Millisecond, Clock: clk}), clk
}

// mustCampaign wins a term within ten seconds, and resigns it when the test ends.
func mustCampaign(t *testing.T, e *election.Election) *election.Term {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	term, err := e.Campaign(ctx)
	if err != nil {
		t.Fatalf("Campaign of %s: %v", e.ID(), err)
	}
	t.Cleanup(func() { _ = term.Resign(context.Background()) })
	return term
}

// waitClosed waits up to ten seconds for ch to be closed, and fails the test otherwise.
func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: not closed after 10s", what)
	}
}

// isClosed reports whether ch is closed, after giving the goroutines a moment to act: a check
// that something did not happen, which a loaded machine can only make pass, never fail.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	case <-time.After(50 * time.Millisecond):
		return false
	}
}

// leftKeys returns the lock keys left on the cluster under the default prefix, after resuming
// every node and closing the lockers (which waits for every clean-up in flight). Close writes
// what was issued before it returns; leftKeys then waits until each server has closed their
// connections, which it does after running everything sent on them.
func leftKeys(t *testing.T, c *quorumtest.Cluster, lockers ...*quorum.Locker) [][]string {
	t.Helper()
	for _, f := range c.Faults {
		f.Resume()
	}
	closers := make([]io.Closer, len(lockers))
	for i, l := range lockers {
		closers[i] = l
	}
	keys, err := c.CloseAndLockKeys(quorum.DefaultKeyPrefix, closers...)
	if err != nil {
		t.Fatalf("Close: %v", err)
	}
	return keys
}

func countKeys(keys [][]string) int {
	total := 0
	for _, k := range keys {
		total += len(k)
	}
	return total
}

// lockKey is the key of the election "scheduler" on every node.
const lockKey = quorum.DefaultKeyPrefix + "{scheduler}"

// waitKeys waits until the cluster holds want lock keys in all: a grant returns at the majority,
// and the stragglers' keys land a little later.
func waitKeys(t *testing.T, c *quorumtest.Cluster, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for countKeys(c.LockKeys(quorum.DefaultKeyPrefix)) != want {
		if time.Now().After(deadline) {
			t.Fatalf("lock keys: %v, want %d in all", c.LockKeys(quorum.DefaultKeyPrefix), want)
		}
		time.Sleep(time.Millisecond)
	}
}

// termTimers is how many timers of a fake clock one idle term arms: the lease's local expiry
// (package quorum's), the term's next extension and its Done deadline.
const termTimers = 3

// waitTermIdle waits until term is idle, waiting for the fake clock (waitTimers), and fails
// the test if the term ends meanwhile.
func waitTermIdle(t *testing.T, clk *clocktest.Fake, term *election.Term) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for clk.Waiters() != termTimers {
		if term.Err() != nil {
			t.Fatalf("the term ended at %v, validity %v: %v", clk.Now(), term.ValidUntil(), term.Err())
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d timers armed on the fake clock after 10s, want %d", clk.Waiters(), termTimers)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitTimers waits until n timers are armed on clk: the code under test is idle, waiting for
// the clock, and a step now cannot slip in between its reading of the clock and its timer.
func waitTimers(t *testing.T, clk *clocktest.Fake, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for clk.Waiters() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d timers armed on the fake clock after 10s, want %d", clk.Waiters(), n)
		}
		time.Sleep(time.Millisecond)
	}
}
