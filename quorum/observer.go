package quorum

import (
	"time"

	"github.com/quorumlock/quorumlock/fencing"
)

// Observer receives events from a Locker, for metrics and logs. Observe is called synchronously
// from the goroutine that produced the event, possibly from many goroutines at once: it must be
// safe for concurrent use, fast, and must not block. Package quorum depends on no metrics library;
// adapters live elsewhere.
type Observer interface {
	Observe(Event)
}

// EventKind says what an Event reports.
type EventKind int

// The kinds of Event.
const (
	// EventAcquire: one TryAcquire ended. Err is nil when granted; Token is the grant's token.
	// When the attempt failed, Token is the token its last round proposed (0 if none): nodes
	// may have granted it, some too late to count, and held its keys until cleaned up, so a
	// read (Holder) in between may have seen it. Earlier rounds' tokens are EventTokenRefused's.
	EventAcquire EventKind = iota + 1
	// EventNode: one call to one node ended. Op names the call; Status and Token (the token
	// the round proposed) are set for "acquire"; Batch is set for a successful auto-extension
	// batch ("extend"). Failed calls of every operation are reported; successful ones for
	// "acquire" and auto-extension batches.
	EventNode
	// EventExtend: one Extend ended. Err is nil when extended.
	EventExtend
	// EventLeaseLost: a lease can no longer be guaranteed. Err says why.
	EventLeaseLost
	// EventHeal: a node was healed (Err nil) or a heal failed.
	EventHeal
	// EventTokenRefused: a proposal was refused as stale and retried with a higher token.
	EventTokenRefused
)

// Event is one observation. Fields that do not apply to its Kind are zero.
type Event struct {
	Kind     EventKind
	Name     string        // lock name
	Node     string        // node name, for EventNode and EventHeal
	Op       string        // node operation, for EventNode
	Status   AcquireStatus // node answer, for EventNode with Op "acquire"
	Token    fencing.Token // grant or lease token
	Duration time.Duration // how long it took, on the monotonic clock
	Batch    int           // leases in an auto-extension batch, for EventNode with Op "extend"
	Err      error
}

type nopObserver struct{}

func (nopObserver) Observe(Event) {}
