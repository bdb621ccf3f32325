package semaphore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
)

// Acquire takes a permit, retrying while every permit is held or the nodes are unavailable,
// until one is granted or ctx ends. When ctx ends it returns an error wrapping ctx.Err() and
// the last attempt's error (so errors.Is tells whether the permits were held or the nodes
// unavailable). Errors that waiting cannot cure — quorum.ErrNeedsHeal, quorum.ErrClosed, an
// invalid name or Semaphore — are returned at once. A permit granted by an attempt is returned
// even if ctx ended meanwhile: the caller releases it.
//
// Waiting is by notification (unless the Locker's Options.DisableNotify): after a first
// attempt fails, Acquire subscribes to the release announcements of every slot
// (quorum.Locker.Watch), and only then tries again — at once, then at each announcement, and
// at the latest after a jittered, growing pause between the Locker's RetryDelayMin and
// RetryDelayMax, which bounds the wait past a lost announcement or a lease that expired.
// Goroutines waiting on one Semaphore take turns: one of them contends with other clients at a
// time and the rest wait in line behind it, so that a release wakes one attempt per Semaphore,
// not one per goroutine. With DisableNotify every waiter polls on its own.
func (s *Semaphore) Acquire(ctx context.Context, opts ...quorum.AcquireOption) (*Permit, error) {
	p, err := s.TryAcquire(ctx, opts...)
	if err == nil || !retryable(err) {
		return p, err
	}
	if s.locker.Options().DisableNotify || s.majorityMutant() { // the mutant's grants announce nothing
		return s.retry(ctx, nil, err, true, opts)
	}
	select {
	case <-s.turn:
	case <-ctx.Done():
		return nil, s.ended(ctx.Err(), err)
	}
	defer func() { s.turn <- struct{}{} }()
	w, werr := s.locker.Watch(ctx, s.slots...)
	if werr != nil {
		return nil, fmt.Errorf("semaphore: %q: %w", s.name, werr)
	}
	defer w.Close()
	return s.retry(ctx, w.C(), err, false, opts) // at once: a release may have come before the Watch
}

// retryable tells the errors of an attempt after which Acquire tries again.
func retryable(err error) bool {
	return errors.Is(err, quorum.ErrNotAcquired) || errors.Is(err, quorum.ErrUnavailable)
}

// ended is Acquire's error when ctx ended: its cause, and the last attempt's outcome.
func (s *Semaphore) ended(ctxErr, last error) error {
	return fmt.Errorf("semaphore: acquire %q: %w (last attempt: %w)", s.name, ctxErr, last)
}

// retry makes attempts until one is granted, fails for good, or ctx ends; last is the error of
// the attempt before, and retry pauses first if pause is set, else tries at once. It pauses
// between attempts for a jittered, growing delay, cut short by a value on wake (nil: polling
// alone). An error when ctx ends carries the last attempt's.
func (s *Semaphore) retry(ctx context.Context, wake <-chan struct{}, last error, pause bool, opts []quorum.AcquireOption) (*Permit, error) {
	o := s.locker.Options()
	delay := o.RetryDelayMin
	for {
		if pause {
			if err := s.pause(ctx, jitter(delay), wake); err != nil {
				return nil, s.ended(err, last)
			}
			delay = min(2*delay, o.RetryDelayMax)
		}
		p, err := s.TryAcquire(ctx, opts...)
		switch {
		case err == nil:
			return p, nil
		case ctx.Err() != nil && errors.Is(err, ctx.Err()):
			return nil, s.ended(ctx.Err(), last)
		case !retryable(err):
			return nil, err
		}
		last, pause = err, true
	}
}

// jitter returns a duration drawn uniformly from [d/2, d].
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// pause waits for d on the Locker's clock or until a value arrives on wake (nil: never), or
// returns ctx.Err() when ctx ends first.
func (s *Semaphore) pause(ctx context.Context, d time.Duration, wake <-chan struct{}) error {
	t := s.locker.Options().Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C():
		return nil
	case <-wake:
		return nil
	}
}
