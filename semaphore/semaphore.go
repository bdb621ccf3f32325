package semaphore

import (
	"fmt"
	"strconv"

	"github.com/quorumlock/quorumlock/quorum"
)

// Semaphore hands out at most Permits() permits of one named semaphore at a time, across every
// client of the same nodes. It is safe for concurrent use; goroutines that share one Semaphore
// take turns while they wait (see Acquire). It holds no resources: drop it when done.
type Semaphore struct {
	locker *quorum.Locker
	name   string
	n      int
	slots  []string      // the slots' lock names; nil if err is set
	err    error         // why the semaphore cannot be used (from New); nil if it can
	turn   chan struct{} // holds a value while no waiter of this Semaphore contends
}

// New returns the semaphore name of n permits over locker's nodes. Every client of the
// semaphore must give the same name and n. New never panics: with a nil locker, n < 1, or a
// name too long for its slot names (SlotName(name, n-1) must be at most quorum.MaxNameLen
// bytes), every call of the Semaphore returns an error wrapping ErrInvalid that names the
// problem. The slots are the locks SlotName(name, 0) to SlotName(name, n-1); nothing else may
// take them.
func New(locker *quorum.Locker, name string, n int) *Semaphore {
	s := &Semaphore{locker: locker, name: name, n: n, turn: make(chan struct{}, 1)}
	s.turn <- struct{}{}
	switch {
	case locker == nil:
		s.err = fmt.Errorf("%w: semaphore %q: nil *quorum.Locker", ErrInvalid, name)
	case n < 1:
		s.err = fmt.Errorf("%w: semaphore %q: %d permits, want at least 1", ErrInvalid, name, n)
	case len(SlotName(name, n-1)) > quorum.MaxNameLen:
		s.err = fmt.Errorf("%w: semaphore %q of %d permits: %w: the name of its last slot (NAME/permit/%d) is %d bytes, longer than %d",
			ErrInvalid, name, n, quorum.ErrInvalidName, n-1, len(SlotName(name, n-1)), quorum.MaxNameLen)
	default:
		s.slots = make([]string, n)
		for i := range s.slots {
			s.slots[i] = SlotName(name, i)
		}
	}
	return s
}

// SlotName returns the name of the quorum lock that is slot i of the semaphore name:
// "NAME/permit/i". Permit.Name returns it for the slot a permit holds; read a slot's holder
// with Locker.Holder(ctx, SlotName(name, i)).
func SlotName(name string, slot int) string { return name + "/permit/" + strconv.Itoa(slot) }

// Name returns the semaphore's name.
func (s *Semaphore) Name() string { return s.name }

// Permits returns the number of permits, N.
func (s *Semaphore) Permits() int { return s.n }
