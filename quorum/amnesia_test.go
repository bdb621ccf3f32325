package quorum_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/quorum/quorumtest"
)

// TestNewDeploymentNeedsAnOperator: on servers that have never served, every node answers that
// it has no lock state; nothing on them tells a new deployment from one that lost everything,
// so the lock never bootstraps by itself. TryAcquire and Acquire fail at once with
// ErrNeedsHeal (Acquire does not wait in silence), and after the operator's heal the lock is
// granted.
func TestNewDeploymentNeedsAnOperator(t *testing.T) {
	c := quorumtest.NewCluster(t, 3)
	l := c.Locker(t, patient(quorum.Options{}))
	ctx := context.Background()
	if _, err := l.TryAcquire(ctx, "job"); !errors.Is(err, quorum.ErrNeedsHeal) || !errors.Is(err, quorum.ErrNodeAmnesic) {
		t.Fatalf("first attempt on new nodes = %v, want ErrNeedsHeal naming the amnesic nodes", err)
	}
	actx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := l.Acquire(actx, "job"); !errors.Is(err, quorum.ErrNeedsHeal) || actx.Err() != nil {
		t.Fatalf("Acquire on new nodes = %v (ctx %v), want ErrNeedsHeal at once", err, actx.Err())
	}
	rep, err := l.Heal(ctx, quorum.HealOptions{NewDeployment: true})
	if err != nil || rep.Action != quorum.HealNewDeployment {
		t.Fatalf("Heal(NewDeployment) = %+v, %v", rep, err)
	}
	mustAcquire(t, l, "job")
	if got := markerField(c, 0, "healed"); got != "new-deployment" {
		t.Fatalf("marker records the heal as %q, want new-deployment", got)
	}
}

// TestNewDeploymentWithANodeDown: one of three new nodes is down. The operator brings the other
// two into service; the third, once it answers, has no lock state, and the lock heals it by
// itself after its quarantine, with a floor read from the healthy majority.
func TestNewDeploymentWithANodeDown(t *testing.T) {
	c := quorumtest.NewCluster(t, 3)
	c.Faults[2].SetFail(true)
	l := c.Locker(t, patient(quorum.Options{TTL: 500 * time.Millisecond}))
	ctx := context.Background()
	if _, err := l.TryAcquire(ctx, "job"); !errors.Is(err, quorum.ErrNeedsHeal) {
		t.Fatalf("new nodes, one down: %v, want ErrNeedsHeal", err)
	}
	if _, err := l.Heal(ctx, quorum.HealOptions{NewDeployment: true}); err != nil {
		t.Fatal(err)
	}
	first := mustAcquire(t, l, "job")
	_ = first.Release(ctx)
	c.Faults[2].SetFail(false)
	probe := mustAcquire(t, l, "other") // node 2's first contact: its quarantine starts
	_ = probe.Release(ctx)
	waitMarker(t, c, 2, "amnesic")
	c.Servers[2].SetTime(time.Now().Add(time.Second)) // its quarantine has passed on its clock
	healBy(t, c, l, 2)
	if got := markerField(c, 2, "healed"); got != "heal" {
		t.Fatalf("node 2 healed as %q, want heal (by the lock, from a majority)", got)
	}
}

// TestAmnesicNodeDoesNotGrantASecondHolder: A holds the lock on nodes 0 and 1 of three; node 0
// loses its data. Without quarantine, B would get nodes 0 and 2 — two holders.
func TestAmnesicNodeDoesNotGrantASecondHolder(t *testing.T) {
	c, a := newLocker(t, 3, quorum.Options{})
	ctx := context.Background()
	c.Faults[2].SetFail(true)
	held := mustAcquire(t, a, "job")
	c.Faults[2].SetFail(false)
	c.Servers[0].FlushAll()
	b := c.Locker(t, patient(quorum.Options{}))
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
	c.Faults[3].SetFail(true)
	c.Faults[4].SetFail(true)
	first := mustAcquire(t, a, "job")
	c.Faults[3].SetFail(false)
	c.Faults[4].SetFail(false)
	_ = first.Release(ctx)

	c.Servers[0].FlushAll()
	probe := mustAcquire(t, a, "other") // first contact: node 0 starts its quarantine
	_ = probe.Release(ctx)
	c.Servers[0].SetTime(time.Now().Add(2 * time.Second)) // the quarantine has passed on node 0
	healBy(t, c, a, 0)                                    // the next rounds that meet node 0 heal it

	c.Faults[1].SetFail(true)
	c.Faults[2].SetFail(true)
	slow := c.Locker(t, patient(quorum.Options{TTL: time.Second, Clock: backwardsClock{}}))
	le, err := slow.TryAcquire(ctx, "job")
	if err != nil {
		t.Fatalf("C: %v", err)
	}
	if le.Token() <= first.Token() {
		t.Fatalf("token went backwards after a heal: %d after %d", le.Token(), first.Token())
	}
}

