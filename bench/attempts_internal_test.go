package bench

import (
	"errors"
	"testing"

	"github.com/quorumlock/quorumlock/quorum"
)

func TestAttemptCounterCountsAttemptsAndGrantsOnly(t *testing.T) {
	c := &attemptCounter{}
	before := sample{}
	before.attempts, before.grants = c.read()
	for _, ev := range []quorum.Event{
		{Kind: quorum.EventAcquire, Err: quorum.ErrNotAcquired},
		{Kind: quorum.EventNode, Op: "acquire"},
		{Kind: quorum.EventTokenRefused},
		{Kind: quorum.EventAcquire, Err: errors.Join(quorum.ErrNotAcquired, errors.New("node 2 down"))},
		{Kind: quorum.EventAcquire, Token: 7},
		{Kind: quorum.EventExtend},
	} {
		c.Observe(ev)
	}
	after := sample{}
	after.attempts, after.grants = c.read()
	if after.attempts != 3 || after.grants != 1 {
		t.Errorf("counted %d attempts, %d grants; want 3 and 1: EventAcquire alone, granted when Err is nil",
			after.attempts, after.grants)
	}
	if got := attemptsPerGrant(before, after); got != 3 {
		t.Errorf("attemptsPerGrant = %v, want 3", got)
	}
	if got := attemptsPerGrant(after, after); got != 0 {
		t.Errorf("attemptsPerGrant with no grant between the samples = %v, want 0 (unknown)", got)
	}
	var none *attemptCounter // redsync's runs
	if a, g := none.read(); a != 0 || g != 0 {
		t.Errorf("nil counter read %d, %d; want 0, 0", a, g)
	}
}
