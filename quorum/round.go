package quorum

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/quorumlock/quorumlock/internal/mutants"

	"github.com/quorumlock/quorumlock/internal/redispipe"
)

// nodeCall is what a round asks of each node: one script call.
type nodeCall[R any] interface {
	op() string
	script() script
	// droppable says whether a call whose round has ended before it could be written is not
	// written at all.
	droppable() bool
	// write encodes the call for node i: verb (EVALSHA or EVAL), body (SHA1 or source), the
	// number of keys, the keys and the arguments.
	write(w *redispipe.Writer, i int, verb, body string)
	// decode reads a script's reply (never an error reply).
	decode(v *redispipe.Reply) (R, error)
}

// result is one node's outcome in a round. Failed calls are reported to the Observer.
type result[R any] struct {
	node    int
	reply   R
	err     error
	elapsed time.Duration
}

// errLate is the cause of a reply that arrived after the round's timeout: it is not counted.
var errLate = errors.New("reply arrived after NodeTimeout: not counted")

// round is one call sent to some nodes, all bounded by one timeout. Its results arrive on out,
// which is buffered for every node, so nothing blocks when nobody reads. The round is a task of
// the Locker (Close waits for it) until every node it called has a result.
//
// Each node's command is written by the node's pipe and its reply delivered by the pipe's
// reader goroutine (evalCmd): no goroutine per call. One timer per round ends the calls still
// pending at the deadline; their commands still run on the server (see package redispipe).
//
// A reply counts only if it was delivered within the timeout on the Locker's clock
// (docs/PROTOCOL.md §6.4 rests on it): after a pause of the process, the reader goroutine can
// run before the timer does, and a reply it delivers late is turned into a timeout.
type round[R any] struct {
	l     *Locker
	op    string
	call  nodeCall[R]
	start time.Time
	limit time.Duration // the timeout of every call
	out   chan result[R]
	cmds  []evalCmd[R] // per node: its command, delivery flag and result
	left  atomic.Int32 // nodes without a result yet, plus one while the round is set up

	ended   atomic.Pointer[error] // why the round ended early: the deadline passed, or ctx ended
	timer   *time.Timer
	stopCtx func() bool // stops the watch on ctx; nil if ctx cannot end

	// finished, if set before the round starts, runs once every node has a result, on the
	// goroutine of the last one; it must not block (longer work goes to Locker.goChild).
	finished func(r *round[R])
}

// broadcast sends call to every node; see send.
func broadcast[R any](l *Locker, ctx context.Context, timeout time.Duration, call nodeCall[R]) *round[R] {
	return send(l, ctx, timeout, call, nil, nil)
}

// send sends call to the nodes that to marks (every node if to is nil), all bounded by one
// timeout, and returns the round, whose out channel yields one result per node called. A dead or
// slow node never cancels the healthy ones. Calls end early if ctx ends. finished, if not nil,
// runs once every result is in (see round.finished).
func send[R any](l *Locker, ctx context.Context, timeout time.Duration, call nodeCall[R], to []bool,
	finished func(*round[R])) *round[R] {
	n := len(l.nodes)
	r := &round[R]{l: l, op: call.op(), call: call, start: l.opts.Clock.Now(), limit: timeout,
		out: make(chan result[R], n), cmds: make([]evalCmd[R], n), finished: finished}
	called := n
	if to != nil {
		called = 0
		for _, yes := range to {
			if yes {
				called++
			}
		}
	}
	r.left.Store(int32(called) + 1) // finish runs only once the set-up below is complete
	l.tasks.Add(1)                  // until the last result; its Done is in finish
	for i, node := range l.nodes {  // before the deadline can fire: expire reads every slot
		c := &r.cmds[i]
		if to != nil && !to[i] {
			c.delivered.Store(true) // never called: no result
			continue
		}
		c.r, c.i, c.node, c.sc = r, i, node, node.mutated(call.script())
	}
	// The deadline is a network timeout, on the real monotonic clock, as a context's would be:
	// a fake clock in tests must not hold a round open.
	r.timer = time.AfterFunc(timeout, r.timeout)
	if ctx.Done() != nil {
		r.stopCtx = context.AfterFunc(ctx, func() { r.expire(ctx.Err()) })
	}
	for i, node := range l.nodes {
		if to == nil || to[i] {
			node.pipe.Send(&r.cmds[i])
		}
	}
	r.countDown()
	return r
}

// timeout ends the round's calls at its deadline.
func (r *round[R]) timeout() { r.expire(context.DeadlineExceeded) }

// expire ends, with err, the calls that have no result yet: the deadline passed or ctx ended.
func (r *round[R]) expire(err error) {
	r.ended.CompareAndSwap(nil, &err) // err is not written after this
	end := *r.ended.Load()            // the first cause, if ctx and the deadline race
	var zero R
	for i := range r.cmds {
		r.deliver(i, zero, end)
	}
}

// endErr returns why the round ended early, or nil while it has not.
func (r *round[R]) endErr() error {
	if err := r.ended.Load(); err != nil {
		return *err
	}
	return nil
}

// deliver records node i's result, unless it already has one. A reply delivered after the
// timeout is a failure (errLate). The time is taken before the result is claimed, so that after
// a pause of the process the reply and the deadline race as they would on any client.
func (r *round[R]) deliver(i int, reply R, err error) {
	elapsed := r.l.opts.Clock.Since(r.start)
	c := &r.cmds[i]
	if !c.delivered.CompareAndSwap(false, true) {
		return
	}
	if err == nil && elapsed > r.limit && !r.l.mutant(mutants.LateReply) {
		err = errLate
	}
	if err != nil {
		n := r.l.nodes[i]
		err = &NodeError{Node: n.name, Op: r.op, Err: err}
		r.l.opts.Observer.Observe(Event{Kind: EventNode, Node: n.name, Op: r.op, Duration: elapsed, Err: err})
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

// finish runs once every node called has a result: it releases the timers and runs finished.
func (r *round[R]) finish() {
	r.timer.Stop()
	if r.stopCtx != nil {
		r.stopCtx()
	}
	if r.finished != nil {
		r.finished(r)
	}
	r.l.tasks.Done()
}

// results returns every node's result, indexed by node (zero for nodes not called). Only after
// the round has finished.
func (r *round[R]) results() []result[R] {
	all := make([]result[R], len(r.cmds))
	for i := range r.cmds {
		all[i] = r.cmds[i].res
	}
	return all
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
