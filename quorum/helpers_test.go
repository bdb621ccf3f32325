package quorum_test

import (
	"context"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/quorum/quorumtest"
)

// newLocker returns a cluster of n in-process nodes and a bootstrapped Locker over them.
func newLocker(t *testing.T, n int, opts quorum.Options) (*quorumtest.Cluster, *quorum.Locker) {
	t.Helper()
	c := quorumtest.NewCluster(t, n)
	l := c.Locker(t, opts)
	warmCluster(t, c, l)
	for i := range c.Servers {
		waitHealed(t, c, i)
	}
	return c, l
}

// warmCluster warms l up (warm) and waits until the release has reached every node of c:
// Release returns at a majority, and a warm-up key still on a straggler would be counted by the
// tests that count lock keys.
func warmCluster(t *testing.T, c *quorumtest.Cluster, l *quorum.Locker) {
	t.Helper()
	warm(t, l)
	waitKeys(t, c, 0)
}

// warm takes and releases a lock once, so that a new deployment's nodes are bootstrapped.
func warm(t *testing.T, l *quorum.Locker) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	le, err := l.Acquire(ctx, "warm-up")
	if err != nil {
		t.Fatalf("warm-up Acquire: %v", err)
	}
	if err := le.Release(ctx); err != nil {
		t.Fatalf("warm-up Release: %v", err)
	}
}

// leftKeys returns the lock keys left on the cluster under the default prefix, after closing l
// (which waits for every clean-up in flight).
func leftKeys(t *testing.T, c *quorumtest.Cluster, l *quorum.Locker) [][]string {
	t.Helper()
	for _, n := range c.Nodes {
		n.Resume()
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return c.LockKeys(quorum.DefaultKeyPrefix)
}

func countKeys(keys [][]string) int {
	total := 0
	for _, k := range keys {
		total += len(k)
	}
	return total
}

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
