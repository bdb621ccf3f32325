//go:build quorumlock_mutants

package semaphore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/quorumlock/quorumlock/internal/mutants"
	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/semaphore"
)

// enableMajority turns the semaphore-majority mutant on for l.
func enableMajority(t *testing.T) func(*quorum.Locker) {
	return func(l *quorum.Locker) {
		if err := mutants.On(l, mutants.SemaphoreMajority); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMutantSemaphoreMajorityOverGrants: the counterexample of TestSplitMajoritiesGrantAtMostN
// grants three permits of two under the semaphore-majority mutant. This is what the mutant is
// for: a checker that counts holders must catch it.
func TestMutantSemaphoreMajorityOverGrants(t *testing.T) {
	permits := splitMajorities(t, enableMajority(t))
	if len(permits) != 3 {
		t.Fatalf("%d permits of 2 granted under the mutant, want 3: the counterexample did not split the majorities", len(permits))
	}
	for _, p := range permits {
		if p.Slot() != -1 || p.Lease() != nil || p.Token() == 0 || p.Name() != "exports" || p.Err() != nil {
			t.Errorf("mutant permit: slot %d, lease %v, token %d, name %q, err %v; want -1, nil, a token, the semaphore's name, held",
				p.Slot(), p.Lease(), p.Token(), p.Name(), p.Err())
		}
	}
}

// TestMutantSemaphoreMajorityCountsAndReleases: with every node answering, the mutant grants N
// permits, refuses the next as held, frees one at Release, and extends a permit it holds.
func TestMutantSemaphoreMajorityCountsAndReleases(t *testing.T) {
	_, l := newLocker(t, 3, quorum.Options{})
	enableMajority(t)(l)
	s := semaphore.New(l, "exports", 2)
	a, b := mustTry(t, s), mustTry(t, s)
	defer mustRelease(t, b)
	if _, err := s.TryAcquire(context.Background()); !errors.Is(err, quorum.ErrNotAcquired) {
		t.Fatalf("third TryAcquire under the mutant = %v, want ErrNotAcquired", err)
	}
	before := a.ValidUntil()
	if err := a.Extend(context.Background()); err != nil || !a.ValidUntil().After(before) {
		t.Fatalf("Extend = %v, ValidUntil %v → %v; want it moved forward", err, before, a.ValidUntil())
	}
	mustRelease(t, a)
	if !errors.Is(a.Err(), quorum.ErrReleased) {
		t.Fatalf("Err after Release = %v, want ErrReleased", a.Err())
	}
	mustRelease(t, mustTry(t, s))
}
