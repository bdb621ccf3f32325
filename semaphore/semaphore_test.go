package semaphore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/clock/clocktest"
	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/quorum/quorumtest"
	"github.com/quorumlock/quorumlock/semaphore"
)

// TestGrantsNPermitsThenRefuses: three permits are granted on three distinct slots, the fourth
// attempt is refused as held (not unavailable) with every slot's refusal joined, and a release
// frees exactly the released slot for the next attempt.
func TestGrantsNPermitsThenRefuses(t *testing.T) {
	c, l := newLocker(t, 3, quorum.Options{})
	other := c.Locker(t, patient(quorum.Options{}))
	s := semaphore.New(l, "exports", 3)
	slots := map[int]*semaphore.Permit{}
	for range 3 {
		p := mustTry(t, s)
		if slots[p.Slot()] != nil || p.Slot() < 0 || p.Slot() >= 3 {
			t.Fatalf("permit on slot %d; slots already held: %v", p.Slot(), keys(slots))
		}
		slots[p.Slot()] = p
	}
	_, err := semaphore.New(other, "exports", 3).TryAcquire(context.Background())
	if !errors.Is(err, quorum.ErrNotAcquired) || errors.Is(err, quorum.ErrUnavailable) {
		t.Fatalf("fourth TryAcquire = %v, want ErrNotAcquired and not ErrUnavailable", err)
	}
	if n := strings.Count(err.Error(), "semaphore: slot "); n != 3 {
		t.Errorf("the refusal joins %d slot errors, want 3:\n%v", n, err)
	}
	var se *semaphore.SlotError
	if !errors.As(err, &se) {
		t.Errorf("the refusal has no *SlotError: %v", err)
	}
	mustRelease(t, slots[1])
	p, err := semaphore.New(other, "exports", 3).TryAcquire(context.Background())
	if err != nil || p.Slot() != 1 {
		t.Fatalf("after slot 1 was released: TryAcquire = %v, %v; want a permit on slot 1", p, err)
	}
	mustRelease(t, p)
}

func keys(m map[int]*semaphore.Permit) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestPermitIsItsSlotsLease: every permit's Name, Slot and Token are those of the lock the nodes
// say it holds, and tokens of one slot strictly increase across grants. The clock is frozen (a
// fake clock), so that tokens do not increase by themselves with time: each is proposed above
// the counters the nodes keep per slot.
func TestPermitIsItsSlotsLease(t *testing.T) {
	c := quorumtest.NewCluster(t, 3)
	c.Bootstrap(t)
	l := c.Locker(t, patient(quorum.Options{Clock: clocktest.NewFake(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))}))
	s := semaphore.New(l, "exports", 2)
	ctx := context.Background()
	last := map[string]fencing.Token{}
	for range 12 {
		p := mustTry(t, s)
		if p.Name() != semaphore.SlotName("exports", p.Slot()) {
			t.Fatalf("permit on slot %d is named %q, want %q", p.Slot(), p.Name(), semaphore.SlotName("exports", p.Slot()))
		}
		h, err := l.Holder(ctx, p.Name())
		if err != nil || h.Token != p.Token() {
			t.Fatalf("the nodes say slot %d (%q) is held with %+v (%v), the permit has token %d", p.Slot(), p.Name(), h, err, p.Token())
		}
		if prev, ok := last[p.Name()]; ok && p.Token() <= prev {
			t.Fatalf("slot %d granted token %d after %d", p.Slot(), p.Token(), prev)
		}
		last[p.Name()] = p.Token()
		mustRelease(t, p)
	}
	if len(last) != 2 {
		t.Errorf("last token per slot %v: want both slots used", last)
	}
}

