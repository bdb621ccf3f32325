package quorum_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/internal/redisproc"
	"github.com/quorumlock/quorumlock/quorum"
)

// waitInBackground runs Acquire of name on l within a minute and reports its outcome, releasing
// the lease if granted.
func waitInBackground(l *quorum.Locker, name string) <-chan error {
	got := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		le, err := l.Acquire(ctx, name)
		if err == nil {
			err = le.Release(ctx)
		}
		got <- err
	}()
	return got
}

// TestIntegrationWaiterWakesAtRelease: on real servers, a waiter whose fallback poll is an hour
// away is granted after the holder's release, which the release script announces.
func TestIntegrationWaiterWakesAtRelease(t *testing.T) {
	c := itStartN(t, 3, redisproc.Config{})
	holder := c.dial(t, quorum.Options{NodeTimeout: 500 * time.Millisecond})
	itWarmUp(t, holder, "warm")
	waiter := c.dial(t, noPolling(quorum.Options{NodeTimeout: 500 * time.Millisecond}))
	held := itAcquire(t, holder, "job", 5*time.Second)
	got := waitInBackground(waiter, "job")
	c.waitSubscribed(t, "job")
	if err := held.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("waiter after the release: %v", err)
	}
}

// TestIntegrationReleaseWithoutChannelPermission: a Redis 7 ACL user with no channel permission
// (the default for new users) cannot publish; the release still deletes the key and succeeds,
// and a waiter falls back to polling.
func TestIntegrationReleaseWithoutChannelPermission(t *testing.T) {
	c := itStartN(t, 3, redisproc.Config{})
	for i := range c.servers {
		ctx, cancel := itCtx()
		err := c.raw[i].Do(ctx, "ACL", "SETUSER", "app", "on", ">s3cret", "~*", "+@all", "resetchannels").Err()
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range c.urls() {
		c.urlOverride = append(c.urlOverride, strings.Replace(u, "redis://", "redis://app:s3cret@", 1))
	}
	opts := quorum.Options{NodeTimeout: 500 * time.Millisecond}
	holder := c.dial(t, opts)
	itWarmUp(t, holder, "warm")
	waiter := c.dial(t, opts)
	held := itAcquire(t, holder, "job", 5*time.Second)
	got := waitInBackground(waiter, "job")
	time.Sleep(50 * time.Millisecond) // the waiter has tried and is polling
	if err := held.Release(context.Background()); err != nil {
		t.Fatalf("Release by a user who may not publish: %v", err)
	}
	if err := <-got; err != nil {
		t.Fatalf("waiter after the release: %v", err)
	}
	c.assertNoLockKeys(t)
}

// waitSubscribed waits until a client subscribed to the announcements of name on every server.
func (c *itCluster) waitSubscribed(t *testing.T, name string) {
	t.Helper()
	ch := itLockKey(name) + ":released"
	deadline := time.Now().Add(10 * time.Second)
	for i, rc := range c.raw {
		for {
			ctx, cancel := itCtx()
			n, err := rc.PubSubNumSub(ctx, ch).Result()
			cancel()
			if err == nil && n[ch] > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("server %d: nobody subscribed to %s (%v)", i, ch, err)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}
