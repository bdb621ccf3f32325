package quorum

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/quorumlock/quorumlock/clock"
	"github.com/quorumlock/quorumlock/fencing"
)

// Locker hands out leases on named locks held by a majority of its nodes. One Locker serves any
// number of names and goroutines: it is safe for concurrent use. Create it with Dial and stop it
// with Close.
type Locker struct {
	nodes []*redisNode
	opts  Options

	mu     sync.RWMutex // guards closed against tasks.Add
	closed bool
	tasks  sync.WaitGroup // every goroutine the Locker starts, and every call in progress

	bg     context.Context // cancelled by Close: stops keep-alives
	stopBg context.CancelFunc

	leftovers sync.Map      // name → owner of a failed attempt whose clean-up is in flight
	mutants   lockerMutants // empty unless built with the tag quorumlock_mutants
	extender  *extender     // extends every auto-extended lease
	notify    *notifier     // subscriptions to release announcements, for waiters
	queues    waitQueues    // per name: the callers of Acquire waiting their turn
	healing   []atomic.Bool // per node: a heal is in flight
	floorHint atomic.Uint64 // the highest floor a node reported: proposals start above it
}

// newLocker returns a Locker over nodes, with opts validated and defaulted.
func newLocker(nodes []*redisNode, opts Options) *Locker {
	bg, stop := context.WithCancel(context.Background())
	l := &Locker{
		nodes:   nodes,
		opts:    opts,
		bg:      bg,
		stopBg:  stop,
		healing: make([]atomic.Bool, len(nodes)),
	}
	l.extender = newExtender(l)
	l.notify = newNotifier(l)
	return l
}

// Options returns the Locker's options with every default filled in.
func (l *Locker) Options() Options { return l.opts }

// Nodes returns the names of the Locker's nodes, in order.
func (l *Locker) Nodes() []string {
	names := make([]string, len(l.nodes))
	for i, n := range l.nodes {
		names[i] = n.name
	}
	return names
}

// Close stops the keep-alives of every lease, waits for every call, clean-up and heal in
// progress (each bounded by its own timeout), and closes the connections, after writing the
// commands already issued. Leases still held are not released: their keys expire. Calls after
// Close return ErrClosed.
func (l *Locker) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	l.stopBg()
	l.tasks.Wait()
	l.notify.close()
	var errs []error
	for _, n := range l.nodes {
		if err := n.pipe.Close(); err != nil {
			errs = append(errs, &NodeError{Node: n.name, Op: "close", Err: err})
		}
	}
	return errors.Join(errs...)
}

// enter registers a call or goroutine in progress; it fails once the Locker is closed.
// Every successful enter is paired with l.tasks.Done().
func (l *Locker) enter() error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return ErrClosed
	}
	l.tasks.Add(1)
	return nil
}

// goChild runs f in a goroutine tracked by Close. Only a goroutine that is itself tracked (a
// call in progress, or a goroutine started by goBackground or goChild) may call it: the Locker
// may be closing, and Close still waits for f.
func (l *Locker) goChild(f func()) {
	l.tasks.Add(1)
	go func() {
		defer l.tasks.Done()
		f()
	}()
}

// goBackground runs f in a goroutine tracked by Close and reports true; after Close it does
// nothing and reports false. Untracked callers (timers) must use it instead of goChild.
func (l *Locker) goBackground(f func()) bool {
	if l.enter() != nil {
		return false
	}
	go func() {
		defer l.tasks.Done()
		f()
	}()
	return true
}

// propose returns a token proposal for one round: the wall clock in Unix microseconds, one
// above the highest counter a node reported, or one above the highest floor any node reported
// (after an operator's recovery, floors lie ahead of the clocks), whichever is largest. Tokens
// need no clock to be correct (nodes refuse proposals at or below their counters); the clock
// only makes refusals rare. It fails once a name's counters have reached MaxToken.
func (l *Locker) propose(name string, above fencing.Token) (fencing.Token, error) {
	above = max(above, fencing.Token(l.floorHint.Load()))
	if above >= fencing.MaxToken {
		return 0, fmt.Errorf("%w: %q: a node's fencing counter is at the maximum %d", ErrTokenSpace, name, fencing.MaxToken)
	}
	return max(fencing.Token(clock.Wall(l.opts.Clock).UnixMicro()), above+1), nil
}

// noteFloor raises the floor hint to a floor a node reported.
func (l *Locker) noteFloor(f fencing.Token) {
	for {
		old := l.floorHint.Load()
		if uint64(f) <= old || l.floorHint.CompareAndSwap(old, uint64(f)) {
			return
		}
	}
}

// randomID returns 128 bits from crypto/rand in hex: owners and incarnations.
func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}
