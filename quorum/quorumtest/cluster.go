package quorumtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/quorumlock/quorumlock/quorum"
	"github.com/redis/go-redis/v9"
)

// Cluster is a set of in-process miniredis servers, each reached over loopback TCP through the
// real go-redis adapter and wrapped in a FaultyNode. miniredis keys do not expire by themselves:
// call FastForward to move a server's clock.
type Cluster struct {
	Servers []*miniredis.Miniredis
	Nodes   []*FaultyNode
}

// NewCluster starts n miniredis servers on free loopback ports; t.Cleanup resumes stalled nodes
// and stops everything.
func NewCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	c := &Cluster{}
	for i := range n {
		s := miniredis.RunT(t)
		inner := quorum.NewRedisNode(fmt.Sprintf("mini%d(%s)", i, s.Addr()), &redis.Options{Addr: s.Addr()}, 10*time.Second)
		node := NewFaultyNode(inner)
		c.Servers = append(c.Servers, s)
		c.Nodes = append(c.Nodes, node)
	}
	t.Cleanup(func() {
		for _, f := range c.Nodes {
			f.Resume()
			_ = f.Close()
		}
	})
	return c
}

// QuorumNodes returns the nodes as []quorum.Node.
func (c *Cluster) QuorumNodes() []quorum.Node {
	nodes := make([]quorum.Node, len(c.Nodes))
	for i, n := range c.Nodes {
		nodes[i] = n
	}
	return nodes
}

// Locker returns a Locker over the cluster's nodes; t.Cleanup closes it.
func (c *Cluster) Locker(t testing.TB, opts quorum.Options) *quorum.Locker {
	t.Helper()
	l, err := quorum.New(c.QuorumNodes(), opts)
	if err != nil {
		t.Fatalf("quorum.New: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// FastForward moves every server's clock by d: keys with a TTL expire.
func (c *Cluster) FastForward(d time.Duration) {
	for _, s := range c.Servers {
		s.FastForward(d)
	}
}

// LockKeys returns, per server, the keys under prefix that are lock keys (not counters,
// markers or tombstones): what a finished attempt must not leave behind.
func (c *Cluster) LockKeys(prefix string) [][]string {
	out := make([][]string, len(c.Servers))
	for i, s := range c.Servers {
		for _, k := range s.Keys() {
			if IsLockKey(prefix, k) {
				out[i] = append(out[i], k)
			}
		}
	}
	return out
}

// IsLockKey reports whether key is a lock key under prefix: prefix{name} and nothing after.
func IsLockKey(prefix, key string) bool {
	return len(key) > len(prefix)+1 && key[:len(prefix)] == prefix && key[len(prefix)] == '{' && key[len(key)-1] == '}'
}

// Counter reads server i's fencing counter for name under prefix (0 if none).
func (c *Cluster) Counter(ctx context.Context, i int, prefix, name string) string {
	v, _ := c.Servers[i].Get(prefix + "{" + name + "}:fence")
	return v
}
