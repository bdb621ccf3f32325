package election_test

import (
	"context"
	"errors"
	"testing"

	"github.com/quorumlock/quorumlock/election"
	"github.com/quorumlock/quorumlock/quorum"
)

// TestLeaderReadsTheTermOrSaysWhyNot: Leader names the term's candidate and token; with nobody
// leading it returns ErrNoLeader, and with too few nodes in service quorum.ErrUnavailable,
// which is not a vacancy.
func TestLeaderReadsTheTermOrSaysWhyNot(t *testing.T) {
	c := newCluster(t, 3)
	e := candidate(t, c, "host-a", quorum.Options{})
	ctx := context.Background()
	if ldr, err := e.Leader(ctx); !errors.Is(err, election.ErrNoLeader) || errors.Is(err, quorum.ErrUnavailable) {
		t.Fatalf("Leader with nobody leading = %+v, %v; want ErrNoLeader", ldr, err)
	}
	term := mustCampaign(t, e)
	if ldr, err := e.Leader(ctx); err != nil || ldr.ID != "host-a" || ldr.Token != term.Token() || ldr != term.Leader() {
		t.Fatalf("Leader = %+v, %v; want host-a with token %d", ldr, err, term.Token())
	}
	c.Servers[0].FlushAll() // two nodes lose their data: amnesic, their answers do not count
	c.Servers[1].FlushAll()
	if ldr, err := e.Leader(ctx); !errors.Is(err, quorum.ErrUnavailable) || errors.Is(err, election.ErrNoLeader) {
		t.Fatalf("Leader with two of three nodes amnesic = %+v, %v; want quorum.ErrUnavailable, not ErrNoLeader", ldr, err)
	}
}
