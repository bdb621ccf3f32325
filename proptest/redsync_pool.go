package proptest

import (
	"context"
	"errors"
	"sync"
	"time"

	rsredis "github.com/go-redsync/redsync/v4/redis"
	"github.com/go-redsync/redsync/v4/redis/goredis/v9"
	"github.com/quorumlock/quorumlock/quorum/quorumtest"
	"github.com/redis/go-redis/v9"
)

// redsyncView returns a fresh set of redsync pools over the servers, for one redsync client:
// one go-redis client per server (redsync's goredis/v9 adapter), each behind a faultyPool that
// obeys the server's faults.
//
// The clients honour context deadlines (ContextTimeoutEnabled), as our nodes do: redsync bounds
// each node call by a context (expiry × timeout factor), which go-redis otherwise ignores for
// socket reads, so that a hung server would hold every call for ReadTimeout (3 s by default).
// Other options are go-redis's defaults, as in redsync's examples.
func (c *cluster) redsyncView(client int) []rsredis.Pool {
	view := make(poolView, c.srv.len())
	pools := make([]rsredis.Pool, c.srv.len())
	for i := range view {
		o := *c.srv.options(i)
		o.ContextTimeoutEnabled = true
		rc := redis.NewClient(&o)
		view[i] = &faultyPool{client: rc, inner: goredis.NewPool(rc)}
		c.ctls[i].attach(view[i], client)
		pools[i] = view[i]
	}
	c.addView(view)
	return pools
}

// poolView is the view of one redsync client.
type poolView []*faultyPool

func (v poolView) barrier(ctx context.Context) {
	var wg sync.WaitGroup
	for _, p := range v {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = p.client.Get(ctx, keyPrefix+"{barrier}").Err()
		}()
	}
	wg.Wait()
}

func (v poolView) close() error {
	var errs []error
	for _, p := range v {
		p.Held()
		errs = append(errs, p.client.Close())
	}
	return errors.Join(errs...)
}

// faultyPool is a redsync pool over one server that applies the server's faults to every
// command, with the semantics of quorumtest.FaultyNode: a stall holds commands until Resume,
// when they all run, even those whose callers gave up; fail returns quorumtest.ErrInjected
// without reaching the server; lose-replies runs the command and returns ErrInjected; a delay
// holds each command that long before it is sent, unless its caller gives up first.
//
// A redsync connection carries the context it was taken with (redsync's Conn has no context
// parameter): each command runs on a fresh inner connection with the context it needs.
type faultyPool struct {
	quorumtest.Faults
	client *redis.Client
	inner  rsredis.Pool
}

var (
	_ rsredis.Pool = (*faultyPool)(nil)
	_ faultView    = (*faultyPool)(nil)
)

// Get returns a connection whose commands pass through the pool's faults.
func (p *faultyPool) Get(ctx context.Context) (rsredis.Conn, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	return &faultyConn{p: p, ctx: ctx}, nil
}

// faulty runs one command through the pool's faults, on an inner connection bound to the
// context it runs with (a command held by a stall runs after its caller gave up).
func faulty[R any](p *faultyPool, ctx context.Context, cmd func(rsredis.Conn) (R, error)) (R, error) {
	return quorumtest.Through(&p.Faults, ctx, "", func(ctx context.Context) (R, error) {
		conn, err := p.inner.Get(ctx)
		if err != nil {
			var zero R
			return zero, err
		}
		defer conn.Close()
		return cmd(conn)
	})
}

// faultyConn is a redsync connection of a faultyPool.
type faultyConn struct {
	p   *faultyPool
	ctx context.Context // the context redsync took the connection with
}

var _ rsredis.Conn = (*faultyConn)(nil)

func (c *faultyConn) Get(name string) (string, error) {
	return faulty(c.p, c.ctx, func(conn rsredis.Conn) (string, error) { return conn.Get(name) })
}

func (c *faultyConn) Set(name, value string) (bool, error) {
	return faulty(c.p, c.ctx, func(conn rsredis.Conn) (bool, error) { return conn.Set(name, value) })
}

func (c *faultyConn) SetNX(name, value string, expiry time.Duration) (bool, error) {
	return faulty(c.p, c.ctx, func(conn rsredis.Conn) (bool, error) { return conn.SetNX(name, value, expiry) })
}

func (c *faultyConn) Eval(script *rsredis.Script, keysAndArgs ...any) (any, error) {
	return faulty(c.p, c.ctx, func(conn rsredis.Conn) (any, error) { return conn.Eval(script, keysAndArgs...) })
}

func (c *faultyConn) ScriptLoad(script *rsredis.Script) error {
	_, err := faulty(c.p, c.ctx, func(conn rsredis.Conn) (struct{}, error) { return struct{}{}, conn.ScriptLoad(script) })
	return err
}

func (c *faultyConn) PTTL(name string) (time.Duration, error) {
	return faulty(c.p, c.ctx, func(conn rsredis.Conn) (time.Duration, error) { return conn.PTTL(name) })
}

// Close releases nothing: every command took and closed its own inner connection.
func (c *faultyConn) Close() error { return nil }
