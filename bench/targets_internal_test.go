package bench

import (
	"testing"
	"time"
)

func TestTargetsAreMeasuredOnTheMediansAgainstTheirLibrary(t *testing.T) {
	sum := func(lib string, grants float64, p99 time.Duration) Summary {
		return Summary{Median: Result{Library: lib, GrantsPerSec: grants, P99: p99}}
	}
	sc := Scenario{Name: "w", Kind: Waiting, Polling: true, Targets: waitTargets}
	polling := sum(OursPolling, 300, 800*time.Millisecond)
	tests := []struct {
		name      string
		ours      Summary
		want      []string
		met, know []bool
	}{
		{"both met", sum(Ours, 300, 200*time.Millisecond),
			[]string{"grants/s ours/redsync 3.00x, target >= 3.00x: met", "p99 ours/polling 0.25x, target <= 0.50x: met"},
			[]bool{true, true}, []bool{true, true}},
		{"neither met", sum(Ours, 100, 600*time.Millisecond),
			[]string{"grants/s ours/redsync 1.00x, target >= 3.00x: NOT MET", "p99 ours/polling 0.75x, target <= 0.50x: NOT MET"},
			[]bool{false, false}, []bool{true, true}},
		{"redsync granted nothing", sum(Ours, 100, 400*time.Millisecond),
			[]string{"grants/s ours/redsync unknown, target >= 3.00x: unknown", "p99 ours/polling 0.50x, target <= 0.50x: met"},
			[]bool{false, true}, []bool{false, true}},
	}
	for _, tt := range tests {
		peer := sum(Redsync, 100, time.Second)
		if tt.name == "redsync granted nothing" {
			peer.Median.GrantsPerSec = 0
		}
		sr := ScenarioReport{Scenario: sc, PeerLabel: Redsync, Ours: tt.ours, Peer: peer, Polling: &polling}
		got := sr.evaluate()
		if len(got) != len(tt.want) {
			t.Fatalf("%s: %d results for %d targets", tt.name, len(got), len(tt.want))
		}
		for i, tr := range got {
			if d := tr.describe(); d != tt.want[i] || tr.Met != tt.met[i] || tr.Known != tt.know[i] {
				t.Errorf("%s: target %d = %q (met %v, known %v), want %q (met %v, known %v)",
					tt.name, i, d, tr.Met, tr.Known, tt.want[i], tt.met[i], tt.know[i])
			}
		}
	}
}

func TestTargetValidate(t *testing.T) {
	wait := Scenario{Name: "w", Kind: Waiting, Workers: 2, Nodes: 1, Polling: true}
	alone := wait
	alone.Permits = 2
	tests := []struct {
		sc      Scenario
		t       Target
		wantErr bool
	}{
		{wait, Target{Metric: "p99", Against: OursPolling, Ratio: 0.5}, false},
		{wait, Target{Metric: "grants_per_sec", Against: Redsync, Ratio: 3}, false},
		{wait, Target{Metric: "p99", Against: Ours, Ratio: 0.5}, true},        // ours over itself
		{alone, Target{Metric: "p99", Against: Redsync, Ratio: 0.5}, true},    // redsync does not run
		{wait, Target{Metric: "latency", Against: Redsync, Ratio: 0.5}, true}, // no such metric
		{wait, Target{Metric: "p99", Against: Redsync, Ratio: 0}, true},
	}
	for _, tt := range tests {
		if err := tt.t.validate(tt.sc); (err != nil) != tt.wantErr {
			t.Errorf("%+v on %+v: validate = %v, want an error: %v", tt.t, tt.sc, err, tt.wantErr)
		}
	}
}
