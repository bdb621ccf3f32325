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
				if err == nil {
					err = le.Release(ctx)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	time.Sleep(2*opts.TTL + 300*time.Millisecond) // every fence key and tombstone has expired
	for i := range c.servers {
		dctx, dcancel := itCtx()
		n, err := c.raw[i].DBSize(dctx).Result()
		dcancel()
		if err != nil || n > 2 {
			t.Errorf("server %d holds %d keys (%v) after %d names, want the marker alone", i, n, err, names)
		}
	}
	again := itAcquire(t, l, "first", 5*time.Second)
	if again.Token() <= first.Token() {
		t.Fatalf("token %d after the name's counter expired, not above %d", again.Token(), first.Token())
	}
}
