package quorum_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/clock/clocktest"
	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/quorum/quorumtest"
)

// firstGrant is an Observer that closes its channel at the first node's grant.
type firstGrant chan struct{}

func (f firstGrant) Observe(ev quorum.Event) {
	if ev.Kind == quorum.EventNode && ev.Op == "acquire" && ev.Status == quorum.Granted {
		select {
		case <-f:
		default:
			close(f)
		}
	}
}

// lateLocker returns a bootstrapped cluster of three and a Locker on a fake clock whose calls
// time out after two seconds, and the observer that tells when a node granted.
func lateLocker(t *testing.T) (*quorumtest.Cluster, *quorum.Locker, *clocktest.Fake, firstGrant) {
	t.Helper()
	c, _ := newLocker(t, 3, quorum.Options{})
	clk := clocktest.NewFake(epoch)
	seen := make(firstGrant)
	l := c.Locker(t, quorum.Options{Clock: clk, NodeTimeout: 2 * time.Second, Observer: seen})
	return c, l, clk, seen
}

// TestLateRepliesDoNotMakeAGrant: two of three nodes stall while the third grants; the
// Locker's clock then passes NodeTimeout (as after a pause of the process) before their grants
// arrive. A reply that arrives after NodeTimeout is not counted, so there is no majority.
func TestLateRepliesDoNotMakeAGrant(t *testing.T) {
	c, l, clk, seen := lateLocker(t)
	c.Faults[1].Stall()
	c.Faults[2].Stall()
	got := make(chan error, 1)
	go func() {
		_, err := l.TryAcquire(context.Background(), "job")
		got <- err
	}()
	<-seen
	clk.Step(3 * time.Second) // past NodeTimeout, well within the TTL of 10 s
	c.Faults[1].Resume()
	c.Faults[2].Resume()
	if err := <-got; !errors.Is(err, quorum.ErrUnavailable) {
		t.Fatalf("grant from replies that arrived after NodeTimeout: %v, want ErrUnavailable", err)
	}
}

// TestLateAmnesicReplyDoesNotHeal: node 0 lost its data and its quarantine has passed; it
// stalls, and its answer to a round arrives after NodeTimeout. The heal's argument
// (docs/PROTOCOL.md §6.4) needs the amnesic node's answer within NodeTimeout of the healthy
// reads, so the late answer heals nothing.
func TestLateAmnesicReplyDoesNotHeal(t *testing.T) {
	c, l, clk, _ := lateLocker(t)
	ctx := context.Background()
	c.Servers[0].FlushAll()
	_ = mustAcquire(t, l, "first-contact").Release(ctx) // node 0 finds itself amnesic
	c.Servers[0].SetTime(time.Now().Add(time.Hour))     // its quarantine has passed
	c.Faults[0].Stall()
	seen := make(firstGrant)
	l2 := c.Locker(t, quorum.Options{Clock: clk, NodeTimeout: 2 * time.Second, Observer: seen})
	le := mustAcquire(t, l2, "job") // nodes 1 and 2 grant; node 0's answer is held
	<-seen
	clk.Step(3 * time.Second)
	c.Faults[0].Resume()
	_ = le.Release(ctx)
	if err := l2.Close(); err != nil { // waits for the round's heals
		t.Fatal(err)
	}
	if got := markerField(c, 0, "state"); got != "amnesic" {
		t.Fatalf("node 0 after a late answer: %q, want amnesic (not healed)", got)
	}
}
