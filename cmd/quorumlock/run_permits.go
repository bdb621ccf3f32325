package main

import (
	"context"
	"strconv"

	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/semaphore"
)

// run --permits N: with N above 1, NAME is a semaphore of N permits (package semaphore) and run
// holds one of them, a lease on the lock of one slot, NAME/permit/SLOT. Everything after the
// grant — extension, the watchdog, signals, the loss of the lease — is the same as for a lock,
// on that slot's lease.

// takePermit makes one attempt at a permit (--wait 0) or retries for --wait, and returns the
// lease on the permit's slot.
func (rc runConfig) takePermit(ctx context.Context, l *quorum.Locker) (*quorum.Lease, error) {
	s := semaphore.New(l, rc.name, rc.permits)
	var p *semaphore.Permit
	var err error
	if rc.wait == 0 {
		p, err = s.TryAcquire(ctx)
	} else {
		wctx, cancel := context.WithTimeout(ctx, rc.wait)
		p, err = s.Acquire(wctx)
		cancel()
	}
	if err != nil {
		return nil, err
	}
	return p.Lease(), nil
}

// slotOf returns the slot whose lock le holds: 0 for the lock NAME itself (--permits 1).
func (rc runConfig) slotOf(le *quorum.Lease) int {
	for i := range rc.permits {
		if semaphore.SlotName(rc.name, i) == le.Name() {
			return i
		}
	}
	return 0
}

// permitEnv returns the variables that tell COMMAND which permit it holds.
func (rc runConfig) permitEnv(le *quorum.Lease) []string {
	return []string{"QUORUMLOCK_SLOT=" + strconv.Itoa(rc.slotOf(le)), "QUORUMLOCK_PERMITS=" + strconv.Itoa(rc.permits)}
}

// permitAttrs returns the log attributes of the permit le holds; none for a lock (--permits 1).
func (rc runConfig) permitAttrs(le *quorum.Lease) []any {
	if rc.permits == 1 {
		return nil
	}
	return []any{"slot", rc.slotOf(le), "permits", rc.permits, "lock", le.Name()}
}
