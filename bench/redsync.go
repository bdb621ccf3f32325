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
)

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
