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
		p.queued.Wait()
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
	client *redis.Client
	inner  rsredis.Pool

	mu      sync.Mutex
	stalled chan struct{} // non-nil while stalled; closed by Resume
	delay   time.Duration
	fail    bool
	lose    bool
	queued  sync.WaitGroup // commands held by a stall, still to run
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

// Stall makes the server a black hole until Resume.
func (p *faultyPool) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stalled == nil {
		p.stalled = make(chan struct{})
	}
}

// Resume ends a stall and waits until every command it held has run.
func (p *faultyPool) Resume() {
	p.mu.Lock()
	if p.stalled != nil {
		close(p.stalled)
		p.stalled = nil
	}
	p.mu.Unlock()
	p.queued.Wait()
}

// SetFail makes every command fail without reaching the server.
func (p *faultyPool) SetFail(on bool) { p.mu.Lock(); p.fail = on; p.mu.Unlock() }

// SetLoseReplies makes every command take effect and its reply be lost.
func (p *faultyPool) SetLoseReplies(on bool) { p.mu.Lock(); p.lose = on; p.mu.Unlock() }

// SetDelay delays every command by d before it is sent (0 for none).
func (p *faultyPool) SetDelay(d time.Duration) { p.mu.Lock(); p.delay = d; p.mu.Unlock() }

// faulty runs one command through the pool's faults.
func faulty[R any](p *faultyPool, ctx context.Context, cmd func(rsredis.Conn) (R, error)) (R, error) {
	var zero R
	p.mu.Lock()
	stalled, delay, fail, lose := p.stalled, p.delay, p.fail, p.lose
	if stalled != nil && !fail {
		p.queued.Add(1)
	}
	p.mu.Unlock()
	if fail {
		return zero, quorumtest.ErrInjected
	}
	if stalled != nil {
		return held(p, ctx, stalled, cmd)
	}
	if !sleep(ctx, delay) {
		return zero, ctx.Err()
	}
	r, err := send(p, ctx, cmd)
	if lose && err == nil {
		return zero, quorumtest.ErrInjected
	}
	return r, err
}

// held holds a command until the stall ends; it then runs even if its caller has given up, and
// its reply reaches the caller only if the caller still waits.
func held[R any](p *faultyPool, ctx context.Context, resumed <-chan struct{}, cmd func(rsredis.Conn) (R, error)) (R, error) {
	type reply struct {
		r   R
		err error
	}
	out := make(chan reply, 1)
	go func() { // ends once the stall ends and the command ran; Resume and close wait for it
		defer p.queued.Done()
		<-resumed
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		r, err := send(p, rctx, cmd)
		out <- reply{r, err}
	}()
	select {
	case rep := <-out:
		return rep.r, rep.err
	case <-ctx.Done():
		var zero R
		return zero, ctx.Err()
	}
}

// send runs cmd on an inner connection bound to ctx.
func send[R any](p *faultyPool, ctx context.Context, cmd func(rsredis.Conn) (R, error)) (R, error) {
	conn, err := p.inner.Get(ctx)
	if err != nil {
		var zero R
		return zero, err
	}
	defer conn.Close()
	return cmd(conn)
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
