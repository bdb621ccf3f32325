package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
)

// Library names in reports.
const (
	Ours    = "ours"
	Redsync = "redsync"
	// OursPolling is ours with quorum.Options.DisableNotify: Acquire waits by polling alone.
	OursPolling = "ours (polling)"
)

// client is one library's lock client over one set of nodes, for one run.
type client interface {
	// pair takes the named lock as the library's Lock does and releases it.
	pair(ctx context.Context, name string) error
	// try makes one attempt at the named lock and releases it if granted. A refusal because
	// someone else holds the lock is not an error.
	try(ctx context.Context, name string) (granted bool, err error)
	// wait takes the named lock as the library's Lock does, holds it for hold and releases it.
	// It returns how long the library took to grant it (or to fail), and whether it did.
	wait(ctx context.Context, name string, hold time.Duration) (waited time.Duration, granted bool, err error)
	close() error
}

// oursClient is a quorum.Locker with its default options, or with DisableNotify.
type oursClient struct{ l *quorum.Locker }

func openOurs(ctx context.Context, urls []string, prefix string, polling bool) (*oursClient, error) {
	l, err := quorum.Dial(ctx, urls, quorum.Options{KeyPrefix: prefix, DisableNotify: polling})
	if err != nil {
		return nil, fmt.Errorf("bench: dial ours: %w", err)
	}
	return &oursClient{l: l}, nil
}

func (c *oursClient) pair(ctx context.Context, name string) error {
	le, err := c.l.Acquire(ctx, name)
	if err != nil {
		return err
	}
	return le.Release(ctx)
}

func (c *oursClient) try(ctx context.Context, name string) (bool, error) {
	le, err := c.l.TryAcquire(ctx, name)
	if errors.Is(err, quorum.ErrNotAcquired) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, le.Release(ctx)
}

func (c *oursClient) wait(ctx context.Context, name string, hold time.Duration) (time.Duration, bool, error) {
	t0 := time.Now()
	le, err := c.l.Acquire(ctx, name)
	waited := time.Since(t0)
	if err != nil {
		return waited, false, err
	}
	err = sleep(ctx, hold)
	return waited, true, errors.Join(err, le.Release(ctx))
}

// close waits for the Locker's background clean-ups, then closes its connections.
func (c *oursClient) close() error { return c.l.Close() }
