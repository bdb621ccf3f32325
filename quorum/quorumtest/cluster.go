package quorumtest

import (
	"context"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/internal/faultnet"
	"github.com/quorumlock/quorumlock/quorum"
)

// Cluster is a set of in-process Redis servers, each behind a fault layer that every client's
// connections pass through (below the lock's pipelined connection, so the lock runs exactly the
// code it runs in production). Lockers come from Locker, which dials the servers as Dial does.
// miniredis keys expire on the wall clock; FastForward moves a server's clock.
type Cluster struct {
	Servers []*Server
	Faults  []*Faults // per server: stalls, failures, lost replies, delays
	net     faultnet.Network
	clients atomic.Int32
}

// Faults are the faults of one server, as every client's connections to it see them. See
// package internal/faultnet for the exact semantics.
type Faults struct{ n *faultnet.Node }

// Stall makes the server a black hole, as a SIGSTOPped one: requests are taken and held, in
// order per connection, and nothing comes back until Resume.
func (f *Faults) Stall() { f.n.Stall() }

// Resume ends a stall: the held requests run, in order, and Resume returns once they have
// been written to the server.
func (f *Faults) Resume() { f.n.Resume() }

// SetFail makes requests fail at once, without reaching the server: the connection is reset.
func (f *Faults) SetFail(on bool) { f.n.SetFail(on) }

// SetLoseReplies makes requests reach the server and run, but their replies are lost: the
// connection is reset when they arrive.
func (f *Faults) SetLoseReplies(on bool) { f.n.SetLoseReplies(on) }

// SetDelay delays every request by d before it reaches the server (0 for none).
func (f *Faults) SetDelay(d time.Duration) { f.n.SetDelay(d) }

// NewCluster starts n servers on free loopback ports; t.Cleanup resumes stalled ones and stops
// everything. The servers are new: Bootstrap (or a Locker from BootstrappedLocker) brings them
// into service.
func NewCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	c := &Cluster{}
	for range n {
		s, err := StartServer()
		if err != nil {
			t.Fatal(err)
		}
		c.Servers = append(c.Servers, s)
		c.Faults = append(c.Faults, &Faults{c.net.Add(s.Addr())})
	}
	t.Cleanup(func() {
		for i, s := range c.Servers {
			c.Faults[i].Resume()
			s.Close()
		}
	})
	return c
}

// URLs returns the servers' redis:// URLs.
func (c *Cluster) URLs() []string {
	urls := make([]string, len(c.Servers))
	for i, s := range c.Servers {
		urls[i] = "redis://" + s.Addr()
	}
	return urls
}

// Options returns opts with a Dialer of its own: the connections of one more client, through
// the servers' faults.
func (c *Cluster) Options(opts quorum.Options) quorum.Options {
	opts.Dialer = c.net.Dialer(int(c.clients.Add(1)))
	return opts
}

// Locker dials the cluster as a new client; t.Cleanup closes the Locker. The nodes are not
// bootstrapped: see Bootstrap.
func (c *Cluster) Locker(t testing.TB, opts quorum.Options) *quorum.Locker {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := quorum.Dial(ctx, c.URLs(), c.Options(opts))
	if err != nil {
		t.Fatalf("quorum.Dial: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// Bootstrap brings the new servers into service, as an operator does for a new deployment
// (Locker.Heal with NewDeployment), through a Locker of its own.
func (c *Cluster) Bootstrap(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := quorum.Dial(ctx, c.URLs(), c.Options(quorum.Options{}))
	if err != nil {
		t.Fatalf("quorum.Dial: %v", err)
	}
	defer l.Close()
	if _, err := l.Heal(ctx, quorum.HealOptions{NewDeployment: true}); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
}

// BootstrappedLocker is Bootstrap, then Locker.
func (c *Cluster) BootstrappedLocker(t testing.TB, opts quorum.Options) *quorum.Locker {
	t.Helper()
	c.Bootstrap(t)
	return c.Locker(t, opts)
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

// Counter reads server i's fencing counter for name under prefix ("" if none).
func (c *Cluster) Counter(i int, prefix, name string) string {
	v, _ := c.Servers[i].Get(prefix + "{" + name + "}:fence")
	return v
}

// CloseAndLockKeys closes each of ls (Lockers), waits (at most five seconds) until every server
// has seen connections go, so that what they sent before closing has run, and returns
// LockKeys(prefix).
func (c *Cluster) CloseAndLockKeys(prefix string, ls ...io.Closer) ([][]string, error) {
	before := make([]int, len(c.Servers))
	for i, s := range c.Servers {
		before[i] = s.CurrentConnectionCount()
	}
	for _, l := range ls {
		if err := l.Close(); err != nil {
			return nil, err
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for i, s := range c.Servers {
		for s.CurrentConnectionCount() >= before[i] && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
	}
	return c.LockKeys(prefix), nil
}
