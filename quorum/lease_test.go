package quorum_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/clock"
	"github.com/quorumlock/quorumlock/clock/clocktest"
	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/quorum/quorumtest"
)

var epoch = time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)

// fakeLocker returns a cluster bootstrapped by a real-clock Locker, and a Locker over it that
// runs on a fake clock.
func fakeLocker(t *testing.T, n int, opts quorum.Options) (*quorumtest.Cluster, *quorum.Locker, *clocktest.Fake) {
	t.Helper()
	c := quorumtest.NewCluster(t, n)
	c.Bootstrap(t)
	clk := clocktest.NewFake(epoch)
	opts.Clock = clk
	return c, c.Locker(t, patient(opts)), clk
}

func mustAcquire(t *testing.T, l *quorum.Locker, name string) *quorum.Lease {
	t.Helper()
	le, err := l.TryAcquire(context.Background(), name)
	if err != nil {
		t.Fatalf("TryAcquire(%q): %v", name, err)
	}
	return le
}

func TestValidUntilAndExtend(t *testing.T) {
	_, l, clk := fakeLocker(t, 3, quorum.Options{TTL: 10 * time.Second})
	le := mustAcquire(t, l, "job")
	drift := clock.Drift(10*time.Second, quorum.DefaultDriftFactor)
	if want := epoch.Add(10*time.Second - drift); !le.ValidUntil().Equal(want) {
		t.Fatalf("ValidUntil = %v, want start + TTL − drift = %v", le.ValidUntil(), want)
	}
	tok := le.Token()
	clk.Step(3 * time.Second)
	if err := le.Extend(context.Background()); err != nil {
		t.Fatal(err)
	}
	if want := epoch.Add(13*time.Second - drift); !le.ValidUntil().Equal(want) || le.Token() != tok {
		t.Fatalf("after Extend: ValidUntil %v token %d, want %v and the same token %d", le.ValidUntil(), le.Token(), want, tok)
	}
}

func TestLeaseEndsLocallyWhenValidityRunsOut(t *testing.T) {
	c, l, clk := fakeLocker(t, 3, quorum.Options{TTL: time.Second})
	le := mustAcquire(t, l, "job")
	clk.Step(time.Second)
	<-le.Done() // closed by the local expiry, with no node involved
	if !errors.Is(le.Err(), quorum.ErrLeaseLost) {
		t.Fatalf("Err after expiry = %v, want ErrLeaseLost", le.Err())
	}
	before := c.Servers[0].ScriptCalls("")
	if err := le.Extend(context.Background()); !errors.Is(err, quorum.ErrLeaseLost) {
		t.Fatalf("Extend after expiry = %v, want ErrLeaseLost", err)
	}
	if c.Servers[0].ScriptCalls("") != before {
		t.Fatal("Extend of an expired lease sent requests")
	}
}

func TestExtendRefusedByMajorityLosesLeaseAndRollsBack(t *testing.T) {
	c, l, _ := fakeLocker(t, 5, quorum.Options{})
	le := mustAcquire(t, l, "job")
	waitKeys(t, c, 5)
	for _, s := range c.Servers[:3] {
		s.Del(quorum.DefaultKeyPrefix + "{job}") // expired on a majority
	}
	err := le.Extend(context.Background())
	if !errors.Is(err, quorum.ErrLeaseLost) {
		t.Fatalf("Extend = %v, want ErrLeaseLost", err)
	}
	select {
	case <-le.Done():
	default:
		t.Fatal("Done not closed after the lease was lost")
	}
	if left := leftKeys(t, c, l); countKeys(left) != 0 {
		t.Fatalf("the minority that was extended was not rolled back: %v", left)
	}
}

