package proptest

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/quorumlock/quorumlock/internal/mutants"
)

// A family builds one kind of scenario from a random source. The random family draws every
// fault kind; the others aim at one rule of the protocol each, so that the mutant that breaks
// the rule shows within a short campaign.
type family struct {
	name   string
	weight int
	build  func(r *rand.Rand, s *Scenario)
	aims   []mutants.Mutant // the mutants it is built to catch (PROTOCOL.md §12)
}

var families = []family{
	{"random", 30, buildRandom, []mutants.Mutant{mutants.NoCleanup, mutants.DoNoDefer}},
	{"drift", 10, buildDrift, []mutants.Mutant{mutants.NoDrift}},                                               // in-model drift on every node: the drift allowance
	{"amnesia", 10, buildAmnesia, []mutants.Mutant{mutants.SkipHeal}},                                          // data loss under a held lease: quarantine
	{"split", 10, buildSplit, []mutants.Mutant{mutants.IncrToken}},                                             // grants on changing majorities: token order
	{"stall", 10, buildStall, []mutants.Mutant{mutants.WaitAll}},                                               // a stalled minority: no waiting for stragglers
	{"stall-lossy", 10, buildLossy, []mutants.Mutant{mutants.NoCleanup}},                                       // failed attempts with keys set: clean-up
	{"jump", 10, buildJump, []mutants.Mutant{mutants.ExtendRecreate}},                                          // keys that expire while held: extend never re-creates
	{"pause", 10, buildPause, []mutants.Mutant{mutants.BlindRelease, mutants.DoNoDefer}},                       // stale holders that act late: compare-and-delete
	{"restart", 10, buildRestart, nil},                                                                         // kill -9 and restart under held leases, with and without data
	{"partition", 10, buildPartition, nil},                                                                     // clients that see different majorities, one way or both
	{"wall", 5, buildWall, nil},                                                                                // client wall clocks that step back and ahead, by up to days
	{"rolling", 10, buildRolling, []mutants.Mutant{mutants.AutoBootstrap}},                                     // every node restarts in turn, sometimes all at once or idle
	{"rollback", 15, buildRollback, []mutants.Mutant{mutants.MarkerBlind}},                                     // a node restarts from an older snapshot
	{"freeze", 5, buildFreeze, nil},                                                                            // clients pause mid-round while a node is forgetful
	{"late-heal", 10, buildLateHeal, []mutants.Mutant{mutants.LateReply, mutants.SkipHeal, mutants.IncrToken}}, // a heal round whose amnesic answer comes late, scripted
	{"notify", 15, buildNotify, nil},                                                                           // waiters that only a release announcement wakes in time
	{"semaphore", 15, buildSemaphore, []mutants.Mutant{mutants.SemaphoreMajority}},                             // permits taken by clients that each see another majority
	{"election", 15, buildElection, []mutants.Mutant{mutants.LeaderEarlyEnd, mutants.ObserveNoVacancy}},        // candidates that lead, resign, stop and hand over
}

var cuts = []string{CutBoth, CutRequests, CutReplies}

// ScenarioFromSeed builds the scenario that seed stands for. The same seed always gives the same
// scenario: the plan (faults, their times, the workload) is reproduced exactly. The execution
// uses real goroutines, timers and TCP, so the interleaving of a replay may differ.
func ScenarioFromSeed(seed int64) Scenario {
	r := rand.New(rand.NewPCG(uint64(seed), 0x71c0))
	fam := pickFamily(r)
	s := baseScenario(r)
	s.Seed, s.Family = seed, fam.name
	fam.build(r, &s)
	return s
}

// pickFamily draws a family by weight: the first draw of a scenario's random source.
func pickFamily(r *rand.Rand) family {
	total := 0
	for _, f := range families {
		total += f.weight
	}
	pick := r.IntN(total)
	for _, f := range families {
		if pick < f.weight {
			return f
		}
		pick -= f.weight
	}
	return families[len(families)-1]
}

// familyOf returns the family of the scenario that seed stands for.
func familyOf(seed int64) family { return pickFamily(rand.New(rand.NewPCG(uint64(seed), 0x71c0))) }

