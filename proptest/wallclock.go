package proptest

import (
	"sync/atomic"
	"time"

	"github.com/quorumlock/quorumlock/clock"
)

// wallClock is the real clock of one client, whose wall-clock reading (clock.WallClock) faults
// step as NTP does; Now, Since and the timers stay monotonic and are not moved.
type wallClock struct {
	clock.Clock
	offset atomic.Int64 // nanoseconds added to the wall clock
}

var _ clock.WallClock = (*wallClock)(nil)

func newWallClock() *wallClock { return &wallClock{Clock: clock.Real()} }

// Wall returns the stepped wall-clock time.
func (w *wallClock) Wall() time.Time { return time.Now().Add(time.Duration(w.offset.Load())) }

// step moves the wall clock by d, back if d is negative.
func (w *wallClock) step(d time.Duration) { w.offset.Add(int64(d)) }
