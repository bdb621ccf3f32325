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
type Fake struct {
	*k8stesting.FakeClock
}

// NewFake returns a fake clock that starts at t.
func NewFake(t time.Time) *Fake { return &Fake{k8stesting.NewFakeClock(t)} }

// NewTimer returns a timer that fires when the clock is stepped past now + d.
func (f *Fake) NewTimer(d time.Duration) clock.Timer { return f.FakeClock.NewTimer(d) }

// AfterFunc calls fn in its own goroutine once the clock is stepped past now + d, as
// time.AfterFunc does. (The underlying k8s fake calls it synchronously, with its lock held, so
// fn could not read the clock.)
func (f *Fake) AfterFunc(d time.Duration, fn func()) clock.Timer {
	return f.FakeClock.AfterFunc(d, func() { go fn() })
}

var _ clock.Clock = (*Fake)(nil)
