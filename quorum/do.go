package quorum

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/internal/mutants"
)

// Acquire takes the named lock, retrying while it is held by someone else or the nodes are
// unavailable, until it is granted or ctx ends. A retry is never blocked by keys its own earlier
// attempt left on a slow node (see TryAcquire). When ctx ends it returns an error wrapping
// ctx.Err() and the last attempt's error (so errors.Is tells whether the lock was held by
// someone else or the nodes were unavailable). Invalid names, ErrNeedsHeal and a closed Locker
// fail at once.
//
// Waiting is by notification (unless Options.DisableNotify): after a first attempt fails,
// Acquire subscribes to the lock's release announcements (Watch) and tries again at once. While
// the lock is held by others on a majority, it then waits for the announcement that those
// holders (or later ones) released it — announcements of earlier releases, which every node
// sends and which arrive late, are ignored — or at most a jittered RetryDelayMax, which bounds the wait past a release whose announcement was lost or a
// lease that expired; after an attempt that split the votes with other contenders, or met too
// few nodes, it tries again after a jittered pause that grows from RetryDelayMin. Callers of one
// Locker waiting for one name take turns: one of them contends with the other clients at a
// time, the rest wait in line behind it.
func (l *Locker) Acquire(ctx context.Context, name string, opts ...AcquireOption) (*Lease, error) {
	le, blockedBy, err := l.tryAcquire(ctx, name, opts)
	if err == nil || !retryable(err) {
		return le, err
	}
	if l.opts.DisableNotify {
		return l.retry(ctx, name, nil, blockedBy, err, true, opts)
	}
	q := l.queues.join(name)
	defer l.queues.leave(name, q)
	if terr := q.take(ctx); terr != nil {
		return nil, fmt.Errorf("quorum: acquire %q: %w (last attempt: %w)", name, terr, err)
	}
	defer q.give()
	w, werr := l.Watch(ctx, name)
	if werr != nil {
		return nil, werr
	}
	defer w.Close()
	// Try again at once: a release between the first attempt and the subscription was not
	// announced to us.
	return l.retry(ctx, name, w, 0, err, false, opts)
}

// retryable tells the errors of an attempt after which Acquire tries again.
func retryable(err error) bool {
	return errors.Is(err, ErrNotAcquired) || errors.Is(err, ErrUnavailable)
}

// retry makes attempts until one is granted, fails for good, or ctx ends; last is the error of
// the attempt before, which found the lock blocked by holders whose lowest token is blockedBy
// (0: not blocked), and retry pauses first if pause is set, else tries at once. An error
// when ctx ends carries the last attempt's. With no watch, it polls alone: a
// jittered pause growing from RetryDelayMin to RetryDelayMax whatever the cause. With w, a
// pause after a blocked attempt lasts until w hears that those holders (or later ones)
// released the lock, or at most a jittered RetryDelayMax; any other pause ends at any
// announcement.
func (l *Locker) retry(ctx context.Context, name string, w *Watch, blockedBy fencing.Token, last error, pause bool, opts []AcquireOption) (*Lease, error) {
	delay := l.opts.RetryDelayMin
	for {
		if pause {
			if perr := l.wait(ctx, w, blockedBy, delay); perr != nil {
				return nil, fmt.Errorf("quorum: acquire %q: %w (last attempt: %w)", name, perr, last)
			}
			if w != nil && blockedBy != 0 {
				delay = l.opts.RetryDelayMin
			} else {
				delay = min(2*delay, l.opts.RetryDelayMax)
			}
		}
		le, b, err := l.tryAcquire(ctx, name, opts)
		switch {
		case err == nil:
			return le, nil
		case ctx.Err() != nil && errors.Is(err, ctx.Err()):
			return nil, fmt.Errorf("quorum: acquire %q: %w (last attempt: %w)", name, ctx.Err(), last)
		case !retryable(err):
			return nil, err
		}
		blockedBy, last, pause = b, err, true
	}
}

// wait is retry's pause before its next attempt.
func (l *Locker) wait(ctx context.Context, w *Watch, blockedBy fencing.Token, delay time.Duration) error {
	if w == nil {
		return l.pause(ctx, jitter(delay), nil)
	}
	if blockedBy == 0 {
		return l.pause(ctx, jitter(delay), w.C())
	}
	t := l.opts.Clock.NewTimer(jitter(l.opts.RetryDelayMax))
	defer t.Stop()
	for !w.releasedSince(blockedBy) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C():
			return nil
		case <-w.C():
		}
	}
	return nil
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
func (l *Locker) pause(ctx context.Context, d time.Duration, wake <-chan struct{}) error {
	t := l.opts.Clock.NewTimer(d)
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

// Do runs fn while holding the named lock: it acquires as Acquire does, keeps the lease extended
// every ExtendInterval, and releases it when fn returns — or panics: the release is deferred,
// so a panic that a caller recovers (net/http does) does not keep the lock. fn's context is
// cancelled the moment the lease can no longer be guaranteed — its validity runs out on the
// local clock, or a majority of nodes stops holding it — with context.Cause(ctx) wrapping
// ErrLeaseLost; fn must then stop touching what the lock protects. Do returns fn's error,
// joined with an error wrapping ErrLeaseLost if the lease was lost before fn returned.
func (l *Locker) Do(ctx context.Context, name string, fn func(ctx context.Context, lease *Lease) error, opts ...AcquireOption) error {
	le, err := l.Acquire(ctx, name, opts...)
	if err != nil {
		return err
	}
	fctx, cancel := context.WithCancelCause(ctx)
	le.AutoExtend()
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		select {
		case <-le.Done():
			cancel(le.Err())
		case <-fctx.Done():
		}
	}()
	end := func() error {
		relErr := le.Release(ctx) // on a context of its own: a cancelled ctx still releases
		cancel(nil)
		<-watchDone
		return relErr
	}
	returned := false
	if !l.mutant(mutants.DoNoDefer) {
		defer func() {
			if !returned {
				_ = end() // fn panicked: release, and let the panic go on
			}
		}()
	}
	fnErr := fn(fctx, le)
	returned = true
	lost := le.Err() // nil unless lost: Release has not run yet
	return errors.Join(fnErr, lost, end())
}
