package proptest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/quorumlock/quorumlock/internal/mutants"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/prop"
)

// CampaignConfig configures a campaign. The zero value of every field means its default.
type CampaignConfig struct {
	// Seed fixes the sequence of scenario seeds. Zero means 1.
	Seed int64
	// Runs is how many scenarios to run. Default 100, or no limit when Duration is set. A
	// campaign stops at the first scenario that breaks a property (after shrinking it).
	Runs int
	// Duration, if positive, ends the campaign once that much time has passed: scenarios in
	// progress finish, no new one starts. With Runs too, whichever comes first ends it.
	Duration time.Duration
	// Nodes fixes the number of in-process nodes of every scenario (1..7); faults on nodes
	// beyond it are dropped. Zero means each scenario draws its own.
	Nodes int
	// Mutant runs every scenario with this mutant enabled (needs the build tag
	// quorumlock_mutants). Empty for the correct protocol.
	Mutant mutants.Mutant
	// RealRedis runs every scenario on redis-server processes started for it (redis-server
	// must be on PATH) instead of in-process miniredis servers.
	RealRedis bool
	// URLs runs every scenario on these servers (1..7 of them; redis://host:port[/db]) instead,
	// one scenario at a time, on all of them: Nodes is len(URLs). Only keys under the prefix
	// "quorumlock-check:" are touched; they are deleted before and after each scenario.
	URLs []string
	// Parallel is how many scenarios run at once. Default: three per CPU, at most 8; more only
	// starves the clusters of CPU, which blurs the timing that some properties need.
	Parallel int
	// Against also runs every scenario against a peer library, PeerRedsync ("redsync"): the same
	// plan on a fresh cluster, checked and counted in Report.Peer. The peer's violations are
	// findings, never a failure. Empty for none; ignored with a Mutant.
	Against string
	// MaxShrinks bounds the shrink steps of a failing scenario; each step re-runs scenarios.
	// Zero means 10; a negative value turns shrinking off.
	MaxShrinks int
	// Progress, if not nil, is called after each scenario (from several goroutines at once,
	// never concurrently) with the number run so far.
	Progress func(done int)
}

func (c CampaignConfig) withDefaults() CampaignConfig {
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Runs == 0 && c.Duration <= 0 {
		c.Runs = 100
	}
	if c.Parallel == 0 {
		c.Parallel = min(8, 3*runtime.GOMAXPROCS(0))
	}
	if c.MaxShrinks == 0 {
		c.MaxShrinks = 10
	}
	if len(c.URLs) > 0 {
		c.Nodes, c.Parallel = len(c.URLs), 1
	}
	return c
}

// validate reports every field that is out of range, in one error naming the fields.
func (c CampaignConfig) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Runs < 0 || c.Parallel < 0 || c.Duration < 0 {
		bad("Runs (%d), Parallel (%d) and Duration (%v) must not be negative", c.Runs, c.Parallel, c.Duration)
	}
	if len(c.URLs) > 0 && c.RealRedis {
		bad("URLs and RealRedis: give one")
	}
	if len(c.URLs) > 7 {
		bad("URLs: %d given, at most 7", len(c.URLs))
	}
	if c.Nodes < 0 || c.Nodes > 7 {
		bad("Nodes is %d, must be in 0..7", c.Nodes)
	}
	if c.Mutant != "" && !slices.Contains(mutants.All, c.Mutant) {
		bad("Mutant: no mutant %q", c.Mutant)
	}
	if c.Mutant != "" && !mutants.Available() {
		bad("Mutant %q needs a build with the tag quorumlock_mutants", c.Mutant)
	}
	if c.Against != "" && c.Against != PeerRedsync {
		bad("Against: no peer %q (%q is)", c.Against, PeerRedsync)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("proptest: campaign: %w", err)
	}
	return nil
}

