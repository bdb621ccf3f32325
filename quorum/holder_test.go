package quorum_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
)

// TestHolderReadsTheMajority: Holder names the id a grant was taken As and its token while a
// majority holds it, also long after the name's fence counter would have expired without the
// extensions (they keep it alive), and ErrNoHolder once it is released.
func TestHolderReadsTheMajority(t *testing.T) {
	_, l := newLocker(t, 3, quorum.Options{TTL: 300 * time.Millisecond})
	ctx := context.Background()
	if _, err := l.Holder(ctx, "leader"); !errors.Is(err, quorum.ErrNoHolder) {
		t.Fatalf("Holder of a free lock = %v, want ErrNoHolder", err)
	}
	le, err := l.TryAcquire(ctx, "leader", quorum.As("host-a"))
	if err != nil {
		t.Fatal(err)
	}
	le.AutoExtend()
	time.Sleep(time.Second) // more than two TTLs: the counter lives on with the extensions
	h, err := l.Holder(ctx, "leader")
	if err != nil || h.ID != "host-a" || h.Token != le.Token() || h.ValidFor <= 0 || h.ValidFor > 300*time.Millisecond {
		t.Fatalf("Holder = %+v, %v; want host-a with token %d and under a TTL left", h, err, le.Token())
	}
	if err := le.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if h, err := l.Holder(ctx, "leader"); !errors.Is(err, quorum.ErrNoHolder) {
		t.Fatalf("Holder after release = %+v, %v; want ErrNoHolder", h, err)
	}
}

// TestHolderNeedsNodesInService: amnesic nodes' answers do not count.
func TestHolderNeedsNodesInService(t *testing.T) {
	c, l := newLocker(t, 3, quorum.Options{})
	mustAcquire(t, l, "leader")
	c.Servers[0].FlushAll()
	c.Servers[1].FlushAll()
	if _, err := l.Holder(context.Background(), "leader"); !errors.Is(err, quorum.ErrUnavailable) {
		t.Fatalf("Holder with two of three nodes amnesic = %v, want ErrUnavailable", err)
	}
}

func TestAsRefusesBadIDs(t *testing.T) {
	_, l := newLocker(t, 1, quorum.Options{})
	for _, id := range []string{strings.Repeat("x", quorum.MaxIDLen+1), "a{b}", "tab\there", "\xff"} {
		if _, err := l.TryAcquire(context.Background(), "job", quorum.As(id)); !errors.Is(err, quorum.ErrInvalidOptions) {
			t.Errorf("As(%q) = %v, want ErrInvalidOptions", id, err)
		}
	}
}