// baseScenario draws the parameters every family starts from.
func baseScenario(r *rand.Rand) Scenario {
	ttl := time.Duration(120+r.IntN(181)) * time.Millisecond
	return Scenario{
		N:           1 + r.IntN(7),
		Clients:     1 + r.IntN(4),
		TTL:         ttl,
		NodeTimeout: between(r, 20*time.Millisecond, min(40*time.Millisecond, ttl/3-time.Millisecond)),
		DriftFactor: 0.01 + 0.09*r.Float64(),
		Ops:         1 + r.IntN(3),
		Hold:        between(r, 0, ttl/3),
		ExpirePct:   r.IntN(3) * 10,
		ExtendPct:   r.IntN(5) * 10,
	}
}

// between draws a duration uniformly from [lo, hi], in whole milliseconds.
func between(r *rand.Rand, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	ms := int64(lo/time.Millisecond) + r.Int64N(int64((hi-lo)/time.Millisecond)+1)
	return time.Duration(ms) * time.Millisecond
}

// someNodes draws k distinct nodes of n.
func someNodes(r *rand.Rand, n, k int) []int {
	return r.Perm(n)[:min(k, n)]
}

// minority returns the size of the largest minority of n nodes.
func minority(n int) int { return n - (n/2 + 1) }

func buildRandom(r *rand.Rand, s *Scenario) {
	s.Names = 1 + r.IntN(3)
	for range r.IntN(6) {
		f := randomFault(r, s)
		if f.forgets() && len(Scenario{N: s.N, Faults: append(s.Faults, f)}.lostNodes()) > minority(s.N) {
			continue // a lost majority needs the operator: the families rolling and late-heal cover it
		}
		s.Faults = append(s.Faults, f)
	}
	s.PanicPct = r.IntN(3) * 10
}

var randomKinds = []FaultKind{FaultStall, FaultStall, FaultFail, FaultFail, FaultLoseReplies, FaultDelay,
	FaultDelay, FaultDataLoss, FaultClockJump, FaultDrift, FaultPause, FaultRestart, FaultPartition, FaultWallStep,
	FaultFreeze, FaultSlowLink}

func randomFault(r *rand.Rand, s *Scenario) Fault {
	f := Fault{
		At:       between(r, 0, 3*s.TTL),
		Kind:     randomKinds[r.IntN(len(randomKinds))],
		Duration: between(r, s.TTL/4, 2*s.TTL),
	}
	k := 1 + r.IntN(max(1, minority(s.N)))
	if r.IntN(5) == 0 {
		k = 1 + r.IntN(s.N) // sometimes a majority, or every node
	}
	f.Nodes = someNodes(r, s.N, k)
	switch f.Kind {
	case FaultDelay:
		f.Delay = between(r, time.Millisecond, s.NodeTimeout*3/2)
	case FaultDataLoss:
		f.Nodes, f.Duration = someNodes(r, s.N, 1), 0
	case FaultClockJump:
		f.Duration = between(r, s.TTL/2, 2*s.TTL)
	case FaultDrift:
		f.Rate = s.DriftFactor * (0.3 + 1.2*r.Float64())
	case FaultPause:
		f.Nodes, f.Client = nil, r.IntN(s.Clients)
		f.Duration = between(r, s.TTL/2, 2*s.TTL)
	case FaultRestart:
		f.Duration, f.Persist = between(r, 0, s.TTL), r.IntN(2) == 0
	case FaultPartition:
		f.Clients = someNodes(r, s.Clients, 1+r.IntN(s.Clients))
		f.Cut = cuts[r.IntN(len(cuts))]
	case FaultWallStep:
		f.Nodes, f.Client, f.Duration, f.Step = nil, r.IntN(s.Clients), 0, wallStep(r)
	case FaultFreeze:
		f.Nodes, f.Client = nil, r.IntN(s.Clients)
	case FaultSlowLink:
		f.Clients = someNodes(r, s.Clients, 1+r.IntN(s.Clients))
		f.Delay = between(r, time.Millisecond, s.NodeTimeout*3/2)
	}
	return f
}