// TestMajorityAmnesicNeedsAnOperator: with two of three nodes wiped, no majority of healthy
// nodes can vouch for a floor: every attempt fails at once with ErrNeedsHeal. The operator's recovery waits out the quarantine and gives the wiped nodes a floor
// above every token that can have been granted: the next token is larger than any before.
func TestMajorityAmnesicNeedsAnOperator(t *testing.T) {
	c, l := newLocker(t, 3, quorum.Options{TTL: 300 * time.Millisecond})
	ctx := context.Background()
	before := mustAcquire(t, l, "job")
	_ = before.Release(ctx)
	c.Servers[0].FlushAll()
	c.Servers[1].FlushAll()
	for i := range 2 {
		if _, err := l.TryAcquire(ctx, "job"); !errors.Is(err, quorum.ErrNeedsHeal) {
			t.Fatalf("attempt %d with a majority amnesic: %v, want ErrNeedsHeal", i, err)
		}
	}
	if _, err := l.Heal(ctx, quorum.HealOptions{NewDeployment: true}); !errors.Is(err, quorum.ErrHealRefused) {
		t.Fatalf("Heal(NewDeployment) on a deployment that served = %v, want ErrHealRefused", err)
	}
	rep, err := l.Heal(ctx, quorum.HealOptions{ClockSkew: 10 * time.Millisecond})
	if err != nil || rep.Action != quorum.HealRecovery {
		t.Fatalf("recovery = %+v, %v", rep, err)
	}
	after := mustAcquireWithin(t, l, "job", 5*time.Second)
	if after.Token() <= before.Token() || after.Token() <= rep.Floor {
		t.Fatalf("token after the recovery %d, want above %d (before) and the floor %d", after.Token(), before.Token(), rep.Floor)
	}
}

// TestHealRefusedWhileAMajorityIsHealthy: the operator's heal does nothing when the lock can
// heal the amnesic node by itself.
func TestHealRefusedWhileAMajorityIsHealthy(t *testing.T) {
	c, l := newLocker(t, 3, quorum.Options{})
	c.Servers[0].FlushAll()
	rep, err := l.Heal(context.Background(), quorum.HealOptions{})
	if !errors.Is(err, quorum.ErrHealRefused) || rep.Action != quorum.HealRefused {
		t.Fatalf("Heal with one of three amnesic = %+v, %v; want refused", rep, err)
	}
}

// TestHealWaitsForUnreachableNodes: one node in service, one amnesic, one unreachable. If the
// unreachable one comes back in service the lock heals the amnesic one by itself, without the
// recovery's jump of the tokens: Heal refuses unless forced.
func TestHealWaitsForUnreachableNodes(t *testing.T) {
	c, l := newLocker(t, 3, quorum.Options{TTL: 300 * time.Millisecond})
	ctx := context.Background()
	c.Servers[0].FlushAll()
	c.Faults[2].SetFail(true)
	if _, err := l.TryAcquire(ctx, "job"); err == nil {
		t.Fatal("granted with one node in service of three")
	}
	rep, err := l.Heal(ctx, quorum.HealOptions{ClockSkew: time.Millisecond})
	if !errors.Is(err, quorum.ErrHealRefused) || !strings.Contains(rep.Reason, "unreachable") {
		t.Fatalf("Heal with a node unreachable = %v (%s); want refused, naming the unreachable node", err, rep.Reason)
	}
	rep, err = l.Heal(ctx, quorum.HealOptions{ClockSkew: time.Millisecond, Force: true})
	if err != nil || rep.Action != quorum.HealRecovery || !rep.Nodes[0].Healed {
		t.Fatalf("forced Heal = %+v, %v; want node 0 recovered", rep, err)
	}
}
