package proptest

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/quorum"
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

// lockKeys returns the keys under which the library keeps the workload's locks on every node.
func lockKeys(against string, names int) []string {
	var keys []string
	for res := range names {
		if against == PeerRedsync {
			keys = append(keys, redsyncName(resourceName(res)))
		} else {
			keys = append(keys, keyPrefix+"{"+resourceName(res)+"}")
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
	le, err := q.l.Acquire(ctx, name)
	attempts := int(q.obs.attempts.Load() - before)
	if err != nil {
		return nil, attempts, err
	}
	return quorumLease{le: le, took: time.Duration(q.obs.last.Load())}, attempts, nil
}

func (q *quorumLib) close() error { return q.l.Close() }

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
