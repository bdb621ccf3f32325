package proptest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/prop"
	"github.com/quorumlock/quorumlock/quorum"
)

// CampaignConfig configures a campaign. The zero value of every field means its default.
type CampaignConfig struct {
	// Seed fixes the sequence of scenario seeds. Zero means 1.
	Seed int64
	// Runs is how many scenarios to run. Default 100. A campaign stops at the first scenario
	// that breaks a property (after shrinking it).
	Runs int
	// Nodes fixes the number of in-process nodes of every scenario (1..7); faults on nodes
	// beyond it are dropped. Zero means each scenario draws its own.
	Nodes int
	// Mutant runs every scenario with this mutant enabled (needs the build tag
	// quorumlock_mutants). Empty for the correct protocol.
	Mutant quorum.Mutant
	// RealRedis runs every scenario on redis-server processes started for it (redis-server
	// must be on PATH) instead of in-process miniredis servers.
	RealRedis bool
	// Parallel is how many scenarios run at once. Default: three per CPU, at most 8; more only
	// starves the clusters of CPU, which blurs the timing that some properties need.
	Parallel int
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
	if c.Runs == 0 {
		c.Runs = 100
	}
	if c.Parallel == 0 {
		c.Parallel = min(8, 3*runtime.GOMAXPROCS(0))
	}
	if c.MaxShrinks == 0 {
		c.MaxShrinks = 10
	}
	return c
}

// validate reports every field that is out of range, in one error naming the fields.
func (c CampaignConfig) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Runs < 0 || c.Parallel < 0 {
		bad("Runs (%d) and Parallel (%d) must not be negative", c.Runs, c.Parallel)
	}
	if c.Nodes < 0 || c.Nodes > 7 {
		bad("Nodes is %d, must be in 0..7", c.Nodes)
	}
	if c.Mutant != "" && !slices.Contains(quorum.AllMutants, c.Mutant) {
		bad("Mutant: no mutant %q", c.Mutant)
	}
	if c.Mutant != "" && !quorum.MutantsAvailable {
		bad("Mutant %q needs a build with the tag quorumlock_mutants", c.Mutant)
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
func Campaign(ctx context.Context, cfg CampaignConfig) (Report, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return Report{}, err
	}
	c := &campaign{ctx: ctx, cfg: cfg, failures: map[int64]*Failure{}, rep: newReport(cfg)}
	start := time.Now()
	property := prop.ForAll(c.check, GenScenario(cfg.Nodes, cfg.MaxShrinks > 0))
	params := gopter.DefaultTestParametersWithSeed(cfg.Seed)
	params.MinSuccessfulTests = cfg.Runs
	params.Workers = min(cfg.Parallel, cfg.Runs)
	params.MaxShrinkCount = max(cfg.MaxShrinks, 0)
	res := property.Check(params)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rep.Elapsed = time.Since(start)
	if res.Status == gopter.TestFailed && len(res.Args) > 0 {
		c.rep.Failure = c.failureOf(res.Args[0])
	}
	if c.err != nil {
		return c.rep, c.err
	}
	if err := ctx.Err(); err != nil {
		return c.rep, fmt.Errorf("proptest: campaign: %w", err)
	}
	if res.Status == gopter.TestError {
		return c.rep, fmt.Errorf("proptest: campaign: %v", res.Error)
	}
	return c.rep, nil
}

// campaign is the state of one Campaign, shared by its workers.
type campaign struct {
	ctx context.Context
	cfg CampaignConfig

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
	stopped := c.err != nil || c.ctx.Err() != nil
	c.mu.Unlock()
	if stopped {
		return true
	}
	h, err := Run(c.ctx, s, RunConfig{Mutant: c.cfg.Mutant, RealRedis: c.cfg.RealRedis})
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		if c.err == nil && c.ctx.Err() == nil {
			c.err = fmt.Errorf("proptest: campaign: scenario seed %d: %w", s.Seed, err)
		}
		return true
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
		if f.Kind != FaultPause && len(g.Nodes) == 0 {
			continue
		}
		if f.Kind == FaultDataLoss && len(Scenario{N: n, Faults: append(t.Faults, g)}.lostNodes()) > minority(n) {
			continue
		}
		t.Faults = append(t.Faults, g)
	}
	return t
}
