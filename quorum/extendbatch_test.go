package quorum_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
)

// TestAutoExtensionIsBatchedPerNode: two hundred auto-extended leases stay valid for three TTLs
// while each node sees a handful of batched calls, not one per lease and extension.
func TestAutoExtensionIsBatchedPerNode(t *testing.T) {
	c, l := newLocker(t, 3, quorum.Options{TTL: time.Second, NodeTimeout: 300 * time.Millisecond})
	var leases []*quorum.Lease
	for i := range 200 {
		le := mustAcquire(t, l, fmt.Sprintf("job-%d", i))
		le.AutoExtend()
		leases = append(leases, le)
	}
	before := c.Servers[0].ScriptCalls("")
	time.Sleep(3 * time.Second)
	calls := c.Servers[0].ScriptCalls("") - before
	for _, le := range leases {
		if le.Err() != nil {
			t.Fatalf("lease %s ended while auto-extended: %v", le.Name(), le.Err())
		}
	}
	if calls > 60 { // 9 intervals of TTL/3, a few batches each; unbatched it would be 1800
		t.Fatalf("%d calls reached node 0 for 200 leases over three TTLs: not batched", calls)
	}
	for _, le := range leases {
		if err := le.Release(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}

// extendEvents counts the failed auto-extensions a Locker reports, and keeps the first.
type extendEvents struct {
	mu     sync.Mutex
	failed int
	first  error
}

func (e *extendEvents) Observe(ev quorum.Event) {
	if ev.Kind != quorum.EventExtend || ev.Err == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.failed++
	if e.first == nil {
		e.first = ev.Err
	}
}

// TestAutoExtensionBacksOffWhenNodesFail: with two of three nodes failing, an auto-extended
// lease is tried a few times, with a growing pause, until its validity runs out; it never spins,
// and each failure names the nodes that failed.
func TestAutoExtensionBacksOffWhenNodesFail(t *testing.T) {
	events := &extendEvents{}
	c, l := newLocker(t, 3, quorum.Options{TTL: time.Second, Observer: events})
	le := mustAcquire(t, l, "job")
	le.AutoExtend()
	c.Faults[1].SetFail(true)
	c.Faults[2].SetFail(true)
	<-le.Done()
	events.mu.Lock()
	defer events.mu.Unlock()
	if events.failed == 0 || events.failed > 10 {
		t.Fatalf("%d failed extensions reported within one TTL, want a few", events.failed)
	}
	var ne *quorum.NodeError
	if !errors.As(events.first, &ne) || !errors.Is(events.first, quorum.ErrUnavailable) {
		t.Fatalf("failed extension = %v, want ErrUnavailable naming the failed nodes", events.first)
	}
	if !errors.Is(le.Err(), quorum.ErrLeaseLost) || strings.Contains(le.Err().Error(), "m=+") {
		t.Fatalf("lease ended with %q, want a plain ErrLeaseLost", le.Err())
	}
}
