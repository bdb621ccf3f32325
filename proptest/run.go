package proptest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/internal/mutants"
	"github.com/quorumlock/quorumlock/quorum"
)

// RunConfig says how to run one scenario.
type RunConfig struct {
	// Mutant is enabled on every Locker, and on every node for the node-script mutants, when
	// the build has the tag quorumlock_mutants. Empty for the correct protocol.
	Mutant mutants.Mutant
	// RealRedis runs the nodes as redis-server processes (redis-server must be on PATH),
	// started for the run and killed after it. Default: in-process miniredis servers.
	RealRedis bool
	// URLs runs the nodes on these servers instead (redis://host:port[/db]); a scenario uses the
	// first N. A run touches only keys under its own prefix, "quorumlock-check:", and deletes
	// them before and after; runs on the same servers must not overlap.
	URLs []string
	// Against runs the workload with the peer library instead of ours: PeerRedsync, or empty
	// for ours. The peer has no fencing token, so its store accepts every read and write in
	// arrival order. It excludes Mutant.
	Against string
}

// LivenessBound is how soon after every fault has healed a fresh client must be granted the
// lock. The keys of earlier holders expire within a TTL, so a grant normally comes within
// milliseconds of that; the bound is far looser, as a campaign under the race detector shares
// two cores between several clusters, so it catches a lock stuck for good (a key nobody
// removes, a node never healed), not a slow one.
func LivenessBound(s Scenario) time.Duration { return 2*s.TTL + 5*time.Second }

// Run executes s on a fresh cluster (in process, unless cfg.RealRedis) and returns what
// happened: the history of every operation and fault. The fault schedule and the workload's
// choices are those of s; the interleaving is whatever the goroutines, timers and loopback TCP
// produce. It returns an error only when the run could not be set up.
func Run(ctx context.Context, s Scenario, cfg RunConfig) (*History, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("proptest: %w", err)
	}
	if cfg.Mutant != "" && !mutants.Valid(cfg.Mutant) {
		return nil, fmt.Errorf("proptest: no mutant %q", cfg.Mutant)
	}
	if err := peerRuns(s); cfg.Against != "" && err != nil {
		return nil, err
	}
	if cfg.Against != "" && (cfg.Against != PeerRedsync || cfg.Mutant != "") {
		return nil, fmt.Errorf("proptest: against %q with mutant %q: the peer is %q, without mutants",
			cfg.Against, cfg.Mutant, PeerRedsync)
	}
	if len(cfg.URLs) > 0 && s.N > len(cfg.URLs) {
		return nil, fmt.Errorf("proptest: scenario needs %d nodes, %d URLs given", s.N, len(cfg.URLs))
	}
	c, err := startCluster(s, cfg)
	if err != nil {
		return nil, err
	}
	defer c.close()
	r := &runner{s: s, cfg: cfg, c: c}
	lockers, err := r.lockers(ctx, s.Clients)
	if err != nil {
		return nil, err
	}
	if err := r.bootstrap(ctx, lockers[0].l); err != nil {
		return nil, errors.Join(err, closeAll(lockers))
	}
	rec := newRecorder()
	stores := newStores(rec, cfg.Against == "", s)
	if len(s.Script) > 0 {
		r.scripted(ctx, lockers, rec)
	} else {
		r.workload(ctx, lockers, stores, rec)
	}
	if err := closeAll(lockers); err != nil {
		return nil, err
	}
	c.barrier(ctx)
	left := c.lockKeys(lockKeys(cfg.Against, s))
	if err := r.probe(ctx, stores, rec); err != nil {
		return nil, err
	}
	for _, st := range stores {
		st.final()
	}
	return &History{Scenario: s, Mutant: string(cfg.Mutant), Against: cfg.Against, Ops: rec.history(),
		LeftKeys: left, Elapsed: rec.now(), Diagnosis: r.diagnosis, NodeGrants: r.grants.history(rec)}, nil
}

