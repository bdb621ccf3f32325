package proptest_test

import (
	"context"
	"slices"
	"testing"

	"github.com/quorumlock/quorumlock/proptest"
)

// TestCampaignAgainstRedsync runs a short side-by-side campaign: every scenario also runs
// against redsync, whose results are counted apart and never fail the campaign.
// QUORUMLOCK_PEER_RUNS changes its size.
func TestCampaignAgainstRedsync(t *testing.T) {
	runs := envInt(t, "QUORUMLOCK_PEER_RUNS", 8)
	if testing.Short() {
		runs = max(runs/2, 4)
	}
	rep, err := proptest.Campaign(context.Background(), proptest.CampaignConfig{
		Seed: envInt(t, "QUORUMLOCK_CAMPAIGN_SEED", 1), Runs: int(runs), Against: proptest.PeerRedsync,
		Parallel: int(defaultParallel())})
	if err != nil {
		t.Fatalf("campaign: %v\n%v", err, rep)
	}
	t.Logf("\n%v", rep)
	if rep.Failure != nil {
		t.Fatalf("the correct protocol breached %v", rep.Caught())
	}
	if rep.Peer == nil || rep.Peer.Scenarios+rep.Peer.NotRun+rep.Peer.Skipped != rep.Scenarios || rep.Peer.Scenarios == 0 || rep.Peer.Library != proptest.PeerRedsync {
		t.Fatalf("peer results missing: ours ran %d scenarios, peer %+v", rep.Scenarios, rep.Peer)
	}
	for _, p := range []proptest.Property{proptest.PropTokenUnique, proptest.PropTokenOrder, proptest.PropFenceOrder} {
		if !slices.Contains(rep.Peer.NotApplicable, p) || rep.Peer.Violations[p] != 0 {
			t.Errorf("%s should be n/a for redsync: %+v", p, rep.Peer)
		}
	}
}

// TestCampaignAgainstValidation: campaigns and runs refuse a peer they do not know.
func TestCampaignAgainstValidation(t *testing.T) {
	if _, err := proptest.Campaign(context.Background(), proptest.CampaignConfig{Runs: 1, Against: "redlock-py"}); err == nil {
		t.Error("a campaign against an unknown peer ran")
	}
	s := proptest.ScenarioFromSeed(1)
	if _, err := proptest.Run(context.Background(), s, proptest.RunConfig{Against: "redlock-py"}); err == nil {
		t.Error("a run against an unknown peer ran")
	}
}

// TestCheckRedsyncHistory: on a history without tokens (every token 0), the token and fence
// properties are not applicable, nor is waking by notification (redsync only polls), and the rest
// hold on a correct run.
func TestCheckRedsyncHistory(t *testing.T) {
	h := goodHistory()
	h.Against = proptest.PeerRedsync
	for i := range h.Ops {
		h.Ops[i].Token = 0
	}
	res := proptest.Check(h)
	if res.Failed() {
		t.Fatalf("flagged:\n%v", res)
	}
	want := []proptest.Property{proptest.PropTokenUnique, proptest.PropTokenOrder, proptest.PropFenceOrder, proptest.PropWake}
	if !slices.Equal(res.NotApplicable, want) {
		t.Errorf("not applicable: %v, want %v", res.NotApplicable, want)
	}
	if res := proptest.Check(goodHistory()); len(res.NotApplicable) != 0 {
		t.Errorf("ours has properties not applicable: %v", res.NotApplicable)
	}
}
