package election

import "errors"

// Sentinel errors. Errors of this package wrap one of them, or the quorum error that caused them
// (errors.Is(err, quorum.ErrUnavailable) works on them), or both.
var (
	// ErrNoLeader is returned by Leader when no term holds the name: nobody leads, or a term is
	// changing hands.
	ErrNoLeader = errors.New("election: no leader")
	// ErrResigned is wrapped by Term.Err once the term was resigned (Resign, or Run after its
	// function returned).
	ErrResigned = errors.New("election: resigned")
	// ErrTermLost is wrapped by Term.Err once the term can no longer be trusted: its lease was
	// not extended in time (StopMargin before its validity runs out), a majority of the nodes
	// no longer holds it, or its Locker was closed.
	ErrTermLost = errors.New("election: term lost")
	// ErrStopTimeout is wrapped by the error of Run when its function did not return within
	// Options.StopTimeout of its context's end: the term was then left to expire instead of
	// being released while the function might still act as leader. Term.Err wraps it too if
	// the term still held at that moment (Run's context had ended).
	ErrStopTimeout = errors.New("election: leader function did not return in time")
	// ErrInvalidOptions is wrapped by every error that rejects an Options value or an ID.
	ErrInvalidOptions = errors.New("election: invalid options")
)
