package proptest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/quorumlock/quorumlock/internal/faultnet"
	"github.com/quorumlock/quorumlock/internal/mutants"
	"github.com/redis/go-redis/v9"
)

// cluster is a set of Redis servers (in-process miniredis servers, redis-server processes, or
// servers given by URL) behind a fault layer (internal/faultnet) that every client's
// connections pass through, below the client's own connection handling: our clients are
// Lockers dialled as quorum.Dial dials them, with a Dialer into the fault layer, so the
// campaign runs the code production runs; the peer's go-redis clients go through the same
// layer. A node fault acts on every client's connections to the server at once, as a fault of
// the server would; a partition acts on some clients' connections only.
type cluster struct {
	srv    servers
	net    faultnet.Network
	ctls   []*nodeCtl
	mutant mutants.Mutant // enabled on every Locker of the run, or ""
}

// startCluster starts n servers on free loopback ports, or takes n of cfg.URLs.
func startCluster(s Scenario, cfg RunConfig) (*cluster, error) {
	srv, err := startServers(s.N, cfg.RealRedis, s.persists(), cfg.URLs)
	if err != nil {
		return nil, err
	}
	c := &cluster{srv: srv, mutant: cfg.Mutant}
	for i := range s.N {
		c.ctls = append(c.ctls, &nodeCtl{proc: srv.process(i), fn: c.net.Add(srv.options(i).Addr)})
	}
	return c, nil
}

// urls returns the servers' URLs.
func (c *cluster) urls() []string {
	urls := make([]string, c.srv.len())
	for i := range urls {
		o := c.srv.options(i)
		urls[i] = fmt.Sprintf("redis://%s/%d", o.Addr, o.DB)
	}
	return urls
}

// dialer returns the Dialer of one client: its connections to every server, through the faults.
func (c *cluster) dialer(client int) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return c.net.Dialer(client)
}

// redisClient returns a go-redis client of server i for one of the peer's clients, through the
// faults. It honours context deadlines (ContextTimeoutEnabled), as our nodes do: redsync bounds
// each node call by a context, which go-redis otherwise ignores for socket reads.
func (c *cluster) redisClient(i, client int) *redis.Client {
	o := *c.srv.options(i)
	o.ContextTimeoutEnabled = true
	o.Dialer = c.dialer(client)
	return redis.NewClient(&o)
}

// barrier waits (at most five seconds) until the servers have run every command the closed
// clients sent: a command whose caller stopped waiting (after NodeTimeout) is still written and
// run later, so a release may land after its Locker closed. A server closes its side of a
// connection once it has run everything sent before the client's end, so the barrier is every
// connection being closed on the servers' side.
func (c *cluster) barrier(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for _, n := range c.ctls {
		for n.fn.Open() > 0 && ctx.Err() == nil {
			time.Sleep(time.Millisecond)
		}
	}
}

// lockKeys returns, per server, those of the workload's lock keys that exist there, each with
// its owner.
func (c *cluster) lockKeys(keys []string) [][]string {
	out := make([][]string, c.srv.len())
	for i := range out {
		for _, key := range keys {
			if owner, ok := c.srv.get(i, key); ok {
				out[i] = append(out[i], key+"="+owner)
			}
		}
	}
	return out
}

// healAll ends every fault on every node.
func (c *cluster) healAll() {
	for _, n := range c.ctls {
		n.reset()
	}
}

// close heals every node and stops the servers. The clients are closed by then.
func (c *cluster) close() error {
	c.healAll()
	return c.srv.close()
}

// diagnose PINGs every server on a connection of its own, bounded by a second each, and says
// how each answered: for failure reports.
func (c *cluster) diagnose(ctx context.Context) string {
	var out []string
	for i := range c.srv.len() {
		o := *c.srv.options(i)
		o.MaxRetries = -1
		rc := redis.NewClient(&o)
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		start := time.Now()
		err := rc.Ping(pctx).Err()
		took := time.Since(start)
		keys, _ := rc.DBSize(pctx).Result()
		cancel()
		_ = rc.Close()
		if err != nil {
			out = append(out, fmt.Sprintf("node%d %s: %v after %v", i, o.Addr, err, took.Round(time.Millisecond)))
			continue
		}
		out = append(out, fmt.Sprintf("node%d %s: PING in %v, %d keys", i, o.Addr, took.Round(time.Microsecond), keys))
	}
	return strings.Join(out, "; ")
}

// errNoPeerMutants: the peer runs without mutants.
var errNoPeerMutants = errors.New("proptest: the peer runs without mutants")
