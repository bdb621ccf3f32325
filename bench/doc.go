// Package bench measures quorumlock side by side with redsync (github.com/go-redsync/redsync/v4),
// the Go default Redlock library, on the same Redis nodes in the same run.
//
// Run takes a Config (the nodes, and scenarios as data) and returns a Report (results as data),
// which renders itself as a text table, Markdown, JSON or an SVG chart. For every scenario the
// two libraries alternate (ours, redsync, ours, redsync, ...) so that drift of the machine hits
// both, and every metric is the median over rounds, except keys left behind and errors, which
// are the worst round.
//
// What is measured, per operation (an op is one Lock+Unlock pair, or, in the contended
// scenario, one TryLock attempt plus the Unlock when it was granted; in a waiting scenario, one
// Lock that waits until granted, a short hold and the Unlock, whose latency is the wait alone;
// in an election scenario, one change of leader):
//
//   - throughput and latency percentiles over the measured window, after an unmeasured warm-up;
//   - client CPU (getrusage of this whole process) and heap allocations (runtime.MemStats
//     Mallocs): with in-process nodes these include the nodes' own work;
//   - server CPU, from INFO cpu (used_cpu_sys + used_cpu_user) summed over the nodes in use:
//     unknown for servers that do not report it (miniredis);
//   - lock keys left on every node after the clients were closed and a short settle;
//   - for ours, in waiting and election scenarios, the attempts per grant (quorum.EventAcquire,
//     counted by an Observer of every client): how often a waiter woke to find the lock held.
//
// Waiting scenarios measure the ops started within the window, each until it ends, and rate
// those that ended within it over the window: the waiters still in line when the window closes
// would otherwise stretch it while their contention thins out. Until the last measured op has
// ended, the other workers go on with unmeasured ops that keep the contention up; their CPU and
// allocations count per op with the measured ones. The workers of a scenario are separate
// clients, as separate processes would be (a Locker each; a redsync with go-redis clients of its
// own each), or share one (Scenario.Clients): the waiters of one Locker take turns, those of
// separate Lockers all wake at a release. A scenario with Polling also runs ours with
// quorum.Options.DisableNotify ("ours (polling)") as a third library in every round, and
// reports ours over it ("ours/polling"): waiting by notification against waiting by polling,
// in the same run. A waiting scenario with Permits takes permits of a semaphore of ours
// (package semaphore) instead of the lock, and runs ours alone: redsync has none.
//
// Election scenarios elect a leader among candidates, a client each: ours campaign with
// package election, redsync's loop on Lock of one mutex, whose holder extends it every third
// of its expiry, as users of redsync elect. An op makes the leader crash (its client is closed
// without releasing, so its keys are left to expire; a new candidate replaces it) or resign,
// and its latency is the time from then until another candidate's campaign returns. A failover
// lasts about what the crashed term had left of its TTL, the same for both libraries; the
// report also gives the part of it after the term's keys expired on a majority of the nodes
// (their PTTL read just after the crash), which is how long the candidates took to notice.
// Miniredis expires keys only when told, so failovers are skipped on in-process nodes.
//
// Both libraries run with their default options, but for the TTL a scenario sets for both:
// ours with quorum.Dial defaults, redsync with its NewMutex defaults over goredis/v9 pools whose
// clients are made by redis.ParseURL of the same URLs. The go-redis defaults matter when a node
// is down: each call to it lasts through the client's dial retries (DialerRetries 5, 100 ms
// apart) and command retries (MaxRetries 3), and redsync waits for every node unless FailFast.
// Each library writes under its own key prefix.
//
// A benchmark reports what it measured, and nothing adjusts the numbers. The goals of the
// project for some ratios are data (Scenario.Targets): the report shows each beside the ratio
// the run measured, met or not. No test asserts a speed.
//
// go-redis logs every failed dial of those clients through its global logger (on stderr by
// default). bench leaves that logger alone, as a library should; a program that wants quiet
// output calls redis.SetLogger(&logging.VoidLogger{}) in main, as cmd/quorumlock does. Failures
// that matter reach the Report or the returned error either way.
package bench
