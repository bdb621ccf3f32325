package quorum_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
)

// TestRestartSeenByAnyCall: a server that restarts with all its data (a new run_id) is seen as
// possibly forgetful by the first call of any kind that checks the marker (any but a release
// that finds its own key), here an extension: the node answers that it is amnesic, extends
// nothing, and its marker records the restart.
func TestRestartSeenByAnyCall(t *testing.T) {
	c, l := newLocker(t, 3, quorum.Options{})
	le := mustAcquire(t, l, "job")
	waitKeys(t, c, 3)
	if err := c.Servers[0].Restart(true); err != nil {
		t.Fatal(err)
	}
	// The first calls may meet the connection the restart closed, or a reconnect slower than
	// NodeTimeout on a loaded machine; Extend returns at the majority either way.
	deadline := time.Now().Add(10 * time.Second)
	for markerField(c, 0, "state") != "amnesic" && time.Now().Before(deadline) {
		if err := le.Extend(context.Background()); err != nil {
			t.Fatalf("Extend with one of three restarted: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := markerField(c, 0, "state") + "/" + markerField(c, 0, "lost"); got != "amnesic/restart" {
		t.Fatalf("restarted node's marker after an extension: %s, want amnesic/restart", got)
	}
}

// TestIdleRollingRestartIsNotABootstrap: the three nodes restart one by one while no lock is
// taken, without persistence. The next acquire meets three nodes without lock state: this may
// be a deployment that granted (here, to a client whose clock is an hour ahead), so nothing
// bootstraps them; the operator's recovery keeps later tokens above the earlier one.
func TestIdleRollingRestartIsNotABootstrap(t *testing.T) {
	c, l := newLocker(t, 3, quorum.Options{TTL: 300 * time.Millisecond})
	ctx := context.Background()
	ahead := c.Locker(t, patient(quorum.Options{TTL: 300 * time.Millisecond, Clock: shiftedClock(time.Hour)}))
	early := mustAcquire(t, ahead, "job")
	_ = early.Release(ctx)
	for _, s := range c.Servers {
		if err := s.Restart(false); err != nil {
			t.Fatal(err)
		}
	}
	if err := tryAfterRestart(l, "job"); !errors.Is(err, quorum.ErrNeedsHeal) {
		t.Fatalf("after an idle rolling restart: %v, want ErrNeedsHeal", err)
	}
	if _, err := l.Heal(ctx, quorum.HealOptions{ClockSkew: 10 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if le := mustAcquireWithin(t, l, "job", 5*time.Second); le.Token() <= early.Token() {
		t.Fatalf("token after the recovery %d, below the earlier grant's %d", le.Token(), early.Token())
	}
}

// TestMajorityThenLastRestartKeepsTheLease: a lease is held; two of three nodes restart empty
// (acquires are refused), then the third. Nothing bootstraps the deployment, and the
// operator's recovery waits out the quarantine, so no second lease of the name is granted
// while the first is still valid.
func TestMajorityThenLastRestartKeepsTheLease(t *testing.T) {
	c, l := newLocker(t, 3, quorum.Options{TTL: 400 * time.Millisecond})
	ctx := context.Background()
	held := mustAcquire(t, l, "job")
	for _, s := range c.Servers {
		if err := s.Restart(false); err != nil {
			t.Fatal(err)
		}
	}
	other := c.Locker(t, patient(quorum.Options{TTL: 400 * time.Millisecond}))
	if err := tryAfterRestart(other, "job"); !errors.Is(err, quorum.ErrNeedsHeal) {
		t.Fatalf("after every node restarted: %v, want ErrNeedsHeal", err)
	}
	if _, err := other.Heal(ctx, quorum.HealOptions{ClockSkew: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	second := mustAcquireWithin(t, other, "job", 5*time.Second)
	if now := time.Now(); now.Before(held.ValidUntil()) {
		t.Fatalf("a second lease was granted %v before the first one's validity ran out", held.ValidUntil().Sub(now))
	}
	if second.Token() <= held.Token() {
		t.Fatalf("second lease's token %d, not above the first's %d", second.Token(), held.Token())
	}
}

// TestSnapshotReloadIsARestart: node 0's data is saved (an RDB snapshot) after a first grant;
// a second grant is then held on nodes 0 and 1, and node 0 restarts from the old snapshot: its
// marker says ok and its counter is the first token, but the marker names the process that
// wrote it. Node 0 is amnesic, so a client whose clock is a second behind is not granted on
// nodes 0 and 2 while the second lease holds.
func TestSnapshotReloadIsARestart(t *testing.T) {
	c, l := newLocker(t, 3, quorum.Options{})
	ctx := context.Background()
	first := mustAcquire(t, l, "job")
	_ = first.Release(ctx)
	waitKeys(t, c, 0)
	snap, err := c.Servers[0].Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	c.Faults[2].SetFail(true)
	held := mustAcquire(t, l, "job")
	c.Faults[2].SetFail(false)
	if err := c.Servers[0].RestartFrom(snap); err != nil {
		t.Fatal(err)
	}
	behind := c.Locker(t, patient(quorum.Options{Clock: shiftedClock(-time.Second)}))
	le, err := behind.TryAcquire(ctx, "job")
	if err == nil {
		t.Fatalf("granted token %d while the lease with token %d holds, after a snapshot reload", le.Token(), held.Token())
	}
	if !errors.Is(err, quorum.ErrNodeAmnesic) {
		t.Fatalf("after a snapshot reload: %v, want node 0 amnesic", err)
	}
}

// tryAfterRestart makes attempts until one gets an answer other than ErrUnavailable, for up
// to five seconds: the first meets connections that the servers' restarts had closed (their
// commands fail once, and the next ones reconnect), and on a loaded machine a reconnect can
// take longer than a short NodeTimeout.
func tryAfterRestart(l *quorum.Locker, name string) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := l.TryAcquire(context.Background(), name)
		if !errors.Is(err, quorum.ErrUnavailable) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
}
