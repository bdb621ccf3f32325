package quorum

import (
	"errors"
	"fmt"
)

// Sentinel errors. Outcome errors wrap one of them; per-node causes are joined beside it as
// *NodeError values, so both errors.Is(err, ErrNotAcquired) and errors.As(err, &nodeErr) work.
var (
	// ErrNotAcquired is returned when the lock is held by someone else: at least one node
	// answered that another owner holds the key and a majority could no longer be reached.
	// It is also returned when a majority granted but no validity was left.
	ErrNotAcquired = errors.New("quorum: not acquired")
	// ErrUnavailable is returned when no node refused because of another holder, but too few
	// nodes could be reached (errors, timeouts, amnesic nodes) to form a majority.
	ErrUnavailable = errors.New("quorum: majority of nodes unavailable")
	// ErrLeaseLost is returned when a lease can no longer be guaranteed: its validity ran out,
	// or a majority of nodes no longer holds it.
	ErrLeaseLost = errors.New("quorum: lease lost")
	// ErrReleased is returned by Extend on a lease that was released.
	ErrReleased = errors.New("quorum: lease released")
	// ErrClosed is returned by calls on a closed Locker.
	ErrClosed = errors.New("quorum: locker closed")
	// ErrNeedsHeal is returned when more nodes are amnesic (new, restarted, or lost their data)
	// than a majority can spare, so that no automatic heal can ever run: nothing can be granted
	// until an operator runs `quorumlock heal` (Locker.Heal). Acquire and Do return it at once
	// instead of waiting. A new deployment needs it once, before its first grant.
	ErrNeedsHeal = errors.New("quorum: the deployment needs an operator")
	// ErrNodeAmnesic is the cause in a NodeError for a node that has no trusted record of its
	// past (it is new, lost its data, or its server restarted) and refuses grants until healed.
	ErrNodeAmnesic = errors.New("quorum: node is amnesic")
	// ErrTokenSpace is returned when a node's fencing counter for a name has reached
	// fencing.MaxToken, so no larger token can be granted; nodes refuse proposals more than a day
	// ahead of their clocks, so only a node whose clock was that far ahead can cause it.
	ErrTokenSpace = errors.New("quorum: fencing token space exhausted")
	// ErrInvalidName is returned for a lock name that is empty, too long or malformed.
	ErrInvalidName = errors.New("quorum: invalid lock name")
	// ErrInvalidOptions is wrapped by every error that rejects an Options value.
	ErrInvalidOptions = errors.New("quorum: invalid options")
)

// NodeError is the failure of one operation on one node.
type NodeError struct {
	Node string // Node.Name()
	Op   string // "acquire", "extend", "release", "heal", "inspect", "dial"
	Err  error
}

func (e *NodeError) Error() string {
	return fmt.Sprintf("quorum: %s on node %s: %v", e.Op, e.Node, e.Err)
}

// Unwrap returns the cause.
func (e *NodeError) Unwrap() error { return e.Err }

// outcome joins a sentinel with the per-node errors that explain it.
func outcome(sentinel error, nodeErrs []error) error {
	if len(nodeErrs) == 0 {
		return sentinel
	}
	return errors.Join(append([]error{sentinel}, nodeErrs...)...)
}
