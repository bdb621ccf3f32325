package bench_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/quorumlock/quorumlock/bench"
)

func TestDefaultScenariosSweepLeavesOutTheClusterSize(t *testing.T) {
	tests := []struct {
		n        int
		sweep    []string
		needed   int
		notThere string
	}{
		{5, []string{"nodes-1", "nodes-3", "nodes-7"}, 7, "nodes-5"},
		{3, []string{"nodes-1", "nodes-5", "nodes-7"}, 7, "nodes-3"},
	}
	for _, tt := range tests {
		names := bench.Names(bench.DefaultScenarios(tt.n))
		for _, want := range append(tt.sweep, "uncontended", "parallel-16", "parallel-64", "contended-16",
			"contended-16-wait", "contended-16-wait-shared", "semaphore-16-wait", "election-failover", "election-handover",
			"slow-node", "slow-node-failfast", "node-down") {
			if !slices.Contains(names, want) {
				t.Errorf("DefaultScenarios(%d) lacks %s: %v", tt.n, want, names)
			}
		}
		if slices.Contains(names, tt.notThere) {
			t.Errorf("DefaultScenarios(%d) has %s, which is uncontended", tt.n, tt.notThere)
		}
		if got := bench.NodesNeeded(bench.DefaultScenarios(tt.n)); got != tt.needed {
			t.Errorf("NodesNeeded(DefaultScenarios(%d)) = %d, want %d", tt.n, got, tt.needed)
		}
	}
}

func TestSelect(t *testing.T) {
	all := bench.DefaultScenarios(5)
	got, err := bench.Select(all, " node-down,uncontended ")
	if err != nil {
		t.Fatal(err)
	}
	if names := bench.Names(got); !slices.Equal(names, []string{"uncontended", "node-down"}) {
		t.Errorf("Select = %v, want [uncontended node-down] in the order of all", names)
	}
	if got, err := bench.Select(all, ""); err != nil || len(got) != len(all) {
		t.Errorf("Select(empty) = %d scenarios, %v; want all %d", len(got), err, len(all))
	}
	_, err = bench.Select(all, "uncontended,nope,nodes-5")
	if err == nil || !strings.Contains(err.Error(), `"nodes-5", "nope"`) {
		t.Errorf("Select with unknown names: err = %v; want both named", err)
	}
}