// buildNotify: several clients contend for one lock with short holds and no faults, and their
// fallback poll lies many TTLs away: a waiter is granted soon after a release only if the
// release's announcement woke it, which needs the subscription made before the attempt that
// found the lock held, or a new attempt right after it.
func buildNotify(r *rand.Rand, s *Scenario) {
	s.N, s.Clients, s.Ops = 3+2*r.IntN(2), 2+r.IntN(3), 4+r.IntN(4)
	s.ExpirePct, s.ExtendPct, s.PanicPct = 0, 0, 0
	s.Hold = between(r, 0, 5*time.Millisecond) // releases that land while a waiter subscribes
	s.RetryDelayMax = 10 * s.TTL
}

// buildSemaphore: one more client than the semaphore has permits, each cut off from a different
// minority of the nodes for the whole workload, holding their permits long enough to overlap:
// every client reaches a majority, but no two the same one. Slots stay safe (two holders of one
// slot would need two majorities of one lock); per-node counts do not (three nodes, two
// permits: holders granted on {1,2}, {0,2} and {0,1}). Some scenarios add a restart or a
// failing node.
func buildSemaphore(r *rand.Rand, s *Scenario) {
	s.Workload, s.Permits = WorkloadSemaphore, 2+r.IntN(2)
	s.N, s.Clients, s.Ops = []int{3, 3, 5}[r.IntN(3)], s.Permits+1+r.IntN(2), 2+r.IntN(2)
	s.TTL = between(r, 250*time.Millisecond, 400*time.Millisecond)
	s.NodeTimeout = between(r, 20*time.Millisecond, 40*time.Millisecond)
	s.Names, s.PanicPct, s.ExpirePct, s.ExtendPct = 0, 0, 0, 30
	s.Hold = between(r, s.TTL/3, s.TTL/2)
	span := time.Duration(s.Ops+1) * s.TTL
	for c := range s.Clients {
		first := (c * minority(s.N)) % s.N
		var cut []int
		for k := range minority(s.N) {
			cut = append(cut, (first+k)%s.N)
		}
		s.Faults = append(s.Faults, Fault{Kind: FaultPartition, Nodes: cut, Clients: []int{c}, Duration: span, Cut: CutBoth})
	}
	switch r.IntN(3) {
	case 0:
		s.Faults = append(s.Faults, Fault{At: between(r, 0, s.TTL), Kind: FaultRestart, Nodes: someNodes(r, s.N, 1),
			Duration: between(r, 0, s.TTL/2), Persist: r.IntN(2) == 0})
	case 1:
		s.Faults = append(s.Faults, Fault{At: between(r, 0, s.TTL), Kind: FaultFail, Nodes: someNodes(r, s.N, 1),
			Duration: between(r, s.TTL/4, s.TTL)})
	}
}

// buildElection: candidates campaign, lead for a while, then resign, wait out the end of their
// term, or stop leading under Election.Run (whose function takes a while to return), while an
// observer reports every change; some scenarios stall, fail or restart a node, or partition a
// client.
func buildElection(r *rand.Rand, s *Scenario) {
	s.Workload = WorkloadElection
	s.N, s.Clients, s.Ops = 3+2*r.IntN(2), 2+r.IntN(3), 3+r.IntN(3)
	s.TTL = between(r, 200*time.Millisecond, 350*time.Millisecond)
	s.Names, s.PanicPct, s.ExpirePct, s.ExtendPct = 0, 0, 10, 0
	s.Hold = between(r, s.TTL/10, s.TTL/2)
	for range r.IntN(3) {
		f := Fault{At: between(r, 0, 2*s.TTL), Duration: between(r, s.TTL/4, s.TTL), Nodes: someNodes(r, s.N, 1)}
		switch r.IntN(4) {
		case 0:
			f.Kind = FaultStall
		case 1:
			f.Kind = FaultFail
		case 2:
			f.Kind, f.Persist, f.Duration = FaultRestart, true, between(r, 0, s.TTL/2)
		default:
			f.Kind, f.Clients, f.Cut = FaultPartition, []int{r.IntN(s.Clients)}, cuts[r.IntN(len(cuts))]
		}
		s.Faults = append(s.Faults, f)
	}
}

