package quorum

import (
	"container/heap"
	"sync"
	"time"
)

// maxBatch bounds the leases extended by one script call on one node.
const maxBatch = 1000

// AutoExtend keeps the lease extended every ExtendInterval until Release, until it is lost, or
// until the Locker closes; Do uses it. A failed extension that does not lose the lease is
// retried sooner while validity remains; if none succeeds in time, the lease ends locally at
// ValidUntil and Done is closed. Release stops auto-extension before it returns, so no
// extension is sent afterwards. AutoExtend does nothing if the lease has ended.
//
// All auto-extended leases of a Locker share one goroutine and one timer, and are extended in
// batches: one script call per node for up to a thousand leases. A lease is extended every half
// to one ExtendInterval, whichever lets it join a batch.
func (le *Lease) AutoExtend() {
	le.mu.Lock()
	ended := le.err != nil
	le.mu.Unlock()
	if !ended {
		le.l.extender.add(le, le.l.opts.Clock.Now().Add(le.l.opts.ExtendInterval))
	}
}

// extender extends the auto-extended leases of one Locker in batches.
type extender struct {
	l *Locker

	mu       sync.Mutex
	queue    dueQueue                 // registrations, earliest due first; stale ones skipped
	current  map[*Lease]uint64        // the live registration of each auto-extended lease
	gen      uint64                   // numbers registrations
	inFlight map[*Lease]chan struct{} // leases of the batch in flight, and its end
	fails    map[*Lease]int           // consecutive failed extensions of a lease: its back-off
	running  bool
	wake     chan struct{} // capacity 1: the set of leases changed
}

func newExtender(l *Locker) *extender {
	return &extender{l: l, current: make(map[*Lease]uint64), inFlight: make(map[*Lease]chan struct{}),
		fails: make(map[*Lease]int), wake: make(chan struct{}, 1)}
}

// add registers le, due at when, and starts the extender's goroutine if needed.
func (x *extender) add(le *Lease, when time.Time) {
	x.mu.Lock()
	x.register(le, when, true)
	start := !x.running
	x.running = x.running || start
	x.mu.Unlock()
	if start && !x.l.goBackground(x.run) {
		x.mu.Lock()
		x.running = false
		x.mu.Unlock()
	}
	x.poke()
}

// register queues le, due at when, replacing its earlier registration; early says whether it
// may join a batch before when (a retry after a failure may not: it waits out its back-off).
// x.mu must be held.
func (x *extender) register(le *Lease, when time.Time, early bool) {
	x.gen++
	x.current[le] = x.gen
	heap.Push(&x.queue, due{le: le, when: when, gen: x.gen, early: early})
}

// remove stops extending le, waiting for a batch in flight that holds it (at most NodeTimeout):
// nothing is sent for le once remove returns.
func (x *extender) remove(le *Lease) {
	x.mu.Lock()
	delete(x.current, le) // its queue entry is now stale
	delete(x.fails, le)
	wait := x.inFlight[le]
	x.mu.Unlock()
	if wait != nil {
		<-wait
	}
}

func (x *extender) poke() {
	select {
	case x.wake <- struct{}{}:
	default:
	}
}

// run extends due leases until the Locker closes.
func (x *extender) run() {
	for {
		batch, next := x.collect(x.l.opts.Clock.Now())
		if len(batch) > 0 {
			x.extendBatch(batch)
			continue
		}
		if !x.sleep(next) {
			return
		}
	}
}

// sleep waits until next (forever if zero) or until the set of leases changes; it reports
// false once the Locker is closing.
func (x *extender) sleep(next time.Time) bool {
	var fire <-chan time.Time
	if !next.IsZero() {
		t := x.l.opts.Clock.NewTimer(next.Sub(x.l.opts.Clock.Now()))
		defer t.Stop()
		fire = t.C()
	}
	select {
	case <-x.l.bg.Done():
		return false
	case <-x.wake:
	case <-fire:
	}
	return true
}

// collect takes, most urgent first, up to maxBatch leases due by now or within half an
// ExtendInterval, so that leases granted at different times come to share batches (a lease is
// then extended every half to one ExtendInterval), and returns when the next one is due. It
// costs O(batch · log n), whatever the number n of leases.
func (x *extender) collect(now time.Time) (batch []*Lease, next time.Time) {
	horizon := now.Add(x.l.opts.ExtendInterval / 2)
	x.mu.Lock()
	defer x.mu.Unlock()
	for len(x.queue) > 0 && len(batch) < maxBatch {
		top := x.queue[0]
		if x.current[top.le] != top.gen {
			heap.Pop(&x.queue) // released, or registered again since
			continue
		}
		if top.when.After(horizon) || !top.early && top.when.After(now) {
			return batch, top.when
		}
		heap.Pop(&x.queue)
		delete(x.current, top.le) // back in when its outcome is known
		if top.le.Err() == nil {
			batch = append(batch, top.le)
		}
	}
	if len(x.queue) > 0 && len(batch) == maxBatch {
		next = now // more are due: no sleep
	}
	return batch, next
}

// due is one registration of a lease in the extender's queue.
type due struct {
	le    *Lease
	when  time.Time
	gen   uint64
	early bool // may join a batch up to half an ExtendInterval before when
}

// dueQueue is a min-heap of registrations by due time (container/heap).
type dueQueue []due

func (q dueQueue) Len() int           { return len(q) }
func (q dueQueue) Less(i, j int) bool { return q[i].when.Before(q[j].when) }
func (q dueQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *dueQueue) Push(x any)        { *q = append(*q, x.(due)) }
func (q *dueQueue) Pop() any {
	old := *q
	d := old[len(old)-1]
	old[len(old)-1] = due{}
	*q = old[:len(old)-1]
	return d
}
