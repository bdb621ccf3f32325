package semaphore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/semaphore"
)

// slotStore stands for the store a semaphore protects: one fence per slot, and a record of who
// is inside. It reports a violation when more holders are inside than there are permits, when
// two are inside on one slot, or when a slot's fence refuses a token (a stale one, which no
// holder of this test can have: none pauses).
type slotStore struct {
	permits int

	mu         sync.Mutex
	fences     map[string]*fencing.Fence
	inside     map[string]fencing.Token // slot name → token of the holder inside
	most       int                      // the most holders ever inside at once
	violations []string
}

func newSlotStore(permits int) *slotStore {
	return &slotStore{permits: permits, fences: map[string]*fencing.Fence{}, inside: map[string]fencing.Token{}}
}

// enter admits p's holder through its slot's fence.
func (st *slotStore) enter(p *semaphore.Permit) {
	st.mu.Lock()
	defer st.mu.Unlock()
	f := st.fences[p.Name()]
	if f == nil {
		f = fencing.NewFence(p.Name())
		st.fences[p.Name()] = f
	}
	if err := f.Do(p.Token(), nil); err != nil {
		st.violations = append(st.violations, err.Error())
	}
	if tok, ok := st.inside[p.Name()]; ok {
		st.violations = append(st.violations, fmt.Sprintf("%s: token %d entered while token %d is inside", p.Name(), p.Token(), tok))
	}
	st.inside[p.Name()] = p.Token()
	if len(st.inside) > st.permits {
		st.violations = append(st.violations, fmt.Sprintf("%d holders inside, %d permits: %v", len(st.inside), st.permits, st.inside))
	}
	st.most = max(st.most, len(st.inside))
}

// leave records that p's holder left.
func (st *slotStore) leave(p *semaphore.Permit) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.inside[p.Name()] == p.Token() {
		delete(st.inside, p.Name())
	}
}

// TestNeverMoreThanNHolders: twelve goroutines on four clients take turns with Do on a
// semaphore of three permits; the store they write through never sees more than three holders
// inside, never two on one slot, and never refuses a token.
func TestNeverMoreThanNHolders(t *testing.T) {
	c, first := newLocker(t, 3, quorum.Options{})
	const permits, clients, perClient, rounds = 3, 4, 3, 6
	st := newSlotStore(permits)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, clients*perClient)
	for i := range clients {
		l := first
		if i > 0 {
			l = c.Locker(t, patient(quorum.Options{}))
		}
		s := semaphore.New(l, "exports", permits)
		for range perClient {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range rounds {
					err := s.Do(ctx, func(ctx context.Context, p *semaphore.Permit) error {
						st.enter(p)
						defer st.leave(p)
						time.Sleep(10 * time.Millisecond) // the export
						return context.Cause(ctx)
					})
					switch {
					case errors.Is(err, quorum.ErrUnavailable): // Do retries attempts: only its release failed
						t.Logf("a release that too few nodes answered in time (the requests still run): %v", err)
					case err != nil:
						errs <- err
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, v := range st.violations {
		t.Error(v)
	}
	t.Logf("at most %d holders inside at once", st.most)
	if st.most < 2 {
		t.Errorf("at most %d holder inside at once: the test did not run holders concurrently", st.most)
	}
}
