package quorum_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/quorum"
)

// TestGrantNeedsMajority checks the quorum arithmetic for N = 1..7: with k nodes failing, an
// attempt is granted exactly when N−k ≥ N/2+1, and otherwise fails as unavailable, naming the
// failed nodes.
func TestGrantNeedsMajority(t *testing.T) {
	for n := 1; n <= 7; n++ {
		c, l := newLocker(t, n, quorum.Options{})
		for k := 0; k <= n; k++ {
			for i, node := range c.Faults {
				node.SetFail(i < k)
			}
			le, err := l.TryAcquire(context.Background(), fmt.Sprintf("n%d-k%d", n, k))
			want := n-k >= n/2+1
			if want != (err == nil) {
				t.Fatalf("N=%d, %d failing: err = %v, want granted=%v", n, k, err, want)
			}
			var ne *quorum.NodeError
			if !want && (!errors.Is(err, quorum.ErrUnavailable) || !errors.As(err, &ne)) {
				t.Fatalf("N=%d, %d failing: err = %v, want ErrUnavailable with a NodeError", n, k, err)
			}
			if le != nil {
				_ = le.Release(context.Background())
			}
		}
	}
}

// TestEvenSplitVoteResolves: with N = 4 and the vote split 2–2, the attempt ends at once as not
// acquired (never hangs), and the two keys it got are cleaned up.
func TestEvenSplitVoteResolves(t *testing.T) {
	c, l := newLocker(t, 4, quorum.Options{})
	ctx := context.Background()
	holder, err := l.TryAcquire(ctx, "split")
	if err != nil {
		t.Fatal(err)
	}
	waitKeys(t, c, 4) // the holder's stragglers have landed
	for _, s := range c.Servers[2:] {
		s.Del(quorum.DefaultKeyPrefix + "{split}") // as if the key had expired there
	}
	other := c.Locker(t, patient(quorum.Options{}))
	_, err = other.TryAcquire(ctx, "split")
	if !errors.Is(err, quorum.ErrNotAcquired) {
		t.Fatalf("split vote: %v, want ErrNotAcquired", err)
	}
	_ = other.Close()
	for i, s := range c.Servers[2:] {
		if s.Exists(quorum.DefaultKeyPrefix + "{split}") {
			t.Errorf("node %d kept the failed attempt's key", i+2)
		}
	}
	_ = holder.Release(ctx)
}

// TestReturnsAtMajorityWithoutWaitingForStragglers: two of five nodes stall; the grant comes
// from the other three without waiting for NodeTimeout, and the stragglers' keys, applied when
// they resume, belong to the lease and go with its release.
func TestReturnsAtMajorityWithoutWaitingForStragglers(t *testing.T) {
	c, l := newLocker(t, 5, quorum.Options{NodeTimeout: 2 * time.Second})
	c.Faults[0].Stall()
	c.Faults[1].Stall()
	start := time.Now()
	le, err := l.TryAcquire(context.Background(), "job")
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d >= 2*time.Second {
		t.Fatalf("grant took %v: it waited for the stalled nodes", d)
	}
	c.Faults[0].Resume()
	c.Faults[1].Resume()
	waitKeys(t, c, 5) // all the lease's
	if err := le.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	if left := leftKeys(t, c, l); countKeys(left) != 0 {
		t.Fatalf("keys left after release: %v", left)
	}
}

// TestFailedAttemptLeavesNoKeysOnResumedNodes: three of five nodes stall, so attempts fail;
// their queued acquires and the releases that follow them run in any order when the nodes
// resume, and no key of a failed attempt may remain.
func TestFailedAttemptLeavesNoKeysOnResumedNodes(t *testing.T) {
	c, l := newLocker(t, 5, quorum.Options{NodeTimeout: 20 * time.Millisecond, CleanupTimeout: 20 * time.Millisecond})
	for _, n := range c.Faults[:3] {
		n.Stall()
	}
	for i := range 20 {
		_, err := l.TryAcquire(context.Background(), fmt.Sprintf("job%d", i))
		if !errors.Is(err, quorum.ErrUnavailable) {
			t.Fatalf("attempt %d: %v, want ErrUnavailable", i, err)
		}
	}
	if left := leftKeys(t, c, l); countKeys(left) != 0 {
		t.Fatalf("keys left by failed attempts after the nodes resumed: %v", left)
	}
}

