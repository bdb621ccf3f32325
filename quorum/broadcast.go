package quorum

import (
	"context"
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

// broadcast starts call on every node in parallel, all bounded by one NodeTimeout (they start
// together), and returns a channel that yields one result per node. The channel is buffered for
// every node, so goroutines finish even when nobody reads; they are tracked by l.tasks so Close
// waits for them. A dead or slow node never cancels the healthy ones (no errgroup.WithContext).
func broadcast[R any](l *Locker, ctx context.Context, op string, call func(ctx context.Context, i int, n Node) (R, error)) <-chan result[R] {
	out := make(chan result[R], len(l.nodes))
	nctx, cancel := context.WithTimeout(ctx, l.opts.NodeTimeout)
	var left atomic.Int32
	left.Store(int32(len(l.nodes)))
	finished := func() { // the last call to finish releases the shared timer
		if left.Add(-1) == 0 {
			cancel()
		}
	}
	start := l.opts.Clock.Now()
	l.tasks.Add(len(l.nodes))
	for i, n := range l.nodes {
		go func() {
			defer l.tasks.Done()
			reply, err := call(nctx, i, n)
			elapsed := l.opts.Clock.Since(start)
			finished()
			if err != nil {
				err = &NodeError{Node: n.Name(), Op: op, Err: err}
				l.opts.Observer.Observe(Event{Kind: EventNode, Node: n.Name(), Op: op, Duration: elapsed, Err: err})
			}
			out <- result[R]{node: i, reply: reply, err: err, elapsed: elapsed}
		}()
	}
	return out
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
