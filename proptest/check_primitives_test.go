package proptest_test

import (
	"slices"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/proptest"
)

// electionHistory is goodHistory as terms of an election (tokens 10, 20 and 30, one after
// another), with an observer that reported obs in order (0 for a vacancy).
func electionHistory(obs ...fencing.Token) *proptest.History {
	h := goodHistory()
	h.Scenario.Workload = proptest.WorkloadElection
	for i, tok := range obs {
		at := 400*ms + time.Duration(i)*ms
		h.Ops = append(h.Ops, proptest.Op{Client: proptest.ObserverClient, Kind: proptest.OpObserve,
			Invoke: at, Complete: at, OK: true, Token: tok})
	}
	return h
}

// TestCheckObserve: the observer's reports are checked against the terms: each change in
// order with a vacancy between two leaders, and only leaders that some attempt proposed.
func TestCheckObserve(t *testing.T) {
	for _, tc := range []struct {
		name   string
		h      *proptest.History
		breach []proptest.Property
	}{
		{"every change", electionHistory(0, 10, 0, 20, 0, 30, 0), nil},
		{"a term missed between vacancies", electionHistory(10, 0, 30), nil},
		{"a leader seen again after a missed read", electionHistory(10, 0, 10, 0, 20), nil},
		{"no vacancy between two leaders", electionHistory(10, 20), []proptest.Property{proptest.PropObserveVacancy}},
		{"a term going back", electionHistory(20, 0, 10), []proptest.Property{proptest.PropObserveOrder}},
		{"a leader reported twice", electionHistory(10, 10), []proptest.Property{proptest.PropObserveOrder}},
		{"a token never proposed", electionHistory(15), []proptest.Property{proptest.PropObserveOrder}},
		{"a withdrawn attempt", withGrant(electionHistory(0, 15, 0, 20), 15), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := proptest.Check(tc.h).Breached(); !slices.Equal(got, tc.breach) {
				t.Errorf("breached %v, want %v\n%v", got, tc.breach, proptest.Check(tc.h))
			}
		})
	}
}

// withGrant adds an attempt that proposed tok and was withdrawn (OpGrant without a term).
func withGrant(h *proptest.History, tok fencing.Token) *proptest.History {
	h.Ops = append(h.Ops, proptest.Op{Client: 0, Kind: proptest.OpGrant, Invoke: 350 * ms, Complete: 350 * ms, OK: true, Token: tok})
	return h
}

// semaphoreHistory has permits slots and one update per entry of res (the slot, or permits for
// a permit without a slot), each 5 ms long, starting at starts, and the probe's in slot 0.
func semaphoreHistory(permits int, res []int, starts []time.Duration) *proptest.History {
	s := proptest.Scenario{Seed: 1, N: 3, Clients: len(res), TTL: 200 * ms, NodeTimeout: 30 * ms,
		DriftFactor: 0.01, Ops: 1, Workload: proptest.WorkloadSemaphore, Permits: permits}
	h := &proptest.History{Scenario: s, LeftKeys: make([][]string, 3)}
	finals := make([][]int, permits+1)
	for i, r := range res {
		elem := (i + 2) * 1000
		for _, o := range update(i, i+1, fencing.Token(10*(i+1)), starts[i], nil, elem) {
			o.Res = r
			h.Ops = append(h.Ops, o)
		}
		finals[r] = append(finals[r], elem)
	}
	h.Ops = append(h.Ops, update(proptest.ProbeClient, len(res)+1, 1000, 600*ms, slices.Clone(finals[0]), 1000)...) // the probe, in slot 0
	finals[0] = append(finals[0], 1000)
	slices.Sort(finals[0])
	for r, f := range finals {
		h.Ops = append(h.Ops, proptest.Op{Kind: proptest.OpFinal, Invoke: 900 * ms, Complete: 900 * ms, OK: true,
			Value: f, Seq: 2*len(res) + 1, Res: r})
	}
	return h
}

// TestCheckPermits: more permits believed held at once than the semaphore has is a breach, on
// slots or without one (a permit counted on a plain majority has none); as many is not.
func TestCheckPermits(t *testing.T) {
	at := []time.Duration{0, ms, 2 * ms} // held together from 3 ms to 4 ms
	later := []time.Duration{0, ms, 300 * ms}
	for _, tc := range []struct {
		name   string
		h      *proptest.History
		breach []proptest.Property
	}{
		{"two of two", semaphoreHistory(2, []int{0, 1}, at), nil},
		{"three of three", semaphoreHistory(3, []int{0, 1, 2}, at), nil},
		{"three of two, one without a slot", semaphoreHistory(2, []int{0, 1, 2}, at), []proptest.Property{proptest.PropPermits}},
		{"three of two, one after the others", semaphoreHistory(2, []int{0, 1, 2}, later), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := proptest.Check(tc.h).Breached(); !slices.Equal(got, tc.breach) {
				t.Errorf("breached %v, want %v\n%v", got, tc.breach, proptest.Check(tc.h))
			}
		})
	}
}
