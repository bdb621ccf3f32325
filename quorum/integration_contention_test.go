package quorum_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/internal/redisproc"
	"github.com/quorumlock/quorumlock/quorum"
)

const (
	contenders      = 32 // goroutines contending for one name
	contendLockers  = 4  // Lockers they share: contenders/contendLockers goroutines each
	contendRounds   = 12
	contendGrants   = 48 // grants recorded by the exclusion test
	contentionName  = "contended"
	contendDeadline = 20 * time.Second
)

// contendOptions keeps node calls generous: 32 goroutines on 2 cores under -race.
var contendOptions = quorum.Options{
	TTL:           2 * time.Second,
	NodeTimeout:   500 * time.Millisecond,
	RetryDelayMin: 2 * time.Millisecond,
	RetryDelayMax: 20 * time.Millisecond,
}

// contendingLockers dials contendLockers Lockers over c and bootstraps the servers.
func contendingLockers(t *testing.T, c *itCluster) []*quorum.Locker {
	t.Helper()
	ls := make([]*quorum.Locker, contendLockers)
	for i := range ls {
		ls[i] = c.dial(t, contendOptions)
	}
	itWarmUp(t, ls[0], contentionName)
	return ls
}

// waitNoLockKeys polls until no server holds a lock key: the losers' clean-ups have run.
func (c *itCluster) waitNoLockKeys(t *testing.T, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		left := 0
		for i := range c.servers {
			left += len(c.lockKeys(t, i))
		}
		if left == 0 {
			return
		}
		if time.Now().After(deadline) {
			c.assertNoLockKeys(t)
			t.FailNow()
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// roundResult is one contender's TryAcquire in one round.
type roundResult struct {
	lease *quorum.Lease
	err   error
}

// contendOnce makes every contender call TryAcquire (or Acquire, if retry) at the same moment
// and returns the results. With retry, the first winner ends the round while it still holds
// the lock: every other Acquire then returns context.Canceled.
func contendOnce(ls []*quorum.Locker, retry bool) []roundResult {
	ctx, cancel := context.WithTimeout(context.Background(), contendDeadline)
	defer cancel()
	start := make(chan struct{})
	results := make([]roundResult, contenders)
	var wg sync.WaitGroup
	for g := range contenders {
		l := ls[g%len(ls)]
		wg.Go(func() {
			<-start
			var r roundResult
			if retry {
				r.lease, r.err = l.Acquire(ctx, contentionName)
				if r.err == nil {
					cancel()
				}
			} else {
				r.lease, r.err = l.TryAcquire(ctx, contentionName)
			}
			results[g] = r
		})
	}
	close(start)
	wg.Wait()
	return results
}

// TestIntegrationContentionExactWinners counts the winners among 32 contenders that start at
// the same moment on a free lock. One TryAcquire each: at most one wins (all may lose to a
// split vote, which Redlock does not prevent). Acquire each, the winner holding the lock until
// the others gave up: exactly one wins.
func TestIntegrationContentionExactWinners(t *testing.T) {
	itEachPersistence(t, func(t *testing.T, cfg redisproc.Config) {
		c := itStartN(t, 5, cfg)
		ls := contendingLockers(t, c)
		ignore := goleak.IgnoreCurrent()
		var last fencing.Token
		splits := 0
		for round := range 2 * contendRounds {
			retry := round%2 == 1
			c.waitNoLockKeys(t, 5*time.Second) // nobody holds it, no leftovers block the round
			var winners []*quorum.Lease
			for _, r := range contendOnce(ls, retry) {
				switch {
				case r.err == nil:
					winners = append(winners, r.lease)
				case !retry && !errors.Is(r.err, quorum.ErrNotAcquired):
					t.Errorf("round %d: a TryAcquire failed with %v; want ErrNotAcquired", round, r.err)
				case retry && !errors.Is(r.err, context.Canceled):
					t.Errorf("round %d: an Acquire failed with %v; want context.Canceled", round, r.err)
				}
			}
			switch {
			case len(winners) > 1:
				t.Errorf("round %d (retry %v): %d winners", round, retry, len(winners))
			case len(winners) == 0 && retry:
				t.Errorf("round %d: no Acquire won", round)
			case len(winners) == 0:
				splits++
			}
			for _, w := range winners {
				if w.Token() <= last {
					t.Errorf("round %d: token %d not above the previous winner's %d", round, w.Token(), last)
				}
				last = w.Token()
				ctx, cancel := itCtx()
				if err := w.Release(ctx); err != nil {
					t.Errorf("round %d: Release: %v", round, err)
				}
				cancel()
			}
		}
		t.Logf("%d of %d TryAcquire rounds split the vote (no winner)", splits, contendRounds)
		for _, l := range ls {
			_ = l.Close()
		}
		c.assertNoLockKeys(t)
		itVerifyNoLeaks(t, ignore)
	})
}

// grant is one lease of the exclusion test, on the monotonic clock.
type grant struct {
	token      fencing.Token
	start, end time.Time // Acquire returned; Release called
	expired    bool      // the lease's validity ran out before Release was called
}

// holdAndRelease runs one contender of the exclusion test until the grants are counted.
func holdAndRelease(ctx context.Context, l *quorum.Locker, done func() bool, record func(grant)) error {
	for !done() {
		le, err := l.Acquire(ctx, contentionName)
		if err != nil {
			if ctx.Err() != nil {
				return nil // the quota was reached by the others
			}
			return err
		}
		g := grant{token: le.Token(), start: time.Now()}
		time.Sleep(200 * time.Microsecond) // hold briefly
		g.end = time.Now()
		g.expired = le.Err() != nil || !g.end.Before(le.ValidUntil())
		record(g)
		// A Release that misses a slow node is not a failure: the key expires there.
		rctx, cancel := itCtx()
		_ = le.Release(rctx)
		cancel()
	}
	return nil
}

func TestIntegrationContentionTokensAndExclusion(t *testing.T) {
	itEachPersistence(t, func(t *testing.T, cfg redisproc.Config) {
		c := itStartN(t, 5, cfg)
		ls := contendingLockers(t, c)
		ignore := goleak.IgnoreCurrent()
		ctx, stop := context.WithTimeout(context.Background(), contendDeadline)
		defer stop()

		var mu sync.Mutex
		var grants []grant
		var count atomic.Int64
		done := func() bool { return count.Load() >= contendGrants }
		record := func(g grant) {
			mu.Lock()
			grants = append(grants, g)
			mu.Unlock()
			if count.Add(1) >= contendGrants {
				stop()
			}
		}
		errs := make([]error, contenders)
		var wg sync.WaitGroup
		for g := range contenders {
			wg.Go(func() { errs[g] = holdAndRelease(ctx, ls[g%len(ls)], done, record) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("contenders: %v", err)
		}
		if len(grants) < contendGrants {
			t.Fatalf("only %d grants before the deadline, want %d", len(grants), contendGrants)
		}
		checkGrants(t, grants)
		for _, l := range ls {
			_ = l.Close()
		}
		c.assertNoLockKeys(t)
		itVerifyNoLeaks(t, ignore)
	})
}

// checkGrants asserts that the grants' intervals never overlap and that their tokens are unique
// and strictly increase in grant order.
func checkGrants(t *testing.T, grants []grant) {
	t.Helper()
	slices.SortFunc(grants, func(a, b grant) int { return a.start.Compare(b.start) })
	seen := make(map[fencing.Token]bool)
	for i, g := range grants {
		if g.expired {
			t.Errorf("grant %d (token %d): validity ran out while held; the test is too slow to judge", i, g.token)
		}
		if seen[g.token] {
			t.Errorf("grant %d: token %d was granted twice", i, g.token)
		}
		seen[g.token] = true
		if i == 0 {
			continue
		}
		prev := grants[i-1]
		if g.start.Before(prev.end) {
			t.Errorf("grant %d (token %d) started %v before grant %d (token %d) was released",
				i, g.token, prev.end.Sub(g.start), i-1, prev.token)
		}
		if g.token <= prev.token {
			t.Errorf("grant %d: token %d not above the previous grant's %d", i, g.token, prev.token)
		}
	}
}
