package semaphore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/semaphore"
)

// TestAcquireWakesAtRelease: a waiter whose fallback poll is an hour away is woken by the
// release of the one slot it was not first refused on, and granted that slot.
func TestAcquireWakesAtRelease(t *testing.T) {
	c, holder := newLocker(t, 3, quorum.Options{})
	waiter := c.Locker(t, noPolling(patient(quorum.Options{})))
	hs := semaphore.New(holder, "exports", 2)
	held := map[int]*semaphore.Permit{}
	for range 2 {
		p := mustTry(t, hs)
		held[p.Slot()] = p
	}
	type result struct {
		p   *semaphore.Permit
		err error
	}
	got := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		p, err := semaphore.New(waiter, "exports", 2).Acquire(ctx)
		got <- result{p, err}
	}()
	waitSubscribed(t, c.Servers[0], "exports", 2)
	mustRelease(t, held[1])
	r := <-got
	if r.err != nil || r.p.Slot() != 1 {
		t.Fatalf("waiter after slot 1 was released: %v, %v; want a permit on slot 1", r.p, r.err)
	}
	mustRelease(t, r.p)
	mustRelease(t, held[0])
}

// TestAcquireCancelledLeavesNoSlotKey: every node answers 200 ms late and the caller gives up
// after 100 ms, while an attempt is in flight. Acquire returns an error wrapping
// context.Canceled, and once the late requests have run, no slot key is left on any node:
// neither the attempt's (cleaned up) nor a permit granted after the caller gave up.
func TestAcquireCancelledLeavesNoSlotKey(t *testing.T) {
	c, l := newLocker(t, 3, quorum.Options{})
	s := semaphore.New(l, "exports", 2)
	for _, f := range c.Faults {
		f.SetDelay(200 * time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(100*time.Millisecond, cancel)
	p, err := s.Acquire(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire cancelled while the nodes are slow = %v, %v; want an error wrapping context.Canceled", p, err)
	}
	time.Sleep(300 * time.Millisecond) // the delayed acquire requests run
	if left := leftKeys(t, c, l); countKeys(left) != 0 {
		t.Fatalf("slot keys left after the cancelled Acquire: %v", left)
	}
}

// TestWaitersOfOneSemaphoreTakeTurns: sixteen goroutines wait on one Semaphore whose two
// permits are held, with no fallback poll. A release wakes the one contender of that Semaphore
// (and the next in line tries once it has its turn, finding both held again), not every
// waiting goroutine: the attempts a release causes do not grow with the number of waiters.
func TestWaitersOfOneSemaphoreTakeTurns(t *testing.T) {
	c, holder := newLocker(t, 3, quorum.Options{})
	l := c.Locker(t, noPolling(patient(quorum.Options{})))
	hs := semaphore.New(holder, "exports", 2)
	first, second := mustTry(t, hs), mustTry(t, hs)
	defer mustRelease(t, second)
	s := semaphore.New(l, "exports", 2)
	ctx, cancel := context.WithCancel(context.Background())
	const waiters = 16
	granted := make(chan *semaphore.Permit, waiters)
	var wg sync.WaitGroup
	for range waiters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if p, err := s.Acquire(ctx); err == nil {
				granted <- p
			}
		}()
	}
	defer wg.Wait()
	defer cancel()
	waitSubscribed(t, c.Servers[0], "exports", 2)
	before := settledCalls(c.Servers[0].ScriptCalls)
	mustRelease(t, first)
	p := <-granted
	defer mustRelease(t, p)
	// Each of the two contenders (the woken one, then the next in line) tries at most both
	// slots per wake, and is woken at most once per node's announcement of the release, which
	// the release's own script call adds to. Waiters that all contend make at least one attempt
	// each, most of them two.
	const nodes, permits, contenders = 3, 2, 2
	if calls := settledCalls(c.Servers[0].ScriptCalls) - before; calls > contenders*nodes*permits+1 {
		t.Fatalf("%d script calls on a node after one release, want at most %d: the %d waiters did not take turns",
			calls, contenders*nodes*permits+1, waiters)
	} else {
		t.Logf("%d script calls on a node after one release", calls)
	}
}

// settledCalls returns a node's script calls once they have stopped changing for 200 ms.
func settledCalls(calls func(string) int) int {
	n := calls("")
	for {
		time.Sleep(200 * time.Millisecond)
		if m := calls(""); m != n {
			n = m
			continue
		}
		return n
	}
}

// TestAcquireWithDisableNotifyPolls: with DisableNotify, a waiter subscribes to nothing and is
// granted the released permit by polling.
func TestAcquireWithDisableNotifyPolls(t *testing.T) {
	c, holder := newLocker(t, 3, quorum.Options{})
	waiter := c.Locker(t, patient(quorum.Options{DisableNotify: true, RetryDelayMin: 5 * time.Millisecond, RetryDelayMax: 20 * time.Millisecond}))
	held := mustTry(t, semaphore.New(holder, "exports", 1))
	got := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		p, err := semaphore.New(waiter, "exports", 1).Acquire(ctx)
		if err == nil {
			err = p.Release(ctx)
		}
		got <- err
	}()
	before := c.Servers[0].ScriptCalls("acquire")
	for c.Servers[0].ScriptCalls("acquire") < before+3 { // the waiter polls
		time.Sleep(5 * time.Millisecond)
	}
	ch := releaseChannel("exports", 0)
	if n := c.Servers[0].PubSubNumSub(ch)[ch]; n != 0 {
		t.Errorf("%d subscriptions to %s with DisableNotify, want none", n, ch)
	}
	mustRelease(t, held)
	if err := <-got; err != nil {
		t.Fatalf("waiter after the release: %v", err)
	}
}
