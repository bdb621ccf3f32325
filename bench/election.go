package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// elected is a campaign that returned: the candidate's term and when it returned, or its error.
type elected struct {
	cand *candidate
	t    term
	at   time.Time
	err  error
}

// candidate is one client campaigning in an election workload, in a goroutine of its own.
type candidate struct {
	slot  int           // its client's index in the workload's clients
	again chan struct{} // a value: campaign (again); closed: return
}

// electionRun is one run of an election workload.
type electionRun struct {
	w     workload
	name  string
	ctx   context.Context // of the campaigns: cancelled when the run ends
	won   chan elected
	cands []*candidate // by slot; nil for a crashed candidate not replaced
	wg    sync.WaitGroup
}

// driveElection runs an election workload (Failover or Handover). Its workers are candidates,
// one per client of w, each campaigning in a goroutine of its own. Once a first leader was
// elected (not measured), every op lets the leader lead for Hold, then makes it crash or
// resign, and measures the time from then until another candidate's campaign returns. Ops go
// on for d, or for sc.Ops ops if set, never more than maxOps (0: no limit), and stop early
// when ctx ends or no new leader comes. A crashed candidate's client is replaced in w.cs by
// the new candidate's, so that the caller closes the clients still open.
func driveElection(ctx context.Context, w workload, d time.Duration, maxOps int64) *window {
	win := newWindow()
	if w.sc.Kind == Failover {
		win.pastExpiry = newHistogram()
	}
	cctx, cancel := context.WithCancel(ctx)
	e := &electionRun{w: w, name: sharedName(w), ctx: cctx, won: make(chan elected), cands: make([]*candidate, len(w.cs))}
	for slot := range w.cs {
		e.start(slot)
	}
	start := time.Now()
	leader, err := e.next(ctx)
	var last *elected
	if err != nil {
		win.record(time.Since(start), false, fmt.Errorf("first leader: %w", err))
	} else {
		start = time.Now()
		last = e.lead(ctx, win, leader, start, d, maxOps)
	}
	win.elapsed = time.Since(start)
	cancel()
	e.stop(last)
	return win
}

// start starts the candidate of w.cs[slot], campaigning at once.
func (e *electionRun) start(slot int) {
	c := e.w.cs[slot]
	cand := &candidate{slot: slot, again: make(chan struct{}, 1)}
	cand.again <- struct{}{}
	e.cands[slot] = cand
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		for range cand.again {
			t, err := c.campaign(e.ctx, e.name)
			select {
			case e.won <- elected{cand: cand, t: t, at: time.Now(), err: err}:
			case <-e.ctx.Done():
				if t != nil { // won as the run ended
					_ = t.resign(e.ctx)
				}
				return
			}
		}
	}()
}

// next waits for the next campaign to return, or for ctx to end.
func (e *electionRun) next(ctx context.Context) (elected, error) {
	select {
	case el := <-e.won:
		return el, el.err
	case <-ctx.Done():
		return elected{}, fmt.Errorf("no new leader: %w", ctx.Err())
	}
}

// lead makes the ops from the first leader on, and returns the leader at the end, or nil if
// there is none: an op found no new leader.
func (e *electionRun) lead(ctx context.Context, win *window, leader elected, start time.Time, d time.Duration, maxOps int64) *elected {
	for n := int64(0); e.more(n, start, d, maxOps); n++ {
		if sleep(ctx, e.w.sc.Hold) != nil {
			break
		}
		next, err := e.op(ctx, win, leader)
		if err != nil {
			return nil
		}
		leader = next
	}
	return &leader
}

// more reports whether the run makes another op after n: up to sc.Ops if set, else until d
// has passed since start, and never more than maxOps (0: no limit).
func (e *electionRun) more(n int64, start time.Time, d time.Duration, maxOps int64) bool {
	switch {
	case maxOps > 0 && n >= maxOps:
		return false
	case e.w.sc.Ops > 0:
		return n < e.w.sc.Ops
	}
	return time.Since(start) < d
}

// op makes the leader crash or resign, waits for the next leader and records the op. The one
// that resigned campaigns again once the next leads.
func (e *electionRun) op(ctx context.Context, win *window, leader elected) (elected, error) {
	t0 := time.Now()
	var free time.Time
	var err error
	if e.w.sc.Kind == Failover {
		free, err = e.crash(ctx, leader)
	} else {
		err = leader.t.resign(ctx)
	}
	next, nerr := e.next(ctx)
	if nerr != nil {
		win.record(time.Since(t0), false, errors.Join(err, nerr))
		return next, nerr
	}
	win.record(next.at.Sub(t0), true, err)
	if !free.IsZero() {
		win.recordPastExpiry(next.at.Sub(free))
	}
	if e.w.sc.Kind == Handover {
		leader.cand.again <- struct{}{}
	}
	return next, nil
}

// crash crashes the leader's term, which closes its client, reads when the term's keys will
// be free, and replaces the candidate by a new one on a new client.
func (e *electionRun) crash(ctx context.Context, leader elected) (time.Time, error) {
	err := leader.t.crash()
	slot := leader.cand.slot
	close(leader.cand.again) // its goroutine returns: it was waiting to campaign again
	e.cands[slot] = nil
	free, ferr := e.w.freeAt(ctx, e.name)
	c, oerr := e.w.open(ctx)
	if oerr == nil {
		e.w.cs[slot] = c
		e.start(slot)
	}
	return free, errors.Join(err, ferr, oerr)
}

// stop ends the run once its context is cancelled: the last leader, if any, resigns, and every
// candidate's goroutine returns.
func (e *electionRun) stop(last *elected) {
	if last != nil {
		_ = last.t.resign(e.ctx)
	}
	for _, c := range e.cands {
		if c != nil {
			close(c.again)
		}
	}
	e.wg.Wait()
}

func newHistogram() *hdrhistogram.Histogram { return hdrhistogram.New(histMin, histMax, histDigits) }

// recordPastExpiry records the part of a failover after the crashed term's keys expired. The
// estimate of the expiry is at most a round trip early, so the part is at most that much long;
// a negative part, which only the resolution of the clocks could give, counts as none.
func (w *window) recordPastExpiry(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	_ = w.pastExpiry.RecordValue(max(int64(d/time.Microsecond), histMin))
}
