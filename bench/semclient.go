package bench

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/quorumlock/quorumlock/semaphore"
)

// semClient is an oursClient whose waits take a permit of a semaphore instead of a lock: the
// semaphore named as the lock, of permits permits. Only wait takes permits; a scenario with
// Permits makes no other op.
type semClient struct {
	*oursClient
	permits int

	mu   sync.Mutex
	sems map[string]*semaphore.Semaphore
}

func newSemClient(c *oursClient, permits int) *semClient {
	return &semClient{oursClient: c, permits: permits, sems: map[string]*semaphore.Semaphore{}}
}

// semaphore returns the client's one Semaphore of name: the goroutines that share a client
// wait in turns on it, as the goroutines of one process sharing a Semaphore do.
func (c *semClient) semaphore(name string) *semaphore.Semaphore {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.sems[name]
	if !ok {
		s = semaphore.New(c.l, name, c.permits)
		c.sems[name] = s
	}
	return s
}

func (c *semClient) wait(ctx context.Context, name string, hold time.Duration) (time.Duration, bool, error) {
	s := c.semaphore(name)
	t0 := time.Now()
	p, err := s.Acquire(ctx)
	waited := time.Since(t0)
	if err != nil {
		return waited, false, err
	}
	err = sleep(ctx, hold)
	return waited, true, errors.Join(err, p.Release(ctx))
}
