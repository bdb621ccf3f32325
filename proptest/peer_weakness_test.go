package proptest_test

import (
	"context"
	"slices"
	"testing"

	"github.com/quorumlock/quorumlock/proptest"
)

// sideBySide runs s on ours and on redsync, and returns the checker's verdicts.
func sideBySide(t *testing.T, s proptest.Scenario) (ours, theirs proptest.Result, peer *proptest.History) {
	t.Helper()
	h, err := proptest.Run(context.Background(), s, proptest.RunConfig{})
	if err != nil {
		t.Fatal(err)
	}
	peer, err = proptest.Run(context.Background(), s, proptest.RunConfig{Against: proptest.PeerRedsync})
	if err != nil {
		t.Fatal(err)
	}
	return proptest.Check(h), proptest.Check(peer), peer
}

// breached reports whether res breached p where it is claimed.
func breached(res proptest.Result, p proptest.Property) bool {
	return slices.Contains(res.Breached(), p)
}

// expectPeerBreach runs s side by side until redsync breaches p (at most three times: the
// interleaving of a run depends on the machine's load), and checks that ours never fails.
func expectPeerBreach(t *testing.T, s proptest.Scenario, p proptest.Property) *proptest.History {
	t.Helper()
	for try := 0; ; try++ {
		ours, theirs, peer := sideBySide(t, s)
		if ours.Failed() {
			t.Fatalf("ours breached %v:\n%v", ours.Breached(), ours)
		}
		if breached(theirs, p) {
			t.Logf("redsync:\n%v", theirs)
			return peer
		}
		if try == 2 {
			t.Fatalf("redsync never breached %s; last verdict:\n%v", p, theirs)
		}
	}
}

// TestRedsyncLosesTheUpdateOfAPausedHolder: both clients pause past their lease between their
// read and their write. The second reads the set before the first has written, so without
// fencing the store takes both writes in arrival order, and the later one, from a stale read,
// drops the first one's element: an acknowledged update is lost. Ours refuses the stale write.
func TestRedsyncLosesTheUpdateOfAPausedHolder(t *testing.T) {
	s := proptest.Scenario{Seed: 7, Family: "hand", N: 3, Clients: 2, TTL: 100 * ms, NodeTimeout: 20 * ms,
		DriftFactor: 0.01, Ops: 1,
		Faults: []proptest.Fault{
			{At: 0, Kind: proptest.FaultPause, Client: 0, Duration: 300 * ms},
			{At: 0, Kind: proptest.FaultPause, Client: 1, Duration: 300 * ms},
		}}
	peer := expectPeerBreach(t, s, proptest.PropLostUpdate)
	stale := slices.ContainsFunc(peer.Ops, func(o proptest.Op) bool { return o.Kind == proptest.OpWrite && !o.OK })
	if stale {
		t.Error("redsync's store refused a write: it must accept every write in arrival order")
	}
}

// TestRedsyncOverlapsAfterDataLoss: a minority fails while the first client is granted, so its
// key lives on a bare majority; one node of that majority then loses its data while the lease
// is held. When the failing node comes back, redsync grants the lock to the second client on it
// and the forgetful node while the first still holds it: exclusion fails, inside the timing
// model (bounded drift, data loss on a minority). Ours quarantines the forgetful node.
func TestRedsyncOverlapsAfterDataLoss(t *testing.T) {
	s := proptest.Scenario{Seed: 11, Family: "hand", N: 3, Clients: 2, TTL: 300 * ms, NodeTimeout: 30 * ms,
		DriftFactor: 0.01, Ops: 2, ExpirePct: 100,
		Faults: []proptest.Fault{
			{At: 0, Kind: proptest.FaultFail, Nodes: []int{0}, Duration: 100 * ms},
			{At: 70 * ms, Kind: proptest.FaultDataLoss, Nodes: []int{1}},
		}}
	if len(s.OutsideTimingModel()) > 0 {
		t.Fatalf("the scenario lies outside the timing model: %v", s.OutsideTimingModel())
	}
	expectPeerBreach(t, s, proptest.PropExclusion)
}

// TestRedsyncWaitsForAStalledMinority: the stall reaches redsync's nodes as it reaches ours; as
// redsync waits for every node, each of its grants under a stalled minority takes its per-node
// timeout (NodeTimeout), where ours decides on the first majority.
func TestRedsyncWaitsForAStalledMinority(t *testing.T) {
	s := proptest.Scenario{Seed: 13, Family: "hand", N: 3, Clients: 1, TTL: 200 * ms, NodeTimeout: 40 * ms,
		DriftFactor: 0.01, Ops: 3, Hold: 10 * ms,
		Faults: []proptest.Fault{{At: 50 * ms, Kind: proptest.FaultStall, Nodes: []int{2}, Duration: 600 * ms}}}
	expectPeerBreach(t, s, proptest.PropLatency)
}
