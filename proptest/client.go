package proptest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
)

// resourceName is the name of lock res of a run: "resource" for the first, which every run
// has, then "resource1" and "resource2" (Scenario.Names).
func resourceName(res int) string {
	if res == 0 {
		return "resource"
	}
	return fmt.Sprintf("resource%d", res)
}

// client runs the lock-set workload of one client over its own lock library (our Locker, or
// the peer's): acquire, read the set for update, maybe hold, extend or pause, write the set
// back with one new element, release.
type client struct {
	id     int
	s      Scenario
	l      lockLib
	stores []*store // one per lock, Scenario.Names
	rec    *recorder
	inj    *injector     // nil for the probe
	wait   time.Duration // bound of one Acquire
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
		c.quiet(ctx)
		c.update(ctx, k, c.plan(k))
	}
}

// quiet waits for the end of the scenario's quiet window if it is in it: an idle deployment,
// whose nodes nothing calls.
func (c *client) quiet(ctx context.Context) {
	now, s := c.rec.now(), c.s
	if s.QuietFor > 0 && now >= s.QuietAt && now < s.QuietAt+s.QuietFor {
		sleep(ctx, s.QuietAt+s.QuietFor-now)
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
	panic  bool          // run in Locker.Do, whose function panics instead of writing
	res    int           // the lock and store it updates

	run     bool          // election: lead under Election.Run rather than Campaign and Resign
	overrun time.Duration // election, run: how long the function takes to return once told to stop
}

// plan draws update k's plan from the scenario's seed: the same scenario plans the same updates.
func (c *client) plan(k int) updatePlan {
	r := rand.New(rand.NewPCG(uint64(c.s.Seed), uint64(c.id+2)<<32|uint64(k)))
	p := updatePlan{
		hold:   between(r, 0, c.s.Hold),
		expire: r.IntN(100) < c.s.ExpirePct,
		extend: r.IntN(100) < c.s.ExtendPct,
		res:    r.IntN(c.s.lockNames()),
		panic:  r.IntN(100) < c.s.PanicPct,
	}
	if c.s.Workload == WorkloadElection { // drawn last: the plans of the other workloads stay as they were
		p.extend = false // terms are extended by the election
		p.expire = false // and never expire while their Locker runs: Done closes only if one is lost
		p.run = r.IntN(2) == 0
		p.overrun = between(r, 2*time.Millisecond, c.s.TTL/10)
	}
	return p
}

// update performs one fenced read-modify-write under the lock. It writes even when the lease
// has ended meanwhile, as a client that checked before a pause would: the fence must refuse it.
func (c *client) update(ctx context.Context, k int, p updatePlan) {
	if q, ok := c.l.(*quorumLib); ok && p.panic {
		c.panicInDo(ctx, q, p.res)
		return
	}
	if _, ok := c.l.(*electLib); ok && p.run {
		c.lead(ctx, k, p)
		return
	}
	le, lease := c.acquire(ctx, p.res)
	if le == nil {
		return
	}
	res := storeOf(c.s, le, p.res)
	st := c.stores[res]
	defer c.release(le, lease, res)
	set, ok := st.readForUpdate(c.id, lease, le.token())
	if !ok {
		return
	}
	if p.expire {
		select {
		case <-le.done():
		case <-ctx.Done():
		}
	} else {
		sleep(ctx, p.hold)
	}
	if p.extend {
		c.extend(ctx, le, lease, res)
	}
	c.pause(ctx)
	elem := (c.id+2)*1000 + k
	st.write(c.id, lease, le.token(), with(set, elem), elem)
}

func (c *client) acquire(ctx context.Context, res int) (lockLease, int) {
	actx, cancel := context.WithTimeout(ctx, c.wait)
	defer cancel()
	op := Op{Client: c.id, Kind: OpAcquire, Invoke: c.rec.now(), Res: res}
	le, attempts, err := c.l.acquire(actx, resourceName(res))
	c.recordGrants()
	op.Complete = c.rec.now()
	if t, ok := c.l.(interface{ attemptStarts() []time.Time }); ok && c.s.RetryDelayMax > 0 {
		for _, at := range t.attemptStarts() {
			op.Attempts = append(op.Attempts, c.rec.offset(at))
		}
	}
	if err != nil {
		op.Err = fmt.Sprintf("%v (after %d attempts)", err, attempts)
		c.rec.add(op)
		return nil, 0
	}
	op.OK, op.Token, op.Lease, op.Res = true, le.token(), c.rec.newLease(), storeOf(c.s, le, res)
	op.ValidUntil = c.rec.offset(le.validUntil())
	op.Attempt = le.attempt()
	c.rec.add(op)
	return le, op.Lease
}

func (c *client) extend(ctx context.Context, le lockLease, lease, res int) {
	ectx, cancel := context.WithTimeout(ctx, c.s.TTL)
	defer cancel()
	op := Op{Client: c.id, Kind: OpExtend, Lease: lease, Token: le.token(), Invoke: c.rec.now(), Res: res}
	lost, err := le.extend(ectx)
	op.Complete = c.rec.now()
	op.OK, op.Lost = err == nil, lost
	op.ValidUntil = c.rec.offset(le.validUntil())
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

func (c *client) release(le lockLease, lease, res int) {
	op := Op{Client: c.id, Kind: OpRelease, Lease: lease, Token: le.token(), Invoke: c.rec.now(), Res: res}
	op.ValidUntil = c.rec.offset(le.validUntil())
	op.Lost = le.lost()
	err := le.release(context.Background())
	op.Complete = c.rec.now()
	op.OK = err == nil
	if err != nil {
		op.Err = err.Error()
	}
	c.rec.add(op)
}

// panicInDo runs one Locker.Do whose function panics once granted; the client recovers the
// panic, as net/http does, and records the grant, its release, and whether the lease was
// released by the time the panic reached it.
func (c *client) panicInDo(ctx context.Context, q *quorumLib, res int) {
	actx, cancel := context.WithTimeout(ctx, c.wait)
	defer cancel()
	acq := Op{Client: c.id, Kind: OpAcquire, Invoke: c.rec.now(), Res: res}
	le, err := q.doPanic(actx, resourceName(res), func() { acq.Complete = c.rec.now() })
	if le == nil {
		acq.Complete, acq.Err = c.rec.now(), fmt.Sprint(err)
		c.rec.add(acq)
		return
	}
	acq.OK, acq.Token, acq.Lease = true, le.Token(), c.rec.newLease()
	acq.ValidUntil = c.rec.offset(le.ValidUntil())
	c.rec.add(acq)
	now := c.rec.now()
	released := errors.Is(le.Err(), quorum.ErrReleased)
	p := Op{Client: c.id, Kind: OpPanic, Lease: acq.Lease, Token: le.Token(), Invoke: acq.Complete, Complete: now, OK: released, Res: res}
	if !released {
		p.Err = fmt.Sprintf("Lease.Err() = %v", le.Err())
	}
	c.rec.add(p)
	// The client stopped believing it held the lease when fn panicked.
	rel := Op{Client: c.id, Kind: OpRelease, Lease: acq.Lease, Token: le.Token(), Invoke: acq.Complete, Complete: now, OK: released, Res: res}
	rel.ValidUntil = c.rec.offset(le.ValidUntil())
	if !released { // the client is done with the lock, whatever the library still does
		_ = le.Release(context.WithoutCancel(ctx))
		rel.Complete = c.rec.now()
	}
	c.rec.add(rel)
}
