package bench

import (
	"strconv"
	"time"
)

// DefaultSlowDelay is the one-way delay of the slow node in the default scenarios.
const DefaultSlowDelay = 5 * time.Millisecond

// DefaultWaitHold is how long the waiting scenarios hold the lock: a short critical section,
// so that the lock is held while the others wait, which is what waiting by notification is for.
const DefaultWaitHold = time.Millisecond

// Defaults of the election scenarios.
const (
	// DefaultElectionTTL is the TTL of both libraries in the election scenarios: a crashed
	// leader's keys last this long, which bounds a failover from below, and so the run.
	DefaultElectionTTL = time.Second
	// DefaultFailovers is how many crashes each run of election-failover measures.
	DefaultFailovers = 5
	// DefaultHandovers is how many resignations each run of election-handover measures, and
	// DefaultHandoverHold how long each leader leads first: long enough for the candidates to be
	// waiting, not still in their first attempt, when it resigns.
	DefaultHandovers    = 20
	DefaultHandoverHold = 10 * time.Millisecond
	// DefaultCandidates is how many candidates contend in the election scenarios.
	DefaultCandidates = 3
	// DefaultPermits is the number of permits of the semaphore scenario.
	DefaultPermits = 4
)

// waitTargets are the goals of the contended waiting scenarios: ours waiting in Acquire grants
// at least three times as often as redsync's Lock, and waiting by notification at most halves
// the p99 wait of our own polling.
var waitTargets = []Target{
	{Metric: "grants_per_sec", Against: Redsync, Ratio: 3},
	{Metric: "p99", Against: OursPolling, Ratio: 0.5},
}

// DefaultScenarios returns the standard scenarios for a cluster of n nodes: uncontended,
// parallel-16, parallel-64, contended-16, contended-16-wait, contended-16-wait-shared,
// semaphore-16-wait, election-failover, election-handover, slow-node, slow-node-failfast,
// node-down, and the uncontended case on 1, 3, 5 and 7 nodes ("nodes-K"), leaving out K = n,
// which is uncontended.
func DefaultScenarios(n int) []Scenario {
	slow := "node 0 behind a proxy adding " + DefaultSlowDelay.String() + " each way"
	hold := DefaultWaitHold.String()
	cands := strconv.Itoa(DefaultCandidates) + " candidates (a Locker each; a redsync each), TTL " +
		DefaultElectionTTL.String()
	all := []Scenario{
		{Name: "uncontended", Description: "1 goroutine, Lock+Unlock on new names",
			Kind: Pairs, Naming: NewNames, Workers: 1, Nodes: n},
		{Name: "parallel-16", Description: "16 goroutines, each Lock+Unlock on a name of its own",
			Kind: Pairs, Naming: OwnName, Workers: 16, Nodes: n},
		{Name: "parallel-64", Description: "64 goroutines, each Lock+Unlock on a name of its own",
			Kind: Pairs, Naming: OwnName, Workers: 64, Nodes: n},
		{Name: "contended-16", Description: "16 goroutines, TryLock (+Unlock if granted) on one name",
			Kind: Contended, Workers: 16, Nodes: n},
		{Name: "contended-16-wait", Description: "16 clients (16 Lockers; 16 redsyncs, defaults: 32 tries), " +
			"each Lock (waiting), hold " + hold + ", Unlock on one name; ours also polling (DisableNotify)",
			Kind: Waiting, Workers: 16, Clients: 16, Nodes: n, Hold: DefaultWaitHold, Polling: true, Targets: waitTargets},
		{Name: "contended-16-wait-shared", Description: "as contended-16-wait, 16 goroutines sharing one client",
			Kind: Waiting, Workers: 16, Clients: 1, Nodes: n, Hold: DefaultWaitHold, Polling: true, Targets: waitTargets},
		{Name: "semaphore-16-wait", Description: "16 clients (16 Lockers), each Acquire (waiting) one of " +
			strconv.Itoa(DefaultPermits) + " permits of one semaphore, hold " + hold + ", Release; " +
			"ours alone (redsync has no semaphore), also polling",
			Kind: Waiting, Workers: 16, Clients: 16, Nodes: n, Hold: DefaultWaitHold, Polling: true, Permits: DefaultPermits},
		{Name: "election-failover", Description: cands + "; the leader crashes after leading " +
			(DefaultElectionTTL / 2).String() + " (client closed, keys left to expire): time until another's " +
			"Campaign (redsync: Lock, looped) returns; " + strconv.Itoa(DefaultFailovers) + " crashes per run",
			Kind: Failover, Workers: DefaultCandidates, Clients: DefaultCandidates, Nodes: n,
			TTL: DefaultElectionTTL, Hold: DefaultElectionTTL / 2, Ops: DefaultFailovers},
		{Name: "election-handover", Description: cands + "; the leader resigns after leading " +
			DefaultHandoverHold.String() + " (redsync: Unlock): time until another's Campaign (redsync: Lock) " +
			"returns; " + strconv.Itoa(DefaultHandovers) + " handovers per run; ours also polling",
			Kind: Handover, Workers: DefaultCandidates, Clients: DefaultCandidates, Nodes: n,
			TTL: DefaultElectionTTL, Hold: DefaultHandoverHold, Ops: DefaultHandovers, Polling: true},
		{Name: "slow-node", Description: "as uncontended, " + slow + "; redsync defaults",
			Kind: Pairs, Naming: NewNames, Workers: 1, Nodes: n, SlowDelay: DefaultSlowDelay},
		{Name: "slow-node-failfast", Description: "as slow-node; redsync WithFailFast(true)",
			Kind: Pairs, Naming: NewNames, Workers: 1, Nodes: n, SlowDelay: DefaultSlowDelay, PeerFailFast: true},
		{Name: "node-down", Description: "as uncontended, the last node is a closed port",
			Kind: Pairs, Naming: NewNames, Workers: 1, Nodes: n, DownNode: true},
	}
	for _, k := range []int{1, 3, 5, 7} {
		if k == n {
			continue
		}
		all = append(all, Scenario{Name: "nodes-" + strconv.Itoa(k),
			Description: "as uncontended, on " + strconv.Itoa(k) + " nodes",
			Kind:        Pairs, Naming: NewNames, Workers: 1, Nodes: k})
	}
	return all
}
