package bench_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/bench"
	"github.com/quorumlock/quorumlock/internal/redisproc"
)

func inProcess(t *testing.T, n int) *bench.LocalNodes {
	t.Helper()
	nodes, err := bench.StartInProcess(n)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nodes.Close() })
	return nodes
}

// tiny returns a Config for a quick run on nodes.
func tiny(nodes *bench.LocalNodes, scenarios []bench.Scenario) bench.Config {
	return bench.Config{Nodes: nodes.URLs, InProcess: nodes.InProcess, Scenarios: scenarios,
		Duration: 30 * time.Millisecond, WarmUp: -1, Settle: 20 * time.Millisecond, Rounds: 1}
}

func TestRunEveryScenarioInProcess(t *testing.T) {
	nodes := inProcess(t, 7)
	scenarios := bench.DefaultScenarios(5)
	for i := range scenarios {
		// The machinery, not the load, is under test here (and under -race on small machines):
		// the benchmark itself reports what many workers do.
		scenarios[i].Workers = min(scenarios[i].Workers, 4)
		scenarios[i].Clients = min(scenarios[i].Clients, 4)
		scenarios[i].Ops = min(scenarios[i].Ops, 3)
	}
	var progress []bench.Progress
	cfg := tiny(nodes, scenarios)
	cfg.Progress = func(p bench.Progress) { progress = append(progress, p) }
	rep, err := bench.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := bench.Names(scenarioList(rep)), bench.Names(scenarios); !slices.Equal(got, want) {
		t.Fatalf("report scenarios = %v, want %v", got, want)
	}
	runs := 0
	for _, sr := range rep.Scenarios {
		switch {
		case sr.Scenario.Kind == bench.Failover:
			if !strings.Contains(sr.Skipped, "expire") {
				t.Errorf("%s on miniredis: skipped %q, want it skipped for keys that do not expire", sr.Scenario.Name, sr.Skipped)
			}
			continue
		case sr.Skipped != "":
			t.Errorf("%s skipped: %s", sr.Scenario.Name, sr.Skipped)
			continue
		}
		summaries := map[string]bench.Summary{bench.Ours: sr.Ours}
		if sr.Scenario.Permits == 0 {
			summaries[bench.Redsync] = sr.Peer
		} else if sr.PeerLabel != "" || len(sr.Peer.Rounds) != 0 || len(sr.Ratios) != 0 {
			t.Errorf("%s: ours alone (a semaphore), but peer %q ran %d rounds", sr.Scenario.Name, sr.PeerLabel, len(sr.Peer.Rounds))
		}
		if sr.Polling != nil {
			summaries[bench.OursPolling] = *sr.Polling
		}
		for lib, s := range summaries {
			if len(s.Rounds) != 1 || s.Rounds[0].Ops == 0 || s.Median.Library != lib {
				t.Errorf("%s %s: rounds %+v of %q; want one round with ops", sr.Scenario.Name, lib, s.Rounds, s.Median.Library)
			}
		}
		if left := sr.Ours.Median.KeysLeft; left != 0 {
			t.Errorf("%s: ours left %d lock keys behind, want 0", sr.Scenario.Name, left)
		}
		runs += len(summaries)
	}
	if last := progress[len(progress)-1]; last.Scenario != "" || last.Done != last.Total || last.Total != runs {
		t.Errorf("last progress = %+v, want done = total = %d", last, runs)
	}
}

func TestRunWaitingScenarioRecordsWaitsAndGrants(t *testing.T) {
	nodes := inProcess(t, 3)
	sc := bench.Scenario{Name: "wait", Description: "test", Kind: bench.Waiting, Workers: 4, Clients: 2,
		Hold: time.Millisecond, Polling: true}
	cfg := tiny(nodes, []bench.Scenario{sc})
	cfg.Duration = 200 * time.Millisecond // in-process nodes under -race: some ops must end within it
	rep, err := bench.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	sr := rep.Scenarios[0]
	if sr.Polling == nil || len(sr.PollingRatios) == 0 {
		t.Fatalf("no ours-polling summary or ratios for a scenario with Polling: %+v", sr)
	}
	for lib, s := range map[string]bench.Summary{bench.Ours: sr.Ours, bench.Redsync: sr.Peer, bench.OursPolling: *sr.Polling} {
		m := s.Median
		if m.Library != lib || len(s.Rounds) != 1 {
			t.Errorf("%s: summary of %q with %d rounds", lib, m.Library, len(s.Rounds))
		}
		if m.Grants == 0 || m.GrantsPerSec <= 0 || m.P50 <= 0 || m.Elapsed != cfg.Duration {
			t.Errorf("%s: %d grants, %v grants/s, p50 wait %v over %v; want grants, rates and waits over the window",
				lib, m.Grants, m.GrantsPerSec, m.P50, m.Elapsed)
		}
		if m.Grants > m.Ops || m.Ops-m.Grants > m.Errors {
			t.Errorf("%s: %d ops, %d grants, %d errors; want every op not granted counted as an error",
				lib, m.Ops, m.Grants, m.Errors)
		}
		if m.KeysLeft != 0 {
			t.Errorf("%s left %d lock keys behind, want 0", lib, m.KeysLeft)
		}
		switch {
		case lib == bench.Redsync && m.AttemptsPerGrant != 0:
			t.Errorf("redsync: %v attempts per grant, want 0: not counted", m.AttemptsPerGrant)
		case lib != bench.Redsync && m.AttemptsPerGrant < 1:
			t.Errorf("%s: %v attempts per grant, want at least 1", lib, m.AttemptsPerGrant)
		}
	}
}