// runner holds what one Run sets up.
type runner struct {
	s     Scenario
	cfg   RunConfig
	c     *cluster
	walls map[int]*wallClock // our clients' clocks, whose wall readings faults step

	diagnosis string   // how the servers answered right after a failed probe
	grants    grantLog // every node grant our clients heard
}

// workload runs the clients and the fault schedule until both are done, then heals every fault.
func (r *runner) workload(ctx context.Context, clients []*client, stores []*store, rec *recorder) {
	stopObserver := r.observer(ctx, rec)
	defer stopObserver()
	inj := startInjector(ctx, r.s, r.c, rec, r.walls)
	var wg sync.WaitGroup
	for _, cl := range clients {
		cl.stores, cl.rec, cl.inj, cl.wait = stores, rec, inj, acquireWait(r.s)
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl.run(ctx)
		}()
	}
	wg.Wait()
	inj.stop()
}

// observer starts, for the election workload, a client of its own that runs Election.Observe
// and records what it reports, and returns the function that stops it and closes its Locker.
// A cluster on which it cannot even dial goes without.
func (r *runner) observer(ctx context.Context, rec *recorder) func() {
	if r.s.Workload != WorkloadElection || r.cfg.Against != "" {
		return func() {}
	}
	o, err := r.newClient(ctx, ObserverClient)
	if err != nil {
		return func() {}
	}
	o.rec = rec
	octx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		o.observe(octx)
	}()
	return func() {
		cancel()
		<-done
		_ = o.l.close()
	}
}

// lockers returns n clients, each with its own lock library over its own view of the cluster.
func (r *runner) lockers(ctx context.Context, n int) ([]*client, error) {
	var out []*client
	for i := range n {
		cl, err := r.newClient(ctx, i)
		if err != nil {
			return nil, errors.Join(err, closeAll(out))
		}
		out = append(out, cl)
	}
	return out, nil
}

func (r *runner) newClient(ctx context.Context, id int) (*client, error) {
	var lib lockLib
	var err error
	if r.cfg.Against == PeerRedsync {
		lib, err = r.newRedsync(id)
	} else {
		lib, err = r.newQuorum(ctx, id)
	}
	if err != nil {
		return nil, err
	}
	return &client{id: id, s: r.s, l: lib}, nil
}

// newQuorum returns our Locker, dialled as quorum.Dial dials in production, with connections of
// its own to every server through the faults.
func (r *runner) newQuorum(ctx context.Context, id int) (lockLib, error) {
	obs := &attemptObserver{nodeGrant: func(node string, tok fencing.Token) { r.grants.add(id, node, tok) }}
	wall := newWallClock()
	if r.walls == nil {
		r.walls = map[int]*wallClock{}
	}
	r.walls[id] = wall
	opts := quorum.Options{
		Clock:         wall,
		TTL:           r.s.TTL,
		DriftFactor:   r.s.DriftFactor,
		NodeTimeout:   r.s.NodeTimeout,
		KeyPrefix:     keyPrefix,
		RetryDelayMin: 2 * time.Millisecond, // the workload's clients contend hard
		RetryDelayMax: 12 * time.Millisecond,
		Observer:      obs,
		Dialer:        r.c.dialer(id),
	}
	if r.s.RetryDelayMax > 0 {
		opts.RetryDelayMax = r.s.RetryDelayMax
	}
	if id == ProbeClient { // the probe retries as a client with the defaults would
		opts.RetryDelayMin, opts.RetryDelayMax = 0, 0
	}
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	l, err := quorum.Dial(dctx, r.c.urls(), opts)
	if err != nil {
		return nil, fmt.Errorf("proptest: %w", err)
	}
	if r.cfg.Mutant != "" {
		if err := mutants.On(l, r.cfg.Mutant); err != nil {
			return nil, errors.Join(err, l.Close())
		}
	}
	q := &quorumLib{l: l, obs: obs}
	switch r.s.Workload {
	case WorkloadSemaphore:
		return &semLib{quorumLib: q, permits: r.s.Permits}, nil
	case WorkloadElection:
		return &electLib{quorumLib: q, id: fmt.Sprintf("client-%d", id)}, nil
	}
	return q, nil
}

