package proptest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// checkPermits verifies that no more permits of the semaphore were believed held at once than
// it has, counting the leases of every slot (and any permit without one) as checkExclusion
// counts one lock's: from the grant to the end of belief. Outside the timing model an excess is
// reported as expected.
func checkPermits(s Scenario, subs []*History) []Violation {
	type edge struct {
		at    time.Duration
		delta int
		l     lease
	}
	var edges []edge
	for _, sub := range subs {
		for _, l := range leasesOf(sub) {
			if l.granted < l.end {
				edges = append(edges, edge{l.granted, +1, l}, edge{l.end, -1, l})
			}
		}
	}
	// Ends before starts at one instant: a permit handed over at t is not two held at t.
	slices.SortFunc(edges, func(a, b edge) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.delta, b.delta)) })
	var held []lease
	for _, e := range edges {
		if e.delta < 0 {
			held = slices.DeleteFunc(held, func(l lease) bool { return l.id == e.l.id })
			continue
		}
		held = append(held, e.l)
		if len(held) > s.Permits {
			outside := s.OutsideTimingModel()
			detail := fmt.Sprintf("%d permits of %d believed held at %v: %v", len(held), s.Permits, e.at, held)
			if len(outside) > 0 {
				detail += " (" + strings.Join(outside, "; ") + ")"
			}
			return []Violation{{Property: PropPermits, Expected: len(outside) > 0, Detail: detail}}
		}
	}
	return nil
}
