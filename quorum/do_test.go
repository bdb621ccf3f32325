package quorum_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
)

func TestDoKeepsTheLeaseExtended(t *testing.T) {
	_, l := newLocker(t, 3, quorum.Options{TTL: 300 * time.Millisecond, NodeTimeout: 80 * time.Millisecond})
	err := l.Do(context.Background(), "job", func(ctx context.Context, le *quorum.Lease) error {
		first := le.ValidUntil()
		select {
		case <-time.After(1200 * time.Millisecond): // four TTLs
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		if !le.ValidUntil().After(first) {
			t.Errorf("ValidUntil did not move: %v", first)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
}

// TestDoCancelsFnWhenValidityRunsOut: the nodes stop answering extensions; fn's context is
// cancelled when the validity runs out on the local clock, with ErrLeaseLost as its cause.
func TestDoCancelsFnWhenValidityRunsOut(t *testing.T) {
	c, l, clk := fakeLocker(t, 3, quorum.Options{TTL: time.Second})
	failExtends(c.Servers[:])
	var cause error
	done := make(chan error, 1)
	go func() {
		done <- l.Do(context.Background(), "job", func(ctx context.Context, _ *quorum.Lease) error {
			<-ctx.Done()
			cause = context.Cause(ctx)
			return nil
		})
	}()
	for clk.Waiters() < 2 { // the expiry timer and the keep-alive's timer
		time.Sleep(time.Millisecond)
	}
	clk.Step(time.Second)
	err := <-done
	if !errors.Is(err, quorum.ErrLeaseLost) || !errors.Is(cause, quorum.ErrLeaseLost) {
		t.Fatalf("Do = %v, fn's cause = %v; want both to wrap ErrLeaseLost", err, cause)
	}
}

// TestNoRefreshAfterRelease: once Do has returned, no node receives anything more.
func TestNoRefreshAfterRelease(t *testing.T) {
	c, l := newLocker(t, 3, quorum.Options{TTL: 300 * time.Millisecond, ExtendInterval: 10 * time.Millisecond,
		NodeTimeout: 80 * time.Millisecond})
	err := l.Do(context.Background(), "job", func(context.Context, *quorum.Lease) error {
		time.Sleep(50 * time.Millisecond)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	waitKeys(t, c, 0) // Release returns at the majority; the last node follows
	before := c.Servers[0].ScriptCalls("")
	time.Sleep(50 * time.Millisecond)
	if after := c.Servers[0].ScriptCalls(""); after != before {
		t.Fatalf("%d requests reached a node after Do returned and its release landed", after-before)
	}
}

func TestDoWithDeadlineWhileHeld(t *testing.T) {
	_, l := newLocker(t, 3, quorum.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := l.Do(ctx, "job", func(ctx context.Context, _ *quorum.Lease) error {
		<-ctx.Done()
		return ctx.Err()
	})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Do = %v, want context.DeadlineExceeded", err)
	}
	mustAcquire(t, l, "job") // released even though ctx had ended
}

func TestAcquireWaitsForTheHolder(t *testing.T) {
	_, l := newLocker(t, 3, quorum.Options{})
	holder := mustAcquire(t, l, "job")
	// Long enough for attempts to complete on a loaded machine: the error must carry the last.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := l.Acquire(ctx, "job")
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, quorum.ErrNotAcquired) {
		t.Fatalf("Acquire while held = %v, want DeadlineExceeded and the last attempt's ErrNotAcquired", err)
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		_ = holder.Release(context.Background())
	}()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	le, err := l.Acquire(ctx2, "job")
	if err != nil || le.Token() <= holder.Token() {
		t.Fatalf("Acquire after release: %v; token must exceed %d", err, holder.Token())
	}
}

func TestAutoExtendKeepsALease(t *testing.T) {
	_, l := newLocker(t, 3, quorum.Options{TTL: 300 * time.Millisecond, NodeTimeout: 80 * time.Millisecond})
	le := mustAcquire(t, l, "job")
	le.AutoExtend()
	time.Sleep(900 * time.Millisecond) // three TTLs
	if le.Err() != nil {
		t.Fatalf("lease ended while auto-extended: %v", le.Err())
	}
	if err := le.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestDoReleasesWhenFnPanics: fn panics and the caller recovers (as net/http does); the lock is
// released before the panic reaches the caller, so another client takes it at once instead of
// finding it held and extended until the Locker closes.
func TestDoReleasesWhenFnPanics(t *testing.T) {
	c, l := newLocker(t, 3, quorum.Options{TTL: time.Second})
	other := c.Locker(t, patient(quorum.Options{TTL: time.Second}))
	var lease *quorum.Lease
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want the panic of fn", r)
			}
		}()
		_ = l.Do(context.Background(), "job", func(_ context.Context, le *quorum.Lease) error {
			lease = le
			panic("boom")
		})
	}()
	if !errors.Is(lease.Err(), quorum.ErrReleased) {
		t.Fatalf("lease after fn panicked: %v, want released", lease.Err())
	}
	le, err := other.TryAcquire(context.Background(), "job")
	if err != nil {
		t.Fatalf("another client after the panic: %v, want granted at once", err)
	}
	_ = le.Release(context.Background())
}
