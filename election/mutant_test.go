//go:build quorumlock_mutants

package election_test

import (
	"context"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/election"
	"github.com/quorumlock/quorumlock/internal/mutants"
	"github.com/quorumlock/quorumlock/quorum"
)

// The mutants break the rules that this package's tests check; these tests show, for each, that
// the check the tests make sees the broken rule. Package proptest shows that the safety
// campaign catches them.

// TestObserveNoVacancyMutantSkipsVacancies: with observe-skips-vacancy, Observe reports a, then
// b, with no vacancy at the start or in between, which TestObserveSeesLeaderVacancyAndNextLeader
// InOrder expects.
func TestObserveNoVacancyMutantSkipsVacancies(t *testing.T) {
	c := newCluster(t, 3)
	l := c.Locker(t, patient(quorum.Options{}))
	if err := mutants.On(l, mutants.ObserveNoVacancy); err != nil {
		t.Fatal(err)
	}
	ch := observe(t, election.New(l, "scheduler", election.Options{ID: "observer", ObserveInterval: 10 * time.Millisecond}))
	ta := mustCampaign(t, candidate(t, c, "host-a", quorum.Options{}))
	expect(t, ch, ta.Leader(), "the first thing sent under the mutant")
	if err := ta.Resign(context.Background()); err != nil {
		t.Fatal(err)
	}
	tb := mustCampaign(t, candidate(t, c, "host-b", quorum.Options{}))
	expect(t, ch, tb.Leader(), "what follows a under the mutant")
}

// TestLeaderEarlyEndMutantReleasesWhileFnRuns: with leader-releases-early, the term is released
// as soon as fn's context is cancelled, while fn still runs: the check of
// TestRunGivesTheTermUpWhenFnOverruns sees it.
func TestLeaderEarlyEndMutantReleasesWhileFnRuns(t *testing.T) {
	c := newCluster(t, 3)
	l, clk := fakeLocker(t, c)
	if err := mutants.On(l, mutants.LeaderEarlyEnd); err != nil {
		t.Fatal(err)
	}
	e := election.New(l, "scheduler", election.Options{ID: "host-a"})
	s := newStubborn(clk)
	stop, _ := startRun(t, e, s.fn)
	t.Cleanup(s.letGo)
	term := receive(t, s.terms, "the first term")
	stop()
	receive(t, s.cancelled, "fn's context cancelled as Run's ended")
	if err := holds(context.Background(), candidate(t, c, "watcher", quorum.Options{}), term.Token()); err == nil {
		t.Fatal("the term still holds while fn runs: the mutant did not release it early")
	}
}

// TestNoCleanupMutantLeavesKeys: with no-cleanup on the candidate whose Campaign is cancelled,
// its attempt's key stays on the node that granted it, which TestCampaignCancelledLeavesNoKey
// would see.
func TestNoCleanupMutantLeavesKeys(t *testing.T) {
	c := newCluster(t, 3)
	la, lb := c.Locker(t, patient(quorum.Options{})), c.Locker(t, patient(quorum.Options{}))
	if err := mutants.On(lb, mutants.NoCleanup); err != nil {
		t.Fatal(err)
	}
	ta := mustCampaign(t, election.New(la, "scheduler", election.Options{ID: "host-a"}))
	waitKeys(t, c, 3)
	if err := campaignAgainstLeader(c, election.New(lb, "scheduler", election.Options{ID: "host-b"})); err != nil {
		t.Fatal(err)
	}
	if err := ta.Resign(context.Background()); err != nil {
		t.Fatal(err)
	}
	if left := leftKeys(t, c, la, lb); countKeys(left) == 0 {
		t.Fatal("no key left: the mutant's leftovers were not seen")
	}
}
