package election

import (
	"context"
	"errors"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/internal/mutants"
	"github.com/quorumlock/quorumlock/quorum"
)

// Observe reports who leads, from now until ctx ends, on the channel it returns. It reads who
// leads (as Leader does) at once, then every ObserveInterval, and at once whenever a node
// announces that the name was released (Locker.Watch); it sends what it read when that differs
// from what it sent last:
//
//   - First, the state it read first: the Leader, or the zero Leader if nobody leads.
//   - A Leader when a term it has not reported yet holds the name. Tokens never go back: a read
//     that shows a term older than one already reported (lagging nodes) is ignored.
//   - The zero Leader when it reads that nobody leads, and also before a new Leader when the
//     term it reported last has ended unseen (two reads saw two different leaders): terms
//     never overlap within the timing model, so the name was vacant in between.
//   - The same Leader again after a zero Leader if a read shows that its term still holds (the
//     read that saw a vacancy missed it: a node slow to answer, say).
//
// A read that fails (quorum.ErrUnavailable: too few nodes answered) is skipped, not taken for a
// vacancy: what was sent last stands until a read succeeds. Reads are polls, so a term shorter
// than ObserveInterval may go unseen; every change sent was read from a majority, in order
// (a Leader can be a withdrawn attempt, as Leader explains).
//
// The channel is unbuffered: a slow receiver delays the next read, never the order of what is
// sent. It is closed once ctx ends and Observe's goroutine has stopped, or at once if the
// Election's name or Options are invalid or its Locker is closed (Leader tells why). Drain it
// until it is closed to wait for the goroutine.
func (e *Election) Observe(ctx context.Context) <-chan Leader {
	ch := make(chan Leader)
	go e.observe(ctx, ch)
	return ch
}

// observe is Observe's goroutine: it reads, sends the changes, and waits, until ctx ends or a
// read fails for good.
func (e *Election) observe(ctx context.Context, ch chan<- Leader) {
	defer close(ch)
	if e.err != nil {
		return
	}
	w, err := e.l.Watch(ctx, e.name)
	if err != nil {
		return // an invalid name or a closed Locker
	}
	defer w.Close()
	var seen tracker
	for {
		h, err := e.l.Holder(ctx, e.name)
		if ctx.Err() != nil || errors.Is(err, quorum.ErrInvalidName) || errors.Is(err, quorum.ErrClosed) {
			return
		}
		seen.skipVacancy = mutants.Is(e.l, mutants.ObserveNoVacancy)
		for _, ldr := range seen.next(h, err) {
			select {
			case ch <- ldr:
			case <-ctx.Done():
				return
			}
		}
		if !e.pause(ctx, w) {
			return
		}
	}
}

// pause waits for ObserveInterval on the Locker's clock or for a release announcement; it
// reports false once ctx has ended.
func (e *Election) pause(ctx context.Context, w *quorum.Watch) bool {
	t := e.lo.Clock.NewTimer(e.opts.ObserveInterval)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C():
	case <-w.C():
	}
	return true
}

// tracker turns Observe's reads into the changes it sends.
type tracker struct {
	started     bool          // something was sent
	last        Leader        // what was sent last
	max         fencing.Token // the largest token sent
	skipVacancy bool          // the mutant ObserveNoVacancy: no zero Leader is ever sent
}

// next takes one read of Locker.Holder and returns what to send, in order.
func (t *tracker) next(h quorum.Holder, err error) []Leader {
	switch {
	case errors.Is(err, quorum.ErrNoHolder):
		if t.started && t.last.IsZero() {
			return nil
		}
		return t.send(nil, Leader{})
	case err != nil: // unavailable: a read that tells nothing
		return nil
	}
	ldr := Leader{ID: h.ID, Token: h.Token}
	switch {
	case ldr.Token < t.max, ldr == t.last:
		return nil // an older term, from lagging nodes; or no change
	case ldr.Token == t.max && !t.last.IsZero():
		return nil // the same token under another ID: not a term of this name
	case t.started && !t.last.IsZero():
		return t.send(t.send(nil, Leader{}), ldr) // the last one's term ended unseen
	}
	return t.send(nil, ldr)
}

// send appends ldr to out and records it as sent; the zero Leader is left out under the mutant
// ObserveNoVacancy.
func (t *tracker) send(out []Leader, ldr Leader) []Leader {
	if ldr.IsZero() && t.skipVacancy {
		return out
	}
	t.started, t.last, t.max = true, ldr, max(t.max, ldr.Token)
	return append(out, ldr)
}
