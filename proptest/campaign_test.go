package proptest_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"testing"

	"github.com/quorumlock/quorumlock/internal/mutants"

	"github.com/quorumlock/quorumlock/internal/redisproc"
	"github.com/quorumlock/quorumlock/proptest"
)

// envInt reads a positive integer from the environment, or returns def.
func envInt(t *testing.T, name string, def int64) int64 {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return v
}

// TestCampaign runs the short campaign on the correct protocol: every property must hold on
// every generated scenario. QUORUMLOCK_CAMPAIGN_RUNS, QUORUMLOCK_CAMPAIGN_SEED and
// QUORUMLOCK_CAMPAIGN_PARALLEL change its size, seed and parallelism; -short runs a tenth of it,
// and a build with the tag quorumlock_mutants (whose mutants stay off here) a quarter.
func TestCampaign(t *testing.T) {
	runs := envInt(t, "QUORUMLOCK_CAMPAIGN_RUNS", 240)
	if testing.Short() {
		runs = max(runs/10, 8)
	}
	if mutants.Available() {
		runs = max(runs/4, 8) // the build with mutants is checked for teeth; the default build runs it all
	}
	seed := envInt(t, "QUORUMLOCK_CAMPAIGN_SEED", 1)
	parallel := envInt(t, "QUORUMLOCK_CAMPAIGN_PARALLEL", defaultParallel())
	rep, err := proptest.Campaign(context.Background(), proptest.CampaignConfig{Seed: seed, Runs: int(runs), Parallel: int(parallel)})
	if err != nil {
		t.Fatalf("campaign: %v\n%v", err, rep)
	}
	t.Logf("\n%v", rep)
	if rep.Failure != nil {
		t.Fatalf("the correct protocol breached %v; rerun with QUORUMLOCK_CAMPAIGN_SEED=%d", rep.Caught(), seed)
	}
}

// defaultParallel is how many scenarios a test runs at once: the campaign's default, or under the
// race detector one per CPU. In-process servers share the test's CPUs with their clients; with
// the detector's slowdown, three scenarios per CPU on a shared two-core machine starved servers
// for seconds (PING answered after 1.7 s) and failed the liveness bound of correct runs.
func defaultParallel() int64 {
	if raceEnabled {
		return int64(runtime.GOMAXPROCS(0))
	}
	return 0
}

// TestCampaignConfig: a campaign refuses what it cannot run.
func TestCampaignConfig(t *testing.T) {
	for _, cfg := range []proptest.CampaignConfig{
		{Nodes: 8},
		{Runs: -1},
		{Mutant: "no-such-mutant"},
	} {
		if _, err := proptest.Campaign(context.Background(), cfg); err == nil {
			t.Errorf("Campaign(%+v) ran", cfg)
		}
	}
	if !mutants.Available() {
		if _, err := proptest.Campaign(context.Background(), proptest.CampaignConfig{Mutant: mutants.NoDrift}); err == nil {
			t.Error("a campaign with a mutant ran in a build without mutants")
		}
	}
}

// TestCampaignWithFixedNodes: Nodes fixes the cluster size of every scenario.
func TestCampaignWithFixedNodes(t *testing.T) {
	rep, err := proptest.Campaign(context.Background(), proptest.CampaignConfig{Seed: 3, Runs: 4, Nodes: 1, Parallel: 4})
	if err != nil || rep.Failure != nil || rep.Scenarios < 4 {
		t.Fatalf("campaign on one node: %v\n%v", err, rep)
	}
}

// TestCampaignOnRedisServers runs a short campaign on real redis-server processes: the same
// scenarios, with the faults played on real servers (FLUSHALL, TTLs rewritten for clock jumps
// and drift). It is skipped without redis-server, unless QUORUMLOCK_REQUIRE_REDIS=1.
func TestCampaignOnRedisServers(t *testing.T) {
	redisproc.Require(t)
	runs := envInt(t, "QUORUMLOCK_REDIS_CAMPAIGN_RUNS", 24)
	if testing.Short() {
		runs = max(runs/4, 4)
	}
	rep, err := proptest.Campaign(context.Background(), proptest.CampaignConfig{
		Seed: envInt(t, "QUORUMLOCK_CAMPAIGN_SEED", 1), Runs: int(runs), RealRedis: true})
	if err != nil {
		t.Fatalf("campaign: %v\n%v", err, rep)
	}
	t.Logf("\n%v", rep)
	if rep.Failure != nil {
		t.Fatalf("the correct protocol breached %v on redis-server", rep.Caught())
	}
}
