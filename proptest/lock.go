package proptest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/semaphore"
)

// PeerRedsync is the peer library a campaign can run side by side with ours
// (CampaignConfig.Against, RunConfig.Against): go-redsync/redsync v4.
const PeerRedsync = "redsync"

// lockLib is one client's handle on a lock library, over its own view of the cluster. The
// workload drives our quorum.Locker and the peer's mutexes alike through it.
type lockLib interface {
	// acquire retries until it is granted or ctx ends, and says how many attempts it made.
	acquire(ctx context.Context, name string) (lockLease, int, error)
	// close waits for clean-ups in flight and closes the connections.
	close() error
}

// lockLease is one grant as the workload sees it. It is used by one goroutine at a time.
type lockLease interface {
	token() fencing.Token   // the fencing token; 0 for a library without one
	validUntil() time.Time  // the end of validity, with a monotonic reading
	attempt() time.Duration // how long the attempt that won the grant took
	done() <-chan struct{}  // closed once the lease ended locally: released, run out, or lost
	extend(ctx context.Context) (lost bool, err error)
	lost() bool // whether the lease is known to be lost (recorded with its release)
	release(ctx context.Context) error
}

// lockKeys returns the keys under which the library keeps the workload's locks on every node:
// each lock's, or each slot's of the semaphore.
func lockKeys(against string, s Scenario) []string {
	var names []string
	for res := range s.lockNames() {
		names = append(names, resourceName(res))
	}
	if s.Workload == WorkloadSemaphore {
		names = names[:0]
		for slot := range s.Permits {
			names = append(names, semaphore.SlotName(resourceName(0), slot))
		}
	}
	var keys []string
	for _, name := range names {
		if against == PeerRedsync {
			keys = append(keys, redsyncName(name))
		} else {
			keys = append(keys, keyPrefix+"{"+name+"}")
		}
	}
	return keys
}

// quorumLib is our quorum.Locker, with an observer of its attempts.
type quorumLib struct {
	l   *quorum.Locker
	obs *attemptObserver
}

var _ lockLib = (*quorumLib)(nil)

func (q *quorumLib) acquire(ctx context.Context, name string) (lockLease, int, error) {
	before := q.obs.attempts.Load()
	q.obs.reset()
	le, err := q.l.Acquire(ctx, name)
	attempts := int(q.obs.attempts.Load() - before)
	if err != nil {
		return nil, attempts, fmt.Errorf("%w [failed attempts: %s]", err, q.obs.failures())
	}
	return quorumLease{le: le, took: time.Duration(q.obs.last.Load())}, attempts, nil
}

func (q *quorumLib) close() error { return q.l.Close() }

// attemptStarts returns when each attempt of the last acquire began.
func (q *quorumLib) attemptStarts() []time.Time { return q.obs.attemptStarts() }

// errPanicked is what fn panics with in doPanic.
var errPanicked = errors.New("proptest: fn panicked")

// doPanic runs Do on name with a function that panics once granted, recovers the panic as a
// caller such as net/http does, and returns the lease the function was given (nil if none was
// granted) and the time it ran; the lease's Err then says whether it was released.
func (q *quorumLib) doPanic(ctx context.Context, name string, granted func()) (le *quorum.Lease, err error) {
	defer func() {
		if r := recover(); r != nil && r != errPanicked {
			panic(r)
		}
	}()
	err = q.l.Do(ctx, name, func(_ context.Context, l *quorum.Lease) error {
		le = l
		granted()
		panic(errPanicked)
	})
	return le, err
}

// quorumLease is one of our leases.
type quorumLease struct {
	le   *quorum.Lease
	took time.Duration // the winning attempt, as the observer saw it
}

func (q quorumLease) token() fencing.Token   { return q.le.Token() }
func (q quorumLease) validUntil() time.Time  { return q.le.ValidUntil() }
func (q quorumLease) attempt() time.Duration { return q.took }
func (q quorumLease) done() <-chan struct{}  { return q.le.Done() }
func (q quorumLease) lost() bool             { return errors.Is(q.le.Err(), quorum.ErrLeaseLost) }

func (q quorumLease) extend(ctx context.Context) (bool, error) {
	err := q.le.Extend(ctx)
	return errors.Is(err, quorum.ErrLeaseLost), err
}

func (q quorumLease) release(ctx context.Context) error { return q.le.Release(ctx) }

// attemptObserver watches the attempts of its Locker: how long the last granted one took, how
// many there were, and how the failed ones failed (for failure reports). One client's Acquire
// calls are sequential: failures are counted per Acquire (reset).
type attemptObserver struct {
	last     atomic.Int64 // duration of the last granted attempt
	attempts atomic.Int64

	mu      sync.Mutex
	held    int             // failed attempts since reset: someone held the lock
	unavail int             // failed attempts since reset: too few nodes answered
	first   string          // the first failure since reset
	starts  []time.Time     // when each attempt since reset began
	grants  []fencing.Token // tokens proposed since takeGrants: a node may hold any of them for a while

	nodeGrant func(node string, tok fencing.Token) // told of every node's grant, or nil
}

func (o *attemptObserver) Observe(e quorum.Event) {
	if e.Kind == quorum.EventNode && e.Op == "acquire" && e.Status == quorum.Granted && o.nodeGrant != nil {
		o.nodeGrant(e.Node, e.Token)
	}
	if e.Kind == quorum.EventTokenRefused { // a round's token, before the attempt's next round
		o.mu.Lock()
		o.grants = append(o.grants, e.Token)
		o.mu.Unlock()
	}
	if e.Kind != quorum.EventAcquire {
		return
	}
	o.attempts.Add(1)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.starts = append(o.starts, time.Now().Add(-e.Duration))
	if e.Token != 0 {
		o.grants = append(o.grants, e.Token)
	}
	if e.Err == nil {
		o.last.Store(int64(e.Duration))
		return
	}
	switch {
	case errors.Is(e.Err, quorum.ErrNotAcquired):
		o.held++
	case errors.Is(e.Err, quorum.ErrUnavailable):
		o.unavail++
	}
	if o.first == "" {
		o.first = e.Err.Error()
	}
}

// takeGrants returns the tokens that attempts proposed since it was last called.
func (o *attemptObserver) takeGrants() []fencing.Token {
	o.mu.Lock()
	defer o.mu.Unlock()
	g := o.grants
	o.grants = nil
	return g
}

// reset starts counting failures for a new Acquire.
func (o *attemptObserver) reset() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.held, o.unavail, o.first, o.starts = 0, 0, "", nil
}

// attemptStarts returns when each attempt since reset began.
func (o *attemptObserver) attemptStarts() []time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.starts)
}

// failures says how the attempts since reset failed.
func (o *attemptObserver) failures() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return fmt.Sprintf("%d held, %d unavailable; the first: %s", o.held, o.unavail, o.first)
}
