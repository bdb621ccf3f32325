package bench

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// opEnd is when a measured op of a Waiting workload ended, as an offset from the start of
// the run, and whether it was granted.
type opEnd struct {
	at      time.Duration
	granted bool
}

// driveWaiting runs a Waiting workload: every worker waits for the one shared name, holds it for
// Hold and releases it, over and over, until the measured window is over and every measured op
// has ended, or ctx ends.
//
// The ops started within the window (d, or until maxOps were started) are measured: each one's
// wait goes into the histogram, however long it lasts past the window. The rates count those
// that ended within the window, over its length: the waiters still in line when it closes would
// otherwise stretch it while the contention thins out. For the same reason, until the last
// measured op has ended, the workers that are done go on with unmeasured ops, so that the last
// measured waits meet as many contenders as the first.
func driveWaiting(ctx context.Context, w workload, d time.Duration, maxOps int64) *window {
	win := newWindow()
	var started, pending atomic.Int64 // measured ops started; those not ended, or about to start
	var closed atomic.Int64           // offset at which maxOps closed the window; 0: d
	ends := make([][]opEnd, w.sc.Workers)
	name := sharedName(w)
	start := time.Now()
	var wg sync.WaitGroup
	for id := range w.sc.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := w.client(id)
			for ctx.Err() == nil {
				// pending goes up before the clock is read: a worker that sees none pending after
				// the window closed knows that nobody will start a measured op any more.
				pending.Add(1)
				t0 := time.Since(start)
				if t0 < d && (maxOps == 0 || started.Add(1) <= maxOps) {
					waited, granted, err := c.wait(ctx, name, w.sc.Hold)
					ends[id] = append(ends[id], opEnd{at: time.Since(start), granted: granted})
					win.record(waited, granted, err)
					pending.Add(-1)
					continue
				}
				if t0 < d {
					closed.CompareAndSwap(0, int64(t0))
				}
				if pending.Add(-1) == 0 {
					return
				}
				_, _, _ = c.wait(ctx, name, w.sc.Hold) // unmeasured: keeps the contention up
				win.unmeasured.Add(1)
			}
		}()
	}
	wg.Wait()
	win.elapsed = time.Since(start)
	span := d
	if c := closed.Load(); c > 0 {
		span = time.Duration(c)
	}
	win.rate(span, ends)
	return win
}

// rate sets the window's span and counts the measured ops that ended within it.
func (w *window) rate(span time.Duration, ends [][]opEnd) {
	w.span = span
	for _, es := range ends {
		for _, e := range es {
			if e.at <= span {
				w.spanOps++
				if e.granted {
					w.spanGrants++
				}
			}
		}
	}
}
