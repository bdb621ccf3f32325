package bench

import (
	"sync/atomic"

	"github.com/quorumlock/quorumlock/quorum"
)

// attemptCounter is the quorum.Observer of every client of ours in one run. It counts the
// attempts (quorum.EventAcquire: one TryAcquire of one name, which Acquire makes again each
// time it wakes, and a semaphore once per slot it tries) and those granted, so that the report
// can say how many attempts one grant cost: the wake-ups that found the lock still held show
// there, and nowhere else. It is safe for concurrent use.
type attemptCounter struct {
	attempts, grants atomic.Int64
}

var _ quorum.Observer = (*attemptCounter)(nil)

// Observe counts ev if it is an attempt.
func (c *attemptCounter) Observe(ev quorum.Event) {
	if ev.Kind != quorum.EventAcquire {
		return
	}
	c.attempts.Add(1)
	if ev.Err == nil {
		c.grants.Add(1)
	}
}

// read returns the counts so far; a nil counter (redsync's runs) has none.
func (c *attemptCounter) read() (attempts, grants int64) {
	if c == nil {
		return 0, 0
	}
	return c.attempts.Load(), c.grants.Load()
}

// attemptsPerGrant returns the attempts per grant between two samples, or 0 when none was
// granted or nothing was counted.
func attemptsPerGrant(before, after sample) float64 {
	grants := after.grants - before.grants
	if grants <= 0 {
		return 0
	}
	return float64(after.attempts-before.attempts) / float64(grants)
}