func buildDrift(r *rand.Rand, s *Scenario) {
	s.N, s.Clients, s.Ops = 3+2*r.IntN(2), 2+r.IntN(2), 2
	s.TTL = between(r, 300*time.Millisecond, 400*time.Millisecond)
	s.DriftFactor = 0.2 + 0.1*r.Float64()
	s.ExpirePct, s.ExtendPct, s.Hold = 70, 0, s.TTL/4
	// Every node's clock runs fast, within the allowance: keys expire up to Rate×TTL early, which
	// only the drift term of the validity covers.
	s.Faults = []Fault{{Kind: FaultDrift, Nodes: allNodes(s.N), Duration: 4 * s.TTL,
		Rate: s.DriftFactor * (0.7 + 0.2*r.Float64())}}
}

// buildAmnesia: a minority fails while the first lease is granted, so that the lease's keys
// live on a bare majority; one of those nodes then loses its data while the lease is held, and
// the failing minority comes back. Only the quarantine keeps the forgetful node from joining the
// minority in a second grant before the lease ends.
func buildAmnesia(r *rand.Rand, s *Scenario) {
	s.N, s.Clients, s.Ops = []int{3, 3, 5}[r.IntN(3)], 2, 2
	s.TTL = between(r, 250*time.Millisecond, 400*time.Millisecond)
	s.ExpirePct, s.ExtendPct = 100, 0
	perm := r.Perm(s.N)
	failing, lost := perm[:minority(s.N)], perm[minority(s.N)]
	flushAt := between(r, s.TTL/5, s.TTL/3)
	s.Faults = []Fault{
		{Kind: FaultFail, Nodes: failing, Duration: flushAt + between(r, s.TTL/20, s.TTL/10)},
		{At: flushAt, Kind: FaultDataLoss, Nodes: []int{lost}},
	}
}

func buildSplit(r *rand.Rand, s *Scenario) {
	s.N, s.Clients, s.Ops = 3+r.IntN(3), 2+r.IntN(2), 3
	s.ExpirePct, s.Hold = 0, s.TTL/8
	w := between(r, s.TTL/4, s.TTL/2)
	for k := range 4 + r.IntN(3) {
		s.Faults = append(s.Faults, Fault{At: time.Duration(k) * w, Kind: FaultFail,
			Nodes: someNodes(r, s.N, 1+r.IntN(minority(s.N))), Duration: w})
	}
}

// buildStall: a minority stalls for a while after the workload started, so that grants both
// with and without the stall can be compared.
func buildStall(r *rand.Rand, s *Scenario) {
	s.N, s.Clients, s.Ops = 3+2*r.IntN(2), 1+r.IntN(2), 3
	s.ExpirePct, s.ExtendPct, s.Hold = 0, 50, s.TTL/10
	s.Faults = []Fault{{At: between(r, s.TTL/4, s.TTL/2), Kind: FaultStall,
		Nodes: someNodes(r, s.N, 1+r.IntN(minority(s.N))), Duration: between(r, 2*s.TTL, 4*s.TTL)}}
}

func buildLossy(r *rand.Rand, s *Scenario) {
	s.N, s.Clients, s.Ops = 3, 1+r.IntN(2), 2
	s.ExpirePct, s.ExtendPct = 0, 0
	perm := r.Perm(3)
	d := between(r, s.TTL, 2*s.TTL)
	s.Faults = []Fault{
		{Kind: FaultStall, Nodes: perm[:1], Duration: d},
		{Kind: FaultLoseReplies, Nodes: perm[1:2], Duration: d},
	}
}

