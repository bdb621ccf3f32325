package quorum

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// result is one node's outcome in a broadcast. Failed calls are reported to the Observer here.
type result[R any] struct {
	node    int
	reply   R
	err     error
	elapsed time.Duration
}

// round is one broadcast: one call per node, all bounded by one timeout. Its results arrive on
// out, which is buffered for every node, so nothing blocks when nobody reads. The round is a
// task of the Locker (Close waits for it) until every node has a result.
//
// A RedisNode gets its call without a goroutine: the node's pipe writes it and its reader
// goroutine delivers the reply (evalCmd), and one timer per round ends the calls still pending
// (their commands still run on the server; see package redispipe). Other Nodes, such as the
// test doubles, get a goroutine each and a context that ends at the same deadline.
type round[R any] struct {
	l     *Locker
	op    string
	call  nodeCall[R]
	start time.Time
	out   chan result[R]
	cmds  []evalCmd[R] // per node: its RedisNode command, delivery flag and result
	left  atomic.Int32 // nodes without a result yet, plus one while broadcast sets the round up

	ended   atomic.Pointer[error] // why the round ended early: the deadline passed, or ctx ended
	timer   *time.Timer
	stopCtx func() bool        // stops the watch on ctx; nil if ctx cannot end
	cancel  context.CancelFunc // the goroutines' context; nil if every node is a RedisNode

	mu       sync.Mutex
	closed   bool          // the round and its after-work are over
	waitDone chan struct{} // closed with closed, made on demand by done
}

// broadcast starts call on every node in parallel, all bounded by one timeout (they start
// together), and returns the round, whose out channel yields one result per node. A dead or
// slow node never cancels the healthy ones (no errgroup.WithContext). Calls end early if ctx
// ends.
func broadcast[R any](l *Locker, ctx context.Context, timeout time.Duration, call nodeCall[R]) *round[R] {
	n := len(l.nodes)
	r := &round[R]{l: l, op: call.op(), call: call, start: l.opts.Clock.Now(),
		out: make(chan result[R], n), cmds: make([]evalCmd[R], n)}
	r.left.Store(int32(n) + 1) // finish runs only once the set-up below is complete
	l.tasks.Add(1)             // until the last result; its Done is in finish
	// The deadline is a network timeout, on the real monotonic clock, as a context's would be:
	// a fake clock in tests must not hold a round open.
	r.timer = time.AfterFunc(timeout, r.timeout)
	if ctx.Done() != nil {
		r.stopCtx = context.AfterFunc(ctx, func() { r.expire(ctx.Err()) })
	}
	var nctx context.Context // for the Nodes that are not RedisNodes, made only if there are some
	for i := range l.nodes {
		if rn := r.redis(i); rn != nil {
			c := &r.cmds[i]
			c.r, c.i, c.node, c.sc = r, i, rn, rn.mutated(call.script())
			rn.pipe.Send(c)
			continue
		}
		if nctx == nil {
			nctx, r.cancel = context.WithTimeout(ctx, timeout)
		}
		r.goCall(nctx, i)
	}
	r.countDown()
	return r
}

// goCall calls node i through the Node interface on a goroutine of its own.
func (r *round[R]) goCall(ctx context.Context, i int) {
	r.l.goChild(func() {
		reply, err := r.call.do(ctx, i, r.l.nodes[i])
		r.deliver(i, reply, err)
	})
}

// timeout ends the round's calls at its deadline.
func (r *round[R]) timeout() { r.expire(context.DeadlineExceeded) }

// expire ends, with err, the calls to RedisNodes that have no result yet: the deadline passed
// or ctx ended. The goroutines of other nodes end by their own context.
func (r *round[R]) expire(err error) {
	r.ended.CompareAndSwap(nil, &err) // err is not written after this
	end := *r.ended.Load()            // the first cause, if ctx and the deadline race
	var zero R
	for i := range r.cmds {
		if r.redis(i) != nil {
			r.deliver(i, zero, end)
		}
	}
}

// redis returns node i if the round calls it without a goroutine: a RedisNode, and a call
// with a script.
func (r *round[R]) redis(i int) *RedisNode {
	if r.call.script().sha == "" {
		return nil
	}
	return r.l.redis[i]
}

// endErr returns why the round ended early, or nil while it has not.
func (r *round[R]) endErr() error {
	if err := r.ended.Load(); err != nil {
		return *err
	}
	return nil
}

// deliver records node i's result, unless it already has one (a reply after the deadline).
func (r *round[R]) deliver(i int, reply R, err error) {
	c := &r.cmds[i]
	if !c.delivered.CompareAndSwap(false, true) {
		return
	}
	elapsed := r.l.opts.Clock.Since(r.start)
	if err != nil {
		n := r.l.nodes[i]
		err = &NodeError{Node: n.Name(), Op: r.op, Err: err}
		r.l.opts.Observer.Observe(Event{Kind: EventNode, Node: n.Name(), Op: r.op, Duration: elapsed, Err: err})
	}
	c.res = result[R]{node: i, reply: reply, err: err, elapsed: elapsed}
	r.out <- c.res // buffered for every node: never blocks
	r.countDown()
}

// countDown counts one result, or the end of the set-up, and finishes the round after the last.
func (r *round[R]) countDown() {
	if r.left.Add(-1) == 0 {
		r.finish()
	}
}

// finish runs once every node has a result: it releases the timers and runs the call's after.
func (r *round[R]) finish() {
	r.timer.Stop()
	if r.stopCtx != nil {
		r.stopCtx()
	}
	if r.cancel != nil {
		r.cancel()
	}
	r.call.after(r)
	r.l.tasks.Done()
}

// results returns every node's result, indexed by node. Only after the round has finished.
func (r *round[R]) results() []result[R] {
	all := make([]result[R], len(r.cmds))
	for i := range r.cmds {
		all[i] = r.cmds[i].res
	}
	return all
}

// close marks the round and its after-work as over, waking done's waiters.
func (r *round[R]) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	if r.waitDone != nil {
		close(r.waitDone)
	}
}

// done returns a channel that is closed once every node has a result and the call's after-work
// is over.
func (r *round[R]) done() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.waitDone == nil {
		r.waitDone = make(chan struct{})
		if r.closed {
			close(r.waitDone)
		}
	}
	return r.waitDone
}

// tally counts the votes of one round and says when the outcome is decided.
type tally struct {
	n, need      int
	yes, pending int
}

func newTally(n int) tally { return tally{n: n, need: majority(n), pending: n} }

// majority returns the number of votes that make a majority of n nodes.
func majority(n int) int { return n/2 + 1 }

func (t *tally) add(yes bool) {
	t.pending--
	if yes {
		t.yes++
	}
}

// won reports that a majority said yes.
func (t *tally) won() bool { return t.yes >= t.need }

// lost reports that a majority can no longer be reached.
func (t *tally) lost() bool { return t.yes+t.pending < t.need }
