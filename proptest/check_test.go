package proptest_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/proptest"
)

const ms = time.Millisecond

// goodHistory is a correct history: client 0 then client 1 update the set under the lock, with
// tokens 10 and 20, and the probe then updates it with token 30.
func goodHistory() *proptest.History {
	s := proptest.Scenario{Seed: 1, N: 3, Clients: 2, TTL: 200 * ms, NodeTimeout: 30 * ms,
		DriftFactor: 0.01, Ops: 1}
	h := &proptest.History{Scenario: s, LeftKeys: make([][]string, 3)}
	h.Ops = append(h.Ops, update(0, 1, 10, 0, nil, 2000)...)
	h.Ops = append(h.Ops, update(1, 2, 20, 100*ms, []int{2000}, 3000)...)
	h.Ops = append(h.Ops, update(proptest.ProbeClient, 3, 30, 200*ms, []int{2000, 3000}, 1000)...)
	h.Ops = append(h.Ops, proptest.Op{Kind: proptest.OpFinal, Invoke: 300 * ms, Complete: 300 * ms, OK: true,
		Value: []int{1000, 2000, 3000}, Seq: 7})
	return h
}

// update returns one fenced update: acquire at `at`, read `read`, write it with elem, release.
func update(client, lease int, token fencing.Token, at time.Duration, read []int, elem int) []proptest.Op {
	seq := lease*2 - 1
	written := append(slices.Clone(read), elem)
	slices.Sort(written)
	return []proptest.Op{
		{Client: client, Kind: proptest.OpAcquire, Invoke: at, Complete: at + ms, OK: true, Lease: lease,
			Token: token, ValidUntil: at + 190*ms, Attempt: ms},
		{Client: client, Kind: proptest.OpRead, Invoke: at + 2*ms, Complete: at + 2*ms, OK: true, Lease: lease,
			Token: token, Value: read, Seq: seq},
		{Client: client, Kind: proptest.OpWrite, Invoke: at + 3*ms, Complete: at + 3*ms, OK: true, Lease: lease,
			Token: token, Value: written, Elem: elem, Seq: seq + 1},
		{Client: client, Kind: proptest.OpRelease, Invoke: at + 4*ms, Complete: at + 5*ms, OK: true, Lease: lease,
			Token: token, ValidUntil: at + 190*ms},
	}
}

// find returns the op of kind for lease.
func find(h *proptest.History, kind proptest.OpKind, lease int) *proptest.Op {
	for i := range h.Ops {
		if h.Ops[i].Kind == kind && h.Ops[i].Lease == lease {
			return &h.Ops[i]
		}
	}
	panic("no such op")
}

func TestCheckerAcceptsACorrectHistory(t *testing.T) {
	if res := proptest.Check(goodHistory()); len(res.Violations) > 0 {
		t.Fatalf("violations on a correct history:\n%v", res)
	}
}

// TestCheckerFlagsBadHistories feeds hand-made bad histories to the checker: each must be
// flagged by the property it breaks, and counted as a failure unless it is expected.
func TestCheckerFlagsBadHistories(t *testing.T) {
	for _, tc := range badHistories {
		t.Run(tc.name, func(t *testing.T) {
			h := goodHistory()
			tc.mutate(h)
			res := proptest.Check(h)
			if !slices.ContainsFunc(res.Violations, func(v proptest.Violation) bool {
				return v.Property == tc.breaks && v.Expected == tc.expected
			}) {
				t.Fatalf("want %s (expected %v), got:\n%v", tc.breaks, tc.expected, res)
			}
			if tc.expected && res.Failed() {
				t.Errorf("a breach expected outside the model failed the history:\n%v", res)
			}
		})
	}
}