// Campaign runs generated scenarios, checks every history, and stops at the first scenario
// that breaks a property, which it shrinks. The report counts what ran and what was found; a
// breach is a finding, not an error. The error is for a campaign that could not run: bad
// configuration, a cluster that did not start, or ctx ending.
//
// Scenarios are drawn in chunks of chunkRuns, chunk k from the gopter seed Seed+k, so that a
// campaign of any length or duration draws the same sequence for the same Seed.
func Campaign(ctx context.Context, cfg CampaignConfig) (Report, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return Report{}, err
	}
	c := &campaign{ctx: ctx, cfg: cfg, failures: map[int64]*Failure{}, rep: newReport(cfg)}
	start := time.Now()
	if cfg.Duration > 0 {
		c.deadline = start.Add(cfg.Duration)
	}
	var res *gopter.TestResult
	for k := int64(0); c.more(); k++ {
		runs := chunkRuns
		if cfg.Runs > 0 {
			runs = min(runs, cfg.Runs-c.scenarios())
		}
		res = c.chunk(cfg.Seed+k, runs)
		if res.Status != gopter.TestPassed {
			break
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rep.Elapsed = time.Since(start)
	if res != nil && res.Status == gopter.TestFailed && len(res.Args) > 0 {
		c.rep.Failure = c.failureOf(res.Args[0])
	}
	if c.err != nil {
		return c.rep, c.err
	}
	if err := ctx.Err(); err != nil {
		return c.rep, fmt.Errorf("proptest: campaign: %w", err)
	}
	if res != nil && res.Status == gopter.TestError {
		return c.rep, fmt.Errorf("proptest: campaign: %v", res.Error)
	}
	return c.rep, nil
}

// chunkRuns is how many scenarios one gopter check draws from one seed.
const chunkRuns = 64

// chunk checks runs scenarios drawn from seed.
func (c *campaign) chunk(seed int64, runs int) *gopter.TestResult {
	property := prop.ForAll(c.check, genScenario(c.cfg.Nodes, c.cfg.MaxShrinks > 0, c.cfg.Mutant))
	params := gopter.DefaultTestParametersWithSeed(seed)
	params.MinSuccessfulTests = runs
	params.Workers = min(c.cfg.Parallel, runs)
	params.MaxShrinkCount = max(c.cfg.MaxShrinks, 0)
	return property.Check(params)
}

// more reports whether the campaign should draw more scenarios.
func (c *campaign) more() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.stoppedLocked() && (c.cfg.Runs == 0 || c.rep.Scenarios < c.cfg.Runs)
}

// stoppedLocked reports whether the campaign must not start another scenario.
func (c *campaign) stoppedLocked() bool {
	return c.err != nil || c.ctx.Err() != nil || !c.deadline.IsZero() && !time.Now().Before(c.deadline)
}

func (c *campaign) scenarios() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rep.Scenarios
}

// campaign is the state of one Campaign, shared by its workers.
type campaign struct {
	ctx      context.Context
	cfg      CampaignConfig
	deadline time.Time // zero without Duration

	mu       sync.Mutex
	rep      Report
	err      error
	failures map[int64]*Failure // by scenario seed: the generated scenario and its last failing shrink
}

// check runs one scenario and reports whether every claimed property held. A run that could
// not be set up is recorded as the campaign's error and counts as passing, so that it is not
// shrunk; the campaign then stops at once.
func (c *campaign) check(s Scenario) bool {
	c.mu.Lock()
	// Past the deadline, a failing scenario still shrinks; no new scenario starts.
	stopped := c.stoppedLocked() && (s.Shrunk == 0 || c.err != nil || c.ctx.Err() != nil)
	c.mu.Unlock()
	if stopped {
		return true // not run, not counted
	}
	c.runPeer(s)
	h, err := Run(c.ctx, s, RunConfig{Mutant: c.cfg.Mutant, RealRedis: c.cfg.RealRedis, URLs: c.cfg.URLs})
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		if c.err == nil && c.ctx.Err() == nil {
			c.err = fmt.Errorf("proptest: campaign: scenario seed %d: %w", s.Seed, err)
		}
		return true
	}
	if c.ctx.Err() != nil {
		return true // cut short: its operations failed for that reason, not counted
	}
	res := Check(h)
	c.rep.add(h, res)
	if c.cfg.Progress != nil && s.Shrunk == 0 {
		c.cfg.Progress(c.rep.Scenarios)
	}
	if res.Failed() {
		f := c.failures[s.Seed]
		if f == nil {
			f = &Failure{Scenario: s, Result: res, AfterRuns: c.rep.Scenarios}
			c.failures[s.Seed] = f
		}
		f.Shrunk, f.ShrunkResult = s, res
	}
	return !res.Failed()
}

// failureOf returns the failure gopter reported: the scenario it generated, and the last
// failing shrink of it (gopter shrinks in one worker, so that is the one it settled on).
func (c *campaign) failureOf(arg *gopter.PropArg) *Failure {
	orig, ok := arg.OrigArg.(Scenario)
	if !ok {
		return nil
	}
	return c.failures[orig.Seed]
}

// withNodes returns s on n nodes: node faults keep only the nodes below n, and data loss is
// kept to a minority.
func withNodes(s Scenario, n int) Scenario {
	t := s
	t.N, t.Faults = n, nil
	for _, f := range s.Faults {
		g := f
		g.Nodes = slices.DeleteFunc(slices.Clone(f.Nodes), func(i int) bool { return i >= n })
		if !f.onClient() && len(g.Nodes) == 0 {
			continue
		}
		if f.forgets() && len(Scenario{N: n, Faults: append(t.Faults, g)}.lostNodes()) > minority(n) {
			continue
		}
		t.Faults = append(t.Faults, g)
	}
	return t
}
