package election

import (
	"context"
	"errors"
	"fmt"

	"github.com/quorumlock/quorumlock/internal/mutants"
)

// Run campaigns, calls fn with each term this candidate wins for as long as the term holds,
// and campaigns again after a term ended, until ctx ends or fn returns by itself. fn is called
// in Run's goroutine, once per term, with a context that is cancelled — cause: the term's Err,
// or ctx's cause — the moment the term ends (Term.Done: resigned, lost, or StopMargin before
// its validity runs out) or ctx ends. fn must then stop acting as leader and return.
//
// Run releases a term only once fn has returned: it never lets another candidate win while fn
// may still act. If fn does not return within StopTimeout of its context's cancellation, Run
// gives the term up without releasing it: the term is no longer extended (if it still held,
// because ctx ended, it ends with an Err wrapping ErrStopTimeout), so its keys expire within
// the Locker's TTL and another candidate takes over while fn still runs — only the fence of
// its writes can stop it then. Run still waits for fn, then releases what is left of the term
// and returns an error wrapping ErrStopTimeout.
//
// Run returns:
//   - when ctx ends: an error wrapping ctx.Err() (and ErrStopTimeout if fn overran);
//   - when fn returns while its term still holds and ctx has not ended: fn's error as it is,
//     nil included, once the term is resigned. To hand leadership over and stay a candidate, fn
//     resigns its term (Term.Resign) and returns: Run then campaigns again, and may win again;
//   - when Campaign fails for good: quorum.ErrNeedsHeal, an invalid name or Options, a closed
//     Locker.
//
// fn's error after its term ended or ctx ended goes to OnStopped, not to Run's caller. A panic
// in fn resigns the term and goes on up Run's goroutine. OnStarted
// is called before fn for each term, OnStopped after it (see Options); a term that was won as
// ctx ended is resigned without calling either.
func (e *Election) Run(ctx context.Context, fn func(ctx context.Context, term *Term) error) error {
	if e.err != nil {
		return e.err
	}
	for {
		term, err := e.Campaign(ctx)
		if err != nil {
			return err
		}
		if ctx.Err() != nil { // won as ctx ended: the term never began
			_ = term.Resign(ctx)
			return fmt.Errorf("election: run %q: %w", e.name, ctx.Err())
		}
		again, err := e.lead(ctx, term, fn)
		if !again {
			return err
		}
	}
}

// lead runs fn for one term and resigns the term once fn returned (or gives it up, if fn
// overran StopTimeout). It reports whether Run should campaign again, and else what Run
// returns.
func (e *Election) lead(ctx context.Context, term *Term, fn func(ctx context.Context, term *Term) error) (again bool, err error) {
	if e.opts.OnStarted != nil {
		e.opts.OnStarted(term)
	}
	fctx, cancel := context.WithCancelCause(ctx)
	s := e.supervise(ctx, term, cancel)
	returned := false
	defer func() {
		if !returned { // fn panicked: it no longer acts, so its term may be released
			s.stop()
			cancel(nil)
			e.stopped(term, errors.Join(errors.New("election: leader function panicked"), term.Resign(ctx)))
		}
	}()
	fnErr := fn(fctx, term)
	returned = true
	ended := term.Err() != nil // before Resign: did the term end while fn ran?
	overrun := s.stop()
	cancel(nil)
	relErr := term.Resign(ctx) // fn has returned: nothing acts on the term any more
	e.stopped(term, errors.Join(fnErr, relErr))
	switch {
	case overrun != nil:
		return false, fmt.Errorf("election: run %q: %w", e.name, errors.Join(overrun, ctx.Err()))
	case ctx.Err() != nil:
		return false, fmt.Errorf("election: run %q: %w", e.name, ctx.Err())
	case ended:
		return true, nil
	}
	return false, fnErr
}

// stopped calls OnStopped, if set.
func (e *Election) stopped(term *Term, err error) {
	if e.opts.OnStopped != nil {
		e.opts.OnStopped(term, err)
	}
}

// supervisor watches one term while Run's function runs.
type supervisor struct {
	fnDone  chan struct{} // closed when fn returned
	done    chan struct{} // closed when the goroutine returned
	overrun error         // fn did not return in time; written by the goroutine before done is closed
}

// supervise starts the goroutine that cancels fn's context when the term ends or ctx ends,
// then waits StopTimeout for fn to return, and gives the term up without releasing it if fn
// does not.
func (e *Election) supervise(ctx context.Context, term *Term, cancel context.CancelCauseFunc) *supervisor {
	s := &supervisor{fnDone: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		select {
		case <-s.fnDone:
			return
		case <-term.Done():
			cancel(term.Err())
		case <-ctx.Done():
			cancel(context.Cause(ctx))
		}
		if mutants.Is(e.l, mutants.LeaderEarlyEnd) {
			_ = term.Resign(context.WithoutCancel(ctx)) // the rule broken: released while fn still runs
		}
		t := e.lo.Clock.NewTimer(e.opts.StopTimeout)
		defer t.Stop()
		select {
		case <-s.fnDone:
		case <-t.C():
			s.overrun = fmt.Errorf("%w: term %d of %q: not released while the function runs, left to expire: it did not return within StopTimeout (%v) of its context's end",
				ErrStopTimeout, term.Token(), e.name, e.opts.StopTimeout)
			term.end(s.overrun) // if it still holds (ctx ended): no more extensions
		}
	}()
	return s
}

// stop tells the supervisor that fn returned, waits for it, and returns the error of an
// overrun, or nil.
func (s *supervisor) stop() error {
	close(s.fnDone)
	<-s.done
	return s.overrun
}