// badHistories are correct histories with one thing broken, and the property that must catch it.
var badHistories = []struct {
	name     string
	breaks   proptest.Property
	expected bool // outside the timing model: reported, not failed
	mutate   func(h *proptest.History)
}{
	{"duplicate token", proptest.PropTokenUnique, false, func(h *proptest.History) {
		setToken(h, 2, 10)
	}},
	{"backwards token", proptest.PropTokenOrder, false, func(h *proptest.History) {
		setToken(h, 2, 5)
	}},
	{"lost update", proptest.PropLostUpdate, false, func(h *proptest.History) {
		h.Ops[len(h.Ops)-1].Value = []int{1000, 3000} // 2000 was acknowledged
	}},
	{"fence admitted a lower token", proptest.PropFenceOrder, false, func(h *proptest.History) {
		find(h, proptest.OpWrite, 2).Token = 9
	}},
	{"read of a set that was never written", proptest.PropLinearizable, false, func(h *proptest.History) {
		find(h, proptest.OpRead, 2).Value = []int{4242}
	}},
	{"overlapping leases", proptest.PropExclusion, false, func(h *proptest.History) {
		find(h, proptest.OpRelease, 1).Invoke = 150 * ms // still held when lease 2 was granted
	}},
	{"overlapping leases after a clock jump", proptest.PropExclusion, true, func(h *proptest.History) {
		find(h, proptest.OpRelease, 1).Invoke = 150 * ms
		h.Scenario.Faults = []proptest.Fault{{At: 50 * ms, Kind: proptest.FaultClockJump, Nodes: []int{0, 1, 2}, Duration: 400 * ms}}
	}},
	{"extend after a later grant", proptest.PropExtendContinuity, false, func(h *proptest.History) {
		h.Ops = append(h.Ops, proptest.Op{Client: 0, Kind: proptest.OpExtend, Invoke: 120 * ms, Complete: 121 * ms,
			OK: true, Lease: 1, Token: 10, ValidUntil: 310 * ms})
	}},
	{"probe not granted", proptest.PropLiveness, false, func(h *proptest.History) {
		probe := find(h, proptest.OpAcquire, 3)
		probe.OK, probe.Complete, probe.Err = false, probe.Invoke+5*time.Second, "quorum: not acquired"
	}},
	{"probe not granted after a majority lost its data", proptest.PropLiveness, true, func(h *proptest.History) {
		probe := find(h, proptest.OpAcquire, 3)
		probe.OK, probe.Complete = false, probe.Invoke+5*time.Second
		h.Scenario.Faults = []proptest.Fault{{Kind: proptest.FaultDataLoss, Nodes: []int{0}},
			{Kind: proptest.FaultDataLoss, Nodes: []int{1}}}
	}},
	{"key left behind", proptest.PropLeftover, false, func(h *proptest.History) {
		h.LeftKeys[1] = []string{"quorumlock:{resource}=abc"}
	}},
	{"slow grants under a stalled minority", proptest.PropLatency, false, func(h *proptest.History) {
		stallWith(h, 40*ms)
	}},
}

// TestCheckerExcuses: what the model allows is not flagged.
func TestCheckerExcuses(t *testing.T) {
	t.Run("keys on a node that failed requests", func(t *testing.T) {
		h := goodHistory()
		h.LeftKeys[1] = []string{"quorumlock:{resource}=abc"}
		h.Scenario.Faults = []proptest.Fault{{Kind: proptest.FaultFail, Nodes: []int{1}, Duration: 50 * ms}}
		if res := proptest.Check(h); res.Failed() {
			t.Fatalf("flagged:\n%v", res)
		}
	})
	t.Run("one fast grant under a stalled minority", func(t *testing.T) {
		h := goodHistory()
		stallWith(h, 40*ms)
		find(h, proptest.OpAcquire, 2).Attempt = 2 * ms
		if res := proptest.Check(h); res.Failed() {
			t.Fatalf("flagged:\n%v", res)
		}
	})
	t.Run("every grant slow on a loaded machine", func(t *testing.T) {
		h := goodHistory()
		stallWith(h, 40*ms)
		find(h, proptest.OpAcquire, 3).Attempt = 35 * ms // the grant without faults was slow too
		if res := proptest.Check(h); res.Failed() {
			t.Fatalf("flagged:\n%v", res)
		}
	})
	t.Run("slow grants under a stalled minority while another node fails", func(t *testing.T) {
		h := goodHistory()
		stallWith(h, 40*ms) // node 0 stalled, node 1 failing: two of three cannot answer in time
		f := proptest.Fault{Kind: proptest.FaultFail, Nodes: []int{1}, Duration: 190 * ms}
		h.Ops = append(h.Ops, proptest.Op{Kind: proptest.OpFault, Invoke: 0, Complete: 190 * ms, OK: true, Fault: &f})
		if res := proptest.Check(h); res.Failed() {
			t.Fatalf("flagged:\n%v", res)
		}
	})
	t.Run("a stale write refused by the fence", func(t *testing.T) {
		h := goodHistory()
		h.Ops = append(h.Ops, proptest.Op{Client: 0, Kind: proptest.OpWrite, Invoke: 150 * ms, Complete: 150 * ms,
			Lease: 1, Token: 10, Value: []int{2000, 2001}, Elem: 2001, Seq: 10})
		if res := proptest.Check(h); res.Failed() {
			t.Fatalf("flagged:\n%v", res)
		}
	})
}

