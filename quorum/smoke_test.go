package quorum_test

import (
	"context"
	"testing"

	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/quorum/quorumtest"
)

func TestSmoke(t *testing.T) {
	c := quorumtest.NewCluster(t, 3)
	l := c.Locker(t, quorum.Options{})
	ctx := context.Background()
	le, err := l.Acquire(ctx, "job")
	if err != nil {
		t.Fatal(err)
	}
	t.Log(le.Token(), le.ValidUntil())
	_, err = l.TryAcquire(ctx, "job")
	t.Log(err)
	if err := le.Release(ctx); err != nil {
		t.Fatal(err)
	}
	le2, err := l.TryAcquire(ctx, "job")
	if err != nil {
		t.Fatal(err)
	}
	t.Log(le2.Token())
	for i := range c.Servers {
		t.Log(c.Servers[i].Keys())
	}
}
