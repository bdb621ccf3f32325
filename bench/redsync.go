package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-redsync/redsync/v4"
	rsredis "github.com/go-redsync/redsync/v4/redis"
	"github.com/go-redsync/redsync/v4/redis/goredis/v9"
	"github.com/redis/go-redis/v9"
)

// redsyncDefaultExpiry is redsync's default lock expiry, when no WithExpiry is given.
const redsyncDefaultExpiry = 8 * time.Second

// redsyncClient is redsync over goredis/v9 pools, one go-redis client per URL with the options
// redis.ParseURL gives, and NewMutex with its defaults (plus WithFailFast and WithExpiry when
// a scenario asks).
type redsyncClient struct {
	rs      *redsync.Redsync
	clients []*redis.Client
	opts    []redsync.Option
	expiry  time.Duration // of its mutexes: a leader extends every third of it

	closeOnce sync.Once // a crashed candidate's client is closed again with the others
	closeErr  error
}

func openRedsync(urls []string, failFast bool, expiry time.Duration) (*redsyncClient, error) {
	c := &redsyncClient{expiry: redsyncDefaultExpiry}
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
		c.opts = append(c.opts, redsync.WithFailFast(true))
	}
	if expiry > 0 {
		c.opts = append(c.opts, redsync.WithExpiry(expiry))
		c.expiry = expiry
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

// campaign is redsync used as an election, as its users do: Lock on the election's mutex,
// called again each time it gives up (after its 32 tries), until it grants or ctx ends. The
// term's holder then extends the mutex every third of its expiry.
func (c *redsyncClient) campaign(ctx context.Context, name string) (term, error) {
	m := c.rs.NewMutex(name, c.opts...)
	for {
		err := m.LockContext(ctx)
		if err == nil {
			return startRedsyncTerm(m, c), nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("redsync: campaign for %q: %w (last attempt: %w)", name, ctx.Err(), err)
		}
	}
}

// close closes the go-redis clients; it is idempotent.
func (c *redsyncClient) close() error {
	c.closeOnce.Do(func() {
		var errs []error
		for _, rc := range c.clients {
			errs = append(errs, rc.Close())
		}
		c.closeErr = errors.Join(errs...)
	})
	return c.closeErr
}

// redsyncTerm is a mutex held as a term of leadership, extended in a goroutine until the term
// ends.
type redsyncTerm struct {
	m    *redsync.Mutex
	c    *redsyncClient
	stop context.CancelFunc
	done chan struct{} // closed when the extending goroutine returned
}

func startRedsyncTerm(m *redsync.Mutex, c *redsyncClient) *redsyncTerm {
	ctx, cancel := context.WithCancel(context.Background())
	t := &redsyncTerm{m: m, c: c, stop: cancel, done: make(chan struct{})}
	go t.extend(ctx, c.expiry/3)
	return t
}

// extend extends the mutex every interval until ctx ends. A failed extension is tried again at
// the next tick: the holder of a redsync mutex has no other way to learn it lost it.
func (t *redsyncTerm) extend(ctx context.Context, every time.Duration) {
	defer close(t.done)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			_, _ = t.m.ExtendContext(ctx)
		}
	}
}

// halt stops the extensions and waits until none is in flight.
func (t *redsyncTerm) halt() {
	t.stop()
	<-t.done
}

func (t *redsyncTerm) resign(ctx context.Context) error {
	t.halt()
	ok, err := t.m.UnlockContext(context.WithoutCancel(ctx))
	if !ok {
		return fmt.Errorf("redsync: unlock not confirmed by a majority: %w", errOrUnknown(err))
	}
	return nil
}

func (t *redsyncTerm) crash() error {
	t.halt()
	return t.c.close()
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