func buildJump(r *rand.Rand, s *Scenario) {
	s.N, s.Clients, s.Ops = 3+2*r.IntN(2), 2, 3
	s.ExpirePct, s.ExtendPct, s.Hold = 0, 100, s.TTL/2
	step := between(r, s.TTL/4, s.TTL/2)
	for k := range 3 + r.IntN(3) {
		s.Faults = append(s.Faults, Fault{At: time.Duration(k+1) * step, Kind: FaultClockJump,
			Nodes: allNodes(s.N), Duration: 2 * s.TTL})
	}
}

func buildPause(r *rand.Rand, s *Scenario) {
	s.N, s.Clients, s.Ops = 3+2*r.IntN(2), 3, 2
	s.ExpirePct, s.Hold, s.PanicPct = 0, s.TTL/2, 20
	for c := range s.Clients {
		if r.IntN(3) > 0 {
			s.Faults = append(s.Faults, Fault{At: between(r, 0, s.TTL), Kind: FaultPause, Client: c,
				Duration: between(r, s.TTL, 2*s.TTL)})
		}
	}
}

// buildRestart: nodes are killed and restarted while leases are held, one at a time, a minority
// at most down or forgetful at once; some keep their data (AOF), some come back empty and must
// be quarantined and healed before they count again.
func buildRestart(r *rand.Rand, s *Scenario) {
	s.N, s.Clients, s.Ops = []int{3, 5, 5}[r.IntN(3)], 2+r.IntN(2), 3
	s.ExpirePct, s.ExtendPct, s.Hold = 30, 30, s.TTL/3
	var forgetful []int // the nodes that come back empty: a minority at most
	for k := range 2 + r.IntN(3) {
		f := Fault{At: time.Duration(k) * s.TTL / 2, Kind: FaultRestart, Nodes: someNodes(r, s.N, 1),
			Duration: between(r, 0, s.TTL/2), Persist: r.IntN(2) == 0}
		if !f.Persist && !slices.Contains(forgetful, f.Nodes[0]) {
			if len(forgetful) == minority(s.N) {
				f.Persist = true
			} else {
				forgetful = append(forgetful, f.Nodes[0])
			}
		}
		s.Faults = append(s.Faults, f)
	}
}

// buildPartition: each client is cut off from a minority of the nodes, a different one each, so
// that clients reach different majorities that overlap on fewer nodes; requests, replies or
// both are lost, and the partitions move while leases are held and released.
func buildPartition(r *rand.Rand, s *Scenario) {
	s.N, s.Clients, s.Ops = 5, 2+r.IntN(2), 3
	s.ExpirePct, s.ExtendPct, s.Hold = 20, 40, s.TTL/3
	w := between(r, s.TTL/2, s.TTL)
	for k := range 3 + r.IntN(3) {
		for c := range s.Clients {
			if r.IntN(3) == 0 {
				continue
			}
			s.Faults = append(s.Faults, Fault{At: time.Duration(k) * w, Kind: FaultPartition,
				Nodes: someNodes(r, s.N, 1+r.IntN(minority(s.N))), Clients: []int{c}, Duration: w,
				Cut: cuts[r.IntN(len(cuts))]})
		}
	}
}

// buildWall: every client's wall clock steps, some back, some ahead by hours or by more than a
// day, while the clients contend: token proposals go wild, validity must not.
func buildWall(r *rand.Rand, s *Scenario) {
	s.N, s.Clients, s.Ops = 3+2*r.IntN(2), 2+r.IntN(2), 4
	s.ExpirePct, s.ExtendPct, s.Hold = 20, 30, s.TTL/4
	for c := range s.Clients {
		for range 1 + r.IntN(2) {
			s.Faults = append(s.Faults, Fault{At: between(r, 0, 2*s.TTL), Kind: FaultWallStep, Client: c, Step: wallStep(r)})
		}
	}
}

// wallStep draws a step of a client's wall clock: back by up to an hour, ahead by hours, or
// ahead by more than the day a node accepts a proposal ahead of its own clock.
func wallStep(r *rand.Rand) time.Duration {
	switch r.IntN(3) {
	case 0:
		return -between(r, time.Second, time.Hour)
	case 1:
		return between(r, time.Minute, 20*time.Hour)
	}
	return between(r, 25*time.Hour, maxWallStep)
}

