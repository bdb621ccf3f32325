package proptest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
)

// lockName is the one lock every client of a run contends for.
const lockName = "resource"

// client runs the lock-set workload of one client over its own Locker: acquire, read the set
// for update, maybe hold, extend or pause, write the set back with one new element, release.
type client struct {
	id    int
	s     Scenario
	l     *quorum.Locker
	obs   *attemptObserver
	store *store
	rec   *recorder
	inj   *injector     // nil for the probe
	wait  time.Duration // bound of one Acquire
}

// attemptObserver watches the attempts of its Locker: how long the last granted one took, and
// how many there were (for failure reports).
type attemptObserver struct {
	last     atomic.Int64 // duration of the last granted attempt
	attempts atomic.Int64
}

func (o *attemptObserver) Observe(e quorum.Event) {
	if e.Kind != quorum.EventAcquire {
		return
	}
	o.attempts.Add(1)
	if e.Err == nil {
		o.last.Store(int64(e.Duration))
	}
}

// maxUpdates bounds the updates of one client while it waits for the fault schedule to end.
const maxUpdates = 40

// run performs at least s.Ops updates, and goes on, with short gaps, until the fault schedule is
// over, so that every fault meets a running workload.
func (c *client) run(ctx context.Context) {
	for k := 0; k < maxUpdates && ctx.Err() == nil; k++ {
		if k >= c.s.Ops {
			if c.inj.finished() {
				return
			}
			select {
			case <-c.inj.done:
			case <-time.After(c.gap(k)):
			case <-ctx.Done():
			}
		}
		c.update(ctx, k)
	}
}

// gap draws the pause before update k, once the planned updates are done.
func (c *client) gap(k int) time.Duration {
	r := rand.New(rand.NewPCG(uint64(c.s.Seed), uint64(c.id+2)<<32|uint64(k)|1<<31))
	return between(r, 0, c.s.TTL/4)
}

// updatePlan is what one update does inside its lease.
type updatePlan struct {
	hold   time.Duration // pause before the write, within validity
	expire bool          // hold until the lease ends locally instead
	extend bool          // extend once before the write
}

// plan draws update k's plan from the scenario's seed: the same scenario plans the same updates.
func (c *client) plan(k int) updatePlan {
	r := rand.New(rand.NewPCG(uint64(c.s.Seed), uint64(c.id+2)<<32|uint64(k)))
	return updatePlan{
		hold:   between(r, 0, c.s.Hold),
		expire: r.IntN(100) < c.s.ExpirePct,
		extend: r.IntN(100) < c.s.ExtendPct,
	}
}

// update performs one fenced read-modify-write under the lock. It writes even when the lease
// has ended meanwhile, as a client that checked before a pause would: the fence must refuse it.
func (c *client) update(ctx context.Context, k int) {
	p := updatePlan{}
	if c.inj != nil {
		p = c.plan(k)
	}
	le, lease := c.acquire(ctx)
	if le == nil {
		return
	}
	defer c.release(le, lease)
	set, ok := c.store.readForUpdate(c.id, lease, le.Token())
	if !ok {
		return
	}
	if p.expire {
		select {
		case <-le.Done():
		case <-ctx.Done():
		}
	} else {
		sleep(ctx, p.hold)
	}
	if p.extend {
		c.extend(ctx, le, lease)
	}
	c.pause(ctx)
	elem := (c.id+2)*1000 + k
	c.store.write(c.id, lease, le.Token(), with(set, elem), elem)
}

func (c *client) acquire(ctx context.Context) (*quorum.Lease, int) {
	actx, cancel := context.WithTimeout(ctx, c.wait)
	defer cancel()
	op := Op{Client: c.id, Kind: OpAcquire, Invoke: c.rec.now()}
	before := c.obs.attempts.Load()
	le, err := c.l.Acquire(actx, lockName)
	op.Complete = c.rec.now()
	if err != nil {
		op.Err = fmt.Sprintf("%v (after %d attempts)", err, c.obs.attempts.Load()-before)
		c.rec.add(op)
		return nil, 0
	}
	op.OK, op.Token, op.Lease = true, le.Token(), c.rec.newLease()
	op.ValidUntil = c.rec.offset(le.ValidUntil())
	op.Attempt = time.Duration(c.obs.last.Load())
	c.rec.add(op)
	return le, op.Lease
}

func (c *client) extend(ctx context.Context, le *quorum.Lease, lease int) {
	ectx, cancel := context.WithTimeout(ctx, c.s.TTL)
	defer cancel()
	op := Op{Client: c.id, Kind: OpExtend, Lease: lease, Token: le.Token(), Invoke: c.rec.now()}
	err := le.Extend(ectx)
	op.Complete = c.rec.now()
	op.OK, op.Lost = err == nil, errors.Is(err, quorum.ErrLeaseLost)
	op.ValidUntil = c.rec.offset(le.ValidUntil())
	if err != nil {
		op.Err = err.Error()
	}
	c.rec.add(op)
}

// pause takes the client pauses that are due: the client stops, as in a GC pause, between its
// read and its write, typically past the end of its lease.
func (c *client) pause(ctx context.Context) {
	if c.inj == nil {
		return
	}
	d := c.inj.takePause(c.id)
	if d <= 0 {
		return
	}
	f := Fault{Kind: FaultPause, Client: c.id, Duration: d}
	op := Op{Client: c.id, Kind: OpFault, Fault: &f, OK: true, Invoke: c.rec.now()}
	f.At = op.Invoke
	sleep(ctx, d)
	op.Complete = c.rec.now()
	c.rec.add(op)
}

func (c *client) release(le *quorum.Lease, lease int) {
	op := Op{Client: c.id, Kind: OpRelease, Lease: lease, Token: le.Token(), Invoke: c.rec.now()}
	op.ValidUntil = c.rec.offset(le.ValidUntil())
	op.Lost = errors.Is(le.Err(), quorum.ErrLeaseLost)
	err := le.Release(context.Background())
	op.Complete = c.rec.now()
	op.OK = err == nil
	if err != nil {
		op.Err = err.Error()
	}
	c.rec.add(op)
}
