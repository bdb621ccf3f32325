package proptest

import (
	"fmt"
	"time"
)

// checkWake verifies, where the scenario claims it (RetryDelayMax many TTLs, so that polling
// cannot stand in for it), that waiting is by notification: after a lease is released while
// another client waits for the lock, some client is granted within wakeBound of the release.
// A waiter that missed the announcement (it subscribed after the attempt that found the lock
// held, and did not try again) sleeps until its fallback poll, far later. A release during a
// fault is excused: announcements are lost with a node's connection, and attempts may fail.
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
		w, waiting := waiterAt(acquires, rel, s)
		if !waiting || grantedWithin(acquires, rel.Invoke, rel.Complete+bound) {
			continue
		}
		v := Violation{Property: PropWake, Expected: faultDuring(faults, rel.Invoke, rel.Complete+bound),
			Detail: fmt.Sprintf("client %d released token %d at %v while client %d waited (since %v), and nobody was granted within %v after",
				rel.Client, rel.Token, rel.Complete, w.Client, w.Invoke, bound)}
		vs = append(vs, v)
	}
	return vs
}

// wakeBound is how soon after a release a waiter woken by its announcement is granted: a wake
// and an attempt, on a loaded machine. A waiter that polls instead sleeps half of
// RetryDelayMax or more.
func wakeBound(s Scenario) time.Duration { return 2 * s.TTL }

// waiterAt returns an Acquire of another client that was waiting when rel was called and could
// still have been granted well after it (its own bound, acquireWait, ends later).
func waiterAt(acquires []Op, rel Op, s Scenario) (Op, bool) {
	for _, a := range acquires {
		if a.Client != rel.Client && a.Client != ProbeClient && a.Invoke < rel.Invoke && a.Complete > rel.Complete &&
			a.Invoke+acquireWait(s) > rel.Complete+wakeBound(s) {
			return a, true
		}
	}
	return Op{}, false
}

// grantedWithin reports whether an Acquire returned a grant in [from, to].
func grantedWithin(acquires []Op, from, to time.Duration) bool {
	for _, a := range acquires {
		if a.OK && a.Complete >= from && a.Complete <= to {
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
