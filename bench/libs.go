package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-redsync/redsync/v4"
	rsredis "github.com/go-redsync/redsync/v4/redis"
	"github.com/go-redsync/redsync/v4/redis/goredis/v9"
	"github.com/redis/go-redis/v9"

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

// redsyncClient is redsync over goredis/v9 pools, one go-redis client per URL with the options
// redis.ParseURL gives, and NewMutex with its defaults (plus WithFailFast when asked).
type redsyncClient struct {
	rs      *redsync.Redsync
	clients []*redis.Client
	opts    []redsync.Option
}

func openRedsync(urls []string, failFast bool) (*redsyncClient, error) {
	c := &redsyncClient{}
	pools := make([]rsredis.Pool, 0, len(urls))
	for _, u := range urls {
		o, err := redis.ParseURL(u)
		if err != nil {
			_ = c.close()
			return nil, fmt.Errorf("bench: redsync node URL %q: %w", u, err)
		}
		rc := redis.NewClient(o)
		c.clients = append(c.clients, rc)
		pools = append(pools, goredis.NewPool(rc))
	}
	c.rs = redsync.New(pools...)
	if failFast {
		c.opts = []redsync.Option{redsync.WithFailFast(true)}
	}
	return c, nil
}

func (c *redsyncClient) pair(ctx context.Context, name string) error {
	m := c.rs.NewMutex(name, c.opts...)
	if err := m.LockContext(ctx); err != nil {
		return err
	}
	ok, err := m.UnlockContext(ctx)
	if !ok {
		return fmt.Errorf("redsync: unlock not confirmed by a majority: %w", errOrUnknown(err))
	}
	return nil
}

func (c *redsyncClient) try(ctx context.Context, name string) (bool, error) {
	m := c.rs.NewMutex(name, c.opts...)
	err := m.TryLockContext(ctx)
	switch {
	case err == nil:
	case refused(err):
		return false, nil
	default:
		return false, err
	}
	ok, err := m.UnlockContext(ctx)
	if !ok {
		return true, fmt.Errorf("redsync: unlock not confirmed by a majority: %w", errOrUnknown(err))
	}
	return true, nil
}

func (c *redsyncClient) wait(ctx context.Context, name string, hold time.Duration) (time.Duration, bool, error) {
	m := c.rs.NewMutex(name, c.opts...)
	t0 := time.Now()
	err := m.LockContext(ctx)
	waited := time.Since(t0)
	if err != nil {
		return waited, false, err
	}
	err = sleep(ctx, hold)
	ok, uerr := m.UnlockContext(ctx)
	if !ok {
		err = errors.Join(err, fmt.Errorf("redsync: unlock not confirmed by a majority: %w", errOrUnknown(uerr)))
	}
	return waited, true, err
}

func (c *redsyncClient) close() error {
	var errs []error
	for _, rc := range c.clients {
		errs = append(errs, rc.Close())
	}
	return errors.Join(errs...)
}

// refused reports whether err from redsync says the lock is held by someone else. redsync
// returns ErrTaken and ErrNodeTaken as pointers; both forms are accepted.
func refused(err error) bool {
	var taken *redsync.ErrTaken
	var nodeTaken *redsync.ErrNodeTaken
	var takenV redsync.ErrTaken
	var nodeTakenV redsync.ErrNodeTaken
	return errors.Is(err, redsync.ErrFailed) || errors.As(err, &taken) || errors.As(err, &nodeTaken) ||
		errors.As(err, &takenV) || errors.As(err, &nodeTakenV)
}

func errOrUnknown(err error) error {
	if err == nil {
		return errors.New("no error given")
	}
	return err
}
