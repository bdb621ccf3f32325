package semaphore

import (
	"context"
	"errors"

	"github.com/quorumlock/quorumlock/quorum"
)

// Do runs fn while holding a permit: it acquires as Acquire does, keeps the permit extended
// every ExtendInterval, and releases it when fn returns — or panics: the release is deferred,
// so a panic that a caller recovers does not keep the permit. fn's context is cancelled the
// moment the permit can no longer be guaranteed — its validity runs out on the local clock, or
// a majority of the nodes stops holding its slot — with context.Cause(ctx) wrapping
// quorum.ErrLeaseLost; fn must then stop touching what the semaphore protects. Do returns fn's
// error, joined with an error wrapping quorum.ErrLeaseLost if the permit was lost before fn
// returned.
func (s *Semaphore) Do(ctx context.Context, fn func(ctx context.Context, p *Permit) error, opts ...quorum.AcquireOption) error {
	p, err := s.Acquire(ctx, opts...)
	if err != nil {
		return err
	}
	fctx, cancel := context.WithCancelCause(ctx)
	p.AutoExtend()
	watchDone := make(chan struct{})
	go func() { // ends when the permit ends or fn's context does, which end() brings about
		defer close(watchDone)
		select {
		case <-p.Done():
			cancel(p.Err())
		case <-fctx.Done():
		}
	}()
	end := func() error {
		relErr := p.Release(ctx) // on a context of its own: a cancelled ctx still releases
		cancel(nil)
		<-watchDone
		return relErr
	}
	returned := false
	defer func() {
		if !returned {
			_ = end() // fn panicked: release, and let the panic go on
		}
	}()
	fnErr := fn(fctx, p)
	returned = true
	lost := p.Err() // nil unless lost: Release has not run yet
	return errors.Join(fnErr, lost, end())
}