func TestExtendUnavailableKeepsValidity(t *testing.T) {
	c, l, _ := fakeLocker(t, 5, quorum.Options{})
	le := mustAcquire(t, l, "job")
	until := le.ValidUntil()
	failExtends(c.Servers[:3])
	err := le.Extend(context.Background())
	if !errors.Is(err, quorum.ErrUnavailable) || errors.Is(err, quorum.ErrLeaseLost) {
		t.Fatalf("Extend = %v, want ErrUnavailable", err)
	}
	if le.Err() != nil || !le.ValidUntil().Equal(until) {
		t.Fatalf("after an unanswered Extend: Err %v, ValidUntil %v; want nil and %v", le.Err(), le.ValidUntil(), until)
	}
}

// stepAtMajority is an Observer that steps a fake clock by step when the round's second grant
// is counted: the process paused between reading its round and acting on it.
type stepAtMajority struct {
	clk    *clocktest.Fake
	step   time.Duration
	grants atomic.Int32
}

func (s *stepAtMajority) Observe(ev quorum.Event) {
	if ev.Kind == quorum.EventNode && ev.Status == quorum.Granted && s.grants.Add(1) == 2 {
		s.clk.Step(s.step)
	}
}

// TestGrantWithoutValidityIsRefusedAndCleanedUp: the process pauses after a majority granted
// and before it used the grant; by then no validity is left, so the grant is refused and its
// keys cleaned up.
func TestGrantWithoutValidityIsRefusedAndCleanedUp(t *testing.T) {
	c := quorumtest.NewCluster(t, 3)
	clk := clocktest.NewFake(epoch)
	l := c.BootstrappedLocker(t, quorum.Options{TTL: time.Second, NodeTimeout: 200 * time.Millisecond, Clock: clk,
		Observer: &stepAtMajority{clk: clk, step: time.Second}})
	_, err := l.TryAcquire(context.Background(), "job")
	if !errors.Is(err, quorum.ErrNotAcquired) {
		t.Fatalf("grant used after a 1s pause of a 1s TTL: %v, want ErrNotAcquired (no validity left)", err)
	}
	if left := leftKeys(t, c, l); countKeys(left) != 0 {
		t.Fatalf("keys of the refused grant left: %v", left)
	}
}

func TestReleaseIsIdempotentAndEndsTheLease(t *testing.T) {
	_, l, _ := fakeLocker(t, 3, quorum.Options{})
	ctx := context.Background()
	le := mustAcquire(t, l, "job")
	for range 2 {
		if err := le.Release(ctx); err != nil {
			t.Fatalf("Release: %v", err)
		}
	}
	if err := le.Extend(ctx); !errors.Is(err, quorum.ErrReleased) {
		t.Fatalf("Extend after Release = %v, want ErrReleased", err)
	}
	mustAcquire(t, l, "job") // free again
}

func TestClosedLockerRefusesCalls(t *testing.T) {
	_, l, _ := fakeLocker(t, 3, quorum.Options{})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.TryAcquire(context.Background(), "job"); !errors.Is(err, quorum.ErrClosed) {
		t.Fatalf("TryAcquire after Close = %v, want ErrClosed", err)
	}
}

// TestExtendAnsweredAfterValidityLosesLease: the extension started in time, but its majority
// answered (within NodeTimeout) only after the old validity had run out; the lease cannot be
// carried over the gap.
func TestExtendAnsweredAfterValidityLosesLease(t *testing.T) {
	c, l, clk := fakeLocker(t, 3, quorum.Options{TTL: time.Second, NodeTimeout: 200 * time.Millisecond})
	le := mustAcquire(t, l, "job")
	waitKeys(t, c, 3)
	for _, s := range c.Servers { // each answer takes 60 ms: a majority, at least 120 ms
		s.BeforeScript(func(name string) {
			if name == "extend" {
				clk.Step(60 * time.Millisecond)
			}
		})
	}
	clk.Step(le.ValidUntil().Sub(clk.Now()) - 100*time.Millisecond) // 100 ms of validity left
	if err := le.Extend(context.Background()); !errors.Is(err, quorum.ErrLeaseLost) {
		t.Fatalf("Extend answered after ValidUntil = %v, want ErrLeaseLost", err)
	}
}
