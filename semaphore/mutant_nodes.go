//go:build quorumlock_mutants

package semaphore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
	"github.com/redis/go-redis/v9"
)

// majorityNodes are the semaphore-majority mutant's connections to the Locker's nodes.
type majorityNodes struct {
	clients []*redis.Client
	timeout time.Duration
}

// answer is one node's reply in a fan-out.
type answer struct {
	v   any
	err error
}

// dialMajorityNodes makes a go-redis client for every node name (host:port/db), dialling with
// the Locker's Dialer when it has one, so that fault injection applies.
func dialMajorityNodes(names []string, o quorum.Options) (*majorityNodes, error) {
	m := &majorityNodes{timeout: o.NodeTimeout}
	for _, name := range names {
		i := strings.LastIndex(name, "/")
		db, err := strconv.Atoi(name[i+1:])
		if i < 0 || err != nil {
			_ = m.close()
			return nil, fmt.Errorf("semaphore: the semaphore-majority mutant cannot read node name %q as host:port/db", name)
		}
		m.clients = append(m.clients, redis.NewClient(&redis.Options{Addr: name[:i], DB: db, Dialer: o.Dialer,
			Protocol: 2, DisableIdentity: true, MaxRetries: -1, ContextTimeoutEnabled: true}))
	}
	return m, nil
}

// each calls f on every node at once, each call bounded by NodeTimeout, and returns the
// answers in the order of the nodes once every call has returned.
func (m *majorityNodes) each(ctx context.Context, f func(ctx context.Context, c *redis.Client) (any, error)) []answer {
	out := make([]answer, len(m.clients))
	var wg sync.WaitGroup
	for i, c := range m.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, m.timeout)
			defer cancel()
			v, err := f(cctx, c)
			out[i] = answer{v, err}
		}()
	}
	wg.Wait()
	return out
}

// close closes every connection.
func (m *majorityNodes) close() error {
	var errs []error
	for _, c := range m.clients {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}
