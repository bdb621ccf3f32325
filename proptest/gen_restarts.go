package proptest

import (
	"math/rand/v2"
	"time"
)

// buildRolling: every node restarts, one after another, in a random order, as in a rolling
// upgrade; the gaps are sometimes longer than a quarantine (each node is healed before the
// next goes) and sometimes shorter (a majority, then every node, is amnesic at once), and the
// restarts sometimes fall in a quiet window in which no client calls the nodes (an idle rolling
// restart, seen only afterwards). Client 0's wall clock runs ahead, so that its tokens lie above
// what the others propose: a deployment that bootstrapped itself after forgetting them would
// hand out smaller tokens (auto-bootstrap), or a second lease while the first is held.
func buildRolling(r *rand.Rand, s *Scenario) {
	s.N, s.Clients, s.Ops = []int{3, 3, 5}[r.IntN(3)], 2+r.IntN(2), 3
	s.ExpirePct, s.ExtendPct, s.Hold = 40, 20, s.TTL/3
	s.Faults = []Fault{{Kind: FaultWallStep, Client: 0, Step: between(r, 10*time.Minute, 2*time.Hour)}}
	at := between(r, s.TTL/2, s.TTL)
	persist := r.IntN(4) == 0
	if r.IntN(3) == 0 { // idle: no update starts while the nodes restart
		s.QuietAt, s.QuietFor = at-s.TTL/4, time.Duration(s.N+1)*s.TTL
	}
	gap := between(r, 0, 3*s.TTL/2)
	if r.IntN(2) == 0 {
		gap = between(r, 0, s.TTL/4) // faster than a quarantine: a majority at once
	}
	for _, n := range r.Perm(s.N) {
		s.Faults = append(s.Faults, Fault{At: at, Kind: FaultRestart, Nodes: []int{n},
			Duration: between(r, 5*time.Millisecond, s.TTL/4), Persist: persist})
		at += gap
	}
}

// buildRollback: a node restarts from a snapshot of its data taken earlier (an RDB reload, a
// failover to a lagging replica, a restored backup), having granted meanwhile, while another
// node was failing, so that those grants lived on it and one other node only. Its marker comes
// back saying ok with counters that went back, and without the lock key of a lease still held;
// only the marker's record of the server process (a restart is a restart) keeps it from
// granting a second lease or a smaller token (marker-blind). Client 2's clock runs behind.
func buildRollback(r *rand.Rand, s *Scenario) {
	s.N, s.Clients, s.Ops = 3, 3, 4
	s.TTL = between(r, 600*time.Millisecond, 900*time.Millisecond) // long windows, even under -race
	s.NodeTimeout = between(r, 30*time.Millisecond, 60*time.Millisecond)
	s.ExpirePct, s.ExtendPct, s.Hold = 80, 30, s.TTL/2
	perm := r.Perm(3)
	snapAt := between(r, s.TTL/4, s.TTL/2)
	back := between(r, s.TTL/2, s.TTL)
	s.Faults = []Fault{
		{Kind: FaultWallStep, Client: 2, Step: -between(r, time.Second, 10*time.Minute)},
		{At: snapAt, Kind: FaultRollback, Nodes: perm[:1], Duration: back},
		{At: snapAt + between(r, 0, s.TTL/8), Kind: FaultFail, Nodes: perm[2:], Duration: back + between(r, 0, s.TTL/8)},
	}
}

// buildFreeze: clients pause, as processes do (GC, SIGSTOP, a VM steal), at any point of their
// Locker's work: between a round and its use (a grant's validity, an extension, a heal), while
// a minority of nodes is stalled or forgetful, so that replies come back after NodeTimeout and
// heals are decided after the pause.
func buildFreeze(r *rand.Rand, s *Scenario) {
	s.N, s.Clients, s.Ops = 3+2*r.IntN(2), 2+r.IntN(2), 3
	s.ExpirePct, s.ExtendPct, s.Hold = 20, 40, s.TTL/4
	for c := range s.Clients {
		for range 1 + r.IntN(3) {
			s.Faults = append(s.Faults, Fault{At: between(r, 0, 3*s.TTL), Kind: FaultFreeze, Client: c,
				Duration: between(r, s.NodeTimeout, 2*s.TTL)})
		}
	}
	lost := r.IntN(s.N)
	s.Faults = append(s.Faults,
		Fault{At: between(r, 0, s.TTL), Kind: FaultDataLoss, Nodes: []int{lost}},
		Fault{At: between(r, s.TTL, 2*s.TTL), Kind: FaultStall, Nodes: []int{lost}, Duration: between(r, s.TTL/2, 2*s.TTL)})
}
