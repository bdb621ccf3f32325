package bench

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// fakeWaiter is a client whose wait is fn; it is all a Waiting workload calls.
type fakeWaiter struct {
	fn func(ctx context.Context) (time.Duration, bool, error)
}

func (f fakeWaiter) pair(context.Context, string) error { return errors.New("fake: not a pair") }

func (f fakeWaiter) try(context.Context, string) (bool, error) {
	return false, errors.New("fake: not a try")
}

func (f fakeWaiter) wait(ctx context.Context, _ string, _ time.Duration) (time.Duration, bool, error) {
	return f.fn(ctx)
}

func (f fakeWaiter) campaign(context.Context, string) (term, error) {
	return nil, errors.New("fake: not a campaign")
}

func (f fakeWaiter) close() error { return nil }

func waitingWorkload(workers int, fn func(ctx context.Context) (time.Duration, bool, error)) workload {
	sc := Scenario{Name: "w", Kind: Waiting, Workers: workers}
	return workload{sc: sc, cs: []client{fakeWaiter{fn: fn}}, base: "t"}
}

func TestDriveWaitingCountsEveryMeasuredOpAndItsErrors(t *testing.T) {
	var n atomic.Int64
	errBoom := errors.New("boom")
	w := waitingWorkload(4, func(context.Context) (time.Duration, bool, error) {
		time.Sleep(100 * time.Microsecond)
		switch n.Add(1) % 3 {
		case 0:
			return 7 * time.Millisecond, false, errBoom // not granted
		case 1:
			return 2 * time.Millisecond, true, errBoom // granted, the release failed
		}
		return 2 * time.Millisecond, true, nil
	})
	win := driveWaiting(context.Background(), w, 30*time.Millisecond, 0)
	ops, grants, errs := win.ops.Load(), win.grants.Load(), win.errs.Load()
	if ops == 0 || win.hist.TotalCount() != ops {
		t.Fatalf("ops = %d, waits recorded = %d; want every measured op's wait", ops, win.hist.TotalCount())
	}
	if grants == 0 || errs == 0 || ops-grants > errs || !errors.Is(win.firstErr, errBoom) {
		t.Errorf("ops %d, grants %d, errors %d (first %v): want every op not granted counted as an error",
			ops, grants, errs, win.firstErr)
	}
	if max := time.Duration(win.hist.Max()) * time.Microsecond; max < 7*time.Millisecond {
		t.Errorf("longest wait recorded %v; want the 7ms the client reported", max)
	}
	if win.span != 30*time.Millisecond || win.spanOps > ops || win.spanGrants > grants || win.spanGrants > win.spanOps {
		t.Errorf("span %v, ops %d of %d, grants %d of %d; want the window and no more than were measured",
			win.span, win.spanOps, ops, win.spanGrants, grants)
	}
}

func TestDriveWaitingKeepsContentionUntilTheLastMeasuredOpEnds(t *testing.T) {
	const d, long = 20 * time.Millisecond, 120 * time.Millisecond
	var first atomic.Bool
	w := waitingWorkload(4, func(context.Context) (time.Duration, bool, error) {
		if first.CompareAndSwap(false, true) {
			time.Sleep(long) // a waiter still in line long after the window
			return long, true, nil
		}
		time.Sleep(time.Millisecond)
		return time.Millisecond, true, nil
	})
	win := driveWaiting(context.Background(), w, d, 0)
	if max := time.Duration(win.hist.Max()) * time.Microsecond; max < long {
		t.Errorf("longest wait recorded %v, want the %v of the op that ended after the window", max, long)
	}
	if win.elapsed < long {
		t.Errorf("drive returned after %v, before its last measured op ended (%v)", win.elapsed, long)
	}
	if win.unmeasured.Load() == 0 {
		t.Error("no unmeasured ops: the other workers stopped while a measured op was still waiting")
	}
	// Each worker may have had one op in flight when the window closed; the long one was.
	if ops := win.ops.Load(); win.spanOps > ops-1 || win.spanOps < ops-4 {
		t.Errorf("ops ended in the window = %d of %d measured; want all but the long one and the others' last",
			win.spanOps, ops)
	}
}

func TestDriveWaitingStopsMeasuringAtMaxOps(t *testing.T) {
	w := waitingWorkload(3, func(context.Context) (time.Duration, bool, error) {
		time.Sleep(time.Millisecond)
		return time.Millisecond, true, nil
	})
	start := time.Now()
	win := driveWaiting(context.Background(), w, time.Minute, 10)
	if ops := win.ops.Load(); ops != 10 || win.hist.TotalCount() != 10 {
		t.Errorf("ops = %d, waits = %d; want exactly MaxOps (10)", ops, win.hist.TotalCount())
	}
	if win.span <= 0 || win.span >= time.Minute || time.Since(start) > 10*time.Second {
		t.Errorf("span %v after %v; want the window closed when MaxOps was reached", win.span, time.Since(start))
	}
}

func TestResultOfAWaitingWindowRatesTheWindow(t *testing.T) {
	win := newWindow()
	for range 10 {
		win.record(time.Millisecond, true, nil)
	}
	win.unmeasured.Add(10)
	win.elapsed, win.span, win.spanOps, win.spanGrants = 3*time.Second, time.Second, 8, 8
	before := sample{cpu: 0, mallocs: 0, server: 0, serverKnown: true}
	after := sample{cpu: 20 * time.Millisecond, mallocs: 400, server: 40 * time.Millisecond, serverKnown: true}
	r := result(Ours, 1, win, before, after, 0)
	if r.Ops != 10 || r.Grants != 10 || r.Elapsed != time.Second || r.OpsPerSec != 8 || r.GrantsPerSec != 8 {
		t.Errorf("ops %d, grants %d, elapsed %v, %v ops/s, %v grants/s; want 10, 10, 1s and 8/s (ended in the window)",
			r.Ops, r.Grants, r.Elapsed, r.OpsPerSec, r.GrantsPerSec)
	}
	if r.ClientCPUPerOp != time.Millisecond || r.AllocsPerOp != 20 || r.ServerCPUPerOp != 2*time.Millisecond {
		t.Errorf("per op: cpu %v, allocs %v, server %v; want the samples over all 20 ops run",
			r.ClientCPUPerOp, r.AllocsPerOp, r.ServerCPUPerOp)
	}
}
