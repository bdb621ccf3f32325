package quorum_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/internal/redisproc"
	"github.com/quorumlock/quorumlock/quorum"
)

// TestIntegrationManyNamesLeaveNoKeys: ten thousand distinct names taken and released through
// the public API leave, once two TTLs have passed, nothing per name on the nodes (the marker
// alone), and a name's token still rises across the expiry of its counter.
func TestIntegrationManyNamesLeaveNoKeys(t *testing.T) {
	const names, workers = 10000, 16
	c := itStartN(t, 3, redisproc.Config{})
	opts := quorum.Options{TTL: 500 * time.Millisecond, NodeTimeout: 100 * time.Millisecond}
	l := c.dial(t, opts)
	itWarmUp(t, l, "first")
	first := itAcquire(t, l, "first", 5*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := first.Release(ctx); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < names; i += workers {
				le, err := l.Acquire(ctx, fmt.Sprintf("order-%d", i))
				if err != nil {
					errs <- err
					return
				}
				_ = le.Release(ctx) // a release that misses a node leaves a key that expires
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Fence keys and tombstones live two TTLs from their last write; a command that a loaded
	// machine delayed writes later: wait for the keys to go, within a bound.
	deadline := time.Now().Add(2*opts.TTL + 10*time.Second)
	for i := range c.servers {
		var n int64
		for {
			dctx, dcancel := itCtx()
			n, _ = c.raw[i].DBSize(dctx).Result()
			dcancel()
			if n <= 1 || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if n > 1 {
			t.Errorf("server %d still holds %d keys after %d names, want the marker alone", i, n, names)
		}
	}
	again := itAcquire(t, l, "first", 5*time.Second)
	if again.Token() <= first.Token() {
		t.Fatalf("token %d after the name's counter expired, not above %d", again.Token(), first.Token())
	}
}
