package semaphore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/semaphore"
)

// TestDoReleasesWhenFnPanics: fn panics and the caller recovers (as net/http does); the permit
// is released before the panic reaches the caller, so another client takes it at once instead
// of finding it held, and extended, until the Locker closes.
func TestDoReleasesWhenFnPanics(t *testing.T) {
	c, l := newLocker(t, 3, quorum.Options{})
	other := semaphore.New(c.Locker(t, patient(quorum.Options{})), "exports", 1)
	var permit *semaphore.Permit
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want the panic of fn", r)
			}
		}()
		_ = semaphore.New(l, "exports", 1).Do(context.Background(), func(_ context.Context, p *semaphore.Permit) error {
			permit = p
			panic("boom")
		})
	}()
	if !errors.Is(permit.Err(), quorum.ErrReleased) {
		t.Fatalf("permit after fn panicked: %v, want released", permit.Err())
	}
	p, err := other.TryAcquire(context.Background())
	if err != nil {
		t.Fatalf("another client after the panic: %v, want granted at once", err)
	}
	mustRelease(t, p)
}

// TestDoCancelsFnWhenThePermitIsLost: fn's slot key disappears from every node (as after a
// failover that lost it), so the next extension finds that no majority holds the permit. fn's
// context is cancelled with a cause wrapping ErrLeaseLost, and Do returns an error wrapping it.
func TestDoCancelsFnWhenThePermitIsLost(t *testing.T) {
	c, l := newLocker(t, 3, quorum.Options{ExtendInterval: 100 * time.Millisecond})
	var cause error
	err := semaphore.New(l, "exports", 2).Do(context.Background(), func(ctx context.Context, p *semaphore.Permit) error {
		for _, s := range c.Servers {
			s.Del(slotKey("exports", p.Slot()))
		}
		select {
		case <-ctx.Done():
			cause = context.Cause(ctx)
			return nil
		case <-time.After(10 * time.Second):
			return errors.New("fn's context was not cancelled within 10s of the loss")
		}
	})
	if !errors.Is(cause, quorum.ErrLeaseLost) || !errors.Is(err, quorum.ErrLeaseLost) {
		t.Fatalf("Do = %v, fn's cause = %v; want both to wrap ErrLeaseLost", err, cause)
	}
}

// TestDoReturnsFnsErrorAndReleases: fn's error comes back as is, and the permit is free again.
func TestDoReturnsFnsErrorAndReleases(t *testing.T) {
	_, l := newLocker(t, 3, quorum.Options{})
	s := semaphore.New(l, "exports", 1)
	errFn := errors.New("export failed")
	var slot string
	err := s.Do(context.Background(), func(_ context.Context, p *semaphore.Permit) error {
		slot = p.Name()
		return errFn
	})
	if !errors.Is(err, errFn) || errors.Is(err, quorum.ErrLeaseLost) {
		t.Fatalf("Do = %v, want fn's error alone", err)
	}
	if h, err := l.Holder(context.Background(), slot); !errors.Is(err, quorum.ErrNoHolder) {
		t.Fatalf("slot %q after Do: held by %+v (%v), want free", slot, h, err)
	}
}
