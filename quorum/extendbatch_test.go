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
	c, l := newLocker(t, 3, quorum.Options{TTL: 300 * time.Millisecond, NodeTimeout: 80 * time.Millisecond})
	var leases []*quorum.Lease
	for i := range 200 {
		le := mustAcquire(t, l, fmt.Sprintf("job-%d", i))
		le.AutoExtend()
		leases = append(leases, le)
	}
	before := c.Nodes[0].Requests()
	time.Sleep(900 * time.Millisecond)
	calls := c.Nodes[0].Requests() - before
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

func TestExtendManyScriptContract(t *testing.T) {
	c, n := oneNode(t)
	acquire(t, n, "a", 10)
	other := testKeys
	other.Lock = "t:{other}"
	got, err := n.ExtendMany(context.Background(), quorum.ExtendManyRequest{
		Locks: []string{testKeys.Lock, testKeys.Lock, other.Lock}, Owners: []string{"a", "b", "a"}, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{true, false, false}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("ExtendMany = %v, want %v (ours, another owner's, a missing key)", got, want)
	}
	if c.Servers[0].Exists(other.Lock) {
		t.Fatal("ExtendMany re-created a missing key")
	}
	if ttl := c.Servers[0].TTL(testKeys.Lock); ttl != time.Minute {
		t.Fatalf("TTL after ExtendMany = %v, want 1m", ttl)
	}
}
