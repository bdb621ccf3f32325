package quorum_test

import (
	"time"

	"github.com/quorumlock/quorumlock/clock"
)

// backwardsClock is the real clock shifted ten years into the past: its token proposals are far
// below those of a correct clock.
type backwardsClock struct{}

const tenYears = 10 * 365 * 24 * time.Hour

func (backwardsClock) Now() time.Time                  { return time.Now().Add(-tenYears) }
func (backwardsClock) Since(t time.Time) time.Duration { return time.Since(t.Add(tenYears)) }
func (backwardsClock) NewTimer(d time.Duration) clock.Timer {
	return clock.Real().NewTimer(d)
}
func (backwardsClock) AfterFunc(d time.Duration, f func()) clock.Timer {
	return clock.Real().AfterFunc(d, f)
}

// shiftedClock is the real clock with a wall clock off by d: its token proposals are d ahead
// (or behind); durations are measured as on the real clock.
type shiftedClock time.Duration

func (s shiftedClock) Now() time.Time                  { return time.Now().Add(time.Duration(s)) }
func (s shiftedClock) Since(t time.Time) time.Duration { return time.Since(t.Add(-time.Duration(s))) }
func (s shiftedClock) NewTimer(d time.Duration) clock.Timer {
	return clock.Real().NewTimer(d)
}
func (s shiftedClock) AfterFunc(d time.Duration, f func()) clock.Timer {
	return clock.Real().AfterFunc(d, f)
}
