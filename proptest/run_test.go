package proptest_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/internal/redisproc"
	"github.com/quorumlock/quorumlock/proptest"
)

// scheduleTolerance is how late a fault may be applied on a loaded machine.
const scheduleTolerance = 150 * time.Millisecond

// TestRunAppliesTheSchedule: every fault of the plan is applied once, at its time, to its nodes,
// and the run still satisfies every property.
func TestRunAppliesTheSchedule(t *testing.T) {
	s := proptest.Scenario{Seed: 42, Family: "hand", N: 5, Clients: 2, TTL: 150 * ms, NodeTimeout: 25 * ms,
		DriftFactor: 0.05, Ops: 2, Hold: 10 * ms, ExtendPct: 50,
		Faults: []proptest.Fault{
			{At: 0, Kind: proptest.FaultStall, Nodes: []int{0}, Duration: 60 * ms},
			{At: 20 * ms, Kind: proptest.FaultFail, Nodes: []int{1}, Duration: 60 * ms},
			{At: 40 * ms, Kind: proptest.FaultLoseReplies, Nodes: []int{2}, Duration: 60 * ms},
			{At: 60 * ms, Kind: proptest.FaultDelay, Nodes: []int{3}, Duration: 60 * ms, Delay: 5 * ms},
			{At: 80 * ms, Kind: proptest.FaultDataLoss, Nodes: []int{4}},
			{At: 100 * ms, Kind: proptest.FaultDrift, Nodes: []int{0, 1}, Duration: 60 * ms, Rate: 0.04},
			{At: 120 * ms, Kind: proptest.FaultClockJump, Nodes: []int{2}, Duration: 50 * ms},
			{At: 10 * ms, Kind: proptest.FaultPause, Client: 1, Duration: 30 * ms},
		}}
	h, err := proptest.Run(context.Background(), s, proptest.RunConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range s.Faults {
		var got []proptest.Op
		for _, o := range h.Ops {
			if o.Kind == proptest.OpFault && o.Fault.Kind == f.Kind {
				got = append(got, o)
			}
		}
		if len(got) != 1 {
			t.Errorf("fault %v applied %d times", f, len(got))
			continue
		}
		// A client pause is taken at the client's next gap between a read and a write after its
		// time, which an Acquire in progress can put off by up to its wait: only node faults
		// have a deadline.
		o := got[0]
		late := o.Invoke > f.At+scheduleTolerance && f.Kind != proptest.FaultPause
		if o.Invoke < f.At || late {
			t.Errorf("fault %v applied at %v", f, o.Invoke)
		}
		if f.Kind != proptest.FaultPause && !slices.Equal(o.Fault.Nodes, f.Nodes) {
			t.Errorf("fault %v applied to nodes %v", f, o.Fault.Nodes)
		}
	}
	if res := proptest.Check(h); res.Failed() {
		t.Errorf("violations:\n%v", res)
	}
	checkNodeGrants(t, h)
}

// checkNodeGrants: the history's node grants show a majority of the nodes granting every lease.
func checkNodeGrants(t *testing.T, h *proptest.History) {
	t.Helper()
	for _, o := range h.Ops {
		if o.Kind != proptest.OpAcquire || !o.OK {
			continue
		}
		n := 0
		for _, g := range h.NodeGrants {
			if g.Token == o.Token && g.Client == o.Client {
				n++
			}
		}
		if n < h.Scenario.N/2+1 {
			t.Errorf("lease %d (token %d): %d node grants recorded, fewer than a majority of %d", o.Lease, o.Token, n, h.Scenario.N)
		}
	}
}

// TestPausedHolderIsFenced: a client that pauses past the end of its lease, between its read and
// its write, is refused by the fence once the next holder has read; nothing is lost.
func TestPausedHolderIsFenced(t *testing.T) {
	s := proptest.Scenario{Seed: 7, Family: "hand", N: 3, Clients: 2, TTL: 100 * ms, NodeTimeout: 20 * ms,
		DriftFactor: 0.01, Ops: 1,
		Faults: []proptest.Fault{{At: 0, Kind: proptest.FaultPause, Client: 0, Duration: 300 * ms}}}
	for try := 0; ; try++ {
		h, err := proptest.Run(context.Background(), s, proptest.RunConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if res := proptest.Check(h); res.Failed() {
			t.Fatalf("violations:\n%v", res)
		}
		refused := slices.ContainsFunc(h.Ops, func(o proptest.Op) bool {
			return o.Kind == proptest.OpWrite && o.Client == 0 && !o.OK
		})
		if refused {
			return
		}
		// Client 0 is granted after client 1 in about half the runs (then no holder follows its
		// pause), and on a loaded machine client 1 may not have read before client 0 resumed.
		if try == 9 {
			t.Fatalf("the paused client's write was never refused in 10 runs; the last:\n%v", h.Ops)
		}
	}
}

// TestRestartFaultsRunCleanly: restart faults, with and without the node's data, are applied
// without error and the runs satisfy every property, on miniredis and on redis-server, with
// several runs starting servers at the same time. (That a killed node's port cannot be taken
// meanwhile is TestKilledServerPortIsHeld: a steal here would be too rare to count on.)
func TestRestartFaultsRunCleanly(t *testing.T) {
	s := proptest.Scenario{Seed: 7, Family: "hand", N: 3, Clients: 2, TTL: 150 * ms, NodeTimeout: 25 * ms,
		DriftFactor: 0.05, Ops: 3, Hold: 10 * ms,
		Faults: []proptest.Fault{
			{At: 0, Kind: proptest.FaultRestart, Nodes: []int{0}, Duration: 60 * ms},
			{At: 100 * ms, Kind: proptest.FaultRestart, Nodes: []int{1}, Duration: 60 * ms, Persist: true},
			{At: 200 * ms, Kind: proptest.FaultRestart, Nodes: []int{0}, Duration: 30 * ms, Persist: true},
		}}
	for _, real := range []bool{false, true} {
		if real && !redisproc.Available() {
			continue
		}
		var wg sync.WaitGroup
		for range 4 { // runs in parallel, starting servers while others are down
			wg.Add(1)
			go func() {
				defer wg.Done()
				h, err := proptest.Run(context.Background(), s, proptest.RunConfig{RealRedis: real})
				if err != nil {
					t.Error(err)
					return
				}
				for _, o := range h.Ops {
					if o.Kind == proptest.OpFault && o.Err != "" {
						t.Errorf("real=%v: %v", real, o)
					}
				}
				if res := proptest.Check(h); res.Failed() {
					t.Errorf("real=%v:\n%v", real, res)
				}
			}()
		}
		wg.Wait()
	}
}
