package bench_test

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/quorumlock/quorumlock/bench"
)

// expiringNodes starts n miniredis servers whose keys expire on the wall clock, as Redis's do.
func expiringNodes(t *testing.T, n int) []string {
	t.Helper()
	var urls []string
	for range n {
		s := miniredis.NewMiniRedis()
		s.ClockTTL(true)
		if err := s.StartAddr("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		urls = append(urls, "redis://"+s.Addr()+"/0")
	}
	return urls
}

func TestRunFailoverWaitsForTheCrashedTermsKeys(t *testing.T) {
	const ttl = 500 * time.Millisecond
	sc := bench.Scenario{Name: "failover", Description: "test", Kind: bench.Failover, Workers: 2, Clients: 2,
		TTL: ttl, Ops: 2}
	cfg := bench.Config{Nodes: expiringNodes(t, 3), Scenarios: []bench.Scenario{sc}, WarmUp: -1,
		Settle: 20 * time.Millisecond, Rounds: 1}
	rep, err := bench.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	sr := rep.Scenarios[0]
	if sr.Skipped != "" {
		t.Fatalf("skipped on nodes whose keys expire: %s", sr.Skipped)
	}
	for lib, s := range map[string]bench.Summary{bench.Ours: sr.Ours, bench.Redsync: sr.Peer} {
		m := s.Median
		if m.Ops != 2 || m.Grants != 2 || m.Errors != 0 {
			t.Errorf("%s: %d ops, %d new leaders, %d errors (first: %s); want Ops (2) failovers, every one with a new leader",
				lib, m.Ops, m.Grants, m.Errors, m.FirstError)
		}
		// The leader crashes as soon as it leads: its keys have about a TTL left.
		if m.P50 < ttl/2 {
			t.Errorf("%s: failover p50 %v, under half the TTL (%v): the crashed term's keys did not stay", lib, m.P50, ttl)
		}
		if m.PastExpiryP50 <= 0 || m.PastExpiryP50 >= m.P50 {
			t.Errorf("%s: part past expiry p50 %v of a failover p50 %v; want a positive part of it", lib, m.PastExpiryP50, m.P50)
		}
		if m.KeysLeft != 0 {
			t.Errorf("%s left %d lock keys behind, want 0", lib, m.KeysLeft)
		}
	}
}
