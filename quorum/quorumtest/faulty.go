package quorumtest

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
)

// ErrInjected is the error returned by a FaultyNode set to fail or to lose replies.
var ErrInjected = errors.New("quorumtest: injected fault")

// Faults is a set of faults that requests pass through (Through): stall, fail, lose replies,
// delay. FaultyNode applies it to a quorum.Node; other wrappers (such as a client library's
// connection pool) can embed it to give their requests the same semantics. The zero value
// passes every request through. It is safe for concurrent use.
type Faults struct {
	mu       sync.Mutex
	stalled  chan struct{} // non-nil while stalled; closed by Resume
	delay    time.Duration
	fail     bool
	failOps  map[string]bool
	lose     bool
	queued   sync.WaitGroup // requests held by a stall, still to run
	requests int
}

// FaultyNode wraps a quorum.Node and injects faults. The zero fault set passes every call
// through. It is safe for concurrent use.
type FaultyNode struct {
	Faults
	inner quorum.Node
}

var _ quorum.Node = (*FaultyNode)(nil)

// NewFaultyNode wraps inner.
func NewFaultyNode(inner quorum.Node) *FaultyNode { return &FaultyNode{inner: inner} }

// Stall makes the node a black hole: requests wait without an answer until Resume, when they all
// run, even those whose callers gave up, in no particular order (as requests queued on separate
// connections of a SIGSTOPped server).
func (f *Faults) Stall() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stalled == nil {
		f.stalled = make(chan struct{})
	}
}

// Resume ends a stall and waits until every request it held has run.
func (f *Faults) Resume() {
	f.mu.Lock()
	if f.stalled != nil {
		close(f.stalled)
		f.stalled = nil
	}
	f.mu.Unlock()
	f.queued.Wait()
}

// Held waits until every request held by a stall has run (call Resume first).
func (f *Faults) Held() { f.queued.Wait() }

// SetDelay delays every request by d before it reaches the node (0 for none).
func (f *Faults) SetDelay(d time.Duration) { f.mu.Lock(); f.delay = d; f.mu.Unlock() }

// SetFail makes every request fail with ErrInjected without reaching the node.
func (f *Faults) SetFail(on bool) { f.mu.Lock(); f.fail = on; f.mu.Unlock() }

// SetFailOp makes requests of one operation ("acquire", "extend", "release", "heal",
// "inspect") fail with ErrInjected without reaching the node.
func (f *Faults) SetFailOp(op string, on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failOps == nil {
		f.failOps = make(map[string]bool)
	}
	f.failOps[op] = on
}

// SetLoseReplies makes every request reach the node and take effect, but its reply is lost:
// the caller gets ErrInjected.
func (f *Faults) SetLoseReplies(on bool) { f.mu.Lock(); f.lose = on; f.mu.Unlock() }

// Requests returns how many requests reached this wrapper.
func (f *Faults) Requests() int { f.mu.Lock(); defer f.mu.Unlock(); return f.requests }

// Inner returns the wrapped node (a *quorum.RedisNode in clusters made by NewCluster).
func (f *FaultyNode) Inner() quorum.Node { return f.inner }

// Name returns the inner node's name.
func (f *FaultyNode) Name() string { return f.inner.Name() }

// Close waits for requests held by a stall (call Resume first) and closes the inner node.
func (f *FaultyNode) Close() error { f.Held(); return f.inner.Close() }

// Acquire passes the request through the faults.
func (f *FaultyNode) Acquire(ctx context.Context, req quorum.AcquireRequest) (quorum.AcquireReply, error) {
	return Through(&f.Faults, ctx, "acquire", func(ctx context.Context) (quorum.AcquireReply, error) { return f.inner.Acquire(ctx, req) })
}

// Extend passes the request through the faults.
func (f *FaultyNode) Extend(ctx context.Context, req quorum.ExtendRequest) (bool, error) {
	return Through(&f.Faults, ctx, "extend", func(ctx context.Context) (bool, error) { return f.inner.Extend(ctx, req) })
}

// ExtendMany passes the request through the faults (as an "extend").
func (f *FaultyNode) ExtendMany(ctx context.Context, req quorum.ExtendManyRequest) ([]bool, error) {
	return Through(&f.Faults, ctx, "extend", func(ctx context.Context) ([]bool, error) { return f.inner.ExtendMany(ctx, req) })
}

// Release passes the request through the faults.
func (f *FaultyNode) Release(ctx context.Context, req quorum.ReleaseRequest) (bool, error) {
	return Through(&f.Faults, ctx, "release", func(ctx context.Context) (bool, error) { return f.inner.Release(ctx, req) })
}

// Heal passes the request through the faults.
func (f *FaultyNode) Heal(ctx context.Context, req quorum.HealRequest) (quorum.HealResult, error) {
	return Through(&f.Faults, ctx, "heal", func(ctx context.Context) (quorum.HealResult, error) { return f.inner.Heal(ctx, req) })
}

// Inspect passes the request through the faults.
func (f *FaultyNode) Inspect(ctx context.Context, prefix string) (quorum.NodeInfo, error) {
	return Through(&f.Faults, ctx, "inspect", func(ctx context.Context) (quorum.NodeInfo, error) { return f.inner.Inspect(ctx, prefix) })
}

// Through applies the current faults to one request of operation op (see SetFailOp); call
// performs it.
func Through[R any](f *Faults, ctx context.Context, op string, call func(context.Context) (R, error)) (R, error) {
	var zero R
	f.mu.Lock()
	f.requests++
	stalled, delay, fail, lose := f.stalled, f.delay, f.fail || f.failOps[op], f.lose
	if stalled != nil && !fail {
		f.queued.Add(1)
	}
	f.mu.Unlock()
	if fail {
		return zero, ErrInjected
	}
	if stalled != nil {
		return stall(f, ctx, stalled, call)
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return zero, ctx.Err()
		}
	}
	r, err := call(ctx)
	if lose && err == nil {
		return zero, ErrInjected
	}
	return r, err
}

// stall holds a request until the stall ends; the request then runs even if its caller has
// given up, and its reply reaches the caller only if the caller still waits.
func stall[R any](f *Faults, ctx context.Context, resumed <-chan struct{}, call func(context.Context) (R, error)) (R, error) {
	type reply struct {
		r   R
		err error
	}
	out := make(chan reply, 1)
	go func() {
		defer f.queued.Done()
		<-resumed
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		r, err := call(rctx)
		out <- reply{r, err}
	}()
	select {
	case rep := <-out:
		return rep.r, rep.err
	case <-ctx.Done():
		var zero R
		return zero, ctx.Err()
	}
}
