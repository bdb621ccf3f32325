package bench

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeElection is an election in memory: one term at a time; a crashed term's lock stays taken
// for expiry, a resigned one is free at once.
type fakeElection struct {
	expiry time.Duration

	mu      sync.Mutex
	holder  *fakeCandidate
	free    time.Time        // when the lock is free, if nobody holds it
	winners []*fakeCandidate // in order
}

// fakeCandidate is a client of a fakeElection; it campaigns by polling every 100µs.
type fakeCandidate struct {
	e      *fakeElection
	closed atomic.Bool
}

func (c *fakeCandidate) pair(context.Context, string) error { return errors.New("fake: not a pair") }

func (c *fakeCandidate) try(context.Context, string) (bool, error) {
	return false, errors.New("fake: not a try")
}

func (c *fakeCandidate) wait(context.Context, string, time.Duration) (time.Duration, bool, error) {
	return 0, false, errors.New("fake: not a wait")
}

func (c *fakeCandidate) campaign(ctx context.Context, _ string) (term, error) {
	for {
		if c.closed.Load() {
			return nil, errors.New("fake: campaign on a closed client")
		}
		c.e.mu.Lock()
		if c.e.holder == nil && !time.Now().Before(c.e.free) {
			c.e.holder = c
			c.e.winners = append(c.e.winners, c)
			c.e.mu.Unlock()
			return fakeTerm{c}, nil
		}
		c.e.mu.Unlock()
		if err := sleep(ctx, 100*time.Microsecond); err != nil {
			return nil, err
		}
	}
}

func (c *fakeCandidate) close() error { c.closed.Store(true); return nil }

type fakeTerm struct{ c *fakeCandidate }

func (t fakeTerm) resign(context.Context) error { return t.end(0) }

func (t fakeTerm) crash() error {
	_ = t.c.close()
	return t.end(t.c.e.expiry)
}

func (t fakeTerm) end(expiry time.Duration) error {
	e := t.c.e
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.holder != t.c {
		return nil // resigned again as the run ends
	}
	e.holder, e.free = nil, time.Now().Add(expiry)
	return nil
}

// electionWorkload returns a workload of kind k with n candidates on e.
func electionWorkload(e *fakeElection, k Kind, n int, ops int64) workload {
	w := workload{sc: Scenario{Name: "e", Kind: k, Workers: n, Clients: n, Ops: ops}, base: "t"}
	for range n {
		w.cs = append(w.cs, &fakeCandidate{e: e})
	}
	w.open = func(context.Context) (client, error) { return &fakeCandidate{e: e}, nil }
	w.freeAt = func(context.Context, string) (time.Time, error) {
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.free, nil
	}
	return w
}

func TestDriveElectionFailoverWaitsForTheExpiryAndReplacesTheCrashed(t *testing.T) {
	const expiry = 20 * time.Millisecond
	e := &fakeElection{expiry: expiry}
	w := electionWorkload(e, Failover, 3, 4)
	first := append([]client(nil), w.cs...)
	win := driveElection(context.Background(), w, time.Hour, 0)
	if ops, grants, errs := win.ops.Load(), win.grants.Load(), win.errs.Load(); ops != 4 || grants != 4 || errs != 0 {
		t.Fatalf("ops %d, grants %d, errors %d (first %v); want 4 failovers (Ops), all granted", ops, grants, errs, win.firstErr)
	}
	if p50, _, _ := percentiles(win.hist); p50 < expiry {
		t.Errorf("failover p50 %v, shorter than the %v the crashed term's lock stays taken", p50, expiry)
	}
	if n := win.pastExpiry.TotalCount(); n != 4 {
		t.Errorf("%d parts past expiry recorded, want one per failover", n)
	}
	if _, p99, _ := percentiles(win.pastExpiry); p99 >= expiry {
		t.Errorf("part past expiry p99 %v: the expiry was not taken off", p99)
	}
	crashed := 0
	for _, c := range first {
		if c.(*fakeCandidate).closed.Load() {
			crashed++
		}
	}
	for _, c := range w.cs {
		if c.(*fakeCandidate).closed.Load() {
			t.Error("w.cs holds a crashed client: it was not replaced")
		}
	}
	if crashed == 0 || len(w.cs) != 3 {
		t.Errorf("%d of the first clients crashed, %d clients left; want crashes and 3 live candidates", crashed, len(w.cs))
	}
	if e.holder != nil {
		t.Error("the last leader did not resign when the run ended")
	}
}

func TestDriveElectionHandoverGoesToAnotherCandidate(t *testing.T) {
	e := &fakeElection{}
	w := electionWorkload(e, Handover, 3, 0)
	win := driveElection(context.Background(), w, 30*time.Millisecond, 0)
	if ops, errs := win.ops.Load(), win.errs.Load(); ops < 2 || errs != 0 || win.grants.Load() != ops {
		t.Fatalf("%d handovers, %d errors (first %v); want several, all granted", ops, errs, win.firstErr)
	}
	if win.pastExpiry != nil {
		t.Error("a handover records a part past expiry")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := 1; i < len(e.winners) && i <= int(win.ops.Load()); i++ {
		if e.winners[i] == e.winners[i-1] {
			t.Fatalf("term %d went back to the candidate that resigned it", i)
		}
	}
	if e.holder != nil {
		t.Error("the last leader did not resign when the run ended")
	}
}

func TestDriveElectionStopsWhenNoNewLeaderComes(t *testing.T) {
	e := &fakeElection{expiry: time.Hour} // a crashed term never frees the lock
	w := electionWorkload(e, Failover, 2, 5)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	win := driveElection(ctx, w, time.Hour, 0)
	if ops, grants, errs := win.ops.Load(), win.grants.Load(), win.errs.Load(); ops != 1 || grants != 0 || errs != 1 {
		t.Errorf("ops %d, grants %d, errors %d; want the one failover that found no leader, as an error", ops, grants, errs)
	}
	if !errors.Is(win.firstErr, context.DeadlineExceeded) {
		t.Errorf("error %v, want one wrapping the context's", win.firstErr)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("driveElection returned after %v, long after its context ended", d)
	}
}
