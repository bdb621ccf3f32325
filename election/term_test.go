package election_test

import (
	"errors"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/election"
	"github.com/quorumlock/quorumlock/quorum"
)

// On fakeCandidate's Locker: TTL 10 s, NodeTimeout 500 ms, so StopMargin 2 s.
const fakeMargin = 2 * time.Second

// TestTermDoneBeforeValidityRunsOut: with a majority of the nodes stalled, no extension succeeds;
// Done stays open until StopMargin before the term's validity ends, and is closed at that
// moment — while the validity, which did not move, still lies ahead — with ErrTermLost.
func TestTermDoneBeforeValidityRunsOut(t *testing.T) {
	c := newCluster(t, 3)
	e, clk := fakeCandidate(t, c, "host-a", election.Options{})
	term := mustCampaign(t, e)
	until := term.ValidUntil()
	c.Faults[0].Stall()
	c.Faults[1].Stall()
	waitTermIdle(t, clk, term)
	clk.SetTime(until.Add(-fakeMargin - time.Millisecond)) // past the first extension, due at TTL/3
	waitTermIdle(t, clk, term)                             // that extension failed: the next one is armed
	if isClosed(term.Done()) {
		t.Fatalf("Done closed %v before the validity ends, earlier than StopMargin (%v): %v", until.Sub(clk.Now()), fakeMargin, term.Err())
	}
	clk.SetTime(until.Add(-fakeMargin))
	waitClosed(t, term.Done(), "Done at StopMargin before the end of validity")
	if !term.ValidUntil().Equal(until) || !clk.Now().Before(term.ValidUntil()) {
		t.Errorf("Done closed at %v with the validity at %v (was %v): want it closed before the validity ends, which no extension moved",
			clk.Now(), term.ValidUntil(), until)
	}
	if !errors.Is(term.Err(), election.ErrTermLost) {
		t.Errorf("Err = %v, want ErrTermLost", term.Err())
	}
}

// TestTermHoldsWhileExtended: while extensions succeed, the term's validity moves forward and
// Done stays open, for many TTLs.
func TestTermHoldsWhileExtended(t *testing.T) {
	c := newCluster(t, 3)
	e, clk := fakeCandidate(t, c, "host-a", election.Options{})
	term := mustCampaign(t, e)
	const interval = 10 * time.Second / 3 // the Locker's ExtendInterval
	for i := range 15 {                   // five TTLs
		before := term.ValidUntil()
		waitTermIdle(t, clk, term)
		clk.Step(interval)
		deadline := time.Now().Add(10 * time.Second)
		for !term.ValidUntil().After(before) && term.Err() == nil {
			if time.Now().After(deadline) {
				t.Fatalf("step %d: the term was not extended: validity still %v, clock %v", i, before, clk.Now())
			}
			time.Sleep(time.Millisecond)
		}
		if term.Err() != nil {
			t.Fatalf("step %d: the term ended while its extensions succeed: %v", i, term.Err())
		}
	}
	if ldr, err := e.Leader(t.Context()); err != nil || ldr != term.Leader() {
		t.Errorf("Leader after five TTLs = %+v, %v; want %+v", ldr, err, term.Leader())
	}
}

// TestTermEndsWhenLeaseLost: once a majority of the nodes no longer holds the term's key, its
// next extension is refused and the term ends at once, with ErrTermLost and the lease's loss.
func TestTermEndsWhenLeaseLost(t *testing.T) {
	c := newCluster(t, 3)
	e, clk := fakeCandidate(t, c, "host-a", election.Options{})
	term := mustCampaign(t, e)
	waitKeys(t, c, 3)
	c.Servers[0].Del(lockKey)
	c.Servers[1].Del(lockKey)
	waitTermIdle(t, clk, term)
	clk.Step(10 * time.Second / 3) // the next extension
	waitClosed(t, term.Done(), "Done after a refused extension")
	if err := term.Err(); !errors.Is(err, election.ErrTermLost) || !errors.Is(err, quorum.ErrLeaseLost) {
		t.Errorf("Err = %v, want ErrTermLost and quorum.ErrLeaseLost", err)
	}
	if !clk.Now().Before(term.ValidUntil().Add(-fakeMargin)) {
		t.Errorf("the term ended by its margin, not by the refused extension: clock %v, validity %v", clk.Now(), term.ValidUntil())
	}
}
