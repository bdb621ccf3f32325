package proptest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/semaphore"
)

// semLib takes permits of one semaphore per name (package semaphore) on our Locker, in place
// of the lock of that name: the semaphore workload.
type semLib struct {
	*quorumLib
	permits int

	mu   sync.Mutex
	sems map[string]*semaphore.Semaphore
}

var _ lockLib = (*semLib)(nil)

func (s *semLib) acquire(ctx context.Context, name string) (lockLease, int, error) {
	before := s.obs.attempts.Load()
	s.obs.reset()
	p, err := s.semaphore(name).Acquire(ctx)
	attempts := int(s.obs.attempts.Load() - before)
	if err != nil {
		return nil, attempts, fmt.Errorf("%w [failed attempts: %s]", err, s.obs.failures())
	}
	return permitLease{p: p, took: time.Duration(s.obs.last.Load())}, attempts, nil
}

// semaphore returns the client's Semaphore of name, made at its first use.
func (s *semLib) semaphore(name string) *semaphore.Semaphore {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sems == nil {
		s.sems = make(map[string]*semaphore.Semaphore)
	}
	sem := s.sems[name]
	if sem == nil {
		sem = semaphore.New(s.l, name, s.permits)
		s.sems[name] = sem
	}
	return sem
}

// permitLease is one permit, as the workload sees a lease: on the store of its slot.
type permitLease struct {
	p    *semaphore.Permit
	took time.Duration
}

func (p permitLease) token() fencing.Token   { return p.p.Token() }
func (p permitLease) validUntil() time.Time  { return p.p.ValidUntil() }
func (p permitLease) attempt() time.Duration { return p.took }
func (p permitLease) done() <-chan struct{}  { return p.p.Done() }
func (p permitLease) lost() bool             { return errors.Is(p.p.Err(), quorum.ErrLeaseLost) }

func (p permitLease) extend(ctx context.Context) (bool, error) {
	err := p.p.Extend(ctx)
	return errors.Is(err, quorum.ErrLeaseLost), err
}

func (p permitLease) release(ctx context.Context) error { return p.p.Release(ctx) }

// slot returns the permit's slot, or -1 for a permit that holds none (the semaphore-majority
// mutant's).
func (p permitLease) slot() int { return p.p.Slot() }

// slotted is a lease that tells which of its semaphore's slots it holds.
type slotted interface{ slot() int }

// storeOf returns the store a lease writes to: its slot's for a permit (the semaphore's last
// store for a permit without a slot), else the store of the lock it was planned for.
func storeOf(s Scenario, le lockLease, planned int) int {
	sl, ok := le.(slotted)
	switch {
	case !ok:
		return planned
	case sl.slot() < 0 || sl.slot() >= s.Permits:
		return s.Permits
	}
	return sl.slot()
}
