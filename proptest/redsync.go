package proptest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/go-redsync/redsync/v4"
	rsredis "github.com/go-redsync/redsync/v4/redis"
	"github.com/go-redsync/redsync/v4/redis/goredis/v9"
	"github.com/quorumlock/quorumlock/fencing"
	"github.com/redis/go-redis/v9"
)

// The peer: go-redsync/redsync v4 with the scenario's settings, so that both libraries meet the
// same workload, faults and timing.
//
//   - Mutex options: expiry = TTL, drift factor = DriftFactor, timeout factor = NodeTimeout/TTL
//     (redsync bounds each node call of an attempt by expiry × timeout factor), no FailFast
//     (redsync's default: every attempt waits for every node, up to that bound), no shuffle.
//   - Acquire is TryLockContext in a loop, with our Locker's back-off (2 ms doubling to 12 ms,
//     jittered) until the client's wait bound. TryLockContext is exactly one attempt of
//     LockContext (SET NX on every node, validity, release of a failed attempt); the loop, rather
//     than LockContext with WithTries, bounds the wait by time as ours is bounded, paces retries
//     as ours does (redsync's default delay, 50-250 ms, would contend far less often), and
//     times each attempt, so that the latency property can be checked.
//   - Extend and Unlock wait for every node (redsync has no per-node bound there): their
//     context ends after NodeTimeout, the bound of ours.
//   - Validity is Mutex.Until(). A failed Extend ends the client's belief at once: it is told
//     "false", and assumes the lease lost. That only shortens the intervals checked.
type redsyncLib struct {
	rs          *redsync.Redsync
	clients     []*redis.Client // one per server, through the faults
	opts        []redsync.Option
	nodeTimeout time.Duration
}

var _ lockLib = (*redsyncLib)(nil)

// newRedsync returns a redsync client with connections of its own to every server, each through
// the server's faults (redsync's goredis/v9 adapter over go-redis, with its defaults as in
// redsync's examples, but for context deadlines: see cluster.redisClient).
func (r *runner) newRedsync(id int) (lockLib, error) {
	s := r.s
	if r.cfg.Mutant != "" {
		return nil, errNoPeerMutants
	}
	clients := make([]*redis.Client, r.c.srv.len())
	pools := make([]rsredis.Pool, len(clients))
	for i := range clients {
		clients[i] = r.c.redisClient(i, id)
		pools[i] = goredis.NewPool(clients[i])
	}
	return &redsyncLib{
		rs:      redsync.New(pools...),
		clients: clients,
		opts: []redsync.Option{
			redsync.WithExpiry(s.TTL),
			redsync.WithDriftFactor(s.DriftFactor),
			redsync.WithTimeoutFactor(float64(s.NodeTimeout) / float64(s.TTL)),
		},
		nodeTimeout: s.NodeTimeout,
	}, nil
}

// redsyncName is the mutex name, which redsync uses as the key itself, for the lock name: under
// the run's key prefix, so that data loss and clock jumps on given servers reach it.
func redsyncName(name string) string { return keyPrefix + name }

// Retry back-off of the acquire loop: that of our Locker in a run (RetryDelayMin/Max).
const (
	redsyncRetryMin = 2 * time.Millisecond
	redsyncRetryMax = 12 * time.Millisecond
)

func (l *redsyncLib) acquire(ctx context.Context, name string) (lockLease, int, error) {
	m := l.rs.NewMutex(redsyncName(name), l.opts...)
	delay := redsyncRetryMin
	for attempts := 1; ; attempts++ {
		start := time.Now()
		err := m.TryLockContext(ctx)
		if err == nil {
			return newRedsyncLease(m, time.Since(start), l.nodeTimeout), attempts, nil
		}
		if !sleep(ctx, delay/2+rand.N(delay/2+1)) {
			return nil, attempts, fmt.Errorf("redsync: acquire %q: %w (last attempt: %w)", name, context.Cause(ctx), err)
		}
		delay = min(2*delay, redsyncRetryMax)
	}
}

// close closes the connections; redsync runs nothing between calls. Commands whose callers gave
// up still run on the servers before they close their side (see cluster.barrier).
func (l *redsyncLib) close() error {
	var errs []error
	for _, c := range l.clients {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// redsyncLease is one grant of a redsync Mutex. Done closes at Until, on Release, or when an
// Extend fails.
type redsyncLease struct {
	m           *redsync.Mutex
	took        time.Duration
	nodeTimeout time.Duration

	mu     sync.Mutex
	until  time.Time
	failed bool        // an Extend failed: the client assumes the lease lost
	timer  *time.Timer // ends the lease at until
	ended  chan struct{}
	closed bool
}

var _ lockLease = (*redsyncLease)(nil)

func newRedsyncLease(m *redsync.Mutex, took, nodeTimeout time.Duration) *redsyncLease {
	le := &redsyncLease{m: m, took: took, nodeTimeout: nodeTimeout, until: m.Until(), ended: make(chan struct{})}
	le.timer = time.AfterFunc(time.Until(le.until), le.end)
	return le
}

// end closes Done, once.
func (le *redsyncLease) end() {
	le.mu.Lock()
	defer le.mu.Unlock()
	le.endLocked()
}

func (le *redsyncLease) endLocked() {
	if !le.closed {
		le.closed = true
		close(le.ended)
	}
}

func (le *redsyncLease) token() fencing.Token   { return 0 } // redsync has no fencing token
func (le *redsyncLease) attempt() time.Duration { return le.took }
func (le *redsyncLease) done() <-chan struct{}  { return le.ended }

func (le *redsyncLease) validUntil() time.Time {
	le.mu.Lock()
	defer le.mu.Unlock()
	return le.until
}

// lost reports whether an Extend failed or the validity ran out, as ours reports a lease lost.
func (le *redsyncLease) lost() bool {
	le.mu.Lock()
	defer le.mu.Unlock()
	return le.failed || !time.Now().Before(le.until)
}

func (le *redsyncLease) extend(ctx context.Context) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, le.nodeTimeout)
	defer cancel()
	ok, err := le.m.ExtendContext(ctx)
	le.mu.Lock()
	defer le.mu.Unlock()
	if ok {
		le.until = le.m.Until()
		le.timer.Reset(time.Until(le.until))
		return false, nil
	}
	le.failed = true
	le.endLocked()
	return true, fmt.Errorf("redsync: extend failed: %w", errOrRefused(err))
}

func (le *redsyncLease) release(ctx context.Context) error {
	le.mu.Lock()
	le.timer.Stop()
	le.endLocked()
	le.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, le.nodeTimeout)
	defer cancel()
	if ok, err := le.m.UnlockContext(ctx); !ok {
		return fmt.Errorf("redsync: unlock not confirmed by a majority: %w", errOrRefused(err))
	}
	return nil
}

// errOrRefused is err, or an error that says the nodes refused without one.
func errOrRefused(err error) error {
	if err == nil {
		return errors.New("refused without an error")
	}
	return err
}
