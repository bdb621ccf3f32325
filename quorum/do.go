package quorum

import (
	"context"
	"errors"
	"fmt"
	"github.com/quorumlock/quorumlock/internal/mutants"
	"math/rand/v2"
	"time"
)

// Acquire takes the named lock, retrying after a jittered, growing pause while it is held by
// someone else or the nodes are unavailable, until it is granted or ctx ends. A retry is never
// blocked by keys its own earlier attempt left on a slow node (see TryAcquire). When ctx ends it
// returns an error wrapping ctx.Err() and the last attempt's error (so errors.Is tells whether
// the lock was held by someone else or the nodes were unavailable). Invalid names and a closed
// Locker fail at once.
func (l *Locker) Acquire(ctx context.Context, name string, opts ...AcquireOption) (*Lease, error) {
	delay := l.opts.RetryDelayMin
	for {
		le, err := l.TryAcquire(ctx, name, opts...)
		if err == nil {
			return le, nil
		}
		if !errors.Is(err, ErrNotAcquired) && !errors.Is(err, ErrUnavailable) {
			return nil, err
		}
		if perr := l.pause(ctx, jitter(delay)); perr != nil {
			return nil, fmt.Errorf("quorum: acquire %q: %w (last attempt: %w)", name, perr, err)
		}
		delay = min(2*delay, l.opts.RetryDelayMax)
	}
}

// jitter returns a duration drawn uniformly from [d/2, d].
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// pause waits for d on the Locker's clock, or returns ctx.Err() when ctx ends first.
func (l *Locker) pause(ctx context.Context, d time.Duration) error {
	t := l.opts.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C():
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
