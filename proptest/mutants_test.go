//go:build quorumlock_mutants

package proptest_test

import (
	"context"
	"testing"

	"github.com/quorumlock/quorumlock/internal/mutants"

	"github.com/quorumlock/quorumlock/proptest"
)

// TestCampaignCatchesEveryMutant: with each mutant of package quorum enabled, the campaign finds
// a history that breaches a property within its budget (QUORUMLOCK_MUTANT_RUNS scenarios, 120
// by default), and says which property caught it.
func TestCampaignCatchesEveryMutant(t *testing.T) {
	budget := envInt(t, "QUORUMLOCK_MUTANT_RUNS", 120)
	for _, m := range mutants.All {
		t.Run(string(m), func(t *testing.T) {
			rep, err := proptest.Campaign(context.Background(), proptest.CampaignConfig{
				Seed: envInt(t, "QUORUMLOCK_CAMPAIGN_SEED", 1), Runs: int(budget), Mutant: m, MaxShrinks: -1,
				Parallel: int(defaultParallel())})
			if err != nil {
				t.Fatalf("campaign: %v\n%v", err, rep)
			}
			if rep.Failure == nil {
				t.Fatalf("mutant %s survived %d scenarios:\n%v", m, rep.Scenarios, rep)
			}
			f := rep.Failure
			t.Logf("%s caught by %v after %d scenarios (%v); family %s, seed %d\n%v",
				m, rep.Caught(), f.AfterRuns, rep.Elapsed.Round(1e6), f.Scenario.Family, f.Scenario.Seed, f.Result)
		})
	}
}

// TestFailingScenarioShrinks: a scenario that breaks a property is shrunk to a smaller one that
// still does, and the report prints the seed and the shrunk scenario.
func TestFailingScenarioShrinks(t *testing.T) {
	rep, err := proptest.Campaign(context.Background(), proptest.CampaignConfig{
		Seed: 1, Runs: 60, Mutant: mutants.BlindRelease, MaxShrinks: 4, Parallel: 4})
	if err != nil {
		t.Fatalf("campaign: %v", err)
	}
	f := rep.Failure
	if f == nil {
		t.Fatalf("blind-release was not caught:\n%v", rep)
	}
	t.Logf("\n%v", rep)
	if f.Shrunk.Seed != f.Scenario.Seed || !f.ShrunkResult.Failed() {
		t.Fatalf("shrunk scenario %v does not fail or lost its seed:\n%v", f.Shrunk, f.ShrunkResult)
	}
	if f.Shrunk.Shrunk > 0 && rep.ShrinkRuns == 0 {
		t.Errorf("shrunk %d steps with no shrink runs", f.Shrunk.Shrunk)
	}
	if _, err := proptest.ParseScenario(f.Shrunk.JSON()); err != nil {
		t.Errorf("the shrunk scenario does not replay: %v", err)
	}
}
