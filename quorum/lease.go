package quorum

import (
	"context"
	"fmt"
	"github.com/quorumlock/quorumlock/internal/mutants"
	"sync"
	"time"

	"github.com/quorumlock/quorumlock/clock"
	"github.com/quorumlock/quorumlock/fencing"
)

// Lease is one grant of a named lock. It is safe for concurrent use. Its token is unique to this
// grant and greater than the token of every earlier grant of the name: pass it to the store the
// lock protects, which must refuse older tokens (package fencing).
//
// The lease holds until ValidUntil, which Extend moves forward. Done is closed the moment the
// lease is released, its validity runs out, or it is lost; Err then says which.
type Lease struct {
	l     *Locker
	name  string
	keys  keys
	owner string
	token fencing.Token

	mu         sync.Mutex
	validUntil time.Time // on the Locker's clock, with its monotonic reading
	err        error     // nil while held; wraps ErrReleased or ErrLeaseLost after
	expiry     clock.Timer
	done       chan struct{}
	settled    []bool // per node: answered every acquire of this owner, none still in flight
}

func (l *Locker) newLease(name string, req acquireRequest, start time.Time, settled []bool) *Lease {
	le := &Lease{
		l:          l,
		name:       name,
		keys:       req.keys,
		owner:      req.owner,
		token:      req.token,
		validUntil: l.validUntil(start),
		done:       make(chan struct{}),
		settled:    settled,
	}
	le.mu.Lock()
	le.armExpiry()
	le.mu.Unlock()
	return le
}

// validUntil returns the end of validity of keys set with TTL by a round that started at start:
// start + TTL − drift. The key set earliest expires no sooner than start + TTL on the node.
func (l *Locker) validUntil(start time.Time) time.Time {
	return start.Add(l.opts.TTL - l.drift())
}

// drift is the allowance for clock drift during one TTL.
func (l *Locker) drift() time.Duration {
	if l.mutant(mutants.NoDrift) {
		return 0
	}
	return clock.Drift(l.opts.TTL, l.opts.DriftFactor)
}

// validityLeft is clock.Validity for this Locker's TTL: what is left of a grant after elapsed.
func (l *Locker) validityLeft(elapsed time.Duration) time.Duration {
	return l.opts.TTL - elapsed - l.drift()
}

// Name returns the lock's name.
func (le *Lease) Name() string { return le.name }

// Token returns the fencing token of this grant.
func (le *Lease) Token() fencing.Token { return le.token }

// ValidUntil returns the time until which the lease is guaranteed, on the Locker's clock.
// Compare it only with that clock's Now (it carries a monotonic reading on the real clock).
func (le *Lease) ValidUntil() time.Time {
	le.mu.Lock()
	defer le.mu.Unlock()
	return le.validUntil
}

// Done returns a channel that is closed once the lease is released, expired or lost. It is
// never closed while the lease is still guaranteed.
func (le *Lease) Done() <-chan struct{} { return le.done }

// Err returns nil while the lease holds, an error wrapping ErrReleased after Release, and one
// wrapping ErrLeaseLost after its validity ran out or a majority stopped holding it.
func (le *Lease) Err() error {
	le.mu.Lock()
	defer le.mu.Unlock()
	return le.err
}

// armExpiry schedules the local end of validity. le.mu must be held.
func (le *Lease) armExpiry() {
	if le.expiry != nil {
		le.expiry.Stop()
	}
	d := le.validUntil.Sub(le.l.opts.Clock.Now())
	le.expiry = le.l.opts.Clock.AfterFunc(d, le.checkExpiry)
}

// checkExpiry ends the lease if its validity has run out (the timer may be an old one).
func (le *Lease) checkExpiry() {
	le.mu.Lock()
	defer le.mu.Unlock()
	if le.err != nil || le.l.opts.Clock.Now().Before(le.validUntil) {
		return
	}
	le.loseLocked(fmt.Errorf("%w: %q: validity ran out at %s", ErrLeaseLost, le.name, wallText(le.validUntil)))
}

// wallText prints a time of the Locker's clock for people: its wall-clock reading in UTC,
// without the monotonic reading that time.Time's String appends.
func wallText(t time.Time) string { return t.Round(0).UTC().Format("2006-01-02 15:04:05.000 UTC") }

// loseLocked ends a held lease as lost and cleans its keys up. le.mu must be held.
func (le *Lease) loseLocked(err error) {
	if le.err != nil {
		return
	}
	le.err = err
	le.expiry.Stop()
	close(le.done)
	le.l.opts.Observer.Observe(Event{Kind: EventLeaseLost, Name: le.name, Token: le.token, Err: err})
	le.l.cleanup(context.Background(), le.keys, le.owner, allNodes(len(le.l.nodes)), nil, le.l.goBackground)
}

// allNodes says that every one of n nodes may hold a key.
func allNodes(n int) []hold {
	all := make([]hold, n)
	for i := range all {
		all[i] = holdMaybe
	}
	return all
}

// Release ends the lease: it stops auto-extension first (no refresh happens after Release
// returns), then deletes the lock's key on every node where it still holds this lease's owner,
// never touching another owner's key. It returns once a majority of nodes has answered — the
// lock is then free for others — and leaves the slower nodes to finish in the background (Close
// waits for them). It runs on a context of its own with CleanupTimeout, so a cancelled ctx still
// releases. Release is idempotent. If fewer than a majority answered, it returns an error
// wrapping ErrUnavailable with the per-node errors; the keys that remain expire by themselves.
func (le *Lease) Release(ctx context.Context) error {
	le.mu.Lock()
	if le.err == nil {
		le.err = fmt.Errorf("%w: %q", ErrReleased, le.name)
		le.expiry.Stop()
		close(le.done)
	}
	le.mu.Unlock()
	le.l.extender.remove(le)
	if err := le.l.enter(); err != nil {
		return err
	}
	defer le.l.tasks.Done()
	// One round bounded by NodeTimeout, and by CleanupTimeout if that is shorter, on a context
	// of its own: a cancelled ctx still releases. The round's stragglers finish by themselves.
	call := &releaseCall{keys: le.keys, owner: le.owner, tombstoneTTL: le.l.tombstoneTTL(), settled: le.settled, q: le.l.opts.Quarantine, announce: le.token}
	timeout := min(le.l.opts.NodeTimeout, le.l.opts.CleanupTimeout)
	results := broadcast[bool](le.l, context.WithoutCancel(ctx), timeout, call).out
	t := newTally(len(le.l.nodes))
	var errs []error
	for !t.won() && !t.lost() {
		r := <-results
		t.add(r.err == nil)
		if r.err != nil {
			errs = append(errs, r.err)
		}
	}
	if t.won() {
		return nil
	}
	return outcome(fmt.Errorf("%w: release %q", ErrUnavailable, le.name), errs)
}
