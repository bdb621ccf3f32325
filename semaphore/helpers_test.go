package semaphore_test

import (
	"context"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/quorum/quorumtest"
	"github.com/quorumlock/quorumlock/semaphore"
)

// newLocker returns a bootstrapped cluster of n in-process nodes and a Locker over them, with
// patient options.
func newLocker(t *testing.T, n int, opts quorum.Options) (*quorumtest.Cluster, *quorum.Locker) {
	t.Helper()
	c := quorumtest.NewCluster(t, n)
	return c, c.BootstrappedLocker(t, patient(opts))
}

// patient gives opts a NodeTimeout of 500 ms if it sets neither TTL nor NodeTimeout: the tests
// run on shared, loaded machines, and only the tests of timeouts should meet them.
func patient(opts quorum.Options) quorum.Options {
	if opts.TTL == 0 && opts.NodeTimeout == 0 {
		opts.NodeTimeout = 500 * time.Millisecond
	}
	return opts
}

// noPolling makes Acquire's fallback poll so rare that only a notification can wake it within a
// test's lifetime.
func noPolling(opts quorum.Options) quorum.Options {
	opts.RetryDelayMin, opts.RetryDelayMax = time.Hour, time.Hour
	return opts
}

// mustTry takes a permit with TryAcquire or fails the test.
func mustTry(t *testing.T, s *semaphore.Semaphore) *semaphore.Permit {
	t.Helper()
	p, err := s.TryAcquire(context.Background())
	if err != nil {
		t.Fatalf("TryAcquire(%q): %v", s.Name(), err)
	}
	return p
}

// mustRelease releases p or fails the test.
func mustRelease(t *testing.T, p *semaphore.Permit) {
	t.Helper()
	if err := p.Release(context.Background()); err != nil {
		t.Fatalf("Release of slot %d: %v", p.Slot(), err)
	}
}

// slotKey is the key of a slot's lock on the nodes, under the default prefix.
func slotKey(name string, slot int) string {
	return quorum.DefaultKeyPrefix + "{" + semaphore.SlotName(name, slot) + "}"
}

// releaseChannel is the channel on which the nodes announce the release of a slot.
func releaseChannel(name string, slot int) string { return slotKey(name, slot) + ":released" }

// waitSubscribed waits until a client subscribed to the release announcements of every slot of
// the semaphore name of n permits, on server s.
func waitSubscribed(t *testing.T, s *quorumtest.Server, name string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for slot := range n {
		ch := releaseChannel(name, slot)
		for s.PubSubNumSub(ch)[ch] == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("nobody subscribed to %s", ch)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// leftKeys returns the lock keys left on the cluster under the default prefix, after resuming
// every node and closing l (which waits for every clean-up in flight). Resume returns once the
// held requests are written to the servers, not once they have run: leftKeys waits until each
// server has closed l's connection, which it does after running everything sent on it.
func leftKeys(t *testing.T, c *quorumtest.Cluster, l *quorum.Locker) [][]string {
	t.Helper()
	for _, f := range c.Faults {
		f.Resume()
		f.SetDelay(0)
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