func scenarioList(rep bench.Report) []bench.Scenario {
	var out []bench.Scenario
	for _, sr := range rep.Scenarios {
		out = append(out, sr.Scenario)
	}
	return out
}

func TestRunSkipsScenariosThatNeedMoreNodes(t *testing.T) {
	nodes := inProcess(t, 3)
	scenarios, err := bench.Select(bench.DefaultScenarios(3), "uncontended,nodes-5")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := bench.Run(context.Background(), tiny(nodes, scenarios))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Scenarios[0].Skipped != "" || !strings.Contains(rep.Scenarios[1].Skipped, "needs 5 nodes, 3 given") {
		t.Errorf("skipped = %q, %q; want uncontended run and nodes-5 skipped",
			rep.Scenarios[0].Skipped, rep.Scenarios[1].Skipped)
	}
}

func TestRunStopsWhenContextEnds(t *testing.T) {
	nodes := inProcess(t, 3)
	cfg := tiny(nodes, bench.DefaultScenarios(3)[:1])
	cfg.Duration = time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		time.Sleep(200 * time.Millisecond)
		cancel()
	}()
	_, err := bench.Run(ctx, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after cancel: %v, want an error wrapping context.Canceled", err)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	_, err := bench.Run(context.Background(), bench.Config{Rounds: -1, Scenarios: []bench.Scenario{
		{Name: "many-clients", Kind: bench.Waiting, Workers: 2, Clients: 3, Nodes: 1},
		{Name: "pairs-hold", Kind: bench.Pairs, Naming: bench.NewNames, Workers: 1, Nodes: 1, Hold: time.Millisecond},
		{Name: "shared-election", Kind: bench.Handover, Workers: 3, Clients: 1, Nodes: 1},
		{Name: "contended-permits", Kind: bench.Contended, Workers: 3, Nodes: 1, Permits: 2},
		{Name: "bad-targets", Kind: bench.Waiting, Workers: 3, Nodes: 1, Permits: 2, Targets: []bench.Target{
			{Metric: "p99", Against: bench.Redsync, Ratio: 0.5}, {Metric: "speed", Against: bench.Redsync, Ratio: 2}}},
	}})
	for _, want := range []string{"Nodes is empty", "Rounds is -1", "many-clients: Clients is 3, want 0 to Workers (2)",
		"pairs-hold: Hold is 1ms, want 0, or positive in a wait, failover or handover scenario",
		"shared-election: 3 workers on 1 clients; an election needs at least 2 candidates, each a client of its own",
		"contended-permits: Permits is 2, want 0, or positive in a wait scenario",
		`bad-targets: target: p99: against "redsync", which the scenario does not run beside ours`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Run(bad config) = %v; want it to say %q", err, want)
		}
	}
}

func TestRunOnSpawnedRedis(t *testing.T) {
	redisproc.Require(t)
	nodes, err := bench.SpawnRedis(3)
	if err != nil {
		t.Fatal(err)
	}
	defer nodes.Close()
	scenarios, err := bench.Select(bench.DefaultScenarios(3), "uncontended,slow-node")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := bench.Run(context.Background(), tiny(nodes, scenarios))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Servers) != 3 || rep.Servers[0] == "" {
		t.Errorf("Servers = %q, want three redis versions", rep.Servers)
	}
	for _, sr := range rep.Scenarios {
		for _, s := range []bench.Summary{sr.Ours, sr.Peer} {
			if !s.Median.ServerCPUKnown {
				t.Errorf("%s %s: server CPU unknown on redis-server", sr.Scenario.Name, s.Median.Library)
			}
		}
		if sr.Ours.Median.KeysLeft != 0 {
			t.Errorf("%s: ours left %d lock keys behind, want 0", sr.Scenario.Name, sr.Ours.Median.KeysLeft)
		}
	}
	urls := nodes.URLs
	if err := nodes.Close(); err != nil {
		t.Fatal(err)
	}
	for _, u := range urls {
		addr := strings.TrimSuffix(strings.TrimPrefix(u, "redis://"), "/0")
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still answers after Close", addr)
		}
	}
}
