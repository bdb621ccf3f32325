// Package proptest is the safety campaign of quorumlock: property-based fault injection over
// in-process clusters, a recorded history of every run, and a checker of that history.
//
// # What a campaign does
//
// gopter generates scenarios (GenScenario): the number of nodes (1..7), clients, TTL, drift
// allowance, a lock-set workload, and a fault schedule as data (Scenario, Fault): node stalls
// whose queued requests run on resume, failing nodes, replies lost after the write, delays,
// data loss (FLUSHALL: amnesia), kill -9 and restart with or without the node's data, node clock
// jumps and drift, partitions between some clients and some nodes, client wall-clock steps,
// and client pauses past the end of the lease (the GC-pause case). Besides fully random
// scenarios, families aim at one rule of the protocol each (see the families in gen.go). A
// scenario is rebuilt from its seed (ScenarioFromSeed); a failing one is shrunk and printed
// with its seed and as JSON.
//
// Run executes a scenario: miniredis servers whose keys expire on the wall clock (or
// redis-server processes), one quorum.Locker per client, dialled as quorum.Dial dials, over its
// own connections through the fault layer below them (internal/faultnet), a goroutine that
// applies the fault schedule, and per client a loop of Acquire, a fenced
// read-for-update, an optional hold, Extend or pause, a fenced write of the set with one new
// element, and Release. At the end every fault is healed, the Lockers are closed, the lock keys
// left on the nodes are recorded, and a fresh client must be granted the lock (the probe).
// Every operation and fault is recorded with its invoke and complete times on one monotonic
// clock (History). Runs use real goroutines, timers and loopback TCP: a seed reproduces the
// plan, not the interleaving.
//
// Check verifies, per history (the Property constants):
//
//   - tokens: no two grants share a token, and a grant requested after another was granted has
//     a larger one (docs/PROTOCOL.md §4);
//   - the fenced resource: it admitted tokens in non-decreasing order, its final set holds every
//     acknowledged element (no lost update), and its history is linearizable as a fenced
//     register (porcupine);
//   - exclusion: the intervals in which clients believed they held the lease (from the return of
//     Acquire to the earliest of Release, ValidUntil and an Extend that reported the lease lost)
//     never overlap (§5);
//   - extend continuity: no Extend succeeds after another grant that began after the lease's own
//     was granted, i.e. an expired key is never re-created (§7);
//   - liveness: the probe is granted within LivenessBound; no lock key is left on the nodes once
//     every client has closed (§8); and a stalled minority does not slow grants to NodeTimeout
//     (§3.3).
//
// # What it proves, and under which assumptions
//
// A campaign without violations is evidence, not proof: it shows that none of the generated
// histories breaks a property. The checker is shown to catch the bug each rule exists for by
// the mutants of package quorum (build tag quorumlock_mutants): every mutant is caught within
// the budget of the tests in this package.
//
// Tokens, the fenced resource and extend continuity need no clock, and are checked in every
// scenario, whatever its faults. Exclusion is claimed only inside the timing model of
// docs/PROTOCOL.md §1: node clocks neither jump nor drift by more than DriftFactor, and fewer
// than a majority of the nodes lose their data (those are quarantined and healed, §6). Outside
// it (Scenario.OutsideTimingModel) overlaps are reported as expected, and the other properties
// must still hold. Client pauses lie inside the model: a paused client acts late, which the
// fence must refuse, but its lease still ends at ValidUntil. Liveness after data loss on a
// majority is not claimed (§6.5).
//
// The fenced store uses mark-before-write: its read-for-update raises the fence. With a fenced
// write alone, a stale holder's write could land between a new holder's read and write, and the
// lost-update check would fail on a correct lock (docs/PROTOCOL.md §10).
//
// # The peer, side by side
//
// CampaignConfig.Against (RunConfig.Against) runs every scenario a second time, with the same
// plan on a fresh cluster, against go-redsync/redsync v4 with the scenario's TTL, drift factor
// and NodeTimeout (redsync.go says how each maps). Its connections go through the same fault
// layer, so its nodes meet the same faults. Redsync has no fencing token, so its store admits every read
// and write in arrival order; the token and fence properties are not applicable (NotApplicable),
// the others are checked as on ours, under the same timing model, and counted in Report.Peer.
// Its violations are findings about the peer, never a failure of the campaign.
//
// Nodes are in-process miniredis servers by default, reached through the real go-redis adapter
// over loopback TCP; RunConfig.RealRedis and CampaignConfig.RealRedis run the same scenarios on
// redis-server processes, where a stall is SIGSTOP (commands sent meanwhile run on SIGCONT), a
// restart is kill -9 and a new process on the same port (with its AOF, fsynced on every write,
// or with its data files deleted), and clock jumps and drift are played by rewriting TTLs. On
// in-process nodes a stall is a black hole in front of the node whose queued requests run on
// resume, and a restart closes and restarts the miniredis server. RunConfig.URLs runs on servers
// given by URL, touching only keys under "quorumlock-check:". A partition cuts some clients
// off from some nodes (requests, replies or both lost) while the others still reach them. The
// random family spreads its updates over up to three locks, each guarding its own store; the
// properties of a lock and its store are checked per lock. A client's wall clock steps
// (clock.WallClock) back or ahead, by up to three days, while its monotonic clock runs on: only
// the token proposals read it. Limits of this version: all clients share one machine and one
// monotonic clock, and a lost request or reply fails at once rather than after a timeout.
package proptest
