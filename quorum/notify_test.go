package quorum_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/quorum"
)

// noPolling makes Acquire's fallback poll so rare that only a notification can wake it within a
// test's lifetime.
func noPolling(opts quorum.Options) quorum.Options {
	opts.RetryDelayMin, opts.RetryDelayMax = time.Hour, time.Hour
	return opts
}

// TestAcquireWakesAtRelease: a waiter whose fallback poll is an hour away is woken by the
// release and granted.
func TestAcquireWakesAtRelease(t *testing.T) {
	c, holder := newLocker(t, 3, quorum.Options{})
	waiter := c.Locker(t, noPolling(patient(quorum.Options{})))
	held := mustAcquire(t, holder, "job")
	got := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		le, err := waiter.Acquire(ctx, "job")
		if err == nil {
			err = le.Release(ctx)
		}
		got <- err
	}()
	waitSubscribed(t, c.Servers[0].PubSubNumSub, "job")
	if err := held.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("waiter after the release: %v", err)
	}
}

// waitSubscribed waits until a client subscribed to the release announcements of name, as
// numSub (a server's PUBSUB NUMSUB) reports.
func waitSubscribed(t *testing.T, numSub func(...string) map[string]int, name string) {
	t.Helper()
	ch := quorum.DefaultKeyPrefix + "{" + name + "}:released"
	deadline := time.Now().Add(10 * time.Second)
	for numSub(ch)[ch] == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("nobody subscribed to %s", ch)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestWaitersOfOneLockerTakeTurns: eight goroutines of one Locker wait for a held name with no
// fallback poll; each release wakes the next, and every one is granted in turn, with
// increasing tokens. Only one of them contends at a time: the subscription is made once.
func TestWaitersOfOneLockerTakeTurns(t *testing.T) {
	c, holder := newLocker(t, 3, quorum.Options{})
	l := c.Locker(t, noPolling(patient(quorum.Options{})))
	held := mustAcquire(t, holder, "job")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var mu sync.Mutex
	var tokens []fencing.Token
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			le, err := l.Acquire(ctx, "job")
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			tokens = append(tokens, le.Token())
			mu.Unlock()
			errs <- le.Release(ctx)
		}()
	}
	waitSubscribed(t, c.Servers[0].PubSubNumSub, "job")
	if err := held.Release(ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i < len(tokens); i++ {
		if tokens[i] <= tokens[i-1] {
			t.Fatalf("tokens in grant order %v: not increasing", tokens)
		}
	}
	ch := quorum.DefaultKeyPrefix + "{job}:released"
	if n := c.Servers[0].PubSubNumSub(ch)[ch]; n > 1 {
		t.Fatalf("%d subscriptions of one Locker to one name, want at most 1", n)
	}
}

