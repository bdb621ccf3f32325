package clock

import (
	"time"

	k8sclock "k8s.io/utils/clock"
)

// Clock tells time and starts timers. Real returns the system clock; clocktest.NewFake returns a
// clock that moves only when a test steps it. Implementations are safe for concurrent use.
type Clock interface {
	// Now returns the current time, with a monotonic reading on the real clock.
	Now() time.Time
	// Since returns the time elapsed since t.
	Since(t time.Time) time.Duration
	// NewTimer returns a timer that fires once after d.
	NewTimer(d time.Duration) Timer
	// AfterFunc calls f in its own goroutine after d, unless the returned timer is stopped first.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a single-shot timer, as returned by Clock.NewTimer and Clock.AfterFunc.
type Timer = k8sclock.Timer

// Real returns the system clock.
func Real() Clock { return k8sclock.RealClock{} }

var _ Clock = k8sclock.RealClock{}

// WallClock is implemented by a Clock whose wall-clock reading can step apart from the
// monotonic time that Now and Since measure, as the system clock does when NTP steps it. The
// lock reads the wall clock only to propose fencing tokens (which must rise across restarts);
// every duration it measures is monotonic.
type WallClock interface {
	Wall() time.Time
}

// Wall returns c's wall-clock time: c.Wall() if c is a WallClock, else c.Now().
func Wall(c Clock) time.Time {
	if w, ok := c.(WallClock); ok {
		return w.Wall()
	}
	return c.Now()
}
