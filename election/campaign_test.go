package election_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/election"
	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/quorum/quorumtest"
)

// won is the outcome of one candidate's Campaign.
type won struct {
	e    *election.Election
	term *election.Term
	err  error
}

// TestOneLeaderAtATimeWithIncreasingTokens: three candidates campaign at once; exactly one
// leads at a time (no other Campaign returns until it resigns), Leader names it, and each term's
// token is greater than the one before.
func TestOneLeaderAtATimeWithIncreasingTokens(t *testing.T) {
	c := newCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	results := make(chan won, 3)
	for _, id := range []string{"host-a", "host-b", "host-c"} {
		e := candidate(t, c, id, quorum.Options{})
		go func() {
			term, err := e.Campaign(ctx)
			results <- won{e, term, err}
		}()
	}
	observer := candidate(t, c, "observer", quorum.Options{})
	var last fencing.Token
	for range 3 {
		w := <-results
		if w.err != nil {
			t.Fatalf("Campaign of a candidate: %v", w.err)
		}
		if w.term.Token() <= last {
			t.Errorf("%s's term has token %d after a term with %d: want strictly increasing", w.e.ID(), w.term.Token(), last)
		}
		last = w.term.Token()
		time.Sleep(100 * time.Millisecond) // the others keep campaigning meanwhile
		select {
		case other := <-results:
			t.Fatalf("%s won a term (%v) while %s led (token %d)", other.e.ID(), other.err, w.e.ID(), w.term.Token())
		default:
		}
		if ldr, err := observer.Leader(ctx); err != nil || ldr != w.term.Leader() || ldr.ID != w.e.ID() {
			t.Errorf("Leader = %+v, %v; want %+v", ldr, err, w.term.Leader())
		}
		if err := w.term.Resign(ctx); err != nil {
			t.Fatalf("Resign: %v", err)
		}
	}
}

// TestResignEndsTheTermAndLetsTheNextWin: Resign closes Done with ErrResigned, frees the name
// (Leader says ErrNoLeader), is idempotent, and the candidate waiting wins the next term with a
// larger token.
func TestResignEndsTheTermAndLetsTheNextWin(t *testing.T) {
	c := newCluster(t, 3)
	a, b := candidate(t, c, "host-a", quorum.Options{}), candidate(t, c, "host-b", quorum.Options{})
	ta := mustCampaign(t, a)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	next := make(chan won, 1)
	go func() {
		term, err := b.Campaign(ctx)
		next <- won{b, term, err}
	}()
	if err := ta.Resign(ctx); err != nil {
		t.Fatalf("Resign: %v", err)
	}
	waitClosed(t, ta.Done(), "Done after Resign")
	if !errors.Is(ta.Err(), election.ErrResigned) {
		t.Errorf("Err after Resign = %v, want ErrResigned", ta.Err())
	}
	if err := ta.Resign(ctx); err != nil {
		t.Errorf("a second Resign = %v, want nil", err)
	}
	w := <-next
	if w.err != nil {
		t.Fatalf("b's Campaign after a resigned: %v", w.err)
	}
	defer w.term.Resign(ctx)
	if w.term.Token() <= ta.Token() {
		t.Errorf("b's token %d is not above a's %d", w.term.Token(), ta.Token())
	}
	if ldr, err := a.Leader(ctx); err != nil || ldr.ID != "host-b" || ldr.Token != w.term.Token() {
		t.Errorf("Leader = %+v, %v; want host-b with token %d", ldr, err, w.term.Token())
	}
	if err := w.term.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	if ldr, err := a.Leader(ctx); !errors.Is(err, election.ErrNoLeader) {
		t.Errorf("Leader after both resigned = %+v, %v; want ErrNoLeader", ldr, err)
	}
}

// TestCampaignCancelledLeavesNoKey: a Campaign whose context ends while another candidate leads
// returns an error wrapping the context's, and leaves no lock key on any node, although its
// attempts were granted by a node the leader's key had gone from.
func TestCampaignCancelledLeavesNoKey(t *testing.T) {
	c := newCluster(t, 3)
	la, lb := c.Locker(t, patient(quorum.Options{})), c.Locker(t, patient(quorum.Options{}))
	a := election.New(la, "scheduler", election.Options{ID: "host-a"})
	b := election.New(lb, "scheduler", election.Options{ID: "host-b"})
	ta := mustCampaign(t, a)
	waitKeys(t, c, 3)
	if err := campaignAgainstLeader(c, b); err != nil {
		t.Fatal(err)
	}
	if err := ta.Resign(context.Background()); err != nil {
		t.Fatal(err)
	}
	if left := leftKeys(t, c, la, lb); countKeys(left) != 0 {
		t.Fatalf("lock keys left after a cancelled Campaign and a Resign: %v", left)
	}
}

// campaignAgainstLeader makes b campaign for 300 ms while another candidate leads on nodes 0
// and 1 only (its key is deleted from node 2, which therefore grants b's attempts), and checks
// that the Campaign fails with the context's error.
func campaignAgainstLeader(c *quorumtest.Cluster, b *election.Election) error {
	c.Servers[2].Del(lockKey)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	term, err := b.Campaign(ctx)
	if err == nil {
		_ = term.Resign(context.Background())
		return fmt.Errorf("b won a term (token %d) while a led", term.Token())
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("cancelled Campaign = %v; want an error wrapping context.DeadlineExceeded", err)
	}
	return nil
}