// TestCancelledAttemptCleansUp: a context that ends during an attempt surfaces as an error that
// wraps ctx.Err(), and the clean-up still runs, on a context of its own.
func TestCancelledAttemptCleansUp(t *testing.T) {
	c, l := newLocker(t, 3, quorum.Options{NodeTimeout: time.Second})
	for _, n := range c.Faults {
		n.Stall()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err := l.TryAcquire(ctx, "job")
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, quorum.ErrNotAcquired) {
		t.Fatalf("err = %v, want one wrapping context.DeadlineExceeded and not ErrNotAcquired", err)
	}
	if left := leftKeys(t, c, l); countKeys(left) != 0 {
		t.Fatalf("keys left by the cancelled attempt: %v", left)
	}
}

// TestRetryNotBlockedByOwnLeftovers: an attempt's key stays on node 0 because its clean-up
// fails there; once the holder releases and node 2 fails, only nodes 0 and 1 can form a
// majority, so the retry succeeds only if it may overwrite its own earlier attempt's key.
func TestRetryNotBlockedByOwnLeftovers(t *testing.T) {
	c, l := newLocker(t, 3, quorum.Options{})
	ctx := context.Background()
	holder, err := l.TryAcquire(ctx, "job")
	if err != nil {
		t.Fatal(err)
	}
	waitKeys(t, c, 3)
	c.Servers[0].Del(quorum.DefaultKeyPrefix + "{job}")
	c.Servers[0].FailScript("release", true)
	other := c.Locker(t, patient(quorum.Options{RetryDelayMin: time.Millisecond, RetryDelayMax: 5 * time.Millisecond}))
	got := make(chan error, 1)
	go func() {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		le, err := other.Acquire(actx, "job")
		if err == nil {
			_ = le.Release(ctx) // node 2 fails: its error is expected
		}
		got <- err
	}()
	time.Sleep(50 * time.Millisecond) // let attempts fail and leave keys on node 0
	c.Faults[2].SetFail(true)
	_ = holder.Release(ctx)
	c.Servers[0].FailScript("release", false)
	if err := <-got; err != nil {
		t.Fatalf("retry blocked by its own leftovers: %v", err)
	}
}

// TestTokensIncreaseAcrossClientsWhateverTheirClocks: a client whose wall clock is years
// behind proposes tokens below the counters; the nodes refuse them, and its retry above the
// highest counter seen is granted with a larger token.
func TestTokensIncreaseAcrossClientsWhateverTheirClocks(t *testing.T) {
	c, fast := newLocker(t, 5, quorum.Options{})
	slow := c.Locker(t, patient(quorum.Options{Clock: backwardsClock{}}))
	ctx := context.Background()
	var last uint64
	for i := range 10 {
		l := fast
		if i%2 == 1 {
			l = slow
		}
		le, err := l.TryAcquire(ctx, "job")
		if err != nil {
			t.Fatalf("grant %d: %v", i, err)
		}
		if uint64(le.Token()) <= last {
			t.Fatalf("grant %d: token %d after %d", i, le.Token(), last)
		}
		last = uint64(le.Token())
		if err := le.Release(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// TestExhaustedNameDoesNotAffectOthers: a name whose counters reached the maximum token fails
// with ErrTokenSpace; other names are unaffected.
func TestExhaustedNameDoesNotAffectOthers(t *testing.T) {
	c, l := newLocker(t, 3, quorum.Options{})
	for _, s := range c.Servers {
		if err := s.Set(quorum.DefaultKeyPrefix+"{full}:fence", fencing.MaxToken.String()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.TryAcquire(context.Background(), "full"); !errors.Is(err, quorum.ErrTokenSpace) {
		t.Fatalf("TryAcquire of an exhausted name = %v, want ErrTokenSpace", err)
	}
	mustAcquire(t, l, "other")
}
