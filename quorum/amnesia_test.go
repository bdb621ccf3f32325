package quorum_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/quorum/quorumtest"
)

// TestNewDeploymentBootstrapsOnFirstAttempt: on nodes that have never been used every node
// answers amnesic; the attempt bootstraps them all and is granted in the same call.
func TestNewDeploymentBootstrapsOnFirstAttempt(t *testing.T) {
	c := quorumtest.NewCluster(t, 3)
	l := c.Locker(t, quorum.Options{})
	if _, err := l.TryAcquire(context.Background(), "job"); err != nil {
		t.Fatalf("first attempt on new nodes = %v, want granted after bootstrap", err)
	}
}

// TestNewDeploymentNeedsEveryNode: with one of three new nodes down, nothing tells a new
// deployment from one whose majority lost its data, so nothing is bootstrapped.
func TestNewDeploymentNeedsEveryNode(t *testing.T) {
	c := quorumtest.NewCluster(t, 3)
	c.Nodes[2].SetFail(true)
	l := c.Locker(t, quorum.Options{})
	_, err := l.TryAcquire(context.Background(), "job")
	if !errors.Is(err, quorum.ErrUnavailable) || !errors.Is(err, quorum.ErrNodeAmnesic) {
		t.Fatalf("new nodes, one down: %v, want ErrUnavailable with ErrNodeAmnesic", err)
	}
}

// TestAmnesicNodeDoesNotGrantASecondHolder: A holds the lock on nodes 0 and 1 of three; node 0
// loses its data. Without quarantine, B would get nodes 0 and 2 — two holders.
func TestAmnesicNodeDoesNotGrantASecondHolder(t *testing.T) {
	c, a := newLocker(t, 3, quorum.Options{})
	ctx := context.Background()
	c.Nodes[2].SetFail(true)
	held := mustAcquire(t, a, "job")
	c.Nodes[2].SetFail(false)
	c.Servers[0].FlushAll()
	b := c.Locker(t, quorum.Options{})
	_, err := b.TryAcquire(ctx, "job")
	if !errors.Is(err, quorum.ErrNotAcquired) || !errors.Is(err, quorum.ErrNodeAmnesic) {
		t.Fatalf("B while A holds and node 0 is amnesic: %v, want ErrNotAcquired", err)
	}
	_ = held.Release(ctx)
}

// TestHealedNodeKeepsTokensMonotonic: A is granted on nodes 0–2 of five; node 0 loses its data
// and, after its quarantine, is healed by the next round that meets it. Then nodes 1 and 2
// fail, and C, whose clock is years behind, proposes a token far below A's: nodes 3 and 4 have
// never seen the name and would accept it, so only node 0's healed floor stands between C and a
// backwards token.
func TestHealedNodeKeepsTokensMonotonic(t *testing.T) {
	c, a := newLocker(t, 5, quorum.Options{TTL: time.Second, NodeTimeout: 200 * time.Millisecond})
	ctx := context.Background()
	c.Nodes[3].SetFail(true)
	c.Nodes[4].SetFail(true)
	first := mustAcquire(t, a, "job")
	c.Nodes[3].SetFail(false)
	c.Nodes[4].SetFail(false)
	_ = first.Release(ctx)

	c.Servers[0].FlushAll()
	probe := mustAcquire(t, a, "other") // first contact: node 0 starts its quarantine
	_ = probe.Release(ctx)
	c.Servers[0].SetTime(time.Now().Add(2 * time.Second)) // the quarantine has passed on node 0
	probe = mustAcquire(t, a, "other")                    // meets node 0 again: heals it
	_ = probe.Release(ctx)
	waitHealed(t, c, 0)

	c.Nodes[1].SetFail(true)
	c.Nodes[2].SetFail(true)
	slow := c.Locker(t, quorum.Options{TTL: time.Second, Clock: backwardsClock{}})
	le, err := slow.TryAcquire(ctx, "job")
	if err != nil {
		t.Fatalf("C: %v", err)
	}
	if le.Token() <= first.Token() {
		t.Fatalf("token went backwards after a heal: %d after %d", le.Token(), first.Token())
	}
}

// TestMajorityAmnesicStaysUnavailable: with two of three nodes amnesic, no majority of healthy
// nodes can vouch for a floor, so nothing is healed and nothing is granted, however long it waits.
func TestMajorityAmnesicStaysUnavailable(t *testing.T) {
	c, l := newLocker(t, 3, quorum.Options{TTL: time.Second, NodeTimeout: 200 * time.Millisecond})
	c.Servers[0].FlushAll()
	c.Servers[1].FlushAll()
	for i := range 3 {
		if i == 1 {
			c.Servers[0].SetTime(time.Now().Add(time.Hour))
			c.Servers[1].SetTime(time.Now().Add(time.Hour))
		}
		_, err := l.TryAcquire(context.Background(), "job")
		if !errors.Is(err, quorum.ErrUnavailable) {
			t.Fatalf("attempt %d with a majority amnesic: %v, want ErrUnavailable", i, err)
		}
	}
}

// waitHealed waits until node i reports that it is no longer amnesic.
func waitHealed(t *testing.T, c *quorumtest.Cluster, i int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if c.Servers[i].HGet(quorum.DefaultKeyPrefix+"node", "state") == "ok" {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("node %d was not healed", i)
}
