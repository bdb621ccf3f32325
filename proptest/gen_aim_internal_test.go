package proptest

import (
	"math/rand"
	"slices"
	"testing"

	"github.com/quorumlock/quorumlock/internal/mutants"
)

// TestEveryMutantHasAFamily: each mutant has a family built to catch it, so that a campaign with
// that mutant draws half its scenarios there.
func TestEveryMutantHasAFamily(t *testing.T) {
	for _, m := range mutants.All {
		if !slices.ContainsFunc(families, func(f family) bool { return slices.Contains(f.aims, m) }) {
			t.Errorf("no family aims at mutant %s", m)
		}
	}
}

// TestAimedSeedsReplay: an aimed draw is a seed of a family built to catch the mutant, and the
// seed alone replays that family's scenario.
func TestAimedSeedsReplay(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, m := range mutants.All {
		seed := aimedSeed(rng, rng.Int63(), m)
		s := ScenarioFromSeed(seed)
		if f := familyOf(seed); f.name != s.Family || !slices.Contains(f.aims, m) {
			t.Errorf("mutant %s: seed %d is of family %s (scenario says %s), which does not aim at it", m, seed, f.name, s.Family)
		}
	}
}