func allNodes(n int) []int {
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	return all
}

// GenScenario returns a gopter generator of scenarios. Each scenario takes one draw from the
// generator's random source, its Seed, and is ScenarioFromSeed(Seed): a campaign seed fixes the
// sequence of scenario seeds. With nodes > 0 every scenario runs on that many nodes (see
// withNodes). With shrink, failing scenarios shrink with ShrinkScenario.
func GenScenario(nodes int, shrink bool) gopter.Gen { return genScenario(nodes, shrink, "") }

// genScenario is GenScenario for a campaign with mutant m enabled (none if empty): every other
// scenario is drawn among the seeds of the families built to catch m, so that a campaign's
// budget is not spent mostly on families that cannot see it. Every scenario is still
// ScenarioFromSeed of its Seed, and replays from it.
func genScenario(nodes int, shrink bool, m mutants.Mutant) gopter.Gen {
	shrinker := gopter.NoShrinker
	if shrink {
		shrinker = ShrinkScenario
	}
	return func(p *gopter.GenParameters) *gopter.GenResult {
		seed := p.Rng.Int63()
		if m != "" && p.Rng.Intn(2) == 0 {
			seed = aimedSeed(p.Rng, seed, m)
		}
		s := ScenarioFromSeed(seed)
		if nodes > 0 {
			s = withNodes(s, nodes)
		}
		return gopter.NewGenResult(s, shrinker)
	}
}

// aimedSeed draws seeds, starting with seed, until one stands for a scenario of a family built
// to catch m; it gives up after a bounded number of draws (m has no such family) and returns the
// last one drawn.
func aimedSeed(rng interface{ Int63() int64 }, seed int64, m mutants.Mutant) int64 {
	for range 256 {
		if slices.Contains(familyOf(seed).aims, m) {
			return seed
		}
		seed = rng.Int63()
	}
	return seed
}

// ShrinkScenario shrinks a scenario towards a smaller one that may fail the same way: first the
// fault list (gopter's slice shrinker: fewer faults, then each fault shorter and on fewer
// nodes), then fewer updates per client, then fewer clients.
func ShrinkScenario(v any) gopter.Shrink {
	s := v.(Scenario)
	next := func(t Scenario) Scenario { t.Shrunk = s.Shrunk + 1; return t }
	faults := gen.SliceShrinker(shrinkFault)(s.Faults).Map(func(fs []Fault) Scenario {
		t := s
		t.Faults = fs
		return next(t)
	})
	var smaller []Scenario
	if s.Ops > 1 {
		t := s
		t.Ops = s.Ops / 2
		smaller = append(smaller, next(t))
	}
	if s.Clients > 1 && len(s.Script) == 0 { // a script needs each of its clients
		t := s
		t.Clients--
		t.Faults = nil
		for _, f := range s.Faults {
			f.Clients = slices.DeleteFunc(slices.Clone(f.Clients), func(c int) bool { return c >= t.Clients })
			if (!f.onClient() || f.Client < t.Clients) && (f.Kind != FaultPartition || len(f.Clients) > 0) {
				t.Faults = append(t.Faults, f)
			}
		}
		smaller = append(smaller, next(t))
	}
	return gopter.ConcatShrinks(faults, sliceShrink(smaller))
}

// shrinkFault shrinks one fault: on its first node only, then half as long.
func shrinkFault(v any) gopter.Shrink {
	f := v.(Fault)
	var out []Fault
	if len(f.Nodes) > 1 {
		g := f
		g.Nodes = f.Nodes[:1:1]
		out = append(out, g)
	}
	if f.Duration >= 20*time.Millisecond && f.Kind != FaultClockJump {
		g := f
		g.Duration = (f.Duration / 2).Truncate(time.Millisecond)
		out = append(out, g)
	}
	return sliceShrink(out)
}

// sliceShrink yields the values of vs in order.
func sliceShrink[T any](vs []T) gopter.Shrink {
	i := 0
	return func() (any, bool) {
		if i >= len(vs) {
			return nil, false
		}
		i++
		return vs[i-1], true
	}
}
