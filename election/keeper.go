package election

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quorumlock/quorumlock/clock"
	"github.com/quorumlock/quorumlock/quorum"
)

// A term extends its own lease rather than through Lease.AutoExtend: auto-extension stops only
// with a release, and an ended term must stop being extended without being released, while its
// leader may still be stopping (Run's function past StopTimeout). Its keys then expire.

// keep extends the term's lease every ExtendInterval until the term ends, and ends it when it
// can no longer be trusted: StopMargin before its validity runs out without an extension, when
// the lease is lost, or when its Locker is closed. An extension runs in a goroutine of its own,
// so that Done is closed on time even while an extension is in flight. next fires when the
// first extension is due.
func (t *Term) keep(next clock.Timer) {
	defer close(t.kept)
	ctx, cancel := context.WithCancel(context.Background())
	results := make(chan error, 1)
	inFlight := false
	var start time.Time // of the extension in flight
	extend := func() {
		inFlight, start = true, t.clk.Now()
		go func() { results <- t.lease.Extend(ctx) }()
	}
	defer func() {
		cancel() // nothing is sent once the term has ended
		if inFlight {
			<-results
		}
	}()
	defer next.Stop()
	fails := 0
	for t.Err() == nil {
		left := t.trustLeft()
		if left <= 0 {
			t.end(fmt.Errorf("%w: term %d of %q was not extended in time: StopMargin (%v) before its validity ends at %s",
				ErrTermLost, t.Token(), t.lease.Name(), t.margin, wallText(t.lease.ValidUntil())))
			return
		}
		deadline := t.clk.NewTimer(left)
		select {
		case <-t.done:
		case <-t.lease.Done():
			t.end(fmt.Errorf("%w: term %d of %q: %w", ErrTermLost, t.Token(), t.lease.Name(), t.lease.Err()))
		case <-deadline.C(): // extended meanwhile, or the end: read the validity again
		case <-next.C():
			extend()
		case err := <-results:
			inFlight = false
			if fails = t.extended(err, fails); fails >= 0 {
				if d := t.nextExtension(start, fails); d > 0 {
					next.Reset(d)
				} else {
					extend() // overdue (a fake clock stepped meanwhile): a timer would wait for the next step
				}
			}
		}
		deadline.Stop()
	}
}

// extended handles the outcome of an extension after fails failed ones in a row, and returns
// the new count of failures in a row, or -1 if that ended the term: its lease was lost, or its
// Locker closed.
func (t *Term) extended(err error, fails int) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, quorum.ErrLeaseLost), errors.Is(err, quorum.ErrReleased), errors.Is(err, quorum.ErrClosed):
		t.end(fmt.Errorf("%w: term %d of %q: %w", ErrTermLost, t.Token(), t.lease.Name(), err))
		return -1
	}
	return fails + 1 // unavailable: the lease keeps its validity; try again sooner
}

// nextExtension returns how long to wait before the next extension: an ExtendInterval after
// the start of the last one if it succeeded, else a back-off as the Locker's own auto-extension
// takes one — NodeTimeout or a quarter of ExtendInterval, whichever is longer, doubling with
// every failure in a row, up to ExtendInterval.
func (t *Term) nextExtension(start time.Time, fails int) time.Duration {
	if fails == 0 {
		return start.Add(t.lo.ExtendInterval).Sub(t.clk.Now())
	}
	d := max(t.lo.NodeTimeout, t.lo.ExtendInterval/4)
	for range min(fails-1, 8) {
		d *= 2
	}
	return min(d, t.lo.ExtendInterval)
}

// wallText prints a time of the Locker's clock for people: its wall-clock reading in UTC,
// without the monotonic reading that time.Time's String appends.
func wallText(t time.Time) string { return t.Round(0).UTC().Format("2006-01-02 15:04:05.000 UTC") }
