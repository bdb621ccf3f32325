package quorum

import (
	"context"
	"errors"
)

// keepAlive extends one lease every ExtendInterval until stopped, the lease ends, or the Locker
// closes. A failed extension that did not lose the lease is retried sooner, while validity lasts;
// the lease's own expiry timer ends it locally if none succeeds in time.
type keepAlive struct {
	cancel context.CancelFunc
	exited chan struct{} // closed when the goroutine has returned
}

// stop ends the keep-alive and waits until its goroutine has returned, so that no extension is
// sent afterwards (one in flight is cancelled, and Extend never re-creates a deleted key).
func (ka *keepAlive) stop() {
	ka.cancel()
	<-ka.exited
}

// AutoExtend keeps the lease extended every ExtendInterval until Release, until it is lost, or
// until the Locker closes; Do uses it. A failed extension that does not lose the lease is
// retried sooner while validity remains; if none succeeds in time, the lease ends locally at
// ValidUntil and Done is closed. Release stops auto-extension before it returns, so no
// extension is sent afterwards. AutoExtend does nothing if the lease has ended or already
// extends itself.
func (le *Lease) AutoExtend() { le.startKeepAlive() }

// startKeepAlive starts auto-extension of le; see AutoExtend.
func (le *Lease) startKeepAlive() {
	le.mu.Lock()
	defer le.mu.Unlock()
	if le.err != nil || le.keepAlive != nil {
		return
	}
	if le.l.enter() != nil {
		return
	}
	ctx, cancel := context.WithCancel(le.l.bg)
	ka := &keepAlive{cancel: cancel, exited: make(chan struct{})}
	le.keepAlive = ka
	go func() {
		defer le.l.tasks.Done()
		defer close(ka.exited)
		le.runKeepAlive(ctx)
	}()
}

func (le *Lease) runKeepAlive(ctx context.Context) {
	opts := le.l.opts
	retry := max(opts.NodeTimeout, opts.ExtendInterval/4)
	wait := opts.ExtendInterval
	for {
		timer := opts.Clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-le.done:
			timer.Stop()
			return
		case <-timer.C():
		}
		err := le.Extend(ctx)
		switch {
		case err == nil:
			wait = opts.ExtendInterval
		case errors.Is(err, ErrLeaseLost), errors.Is(err, ErrReleased), errors.Is(err, ErrClosed):
			return
		default:
			wait = retry
		}
	}
}