// TestWatchHearsOnlyItsNames: a Watch of one name is not woken by the release of another, nor
// by the clean-up of a failed attempt, and is woken by its own name's release.
func TestWatchHearsOnlyItsNames(t *testing.T) {
	c, l := newLocker(t, 3, quorum.Options{})
	other := c.Locker(t, patient(quorum.Options{}))
	ctx := context.Background()
	w, err := l.Watch(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	_ = mustAcquire(t, l, "b").Release(ctx)
	a := mustAcquire(t, l, "a")
	if _, err := other.TryAcquire(ctx, "a"); !errors.Is(err, quorum.ErrNotAcquired) {
		t.Fatalf("TryAcquire of a held lock: %v", err)
	}
	if err := other.Close(); err != nil { // waits for the failed attempt's clean-up
		t.Fatal(err)
	}
	select {
	case <-w.C():
		t.Fatal("woken by another name's release or by a clean-up")
	case <-time.After(100 * time.Millisecond):
	}
	if err := a.Release(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-w.C():
	case <-time.After(10 * time.Second):
		t.Fatal("not woken by the release of the watched name")
	}
}

// TestWatchUnsubscribesOnClose: once the last Watch of a name closes, no node keeps the
// subscription (a Locker used for a million names keeps none of them).
func TestWatchUnsubscribesOnClose(t *testing.T) {
	c, l := newLocker(t, 3, quorum.Options{})
	w, err := l.Watch(context.Background(), "job")
	if err != nil {
		t.Fatal(err)
	}
	ch := quorum.DefaultKeyPrefix + "{job}:released"
	for i, s := range c.Servers {
		if s.PubSubNumSub(ch)[ch] != 1 {
			t.Fatalf("node %d: not subscribed once Watch returned", i)
		}
	}
	w.Close()
	deadline := time.Now().Add(10 * time.Second)
	for i, s := range c.Servers {
		for s.PubSubNumSub(ch)[ch] != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("node %d: still subscribed after Close", i)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// TestAcquireWithANodeDownStillWakes: one node of three is down; Watch returns after
// NodeTimeout at most, and the release on the other two wakes the waiter.
func TestAcquireWithANodeDownStillWakes(t *testing.T) {
	c, holder := newLocker(t, 3, quorum.Options{})
	c.Faults[2].SetFail(true)
	waiter := c.Locker(t, noPolling(patient(quorum.Options{})))
	held := mustAcquire(t, holder, "job")
	got := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		le, err := waiter.Acquire(ctx, "job")
		if err == nil {
			err = le.Release(ctx)
		}
		got <- err
	}()
	waitSubscribed(t, c.Servers[0].PubSubNumSub, "job")
	if err := held.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("waiter after the release: %v", err)
	}
}

// releaseOnFirstRefusal is an Observer that releases a lease (of another Locker) the first time
// its Locker's attempt is refused: the release lands after the waiter's first attempt and
// before its subscription, the window a subscribe-after-attempt design loses.
type releaseOnFirstRefusal struct {
	once  sync.Once
	lease func() *quorum.Lease
}

func (o *releaseOnFirstRefusal) Observe(ev quorum.Event) {
	if ev.Kind == quorum.EventAcquire && errors.Is(ev.Err, quorum.ErrNotAcquired) {
		o.once.Do(func() { _ = o.lease().Release(context.Background()) })
	}
}

// TestReleaseBeforeSubscriptionIsNotMissed: the holder releases after the waiter's first attempt
// was refused and before the waiter subscribed, so no announcement ever reaches the waiter; its
// fallback poll is an hour away. Acquire tries again once subscribed, and is granted.
func TestReleaseBeforeSubscriptionIsNotMissed(t *testing.T) {
	c, holder := newLocker(t, 3, quorum.Options{})
	held := mustAcquire(t, holder, "job")
	obs := &releaseOnFirstRefusal{lease: func() *quorum.Lease { return held }}
	waiter := c.Locker(t, noPolling(patient(quorum.Options{Observer: obs})))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	le, err := waiter.Acquire(ctx, "job")
	if err != nil {
		t.Fatalf("Acquire after a release between its first attempt and its subscription: %v", err)
	}
	if le.Token() <= held.Token() {
		t.Fatalf("token %d, not above the released lease's %d", le.Token(), held.Token())
	}
	_ = le.Release(ctx)
}

// attemptCounter counts the attempts of its Locker (EventAcquire).
type attemptCounter struct{ n atomic.Int64 }

func (c *attemptCounter) Observe(e quorum.Event) {
	if e.Kind == quorum.EventAcquire {
		c.n.Add(1)
	}
}

// TestEarlierReleaseDoesNotWakeABlockedWaiter: a waiter blocked by a holder ignores the
// announcement of an earlier release (every node sends one per release, and they arrive late),
// and tries again at the holder's own: with many waiters, each would otherwise make a futile
// attempt per late announcement.
func TestEarlierReleaseDoesNotWakeABlockedWaiter(t *testing.T) {
	c, holder := newLocker(t, 3, quorum.Options{})
	attempts := &attemptCounter{}
	waiter := c.Locker(t, noPolling(patient(quorum.Options{Observer: attempts})))
	held := mustAcquire(t, holder, "job")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	heard, err := waiter.Watch(ctx, "job") // hears what the waiter's own watch hears, as it hears it
	if err != nil {
		t.Fatal(err)
	}
	defer heard.Close()
	got := make(chan error, 1)
	go func() {
		le, err := waiter.Acquire(ctx, "job")
		if err == nil {
			err = le.Release(ctx)
		}
		got <- err
	}()
	waitFor(t, "the waiter's first attempt and its retry after subscribing", func() bool { return attempts.n.Load() >= 2 })
	ch := quorum.DefaultKeyPrefix + "{job}:released"
	for _, s := range c.Servers {
		s.Publish(ch, strconv.FormatUint(uint64(held.Token()-1), 10))
	}
	select {
	case <-heard.C():
	case <-ctx.Done():
		t.Fatal("the earlier release's announcement never arrived")
	}
	time.Sleep(time.Second) // an attempt it woke would start now: give it time to show
	if n := attempts.n.Load(); n != 2 {
		t.Fatalf("%d attempts after an earlier release's announcement, want 2: it woke the waiter", n)
	}
	if err := held.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("waiter after the release: %v", err)
	}
	// The release may still be in flight on a majority when the first copy of its announcement
	// wakes the waiter: a later copy then wakes it again (§13). So 3 attempts or a few more.
	if n := attempts.n.Load(); n < 3 || n > 2+int64(len(c.Servers)) {
		t.Errorf("%d attempts, want the first, the one after subscribing, and one per node's copy of the release at most", n)
	}
}

// waitFor waits up to ten seconds until cond holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
