package proptest

import (
	"fmt"
	"slices"
	"time"
)

// checkLiveness verifies that the probe, a fresh client that starts once every fault has healed
// and every other client has closed, was granted the lock within LivenessBound. Where more than
// a minority of the nodes lost their data nobody can heal them (docs/PROTOCOL.md §6.5): a
// failure is then expected.
func checkLiveness(h *History) []Violation {
	bound := LivenessBound(h.Scenario)
	for _, o := range h.ops(OpAcquire) {
		if o.Client != ProbeClient {
			continue
		}
		if o.OK && o.Complete-o.Invoke <= bound {
			return nil
		}
		detail := fmt.Sprintf("after every fault healed, a fresh client was not granted within %v: %s", bound, o.Err)
		if o.OK {
			detail = fmt.Sprintf("after every fault healed, a fresh client was granted only after %v, bound %v",
				o.Complete-o.Invoke, bound)
		}
		if h.Diagnosis != "" {
			detail += " [servers then: " + h.Diagnosis + "]"
		}
		return []Violation{{Property: PropLiveness, Expected: h.Scenario.majorityLost(), Detail: detail}}
	}
	return []Violation{{Property: PropLiveness, Detail: "the history has no probe"}}
}

// checkLeftovers verifies that no lock key is left on the nodes once every fault has healed and
// every client's Locker has closed (which waits for clean-ups in flight): every lease was
// released, and every failed attempt cleaned up after itself (docs/PROTOCOL.md §8). A node that
// failed requests or delayed them may have refused a release or a clean-up that did reach the
// others; a node that was down (restart, rollback) missed them; and a node whose replies were
// lost, or that was cut off from a client, reset that client's connection, which loses the
// requests still queued on it. Their keys are excused: they expire within a TTL.
func checkLeftovers(h *History) []Violation {
	excusing := []FaultKind{FaultFail, FaultDelay, FaultRestart, FaultRollback, FaultPartition, FaultLoseReplies, FaultSlowLink}
	var excused []int
	for _, f := range h.Scenario.Faults {
		if slices.Contains(excusing, f.Kind) {
			excused = append(excused, f.Nodes...)
		}
	}
	var vs []Violation
	for i, keys := range h.LeftKeys {
		if len(keys) > 0 && !slices.Contains(excused, i) {
			vs = append(vs, Violation{Property: PropLeftover, Detail: fmt.Sprintf(
				"node %d still holds %v after every client closed", i, keys)})
		}
	}
	return vs
}

// minLatencySamples is how many grants must have run entirely under a stalled minority before
// their latency is judged: one slow grant can be a loaded machine, every one cannot.
const minLatencySamples = 3

// checkLatency verifies that a stalled minority does not hold up grants: a round decides as
// soon as a majority has answered and never waits for stragglers (docs/PROTOCOL.md §3.3). A
// round that waits for the stalled node takes at least NodeTimeout. So among the granted
// attempts that ran entirely while a minority of nodes was stalled (and no request was
// delayed), the fastest must be quicker than NodeTimeout, or at least not slower by half a
// NodeTimeout than the fastest attempt that met no fault at all: on a loaded machine every
// attempt is slow, but only waiting adds the stalled node's timeout.
func checkLatency(h *History) []Violation {
	s := h.Scenario
	var faults []Op
	for _, o := range h.ops(OpFault) {
		if o.Fault.Kind != FaultPause {
			faults = append(faults, o)
		}
	}
	var stalled, free []time.Duration
	for _, o := range h.ops(OpAcquire) {
		if !o.OK || o.Attempt <= 0 {
			continue
		}
		from := max(o.Invoke, o.Complete-o.Attempt-2*time.Millisecond)
		switch {
		case stalledMinority(s, faults, from, o.Complete):
			stalled = append(stalled, o.Attempt)
		case !slices.ContainsFunc(faults, func(f Op) bool { return f.Invoke <= o.Complete && f.Complete >= from }):
			free = append(free, o.Attempt)
		}
	}
	if len(stalled) < minLatencySamples || len(free) == 0 {
		return nil
	}
	fastest, baseline := slices.Min(stalled), slices.Min(free)
	if fastest < s.NodeTimeout || fastest-baseline < s.NodeTimeout/2 {
		return nil
	}
	return []Violation{{Property: PropLatency, Detail: fmt.Sprintf(
		"%d grants ran while a minority was stalled; the fastest took %v, NodeTimeout is %v, and the fastest of %d grants without faults took %v",
		len(stalled), fastest, s.NodeTimeout, len(free), baseline)}}
}

// stalledMinority reports whether, throughout [from, to], some node was stalled, at most a
// minority of nodes were stalled, and no other fault could have left too few of the other nodes
// to decide without the stalled ones: no delay, failure, lost replies, partition or restart in
// force, and no node forgetful since a data loss.
func stalledMinority(s Scenario, faults []Op, from, to time.Duration) bool {
	unavailable := []FaultKind{FaultDelay, FaultFail, FaultLoseReplies, FaultPartition, FaultRestart, FaultRollback,
		FaultSlowLink, FaultFreeze}
	covered := false
	var stalled []int
	for _, o := range faults {
		overlaps := o.Invoke <= to && o.Complete >= from
		switch {
		case o.Fault.forgets() && o.Invoke <= to:
			return false // a forgetful node refuses grants until healed, after its fault ended
		case !overlaps:
		case slices.Contains(unavailable, o.Fault.Kind):
			return false // the nodes that still answer may be too few to decide without the stalled
		case o.Fault.Kind == FaultStall:
			covered = covered || o.Invoke <= from && o.Complete >= to
			for _, n := range o.Fault.Nodes {
				if !slices.Contains(stalled, n) {
					stalled = append(stalled, n)
				}
			}
		}
	}
	return covered && len(stalled) <= minority(s.N)
}