func setToken(h *proptest.History, lease int, token fencing.Token) {
	for i := range h.Ops {
		if h.Ops[i].Lease == lease {
			h.Ops[i].Token = token
		}
	}
}

// stallWith adds a stall of node 0 over the first 190 ms, and makes the three grants inside it
// (leases 1, 2 and a new lease 4) each take attempt; the probe's grant, after it, takes 1 ms.
func stallWith(h *proptest.History, attempt time.Duration) {
	f := proptest.Fault{Kind: proptest.FaultStall, Nodes: []int{0}, Duration: 190 * ms}
	h.Ops = append(h.Ops, proptest.Op{Client: 0, Kind: proptest.OpFault, Invoke: 0, Complete: 190 * ms, OK: true, Fault: &f},
		proptest.Op{Client: 1, Kind: proptest.OpAcquire, Invoke: 110 * ms, Complete: 110*ms + attempt, OK: true, Lease: 4,
			Token: 25, ValidUntil: 300 * ms},
		proptest.Op{Client: 1, Kind: proptest.OpRelease, Invoke: 149 * ms, Complete: 150 * ms, OK: true, Lease: 4,
			Token: 25, ValidUntil: 300 * ms})
	for _, lease := range []int{1, 2, 4} {
		a := find(h, proptest.OpAcquire, lease)
		a.Attempt = attempt
		a.Invoke += 10 * ms // inside the stall
		a.Complete = a.Invoke + attempt
	}
}

// twoLocks returns a correct history over two locks: the same updates on each, at the same
// times and with the same tokens, which is allowed across locks.
func twoLocks() *proptest.History {
	h := goodHistory()
	h.Scenario.Names = 2
	for _, o := range goodHistory().Ops {
		o.Res = 1
		if o.Lease > 0 {
			o.Lease += 10
		}
		h.Ops = append(h.Ops, o)
	}
	slices.SortStableFunc(h.Ops, func(a, b proptest.Op) int { return int(a.Invoke - b.Invoke) })
	return h
}

// TestCheckerSeparatesLocks: with several locks, tokens and leases are judged per lock: equal
// tokens and overlapping leases on different locks are no breach, the same on one lock is, and
// the violation names the lock.
func TestCheckerSeparatesLocks(t *testing.T) {
	h := twoLocks()
	if res := proptest.Check(h); len(res.Violations) > 0 {
		t.Fatalf("a correct history over two locks was flagged:\n%v", res)
	}
	find(h, proptest.OpAcquire, 12).Token = 10 // lease 12 of resource1 reuses lease 11's token
	res := proptest.Check(h)
	if !slices.Contains(res.Breached(), proptest.PropTokenUnique) {
		t.Fatalf("a token reused on one lock was not flagged:\n%v", res)
	}
	for _, v := range res.Violations {
		if !strings.HasPrefix(v.Detail, "resource1: ") {
			t.Errorf("violation does not name its lock: %v", v)
		}
	}
}

// TestExclusionNamesTheNodesThatGrantedBoth: an overlap inside the timing model is reported with
// the nodes that granted each token, so that the node that granted both can be read off.
func TestExclusionNamesTheNodesThatGrantedBoth(t *testing.T) {
	h := goodHistory()
	find(h, proptest.OpRelease, 1).Invoke = 150 * ms // still held when lease 2 was granted
	h.NodeGrants = []proptest.NodeGrant{
		{Client: 0, Node: "n0", Token: 10, At: ms}, {Client: 0, Node: "n1", Token: 10, At: ms},
		{Client: 1, Node: "n1", Token: 20, At: 101 * ms}, {Client: 1, Node: "n2", Token: 20, At: 101 * ms},
	}
	res := proptest.Check(h)
	var detail string
	for _, v := range res.Violations {
		if v.Property == proptest.PropExclusion {
			detail = v.Detail
		}
	}
	for _, want := range []string{"token 10 granted by n0@1ms, n1@1ms", "token 20 granted by n1@101ms, n2@101ms"} {
		if !strings.Contains(detail, want) {
			t.Errorf("exclusion detail %q does not say %q", detail, want)
		}
	}
}
