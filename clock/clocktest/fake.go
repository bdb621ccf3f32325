// Package clocktest provides a deterministic clock for tests: time moves only when the test
// steps it, and timers fire during the step that crosses their deadline.
package clocktest

import (
	"time"

	"github.com/quorumlock/quorumlock/clock"
	k8stesting "k8s.io/utils/clock/testing"
)

// Fake is a clock that moves only when Step or SetTime is called. HasWaiters and Waiters tell
// whether code under test is blocked on one of its timers, so tests can wait for that instead of
// sleeping. It is safe for concurrent use.
type Fake = k8stesting.FakeClock

// NewFake returns a fake clock that starts at t.
func NewFake(t time.Time) *Fake { return k8stesting.NewFakeClock(t) }

var _ clock.Clock = (*Fake)(nil)
