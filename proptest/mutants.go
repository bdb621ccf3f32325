package proptest

import (
	"context"
	"fmt"
	"time"

	"github.com/quorumlock/quorumlock/internal/mutants"
)

// MutantResult is what a campaign with one mutant enabled found: whether a property caught it,
// which, and after how many scenarios.
type MutantResult struct {
	Mutant    mutants.Mutant
	Caught    bool
	By        []Property    // the properties the first failing history breached
	AfterRuns int           // scenarios run when it was caught, itself included
	Family    string        // the family of the scenario that caught it
	Seed      int64         // that scenario's seed: ScenarioFromSeed(Seed) replays its plan
	Scenarios int           // scenarios run
	Elapsed   time.Duration // time the mutant's campaign took
}

func (m MutantResult) String() string {
	if !m.Caught {
		return fmt.Sprintf("%s SURVIVED %d scenarios", m.Mutant, m.Scenarios)
	}
	return fmt.Sprintf("%s caught by %v after %d scenarios (family %s, seed %d)", m.Mutant, m.By, m.AfterRuns, m.Family, m.Seed)
}

// CatchMutants runs one campaign per mutant, each with cfg (Runs is the budget) and that mutant
// enabled, without shrinking, and reports what caught each. done, if not nil, is called after
// each mutant. It needs a build with the tag quorumlock_mutants.
func CatchMutants(ctx context.Context, cfg CampaignConfig, list []mutants.Mutant, done func(MutantResult)) ([]MutantResult, error) {
	var out []MutantResult
	for _, m := range list {
		c := cfg
		c.Mutant, c.MaxShrinks, c.Progress = m, -1, nil
		rep, err := Campaign(ctx, c)
		if err != nil {
			return out, fmt.Errorf("mutant %s: %w", m, err)
		}
		r := MutantResult{Mutant: m, Scenarios: rep.Scenarios, Elapsed: rep.Elapsed}
		if f := rep.Failure; f != nil {
			r.Caught, r.By, r.AfterRuns = true, rep.Caught(), f.AfterRuns
			r.Family, r.Seed = f.Scenario.Family, f.Scenario.Seed
		}
		out = append(out, r)
		if done != nil {
			done(r)
		}
	}
	return out, nil
}
