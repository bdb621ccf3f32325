//go:build quorumlock_mutants

package quorum_test

import (
	"context"
	"errors"
	"testing"

	"github.com/quorumlock/quorumlock/internal/mutants"
	"github.com/quorumlock/quorumlock/quorum"
)

// TestMutantsAreReallyBroken shows, for the node-script mutants, the bug each one exists for;
// package proptest shows that its campaign catches every mutant.
func TestMutantsAreReallyBroken(t *testing.T) {
	ctx := context.Background()
	c, l := newLocker(t, 3, quorum.Options{})
	if err := mutants.On(l, mutants.BlindRelease); err != nil {
		t.Fatal(err)
	}
	stale := mustAcquire(t, l, "job")
	for _, s := range c.Servers {
		s.Del(quorum.DefaultKeyPrefix + "{job}") // the stale holder's keys expired
	}
	holder := mustAcquire(t, l, "job")
	_ = stale.Release(ctx) // blind: deletes the holder's keys
	if _, err := l.TryAcquire(ctx, "job"); errors.Is(err, quorum.ErrNotAcquired) {
		t.Fatalf("blind-release did not delete the new holder's key (holder %d)", holder.Token())
	}
}
