package proptest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// A scripted scenario (Scenario.Script) replaces the random workload with steps at set times:
// an adversary's plan, for interleavings that a random workload meets too rarely (a heal decided
// from a late reply, docs/PROTOCOL.md §6.4). The faults run as in any scenario, and the history
// is checked as any other.

// The actions of a script step.
const (
	StepAcquire = "acquire" // one attempt at the lock (TryAcquire); the lease is kept for a later release
	StepRelease = "release" // release the lease of the client's last acquire
	StepTouch   = "touch"   // take and release a lock of another name: a round that reaches every node (heals included)
)

// Step is one action of a scripted client.
type Step struct {
	At     time.Duration `json:"at"`
	Client int           `json:"client"`
	Do     string        `json:"do"`
}

// validateScript checks the steps of s.
func (s Scenario) validateScript() error {
	for i, st := range s.Script {
		if st.At < 0 || st.At > time.Minute || st.Client < 0 || st.Client >= s.Clients ||
			!slices.Contains([]string{StepAcquire, StepRelease, StepTouch}, st.Do) {
			return fmt.Errorf("step %d (%+v): want a time in [0, 1m], a client in [0, %d) and acquire, release or touch", i, st, s.Clients)
		}
	}
	return nil
}

// scripted runs the steps of each client in order, at their times, until the fault schedule is
// over; leases still held at the end are released.
func (r *runner) scripted(ctx context.Context, clients []*client, rec *recorder) {
	inj := startInjector(ctx, r.s, r.c, rec, r.walls)
	var wg sync.WaitGroup
	for _, cl := range clients {
		cl.rec, cl.inj, cl.wait = rec, inj, r.s.NodeTimeout*3
		wg.Go(func() { cl.runScript(ctx) })
	}
	wg.Wait()
	<-inj.done
	inj.stop()
}

// runScript performs this client's steps.
func (c *client) runScript(ctx context.Context) {
	var le lockLease
	var lease int
	for _, st := range c.s.Script {
		if st.Client != c.id {
			continue
		}
		if !sleep(ctx, st.At-c.rec.now()) {
			break
		}
		switch {
		case st.Do == StepAcquire && le == nil:
			le, lease = c.acquire(ctx, 0)
		case st.Do == StepRelease && le != nil:
			c.release(le, lease, 0)
			le = nil
		case st.Do == StepTouch:
			c.touch(ctx)
		}
	}
	if le != nil {
		c.release(le, lease, 0)
	}
}

// touch takes and releases a lock of a name of the client's own, unrecorded: a round that meets
// every node, which makes an amnesic node create its marker or get healed.
func (c *client) touch(ctx context.Context) {
	tctx, cancel := context.WithTimeout(ctx, c.wait)
	defer cancel()
	le, _, err := c.l.acquire(tctx, fmt.Sprintf("touch-%d", c.id))
	if err == nil {
		_ = le.release(context.WithoutCancel(ctx))
	}
}

// Scenarios the peer cannot run: scripts are written against our protocol's rounds and heals,
// and redsync has neither a semaphore nor an election.
var (
	errScriptedPeer  = errors.New("proptest: scripted scenarios run on ours only")
	errPrimitivePeer = errors.New("proptest: the semaphore and election workloads run on ours only")
)

// peerRuns returns why the peer cannot run s, or nil.
func peerRuns(s Scenario) error {
	switch {
	case len(s.Script) > 0:
		return errScriptedPeer
	case s.Workload != WorkloadLocks:
		return errPrimitivePeer
	}
	return nil
}
