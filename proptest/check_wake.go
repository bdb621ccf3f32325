package proptest

import (
	"fmt"
	"time"
)

// checkWake verifies, where the scenario claims it (RetryDelayMax many TTLs, so that polling
// cannot stand in for it), that waiting is by notification: after a lease is released while
// another client waits for the lock, that client makes an attempt within wakeBound of the
// release (or its Acquire returns by then: an attempt in flight at the release decided),
// whoever wins the lock. A waiter that missed the announcement (it
// subscribed after the attempt that found the lock held, and did not try again) sleeps until
// its fallback poll, far later. Whether the attempt succeeds is not judged: on a loaded machine
// it may time out. A release during a fault is excused: announcements are lost with a node's
// connection.
func checkWake(h *History) []Violation {
	s := h.Scenario
	if s.RetryDelayMax == 0 {
		return nil
	}
	bound := wakeBound(s)
	acquires, faults := h.ops(OpAcquire), h.ops(OpFault)
	var vs []Violation
	for _, rel := range h.ops(OpRelease) {
		if !rel.OK || rel.Lost || rel.ValidUntil <= rel.Invoke || rel.Client == ProbeClient {
			continue // only a release that deleted a valid lease's keys announces it
		}
		until := rel.Complete + bound
		for _, w := range waitersAt(acquires, rel, s) {
			if w.Complete <= until || attemptedWithin(w, rel.Invoke, until) {
				continue // it returned (an attempt in flight at the release decided), or tried again
			}
			vs = append(vs, Violation{Property: PropWake, Expected: faultDuring(faults, rel.Invoke, until),
				Detail: fmt.Sprintf("client %d released token %d at %v while client %d waited (since %v); it made no attempt within %v after",
					rel.Client, rel.Token, rel.Complete, w.Client, w.Invoke, bound)})
		}
	}
	return vs
}

// wakeBound is how soon after a release a waiter woken by its announcement is granted: a wake
// and an attempt, on a loaded machine. A waiter that polls instead sleeps half of
// RetryDelayMax or more.
func wakeBound(s Scenario) time.Duration { return 2 * s.TTL }

// waitersAt returns the Acquires of other clients that were waiting when rel was called and
// could still have been granted well after it (their own bound, acquireWait, ends later).
func waitersAt(acquires []Op, rel Op, s Scenario) []Op {
	var out []Op
	for _, a := range acquires {
		if a.Client != rel.Client && a.Client != ProbeClient && a.Invoke < rel.Invoke && a.Complete > rel.Complete &&
			a.Invoke+acquireWait(s) > rel.Complete+wakeBound(s) {
			out = append(out, a)
		}
	}
	return out
}

// attemptedWithin reports whether Acquire a began an attempt in (from, to].
func attemptedWithin(a Op, from, to time.Duration) bool {
	for _, at := range a.Attempts {
		if at > from && at <= to {
			return true
		}
	}
	return false
}

// faultDuring reports whether a fault was in force at some time in [from, to].
func faultDuring(faults []Op, from, to time.Duration) bool {
	for _, f := range faults {
		if f.Invoke <= to && f.Complete >= from {
			return true
		}
	}
	return false
}
