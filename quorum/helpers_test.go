package quorum_test

import (
	"context"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/quorum/quorumtest"
)

// newLocker returns a bootstrapped cluster of n in-process nodes and a Locker over them. Unless
// the test sets TTL or NodeTimeout, calls time out after 500 ms instead of 50: the tests run on
// shared, loaded machines, and only the tests of timeouts should meet them.
func newLocker(t *testing.T, n int, opts quorum.Options) (*quorumtest.Cluster, *quorum.Locker) {
	t.Helper()
	c := quorumtest.NewCluster(t, n)
	return c, c.BootstrappedLocker(t, patient(opts))
}

// patient gives opts a NodeTimeout of 500 ms if it sets neither TTL nor NodeTimeout.
func patient(opts quorum.Options) quorum.Options {
	if opts.TTL == 0 && opts.NodeTimeout == 0 {
		opts.NodeTimeout = 500 * time.Millisecond
	}
	return opts
}

// leftKeys returns the lock keys left on the cluster under the default prefix, after resuming
// every node and closing l (which waits for every clean-up in flight). Resume returns once the
// held requests are written to the servers, not once they have run: leftKeys waits until each
// server has closed l's connection, which it does after running everything sent on it.
func leftKeys(t *testing.T, c *quorumtest.Cluster, l *quorum.Locker) [][]string {
	t.Helper()
	for _, f := range c.Faults {
		f.Resume()
	}
	keys, err := c.CloseAndLockKeys(quorum.DefaultKeyPrefix, l)
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

// failExtends makes the servers fail every extension (single and batched), or stop failing.
func failExtends(servers []*quorumtest.Server) {
	for _, s := range servers {
		s.FailScript("extend", true)
		s.FailScript("extend_many", true)
	}
}

// markerField reads a field of server i's marker under the default prefix.
func markerField(c *quorumtest.Cluster, i int, field string) string {
	return c.Servers[i].HGet(quorum.DefaultKeyPrefix+"node", field)
}

// waitMarker waits until node i's marker is in state (a round returns at the majority; a
// straggler's answer lands a little later).
func waitMarker(t *testing.T, c *quorumtest.Cluster, i int, state string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for markerField(c, i, "state") != state {
		if time.Now().After(deadline) {
			t.Fatalf("node %d's marker is %q, want %q", i, markerField(c, i, "state"), state)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// mustAcquireWithin acquires name with Acquire (retries) within d.
func mustAcquireWithin(t *testing.T, l *quorum.Locker, name string, d time.Duration) *quorum.Lease {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	le, err := l.Acquire(ctx, name)
	if err != nil {
		t.Fatalf("Acquire(%q): %v", name, err)
	}
	return le
}

// healBy makes l take and release a lock until node i is healed (a round heals an amnesic node
// only if its answer came within NodeTimeout, which a loaded machine may miss), for at most ten
// seconds.
func healBy(t *testing.T, c *quorumtest.Cluster, l *quorum.Locker, i int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for markerField(c, i, "state") != "ok" {
		if time.Now().After(deadline) {
			t.Fatalf("node %d was not healed: marker %q", i, markerField(c, i, "state"))
		}
		if le, err := l.TryAcquire(context.Background(), "heal-probe"); err == nil {
			_ = le.Release(context.Background())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
