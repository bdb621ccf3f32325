package semaphore

import (
	"errors"
	"fmt"
)

// ErrInvalid is wrapped by the error of every call on a Semaphore that New could not make
// usable: a nil Locker, fewer than one permit, or a name whose slot names would be longer than
// quorum.MaxNameLen (that error wraps quorum.ErrInvalidName too). A name that quorum refuses
// for its characters is reported by the first call, with quorum.ErrInvalidName, since every
// slot name has the characters of the name.
var ErrInvalid = errors.New("semaphore: invalid")

// SlotError is the outcome of the attempt at one slot, joined into the error of a TryAcquire
// that granted no permit. Err is quorum's error for that slot's lock.
type SlotError struct {
	Slot int
	Err  error
}

// Error names the slot and quorum's error for it.
func (e *SlotError) Error() string { return fmt.Sprintf("semaphore: slot %d: %v", e.Slot, e.Err) }

// Unwrap returns quorum's error for the slot.
func (e *SlotError) Unwrap() error { return e.Err }
