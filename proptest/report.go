package proptest

import (
	"fmt"
	"strings"
	"time"

	"github.com/quorumlock/quorumlock/internal/mutants"
)

// Report summarises a campaign.
type Report struct {
	Seed       int64
	Mutant     mutants.Mutant // "" for the correct protocol
	RealRedis  bool           // nodes were redis-server processes, not in-process servers
	Backend    string         // what the nodes were, in words
	Runs       int            // scenarios asked for; 0 for no limit
	Duration   time.Duration  // time asked for; 0 for no limit
	Scenarios  int            // scenarios run, shrink re-runs not counted
	ShrinkRuns int            // runs of shrunk scenarios
	Operations int            // recorded operations other than faults
	Faults     map[FaultKind]int
	Families   map[string]int
	Violations map[Property]int // histories that breached the property where it is claimed
	Expected   map[Property]int // histories that breached it outside the timing model
	Left       KeysLeft         // lock keys left on the nodes once every client had closed
	Peer       *PeerReport      // the peer on the same scenarios (CampaignConfig.Against), or nil
	Failure    *Failure         // the scenario that stopped the campaign; nil if none did
	Elapsed    time.Duration
}

// Failure is a scenario that breached a property where it is claimed.
type Failure struct {
	Scenario     Scenario // as generated: ScenarioFromSeed(Scenario.Seed) replays its plan
	Result       Result   // the checker's verdict on it
	AfterRuns    int      // scenarios run when it was found, itself included
	Shrunk       Scenario // the smallest scenario found to fail, replayable from Shrunk.JSON()
	ShrunkResult Result
}

// Caught returns the properties that caught the failure, or nil if nothing failed.
func (r Report) Caught() []Property {
	if r.Failure == nil {
		return nil
	}
	return r.Failure.Result.Breached()
}

func newReport(cfg CampaignConfig) Report {
	r := Report{Seed: cfg.Seed, Mutant: cfg.Mutant, RealRedis: cfg.RealRedis, Backend: backend(cfg), Runs: cfg.Runs, Duration: cfg.Duration, Faults: map[FaultKind]int{},
		Families: map[string]int{}, Violations: map[Property]int{}, Expected: map[Property]int{}, Left: newKeysLeft()}
	if cfg.Against != "" && cfg.Mutant == "" {
		r.Peer = newPeerReport(cfg.Against)
	}
	return r
}

// add counts one checked history.
func (r *Report) add(h *History, res Result) {
	if h.Scenario.Shrunk > 0 {
		r.ShrinkRuns++
		return
	}
	r.Scenarios++
	r.Families[h.Scenario.Family]++
	for _, o := range h.Ops {
		if o.Kind == OpFault {
			r.Faults[o.Fault.Kind]++
		} else {
			r.Operations++
		}
	}
	countViolations(res, r.Violations, r.Expected)
	r.Left.add(h)
}

// backend names the nodes of a campaign.
func backend(cfg CampaignConfig) string {
	switch {
	case len(cfg.URLs) > 0:
		return fmt.Sprintf("%d given servers", len(cfg.URLs))
	case cfg.RealRedis:
		return "redis-server processes"
	}
	return "in-process miniredis"
}

// asked says how many scenarios the campaign was asked for.
func (r Report) asked() string {
	switch {
	case r.Runs > 0 && r.Duration > 0:
		return fmt.Sprintf("%d or %v asked", r.Runs, r.Duration)
	case r.Duration > 0:
		return fmt.Sprintf("%v asked", r.Duration)
	}
	return fmt.Sprintf("%d asked", r.Runs)
}

// String renders the report as a summary table.
func (r Report) String() string {
	var b strings.Builder
	mutant := string(r.Mutant)
	if mutant == "" {
		mutant = "none"
	}
	fmt.Fprintf(&b, "campaign seed %d, mutant %s, %s: %d scenarios (%s; %d shrink runs), %d operations, %v\n",
		r.Seed, mutant, r.Backend, r.Scenarios, r.asked(), r.ShrinkRuns, r.Operations, r.Elapsed.Round(time.Millisecond))
	fmt.Fprintf(&b, "faults injected:")
	for _, k := range AllFaultKinds {
		fmt.Fprintf(&b, " %s %d", k, r.Faults[k])
	}
	fmt.Fprintf(&b, "\nfamilies:")
	for _, f := range families {
		fmt.Fprintf(&b, " %s %d", f.name, r.Families[f.name])
	}
	fmt.Fprintln(&b)
	r.writeProperties(&b)
	r.writeKeysLeft(&b)
	if f := r.Failure; f != nil {
		fmt.Fprintf(&b, "FAILED after %d scenarios, caught by %v\n%v\n%v", f.AfterRuns, f.Result.Breached(), f.Scenario, f.Result)
		fmt.Fprintf(&b, "replay the plan: proptest.ScenarioFromSeed(%d)\n", f.Scenario.Seed)
		if f.Shrunk.Shrunk > 0 {
			fmt.Fprintf(&b, "shrunk in %d steps to:\n%v\n%vreplay it: proptest.ParseScenario(`%s`)\n",
				f.Shrunk.Shrunk, f.Shrunk, f.ShrunkResult, f.Shrunk.JSON())
		}
	}
	return b.String()
}
