package proptest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/quorum/quorumtest"
	"github.com/redis/go-redis/v9"
)

// cluster is a set of Redis servers (in-process miniredis servers, or redis-server processes).
// Every client reaches the servers through its own view: its own connections, each behind a
// quorumtest.FaultyNode (or, for the peer, a faultyPool). A node fault acts on every view of
// the node at once, as a fault of the server would.
type cluster struct {
	srv    servers
	ctls   []*nodeCtl
	mutant quorum.Mutant // node-script mutant every view runs, or ""

	mu    sync.Mutex
	views []clientView
}

// clientView is one client's connections to every server, each behind the server's faults.
type clientView interface {
	barrier(ctx context.Context) // returns once one more command has been answered on every server
	close() error                // waits for the requests a stall held, then closes the connections
}

// faultView is one connection to one server that obeys the server's faults (nodeCtl):
// quorumtest.FaultyNode for ours, faultyPool for the peer, with the same semantics.
type faultView interface {
	Stall()  // requests wait without an answer, and run on Resume
	Resume() // ends a stall, and waits until the requests it held have run
	SetFail(on bool)
	SetLoseReplies(on bool)
	SetDelay(d time.Duration)
}

var _ faultView = (*quorumtest.FaultyNode)(nil)

// addView registers v, to be closed with the cluster.
func (c *cluster) addView(v clientView) {
	c.mu.Lock()
	c.views = append(c.views, v)
	c.mu.Unlock()
}

// startCluster starts n servers on free loopback ports, or takes n of cfg.URLs.
func startCluster(s Scenario, cfg RunConfig) (*cluster, error) {
	n := s.N
	srv, err := startServers(n, cfg.RealRedis, s.persists(), cfg.URLs)
	if err != nil {
		return nil, err
	}
	c := &cluster{srv: srv, mutant: cfg.Mutant}
	for i := range n {
		c.ctls = append(c.ctls, &nodeCtl{proc: srv.process(i)})
	}
	return c, nil
}

// view returns a fresh set of nodes over the servers, for one Locker.
func (c *cluster) view(client int) ([]quorum.Node, error) {
	faulty := make([]*quorumtest.FaultyNode, c.srv.len())
	nodes := make([]quorum.Node, c.srv.len())
	for i := range nodes {
		rn := quorum.NewRedisNode(fmt.Sprintf("node%d", i), c.srv.options(i), 10*time.Second)
		if c.mutant != "" && isNodeMutant(c.mutant) {
			if err := quorum.EnableNodeMutant(rn, c.mutant); err != nil {
				return nil, err
			}
		}
		faulty[i] = quorumtest.NewFaultyNode(rn)
		c.ctls[i].attach(faulty[i], client)
		nodes[i] = faulty[i]
	}
	c.addView(nodeView(faulty))
	return nodes, nil
}

// nodeView is the view of one of our Lockers.
type nodeView []*quorumtest.FaultyNode

func (v nodeView) barrier(ctx context.Context) {
	req := quorum.ReleaseRequest{Keys: quorum.Keys{Lock: keyPrefix + "{barrier}"}, Owner: "barrier"}
	var wg sync.WaitGroup
	for _, n := range v {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = n.Release(ctx, req)
		}()
	}
	wg.Wait()
}

