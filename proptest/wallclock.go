package proptest

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/quorumlock/quorumlock/clock"
)

// wallClock is the real clock of one client, whose wall-clock reading (clock.WallClock) faults
// step as NTP does; Now, Since and the timers stay monotonic and are not moved. A freeze stops
// the client as a pause of its process would, at every point where its Locker reads the clock
// (a round's reply, a grant's validity, an extension, a heal): Now and Since block until the
// freeze ends. Timers still fire, and whatever they run blocks at its first reading in turn, so
// that a reply and a deadline race when the client resumes, as they do after a real pause.
type wallClock struct {
	clock.Clock
	offset atomic.Int64 // nanoseconds added to the wall clock

	mu     sync.Mutex
	thawed chan struct{} // closed when the freeze ends; nil while not frozen
}

var _ clock.WallClock = (*wallClock)(nil)

func newWallClock() *wallClock { return &wallClock{Clock: clock.Real()} }

// Wall returns the stepped wall-clock time.
func (w *wallClock) Wall() time.Time { w.wait(); return time.Now().Add(time.Duration(w.offset.Load())) }

// Now returns the monotonic time, once any freeze is over.
func (w *wallClock) Now() time.Time { w.wait(); return w.Clock.Now() }

// Since returns the time elapsed since t, once any freeze is over.
func (w *wallClock) Since(t time.Time) time.Duration { w.wait(); return w.Clock.Since(t) }

// step moves the wall clock by d, back if d is negative.
func (w *wallClock) step(d time.Duration) { w.offset.Add(int64(d)) }

// freeze stops the client for d: readings of the clock block until then.
func (w *wallClock) freeze(d time.Duration) {
	w.mu.Lock()
	if w.thawed != nil { // overlapping freezes: the first one decides
		w.mu.Unlock()
		return
	}
	thawed := make(chan struct{})
	w.thawed = thawed
	w.mu.Unlock()
	time.AfterFunc(d, func() {
		w.mu.Lock()
		w.thawed = nil
		w.mu.Unlock()
		close(thawed)
	})
}

// wait blocks while the client is frozen.
func (w *wallClock) wait() {
	w.mu.Lock()
	thawed := w.thawed
	w.mu.Unlock()
	if thawed != nil {
		<-thawed
	}
}
