package election

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/quorumlock/quorumlock/clock"
	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/quorum"
)

// Term is one term of leadership, won by Campaign: a lease on the election's name, extended in
// the background while the term holds. It is safe for concurrent use.
//
// Done is closed the moment the term ends: when it is resigned, when it is lost, and at the
// latest StopMargin before its validity (ValidUntil) runs out if no extension moved it meanwhile
// — never after that validity, so that a leader that stops acting at Done has stopped while its
// term was still guaranteed. Err then says why. An ended term is never extended again; a term
// that ended without Resign keeps its keys on the nodes until they expire (at most the Locker's
// TTL) or Resign is called. Call Resign once done with every term, ended or not.
type Term struct {
	lease  *quorum.Lease
	leader Leader
	clk    clock.Clock
	margin time.Duration
	lo     quorum.Options

	mu   sync.Mutex
	err  error         // nil while the term holds
	done chan struct{} // closed when err is set
	kept chan struct{} // closed when the keeper goroutine has returned
}

// newTerm starts the term of a lease just granted, or releases the lease and returns nil if it
// has no more than StopMargin of validity left: a term that would end at once.
func (e *Election) newTerm(lease *quorum.Lease) *Term {
	t := &Term{lease: lease, leader: Leader{ID: e.opts.ID, Token: lease.Token()}, clk: e.lo.Clock,
		margin: e.opts.StopMargin, lo: e.lo, done: make(chan struct{}), kept: make(chan struct{})}
	if t.trustLeft() <= 0 {
		_ = lease.Release(context.Background()) // on a context of its own, bounded by CleanupTimeout
		return nil
	}
	// The first extension's timer starts now, not when the goroutine runs: on a fake clock, a
	// step in between would be missed.
	go t.keep(t.clk.NewTimer(t.lo.ExtendInterval))
	return t
}

// Token returns the term's fencing token: strictly greater than every earlier term's. Pass it
// with every write the leader makes, and let the store refuse older ones (package fencing).
func (t *Term) Token() fencing.Token { return t.leader.Token }

// Leader returns the term's leader: this candidate's ID and the term's token.
func (t *Term) Leader() Leader { return t.leader }

// ValidUntil returns the end of the term's validity on the Locker's clock (Lease.ValidUntil):
// each extension moves it. Done is closed StopMargin before it, unless extended meanwhile.
func (t *Term) ValidUntil() time.Time { return t.lease.ValidUntil() }

// Done returns a channel that is closed when the term ends: resigned, lost, or StopMargin
// before its validity runs out without an extension. It is never closed later than that.
func (t *Term) Done() <-chan struct{} { return t.done }

// Err returns nil while the term holds; once it ended, an error wrapping ErrResigned,
// ErrTermLost (with the quorum error, if the lease was lost), or ErrStopTimeout (Run gave it
// up while its function would not return).
func (t *Term) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// Resign ends the term at once: Done is closed, extensions stop (none is sent after Resign
// returns), and the lease is released, so that another candidate's Campaign may win. Call it
// only once this leader has stopped acting as one. The release runs on a context of its own
// (quorum.Lease.Release), so a cancelled ctx still releases. Resign is idempotent; it returns
// the release's error, which only delays the next term until the keys expire.
func (t *Term) Resign(ctx context.Context) error {
	t.end(fmt.Errorf("%w: term %d of %q", ErrResigned, t.Token(), t.lease.Name()))
	<-t.kept
	if err := t.lease.Release(ctx); err != nil {
		return fmt.Errorf("election: resign term %d of %q: %w", t.Token(), t.lease.Name(), err)
	}
	return nil
}

// end ends the term with err, unless it has ended already.
func (t *Term) end(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err == nil {
		t.err = err
		close(t.done)
	}
}

// trustLeft returns how long the term may still be trusted: until StopMargin before its
// validity ends.
func (t *Term) trustLeft() time.Duration {
	return t.lease.ValidUntil().Add(-t.margin).Sub(t.clk.Now())
}
