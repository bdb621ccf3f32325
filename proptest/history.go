package proptest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
)

// OpKind names one kind of recorded operation.
type OpKind string

// The kinds of recorded operation.
const (
	OpAcquire OpKind = "acquire" // Locker.Acquire; OK with Token and ValidUntil when granted
	OpExtend  OpKind = "extend"  // Lease.Extend; ValidUntil after it; Lost if it lost the lease
	OpRelease OpKind = "release" // Lease.Release; ValidUntil and Lost as seen just before it
	OpRead    OpKind = "read"    // fenced read-for-update: raises the fence, returns the set
	OpWrite   OpKind = "write"   // fenced write of the set with one element added
	OpFinal   OpKind = "final"   // the store's set at the end of the run
	OpFault   OpKind = "fault"   // a fault, from when it was applied to when it was healed
	OpHeal    OpKind = "heal"    // the operator's recovery (quorum.Locker.Heal) by the probe; Err says why not
	OpPanic   OpKind = "panic"   // Locker.Do whose function panicked, recovered by its caller; OK if the lease was released
	OpObserve OpKind = "observe" // election.Observe reported a leader (Token), or a vacancy (Token 0)
	OpGrant   OpKind = "grant"   // election: a candidate's attempt proposed Token, a term or not (checkObserve)
)

// ProbeClient is the Client of the liveness probe's operations: a fresh Locker that acquires
// once every fault has healed.
const ProbeClient = -1

// Op is one recorded operation. Invoke and Complete are offsets from the start of the run on the
// monotonic clock; Invoke is taken before the call and Complete after it returns, so the real
// operation lies inside [Invoke, Complete].
type Op struct {
	Client     int             `json:"client"` // ProbeClient for the probe; unused for faults
	Kind       OpKind          `json:"kind"`
	Invoke     time.Duration   `json:"invoke"`
	Complete   time.Duration   `json:"complete"`
	OK         bool            `json:"ok"` // granted, extended, released, admitted by the fence
	Err        string          `json:"err,omitempty"`
	Lease      int             `json:"lease,omitempty"` // 1-based index of the grant the op belongs to
	Token      fencing.Token   `json:"token,omitempty"`
	ValidUntil time.Duration   `json:"valid_until,omitempty"` // acquire, extend, release
	Lost       bool            `json:"lost,omitempty"`        // extend, release: the lease was lost
	Attempt    time.Duration   `json:"attempt,omitempty"`     // acquire: duration of the winning attempt
	Elem       int             `json:"elem,omitempty"`        // write: the element added
	Value      []int           `json:"value,omitempty"`       // read, final: the set; write: the set written
	Seq        int             `json:"seq,omitempty"`         // read, write: position in the store's order
	Fault      *Fault          `json:"fault,omitempty"`       // fault: what was injected
	Res        int             `json:"res,omitempty"`         // the lock and store the op belongs to (resourceName)
	Attempts   []time.Duration `json:"attempts,omitempty"`    // acquire, where PropWake is claimed: when each attempt began
}

func (o Op) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%v, %v] c%d %s", o.Invoke, o.Complete, o.Client, o.Kind)
	if o.Lease > 0 {
		fmt.Fprintf(&b, " lease %d", o.Lease)
	}
	if o.Token > 0 {
		fmt.Fprintf(&b, " token %d", o.Token)
	}
	fmt.Fprintf(&b, " ok=%v", o.OK)
	if o.Fault != nil {
		fmt.Fprintf(&b, " %v", *o.Fault)
	}
	if o.Err != "" {
		fmt.Fprintf(&b, " err=%q", o.Err)
	}
	return b.String()
}

// History is everything one run recorded.
type History struct {
	Scenario Scenario   `json:"scenario"`
	Mutant   string     `json:"mutant,omitempty"`
	Against  string     `json:"against,omitempty"` // the peer library that ran it (PeerRedsync), or "" for ours
	Ops      []Op       `json:"ops"`
	LeftKeys [][]string `json:"left_keys"` // lock keys on each node after every Locker closed
	// Diagnosis says how each server answered a PING of its own right after a failed probe.
	Diagnosis string `json:"diagnosis,omitempty"`
	// NodeGrants are the grants each node replied to our clients' acquire rounds.
	NodeGrants []NodeGrant `json:"node_grants,omitempty"`
	Elapsed    time.Duration
}

// ops returns the operations of one kind, in the order they were recorded.
func (h *History) ops(kind OpKind) []Op {
	var out []Op
	for _, o := range h.Ops {
		if o.Kind == kind {
			out = append(out, o)
		}
	}
	return out
}

// recorder collects operations from many goroutines on one monotonic clock.
type recorder struct {
	start time.Time // carries a monotonic reading

	mu     sync.Mutex
	ops    []Op
	leases int
}

func newRecorder() *recorder { return &recorder{start: time.Now()} }

// now returns the offset from the start of the run.
func (r *recorder) now() time.Duration { return time.Since(r.start) }

// offset converts a time taken on the monotonic clock (such as Lease.ValidUntil) to an offset.
func (r *recorder) offset(t time.Time) time.Duration { return t.Sub(r.start) }

// add records o.
func (r *recorder) add(o Op) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops = append(r.ops, o)
}

// newLease returns the index of a new grant.
func (r *recorder) newLease() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.leases++
	return r.leases
}

// history returns the operations recorded so far, ordered by invocation.
func (r *recorder) history() []Op {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := slices.Clone(r.ops)
	slices.SortStableFunc(out, func(a, b Op) int { return cmp.Compare(a.Invoke, b.Invoke) })
	return out
}
