package proptest

import (
	"fmt"

	"github.com/quorumlock/quorumlock/fencing"
)

// checkObserve verifies what the election's observer reported (OpObserve), in order: every
// leader it names holds a token that some attempt proposed (OpGrant: a term, or an attempt that
// held a majority for a moment before it was withdrawn, which reads can see), tokens never go back and a leader is
// not reported twice in a row (PropObserveOrder), and between two different leaders it reports
// a vacancy (PropObserveVacancy): their terms cannot overlap, so one ended before the other
// began. These need no clock.
func checkObserve(h *History) []Violation {
	granted := map[fencing.Token]bool{}
	for _, o := range h.Ops {
		if (o.Kind == OpAcquire || o.Kind == OpGrant) && o.OK {
			granted[o.Token] = true
		}
	}
	var vs []Violation
	var last fencing.Token // the last leader reported
	vacant := true         // a vacancy was reported since last
	for _, o := range h.ops(OpObserve) {
		switch {
		case o.Token == 0:
			vacant = true
			continue
		case !granted[o.Token]:
			vs = append(vs, Violation{Property: PropObserveOrder, Detail: fmt.Sprintf(
				"at %v the observer reported a leader with token %d, which the lock never granted", o.Invoke, o.Token)})
		case o.Token < last || o.Token == last && !vacant:
			vs = append(vs, Violation{Property: PropObserveOrder, Detail: fmt.Sprintf(
				"at %v the observer reported the leader with token %d after the one with token %d", o.Invoke, o.Token, last)})
		case last != 0 && o.Token > last && !vacant:
			vs = append(vs, Violation{Property: PropObserveVacancy, Detail: fmt.Sprintf(
				"at %v the observer went from the leader with token %d to the one with token %d without reporting a vacancy",
				o.Invoke, last, o.Token)})
		}
		last, vacant = max(last, o.Token), false
	}
	return vs
}
