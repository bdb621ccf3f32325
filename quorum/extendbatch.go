package quorum

import (
	"errors"
	"fmt"
	"time"
)

// extendBatch extends a batch of leases with one call per node, then settles each lease as
// Extend would: moved, lost (a majority refused, or no validity left), or left as it was and
// retried sooner (too few answers). While the batch is in flight, Release of one of its leases
// waits for it, so that nothing is sent for a lease after its Release returned.
func (x *extender) extendBatch(batch []*Lease) {
	l := x.l
	done := x.begin(batch)
	defer x.end(done)
	start := l.opts.Clock.Now()
	call := &extendManyCall{meta: batch[0].keys.meta, locks: make([]string, len(batch)), fences: make([]string, len(batch)),
		owners: make([]string, len(batch)), ttl: l.opts.TTL, q: l.opts.Quarantine}
	for i, le := range batch {
		call.locks[i], call.fences[i], call.owners[i] = le.keys.lock, le.keys.fence, le.owner
	}
	results := broadcast[[]extendVote](l, l.bg, l.opts.NodeTimeout, call).out
	yes := make([]int, len(batch))
	refused := make([]int, len(batch))
	var nodeErrs []error
	for range l.nodes {
		r := <-results
		if r.err != nil {
			nodeErrs = append(nodeErrs, r.err)
		} else {
			l.opts.Observer.Observe(Event{Kind: EventNode, Node: l.nodes[r.node].name, Op: "extend", Duration: r.elapsed, Batch: len(batch)})
		}
		for i := range batch {
			switch {
			case r.err != nil || len(r.reply) != len(batch):
			case r.reply[i] == voteExtended:
				yes[i]++
			case r.reply[i] == voteRefused:
				refused[i]++
			}
		}
	}
	elapsed := l.opts.Clock.Since(start)
	now := l.opts.Clock.Now()
	for i, le := range batch {
		err := x.settle(le, start, yes[i], refused[i], elapsed)
		if err != nil && !errors.Is(err, ErrLeaseLost) {
			err = outcome(err, nodeErrs)
		}
		l.opts.Observer.Observe(Event{Kind: EventExtend, Name: le.name, Token: le.token, Duration: elapsed, Err: err})
		x.readd(le, now, start, err) // no-op if the lease has ended
	}
}

// backoff is how long a lease waits before its next try after fails failed extensions in a
// row: NodeTimeout or a quarter of ExtendInterval, whichever is longer, doubling with every
// failure up to ExtendInterval. A lease whose nodes are gone is tried a few times before its
// validity runs out, never in a loop.
func (x *extender) backoff(fails int) time.Duration {
	o := x.l.opts
	d := max(o.NodeTimeout, o.ExtendInterval/4)
	for range min(fails-1, 8) {
		d *= 2
	}
	return min(d, o.ExtendInterval)
}

// settle applies one lease's votes from a batch that started at start.
func (x *extender) settle(le *Lease, start time.Time, yes, refused int, elapsed time.Duration) error {
	n := len(x.l.nodes)
	switch {
	case yes >= majority(n) && x.l.validityLeft(elapsed) > 0:
		return le.moveValidity(start)
	case yes >= majority(n):
		return le.lose(fmt.Errorf("%w: %q: extended after %v, no validity left", ErrLeaseLost, le.name, elapsed))
	case refused > n-majority(n):
		return le.lose(fmt.Errorf("%w: %q: a majority of nodes no longer holds it", ErrLeaseLost, le.name))
	}
	return fmt.Errorf("%w: extend %q", ErrUnavailable, le.name)
}

// readd puts le back after an extension that started at start and ended at now with err: due
// an ExtendInterval after start if it succeeded, else after its back-off, unless it has ended.
func (x *extender) readd(le *Lease, now, start time.Time, err error) {
	if le.Err() != nil {
		x.mu.Lock()
		delete(x.fails, le)
		x.mu.Unlock()
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if err == nil {
		delete(x.fails, le)
		x.register(le, start.Add(x.l.opts.ExtendInterval), true)
		return
	}
	x.fails[le]++
	x.register(le, now.Add(x.backoff(x.fails[le])), false)
}

// begin marks the leases of a batch as in flight; end clears them and wakes Releases waiting.
func (x *extender) begin(batch []*Lease) chan struct{} {
	done := make(chan struct{})
	x.mu.Lock()
	for _, le := range batch {
		x.inFlight[le] = done
	}
	x.mu.Unlock()
	return done
}

func (x *extender) end(done chan struct{}) {
	x.mu.Lock()
	for le, ch := range x.inFlight {
		if ch == done {
			delete(x.inFlight, le)
		}
	}
	x.mu.Unlock()
	close(done)
}
