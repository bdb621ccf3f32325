package proptest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/quorumlock/quorumlock/election"
	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/quorum"
)

// electLib campaigns in one election per name (package election) on our Locker, in place of
// taking the lock of that name: the election workload. A grant is a term.
type electLib struct {
	*quorumLib
	id string

	mu        sync.Mutex
	elections map[string]*election.Election
}

var _ lockLib = (*electLib)(nil)

func (e *electLib) acquire(ctx context.Context, name string) (lockLease, int, error) {
	before := e.obs.attempts.Load()
	e.obs.reset()
	t, err := e.election(name).Campaign(ctx)
	attempts := int(e.obs.attempts.Load() - before)
	if err != nil {
		return nil, attempts, fmt.Errorf("%w [failed attempts: %s]", err, e.obs.failures())
	}
	return termLease{t: t, took: time.Duration(e.obs.last.Load())}, attempts, nil
}

// recordGrants records, in the election workload, every token that the client's attempts
// proposed since it was last called (OpGrant): its terms, the grants that Campaign declined
// because too little validity was left (it releases them and tries again), and the attempts
// that failed although nodes granted them (too few, or too late to count). Each may hold a
// majority for a moment, and a read then sees it, so the observer may report it: checkObserve
// allows that.
func (c *client) recordGrants() {
	e, ok := c.l.(*electLib)
	if !ok {
		return
	}
	for _, tok := range e.obs.takeGrants() {
		now := c.rec.now()
		c.rec.add(Op{Client: c.id, Kind: OpGrant, Invoke: now, Complete: now, OK: true, Token: tok})
	}
}

// election returns the client's Election of name, made at its first use.
func (e *electLib) election(name string) *election.Election {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.elections == nil {
		e.elections = make(map[string]*election.Election)
	}
	el := e.elections[name]
	if el == nil {
		el = election.New(e.l, name, election.Options{ID: e.id})
		e.elections[name] = el
	}
	return el
}

// termLease is one term, as the workload sees a lease. Terms are extended in the background;
// the workload never extends them itself.
type termLease struct {
	t    *election.Term
	took time.Duration
}

func (t termLease) token() fencing.Token   { return t.t.Token() }
func (t termLease) validUntil() time.Time  { return t.t.ValidUntil() }
func (t termLease) attempt() time.Duration { return t.took }
func (t termLease) done() <-chan struct{}  { return t.t.Done() }
func (t termLease) lost() bool             { return errors.Is(t.t.Err(), quorum.ErrLeaseLost) }

func (t termLease) extend(context.Context) (bool, error) {
	return false, errors.New("proptest: terms are extended by the election, not by the workload")
}

func (t termLease) release(ctx context.Context) error { return t.t.Resign(ctx) }

// lead runs one term under Election.Run: the client's function reads the store with the term's
// token, leads for the plan's hold, then stops leading (it cancels Run's context), takes the
// plan's overrun to stop, as a function that finishes its work does, and writes. It believes it
// leads from the moment its function starts until it returns, as far as the term's validity.
func (c *client) lead(ctx context.Context, k int, p updatePlan) {
	e := c.l.(*electLib)
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	acq := Op{Client: c.id, Kind: OpAcquire, Invoke: c.rec.now()}
	won := make(chan struct{})
	var first sync.Once
	campaign := time.AfterFunc(c.wait, func() {
		select {
		case <-won:
		default:
			stop() // not elected within the client's wait
		}
	})
	defer campaign.Stop()
	err := e.election(resourceName(0)).Run(rctx, func(fctx context.Context, t *election.Term) error {
		elected := false
		first.Do(func() { close(won); elected = true })
		if !elected {
			return nil // a second term of the same Run, begun before it saw stop: not part of the plan
		}
		acq.Complete, acq.OK, acq.Token, acq.Lease = c.rec.now(), true, t.Token(), c.rec.newLease()
		acq.ValidUntil = c.rec.offset(t.ValidUntil())
		c.rec.add(acq)
		c.serveTerm(fctx, stop, k, p, t, acq.Lease)
		return nil
	})
	c.recordGrants()
	select {
	case <-won:
	default:
		acq.Complete, acq.Err = c.rec.now(), fmt.Sprint(err)
		c.rec.add(acq)
	}
}

// serveTerm is the function of one term under Run.
func (c *client) serveTerm(fctx context.Context, stop func(), k int, p updatePlan, t *election.Term, lease int) {
	st := c.stores[0]
	set, ok := st.readForUpdate(c.id, lease, t.Token())
	sleep(fctx, p.hold)
	stop() // this client stops leading: Run cancels fctx, and must wait for the return
	<-fctx.Done()
	time.Sleep(p.overrun)
	if ok {
		elem := (c.id+2)*1000 + k
		st.write(c.id, lease, t.Token(), with(set, elem), elem)
	}
	rel := Op{Client: c.id, Kind: OpRelease, Lease: lease, Token: t.Token(), Invoke: c.rec.now(), OK: true}
	rel.Complete, rel.ValidUntil = rel.Invoke, c.rec.offset(t.ValidUntil())
	rel.Lost = errors.Is(t.Err(), quorum.ErrLeaseLost)
	c.rec.add(rel)
}

// ObserverClient is the Client of the election observer's operations: a Locker of its own that
// runs Election.Observe for the whole workload.
const ObserverClient = -2

// observe records every leader the election's observer reports (OpObserve, Token 0 for a
// vacancy) until ctx ends.
func (c *client) observe(ctx context.Context) {
	e := c.l.(*electLib)
	for ldr := range e.election(resourceName(0)).Observe(ctx) {
		now := c.rec.now()
		c.rec.add(Op{Client: ObserverClient, Kind: OpObserve, Invoke: now, Complete: now, OK: true, Token: ldr.Token})
	}
}