func (v nodeView) close() error {
	var errs []error
	for _, f := range v {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}

// isNodeMutant reports whether m lives in the node scripts (and must be enabled on the nodes
// as well as on the Locker).
func isNodeMutant(m quorum.Mutant) bool {
	return m == quorum.MutantIncrToken || m == quorum.MutantExtendRecreate || m == quorum.MutantBlindRelease
}

// barrier waits until every command written so far on any view has run: a node call whose
// caller stopped waiting (after NodeTimeout) is still written and run later, so a release may
// land after its Locker closed. One more command on each connection, answered, comes after
// them all.
func (c *cluster) barrier(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c.mu.Lock()
	views := slices.Clone(c.views)
	c.mu.Unlock()
	var wg sync.WaitGroup
	for _, v := range views {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v.barrier(ctx)
		}()
	}
	wg.Wait()
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

// waitHealthy waits, at most d, until no server's marker says it is amnesic: the bootstrap heals
// of a new deployment run in the background after the first round.
func (c *cluster) waitHealthy(d time.Duration) {
	deadline := time.Now().Add(d)
	for i := range c.srv.len() {
		for c.srv.markerState(i) == "amnesic" && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
	}
}

// healAll ends every fault on every node.
func (c *cluster) healAll() {
	for _, n := range c.ctls {
		n.reset()
	}
}

// close heals every node, closes every view and stops the servers.
func (c *cluster) close() error {
	c.healAll()
	c.mu.Lock()
	views := c.views
	c.views = nil
	c.mu.Unlock()
	var errs []error
	for _, v := range views {
		errs = append(errs, v.close())
	}
	errs = append(errs, c.srv.close())
	return errors.Join(errs...)
}

// nodeCtl holds the faults active on one server and applies them to every view of it; a
// partition applies to the views of the clients it cuts off. Overlapping faults of one kind
// nest: a node stays stalled until the last stall ends.
type nodeCtl struct {
	proc    stopper // the server process, which a stall stops (SIGSTOP); nil: the views stall
	mu      sync.Mutex
	views   []clientFaultView
	stall   int
	fail    int
	lose    int
	delays  []time.Duration
	cutReq  map[int]int // per client: partitions that lose its requests to this node
	cutRepl map[int]int // per client: partitions that lose this node's replies to it
}

// clientFaultView is one client's view of the node.
type clientFaultView struct {
	faultView
	client int
}

// attach adds client's view and applies the faults active now.
func (n *nodeCtl) attach(f faultView, client int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	v := clientFaultView{f, client}
	n.views = append(n.views, v)
	if n.stall > 0 && n.proc == nil {
		f.Stall()
	}
	n.applyTo(v)
}

// set starts (on) or ends (off) one interval fault on this node.
func (n *nodeCtl) set(f Fault, on bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	step := map[bool]int{true: 1, false: -1}[on]
	switch f.Kind {
	case FaultStall:
		n.stall += step
		if on && n.stall == 1 || !on && n.stall == 0 {
			n.applyStall(on)
		}
	case FaultFail:
		n.fail += step
	case FaultLoseReplies:
		n.lose += step
	case FaultDelay:
		if on {
			n.delays = append(n.delays, f.Delay)
		} else if i := slices.Index(n.delays, f.Delay); i >= 0 {
			n.delays = slices.Delete(n.delays, i, i+1)
		}
	case FaultPartition:
		n.cut(f, step)
	}
	for _, v := range n.views {
		n.applyTo(v)
	}
}

// cut counts a partition starting (step 1) or ending (-1) for its clients.
func (n *nodeCtl) cut(f Fault, step int) {
	if n.cutReq == nil {
		n.cutReq, n.cutRepl = map[int]int{}, map[int]int{}
	}
	for _, c := range f.Clients {
		if f.Cut == CutReplies {
			n.cutRepl[c] += step
		} else {
			n.cutReq[c] += step
		}
	}
}

// applyStall stalls or resumes every view. Resume waits until the requests the stall held have
// run: they run even if their callers gave up, as on a SIGSTOPped server that resumes.
func (n *nodeCtl) applyStall(on bool) {
	if n.proc != nil {
		if on {
			n.proc.Stop()
		} else {
			n.proc.Cont()
		}
		return
	}
	for _, v := range n.views {
		if on {
			v.Stall()
		} else {
			v.Resume()
		}
	}
}

// applyTo sets the faults of one view: those of the node, and the partitions of its client.
func (n *nodeCtl) applyTo(v clientFaultView) {
	v.SetFail(n.fail > 0 || n.cutReq[v.client] > 0)
	v.SetLoseReplies(n.lose > 0 || n.cutRepl[v.client] > 0)
	v.SetDelay(slices.Max(append([]time.Duration{0}, n.delays...)))
}

// reset ends every fault.
func (n *nodeCtl) reset() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stall > 0 {
		n.applyStall(false)
	}
	n.stall, n.fail, n.lose, n.delays, n.cutReq, n.cutRepl = 0, 0, 0, nil, nil, nil
	for _, v := range n.views {
		n.applyTo(v)
	}
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