// TestPermitsSpreadOverSlots: attempts start at a random slot, so one client taking and
// releasing a permit over and over uses every slot, not always the first.
func TestPermitsSpreadOverSlots(t *testing.T) {
	_, l := newLocker(t, 3, quorum.Options{})
	s := semaphore.New(l, "exports", 4)
	used := map[int]int{}
	for range 48 { // a slot is missed with probability 4 × (3/4)^48 < 1e-5
		p := mustTry(t, s)
		used[p.Slot()]++
		mustRelease(t, p)
	}
	if len(used) != 4 {
		t.Fatalf("slots used by 48 grants: %v, want all of 0-3", used)
	}
}

// TestInvalidSemaphore: New never panics; every call of a Semaphore it could not make usable
// returns an error that names the problem.
func TestInvalidSemaphore(t *testing.T) {
	_, l := newLocker(t, 3, quorum.Options{})
	long := strings.Repeat("x", quorum.MaxNameLen-len("/permit/1")) // slots 0-9 fit, slot 10 does not
	tests := []struct {
		name     string
		s        *semaphore.Semaphore
		want     []error
		wantText string
	}{
		{"nil locker", semaphore.New(nil, "exports", 3), []error{semaphore.ErrInvalid}, "nil *quorum.Locker"},
		{"no permits", semaphore.New(l, "exports", 0), []error{semaphore.ErrInvalid}, "0 permits, want at least 1"},
		{"negative permits", semaphore.New(l, "exports", -2), []error{semaphore.ErrInvalid}, "-2 permits"},
		{"slot name too long", semaphore.New(l, long, 11), []error{semaphore.ErrInvalid, quorum.ErrInvalidName}, "longer than 256"},
		{"brace in the name", semaphore.New(l, "a{b}", 3), []error{quorum.ErrInvalidName}, "brace"},
	}
	ctx := context.Background()
	for _, tt := range tests {
		_, tryErr := tt.s.TryAcquire(ctx)
		_, acqErr := tt.s.Acquire(ctx)
		doErr := tt.s.Do(ctx, func(context.Context, *semaphore.Permit) error {
			t.Errorf("%s: Do ran fn", tt.name)
			return nil
		})
		for _, err := range []error{tryErr, acqErr, doErr} {
			for _, w := range tt.want {
				if !errors.Is(err, w) || !strings.Contains(err.Error(), tt.wantText) {
					t.Errorf("%s: %v; want an error wrapping %v that says %q", tt.name, err, w, tt.wantText)
				}
			}
		}
	}
	if p, err := semaphore.New(l, long, 10).TryAcquire(ctx); err != nil {
		t.Errorf("the longest name that fits: %v", err)
	} else {
		mustRelease(t, p)
	}
}

// TestUndecidedSlotsAreUnavailable: with two of three nodes stalled, the held slot is refused as
// held by the third node and the free one cannot be decided. The outcome is ErrUnavailable, not
// ErrNotAcquired (a permit may be free), names the held slot, and keeps the nodes' errors.
func TestUndecidedSlotsAreUnavailable(t *testing.T) {
	c, l := newLocker(t, 3, quorum.Options{})
	held := mustTry(t, semaphore.New(l, "exports", 2))
	other := semaphore.New(c.Locker(t, patient(quorum.Options{})), "exports", 2)
	c.Faults[1].Stall() // not failing at once: the answer of the node that is left must count
	c.Faults[2].Stall()
	_, err := other.TryAcquire(context.Background())
	c.Faults[1].Resume()
	c.Faults[2].Resume()
	if !errors.Is(err, quorum.ErrUnavailable) || errors.Is(err, quorum.ErrNotAcquired) {
		t.Fatalf("TryAcquire with a majority stalled = %v; want ErrUnavailable and not ErrNotAcquired", err)
	}
	var ne *quorum.NodeError
	if want := fmt.Sprintf("(held: %d)", held.Slot()); !strings.Contains(err.Error(), want) || !errors.As(err, &ne) {
		t.Errorf("TryAcquire = %v; want %q and the stalled nodes' errors", err, want)
	}
}
