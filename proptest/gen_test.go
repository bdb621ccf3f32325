package proptest_test

import (
	"reflect"
	"testing"

	"github.com/leanovate/gopter"
	"github.com/quorumlock/quorumlock/proptest"
)

// TestSameSeedSamePlan: a seed rebuilds exactly the scenario it generated.
func TestSameSeedSamePlan(t *testing.T) {
	for seed := int64(1); seed <= 200; seed++ {
		a, b := proptest.ScenarioFromSeed(seed), proptest.ScenarioFromSeed(seed)
		if !reflect.DeepEqual(a, b) || a.String() != b.String() {
			t.Fatalf("seed %d gave two plans:\n%v\n%v", seed, a, b)
		}
		if a.Seed != seed {
			t.Fatalf("seed %d: scenario records seed %d", seed, a.Seed)
		}
	}
}

// TestGeneratedScenariosAreValid: every generated scenario validates, every family and every
// fault kind is drawn, and data loss never reaches a majority.
func TestGeneratedScenariosAreValid(t *testing.T) {
	families := map[string]int{}
	kinds := map[proptest.FaultKind]int{}
	for seed := int64(1); seed <= 2000; seed++ {
		s := proptest.ScenarioFromSeed(seed)
		if err := s.Validate(); err != nil {
			t.Fatalf("seed %d: %v\n%v", seed, err, s)
		}
		for _, why := range s.OutsideTimingModel() {
			if why != "a node clock jumps" && !containsDrift(why) {
				t.Fatalf("seed %d lies outside the model for %q\n%v", seed, why, s)
			}
		}
		families[s.Family]++
		for _, f := range s.Faults {
			kinds[f.Kind]++
		}
	}
	if len(families) < 8 {
		t.Errorf("families drawn: %v, want all 8", families)
	}
	for _, k := range proptest.AllFaultKinds {
		if kinds[k] == 0 {
			t.Errorf("fault kind %s never drawn: %v", k, kinds)
		}
	}
}

func containsDrift(why string) bool { return len(why) > 5 && why[:5] == "drift" }

// TestScenarioJSONRoundTrip: a printed scenario is replayed as it was.
func TestScenarioJSONRoundTrip(t *testing.T) {
	for seed := int64(1); seed <= 50; seed++ {
		s := proptest.ScenarioFromSeed(seed)
		back, err := proptest.ParseScenario(s.JSON())
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if !reflect.DeepEqual(s, back) {
			t.Fatalf("seed %d: round trip changed the scenario:\n%v\n%v", seed, s, back)
		}
	}
	if _, err := proptest.ParseScenario(`{"n": 9}`); err == nil {
		t.Error("ParseScenario accepted N = 9")
	}
}

// TestShrinkScenario: every shrink is a valid, smaller scenario of the same seed.
func TestShrinkScenario(t *testing.T) {
	for seed := int64(1); seed <= 100; seed++ {
		s := proptest.ScenarioFromSeed(seed)
		shrink := proptest.ShrinkScenario(s)
		n := 0
		for v, ok := shrink(); ok; v, ok = shrink() {
			n++
			u := v.(proptest.Scenario)
			if err := u.Validate(); err != nil {
				t.Fatalf("seed %d: shrink %d is invalid: %v\n%v", seed, n, err, u)
			}
			if u.Seed != s.Seed || u.Shrunk != s.Shrunk+1 {
				t.Fatalf("seed %d: shrink has seed %d, shrunk %d", seed, u.Seed, u.Shrunk)
			}
			if size(u) >= size(s) {
				t.Fatalf("seed %d: shrink is not smaller:\n%v\n%v", seed, s, u)
			}
		}
		if len(s.Faults) > 0 && n == 0 {
			t.Fatalf("seed %d: no shrink of a scenario with faults", seed)
		}
	}
}

// size orders scenarios for shrinking: faults, their nodes and durations, updates, clients.
func size(s proptest.Scenario) int64 {
	n := int64(s.Ops)*1e12 + int64(s.Clients)*1e14 + int64(len(s.Faults))*1e16
	for _, f := range s.Faults {
		n += int64(len(f.Nodes))*1e10 + int64(f.Duration)
	}
	return n
}

// TestGenScenarioDrawsOneSeedEach: the gopter generator is ScenarioFromSeed of one draw.
func TestGenScenarioDrawsOneSeedEach(t *testing.T) {
	params := gopter.DefaultGenParameters()
	params.Rng.Seed(7)
	want := params.Rng.Int63()
	params.Rng.Seed(7)
	v, ok := proptest.GenScenario(0, true)(params).Retrieve()
	if !ok || !reflect.DeepEqual(v, proptest.ScenarioFromSeed(want)) {
		t.Fatalf("GenScenario gave %v, want ScenarioFromSeed(%d)", v, want)
	}
	params.Rng.Seed(7)
	v, _ = proptest.GenScenario(3, false)(params).Retrieve()
	if s := v.(proptest.Scenario); s.N != 3 || s.Validate() != nil {
		t.Fatalf("GenScenario(3) gave N = %d: %v", s.N, s.Validate())
	}
}
