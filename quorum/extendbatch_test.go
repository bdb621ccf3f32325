package quorum_test

import (
	"context"
	"fmt"
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
