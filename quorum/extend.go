package quorum

import (
	"context"
	"fmt"

	"time"
)

// Extend resets the lease's keys to a full TTL on every node that still holds them, and moves
// ValidUntil forward if a majority did so while validity remained. It never re-creates a key
// that expired.
//
// Errors: a lease whose validity already ran out, or that a majority of nodes no longer holds,
// is lost: Extend returns an error wrapping ErrLeaseLost, closes Done and cleans up every node
// (a minority that was extended is rolled back). If too few nodes answered to tell, it returns
// an error wrapping ErrUnavailable and the lease keeps its earlier ValidUntil: call again.
// After Release it returns an error wrapping ErrReleased; when ctx ends, one wrapping ctx.Err().
func (le *Lease) Extend(ctx context.Context) error {
	if err := le.l.enter(); err != nil {
		return err
	}
	defer le.l.tasks.Done()
	start := le.l.opts.Clock.Now()
	err := le.extend(ctx, start)
	le.l.opts.Observer.Observe(Event{Kind: EventExtend, Name: le.name, Token: le.token,
		Duration: le.l.opts.Clock.Since(start), Err: err})
	return err
}

func (le *Lease) extend(ctx context.Context, start time.Time) error {
	if err := le.checkHeld(start); err != nil {
		return err
	}
	call := &extendCall{keys: le.keys, owner: le.owner, ttl: le.l.opts.TTL, q: le.l.opts.Quarantine}
	results := broadcast[extendVote](le.l, ctx, le.l.opts.NodeTimeout, call).out
	t := newTally(len(le.l.nodes))
	refused := 0
	var errs []error
	for !t.won() && !t.lost() {
		r := <-results
		t.add(r.err == nil && r.reply == voteExtended)
		switch {
		case r.err != nil:
			errs = append(errs, r.err)
		case r.reply == voteRefused:
			refused++
		case r.reply == voteAmnesic:
			errs = append(errs, &NodeError{Node: le.l.nodes[r.node].name, Op: "extend", Err: ErrNodeAmnesic})
		}
	}
	elapsed := le.l.opts.Clock.Since(start)
	switch {
	case t.won() && le.l.validityLeft(elapsed) > 0:
		return le.moveValidity(start)
	case t.won():
		return le.lose(fmt.Errorf("%w: %q: extended after %v, no validity left", ErrLeaseLost, le.name, elapsed))
	case refused > len(le.l.nodes)-majority(len(le.l.nodes)):
		return le.lose(outcome(fmt.Errorf("%w: %q: a majority of nodes no longer holds it", ErrLeaseLost, le.name), errs))
	case ctx.Err() != nil:
		return fmt.Errorf("quorum: extend %q: %w", le.name, ctx.Err())
	}
	return outcome(fmt.Errorf("%w: extend %q", ErrUnavailable, le.name), errs)
}

// checkHeld refuses to extend a lease that was released, lost, or whose validity ran out by now.
func (le *Lease) checkHeld(now time.Time) error {
	le.mu.Lock()
	defer le.mu.Unlock()
	if le.err != nil {
		return le.err
	}
	if !now.Before(le.validUntil) {
		le.loseLocked(fmt.Errorf("%w: %q: validity ran out at %s", ErrLeaseLost, le.name, wallText(le.validUntil)))
		return le.err
	}
	return nil
}

// moveValidity records a successful extension that started at start. If the old validity ran
// out before the answers came in, the lease was not guaranteed for a while and cannot be
// carried over that gap: it is lost.
func (le *Lease) moveValidity(start time.Time) error {
	le.mu.Lock()
	defer le.mu.Unlock()
	if le.err != nil {
		return le.err // released or lost while the extension was in flight
	}
	if !le.l.opts.Clock.Now().Before(le.validUntil) {
		le.loseLocked(fmt.Errorf("%w: %q: validity ran out at %s while extending", ErrLeaseLost, le.name, wallText(le.validUntil)))
		return le.err
	}
	if until := le.l.validUntil(start); until.After(le.validUntil) {
		le.validUntil = until
		le.armExpiry()
	}
	return nil
}

// lose marks the lease lost with err and returns the lease's error.
func (le *Lease) lose(err error) error {
	le.mu.Lock()
	defer le.mu.Unlock()
	le.loseLocked(err)
	return le.err
}
