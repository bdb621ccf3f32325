package election

import (
	"context"
	"errors"
	"fmt"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/quorum"
)

// Election is one candidate in the election of a name, on a Locker: it campaigns for terms
// (Campaign, Run) and reads who leads (Leader, Observe). It is safe for concurrent use; one
// Election may campaign and observe at once. Every candidate of a name must use a Locker over
// the same nodes, key prefix and TTL.
type Election struct {
	l    *quorum.Locker
	name string
	opts Options        // with defaults
	lo   quorum.Options // the Locker's, with defaults
	err  error          // invalid options: every call fails with it
}

// Leader is who leads: the ID of the candidate that holds the current term, and the term's
// fencing token. The zero Leader stands for a vacancy.
type Leader struct {
	ID    string
	Token fencing.Token
}

// IsZero reports whether l is the zero Leader: nobody leads.
func (l Leader) IsZero() bool { return l == Leader{} }

// New returns the candidate opts.ID in the election of name on locker. New does not fail: an
// invalid ID or Options make every call of the Election fail with an error wrapping
// ErrInvalidOptions that names the fields at fault (Observe's channel is closed at once), and
// an invalid name every call with quorum.ErrInvalidName. New panics if locker is nil.
func New(locker *quorum.Locker, name string, opts Options) *Election {
	if locker == nil {
		panic("election: New with a nil Locker")
	}
	lo := locker.Options()
	opts = opts.withDefaults(lo)
	return &Election{l: locker, name: name, opts: opts, lo: lo, err: opts.validate(lo)}
}

// Name returns the name of the election.
func (e *Election) Name() string { return e.name }

// ID returns this candidate's ID, as Leader and Observe report it while it leads.
func (e *Election) ID() string { return e.opts.ID }

// Campaign blocks until this candidate leads, and returns its term, or until ctx ends. A term is
// the grant of the name's lock to this candidate (Locker.Acquire with quorum.As(ID)): its token
// is strictly greater than every earlier term's, and within the lock's timing model no other
// term of the name holds at the same time. The term is extended in the background until it is
// resigned or lost; Term.Done says when to stop acting as leader. Campaign returns only terms
// with more than StopMargin of validity left.
//
// When ctx ends, Campaign returns an error wrapping ctx.Err() and the last attempt's error, and
// leaves no key behind (Acquire cleans up its attempts). quorum.ErrNeedsHeal, an invalid name or
// Options and a closed Locker fail at once.
func (e *Election) Campaign(ctx context.Context) (*Term, error) {
	if e.err != nil {
		return nil, e.err
	}
	for {
		lease, err := e.l.Acquire(ctx, e.name, quorum.As(e.opts.ID))
		if err != nil {
			return nil, fmt.Errorf("election: campaign for %q as %q: %w", e.name, e.opts.ID, err)
		}
		if t := e.newTerm(lease); t != nil {
			return t, nil
		}
		// Granted after so slow a round that the term would end at once: released, try again.
	}
}

// Leader reads who leads: the ID and token of the term that a majority of the nodes hold
// (Locker.Holder). It returns an error wrapping ErrNoLeader when no term holds a majority of the
// nodes that answered while a majority did answer — nobody leads, or a term is changing hands —
// and the Locker's errors as they are otherwise (quorum.ErrUnavailable when fewer than a
// majority answered). It is a read: it can still show a term that has just ended on its
// leader's clock, or not yet one being won, and it can show a candidate whose attempt held a
// majority for a moment but failed (its round was too slow) and was withdrawn: a term that never
// began. The token tells them apart; only the leader's own Term says that it leads.
func (e *Election) Leader(ctx context.Context) (Leader, error) {
	if e.err != nil {
		return Leader{}, e.err
	}
	h, err := e.l.Holder(ctx, e.name)
	switch {
	case errors.Is(err, quorum.ErrNoHolder):
		return Leader{}, fmt.Errorf("%w of %q", ErrNoLeader, e.name)
	case err != nil:
		return Leader{}, err
	}
	return Leader{ID: h.ID, Token: h.Token}, nil
}