// oursOf returns our Locker's library under a workload's library, if it is ours.
func oursOf(l lockLib) (*quorumLib, bool) {
	switch l := l.(type) {
	case *quorumLib:
		return l, true
	case *semLib:
		return l.quorumLib, true
	case *electLib:
		return l.quorumLib, true
	}
	return nil, false
}

// acquireWait bounds one Acquire of a workload's client.
func acquireWait(s Scenario) time.Duration { return 3 * s.TTL }

// dialTimeout bounds a client's Dial: it reads every server's run_id.
const dialTimeout = 10 * time.Second

// bootstrap brings the new cluster into service, as an operator does for a new deployment
// (quorum.Locker.Heal with NewDeployment), and takes and releases another lock once.
func (r *runner) bootstrap(ctx context.Context, l lockLib) error {
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if ql, ok := oursOf(l); ok {
		if err := newDeployment(wctx, ql.l); err != nil {
			return fmt.Errorf("proptest: bring the nodes into service: %w", err)
		}
	}
	le, _, err := l.acquire(wctx, "warm-up")
	if err != nil {
		return fmt.Errorf("proptest: warm-up: %w", err)
	}
	_ = le.release(wctx) // a key it misses expires; only the workload's lock is checked
	return nil
}

// newDeployment brings fresh nodes into service, trying again while too few answered in time
// (a loaded machine): a refusal means that no node is amnesic any more.
func newDeployment(ctx context.Context, l *quorum.Locker) error {
	for {
		_, err := l.Heal(ctx, quorum.HealOptions{NewDeployment: true})
		if err == nil || errors.Is(err, quorum.ErrHealRefused) {
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		if !sleep(ctx, 50*time.Millisecond) {
			return err
		}
	}
}

// probe checks liveness once every fault has healed and every client has closed: a fresh
// client must be granted the lock within LivenessBound, and makes one fenced update.
func (r *runner) probe(ctx context.Context, stores []*store, rec *recorder) error {
	p, err := r.newClient(ctx, ProbeClient)
	if err != nil {
		return err
	}
	p.stores, p.rec, p.wait = stores, rec, LivenessBound(r.s)
	if r.s.majorityLost() {
		r.operatorHeal(ctx, p, rec)
	}
	for res := range r.s.lockNames() {
		p.update(ctx, 0, updatePlan{res: res})
	}
	if probeFailed(rec) {
		r.diagnosis = r.c.diagnose(ctx)
	}
	return closeAll([]*client{p})
}

// operatorHeal does what an operator does after more than a minority of the nodes became
// amnesic (docs/PROTOCOL.md §6.5): the recovery of quorum.Locker.Heal, which waits out their
// quarantine and gives them a floor above every token. It is refused, harmlessly, where the
// lock heals the nodes by itself. The peer has no such step.
func (r *runner) operatorHeal(ctx context.Context, p *client, rec *recorder) {
	q, ok := oursOf(p.l)
	if !ok {
		return
	}
	op := Op{Client: ProbeClient, Kind: OpHeal, Invoke: rec.now()}
	rep, err := q.l.Heal(ctx, quorum.HealOptions{ClockSkew: operatorClockSkew})
	op.Complete, op.OK = rec.now(), err == nil
	if err != nil {
		op.Err = err.Error()
	} else {
		op.Token = rep.Floor
	}
	rec.add(op)
}

// operatorClockSkew is the clock skew the probe's recovery allows for: the servers run on this
// machine, on one clock.
const operatorClockSkew = 10 * time.Millisecond

// probeFailed reports whether an Acquire of the probe failed.
func probeFailed(rec *recorder) bool {
	for _, o := range rec.history() {
		if o.Client == ProbeClient && o.Kind == OpAcquire && !o.OK {
			return true
		}
	}
	return false
}

// closeAll closes the clients' lock libraries, which waits for their clean-ups in flight.
func closeAll(cls []*client) error {
	var errs []error
	for _, cl := range cls {
		errs = append(errs, cl.l.close())
	}
	return errors.Join(errs...)
}
