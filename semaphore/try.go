package semaphore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/quorumlock/quorumlock/quorum"
)

// TryAcquire makes one attempt at a permit: it tries the slots one at a time, starting at a
// random one (so that clients spread over the slots instead of all contending for the first),
// and returns a Permit on the first slot granted. Each slot's attempt is one
// quorum.Locker.TryAcquire, with opts (quorum.As names the holder of the slot).
//
// If no slot was granted it returns an error wrapping quorum.ErrNotAcquired when every slot is
// held by someone else, and quorum.ErrUnavailable when some slot could not be decided (too few
// nodes answered for it; the slots found held are named in the message); the attempts that
// explain it are joined as *SlotError values, which wrap quorum's errors (and their
// *quorum.NodeError values). It stops at the first slot whose error no other slot can avoid —
// ctx ended, quorum.ErrNeedsHeal, quorum.ErrClosed, quorum.ErrInvalidName — and returns that
// error. A failed slot attempt is cleaned up by quorum, as any failed attempt.
//
// TryAcquire costs one quorum round per slot it tries: up to N when the permits are all held.
func (s *Semaphore) TryAcquire(ctx context.Context, opts ...quorum.AcquireOption) (*Permit, error) {
	if s.err != nil {
		return nil, s.err
	}
	if s.majorityMutant() {
		return s.tryMajority(ctx)
	}
	start := rand.IntN(s.n)
	var held, undecided []*SlotError
	for k := range s.n {
		i := (start + k) % s.n
		le, err := s.locker.TryAcquire(ctx, s.slots[i], opts...)
		switch {
		case err == nil:
			return &Permit{g: le, slot: i, name: s.slots[i]}, nil
		case errors.Is(err, quorum.ErrNotAcquired):
			held = append(held, &SlotError{Slot: i, Err: err})
		case errors.Is(err, quorum.ErrUnavailable):
			undecided = append(undecided, &SlotError{Slot: i, Err: err})
		default: // no other slot can do better: ctx ended, needs heal, closed, invalid
			return nil, fmt.Errorf("semaphore: %q: slot %d: %w", s.name, i, err)
		}
	}
	return nil, s.noPermit(held, undecided)
}

// noPermit says why no slot was granted: every slot held, or some undecided.
func (s *Semaphore) noPermit(held, undecided []*SlotError) error {
	bySlot := func(a, b *SlotError) int { return a.Slot - b.Slot }
	slices.SortFunc(held, bySlot)
	slices.SortFunc(undecided, bySlot)
	if len(undecided) == 0 {
		outcome := fmt.Errorf("semaphore: %q: all %d permits are held: %w", s.name, s.n, quorum.ErrNotAcquired)
		return joinSlots(outcome, held)
	}
	// Only the undecided slots' errors are joined: a held slot's error wraps ErrNotAcquired,
	// which would make errors.Is report the semaphore held when it may not be.
	found := "none found held"
	if len(held) > 0 {
		found = "held: " + slotList(held)
	}
	outcome := fmt.Errorf("semaphore: %q: %d of %d slots could not be decided (%s): %w",
		s.name, len(undecided), s.n, found, quorum.ErrUnavailable)
	return joinSlots(outcome, undecided)
}

// joinSlots joins the slots' errors under outcome.
func joinSlots(outcome error, slots []*SlotError) error {
	errs := []error{outcome}
	for _, e := range slots {
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}

// slotList lists the slots of errs: "0, 2, 3".
func slotList(errs []*SlotError) string {
	parts := make([]string, len(errs))
	for i, e := range errs {
		parts[i] = strconv.Itoa(e.Slot)
	}
	return strings.Join(parts, ", ")
}
