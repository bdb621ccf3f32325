package faultnet

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"
)

// Node holds the faults of one server, as every client's connections to it see them. The zero
// fault set passes every byte through. It is safe for concurrent use.
type Node struct {
	addr   string
	dialer net.Dialer

	mu      sync.Mutex
	stalled bool
	fail    bool
	lose    bool
	delay   time.Duration
	cutReq  map[int]int           // per client: Cuts that lose its requests
	cutRepl map[int]int           // per client: Cuts that lose the replies to it
	slow    map[int]time.Duration // per client: a slow link, added to the delay
	conns   map[*conn]struct{}
	open    int // connections whose server side is still open
}

// NewNode returns a Node, without faults, for the server at addr (host:port), which its
// Dialers connect to.
func NewNode(addr string) *Node {
	return &Node{
		addr:    addr,
		cutReq:  make(map[int]int),
		cutRepl: make(map[int]int),
		slow:    make(map[int]time.Duration),
		conns:   make(map[*conn]struct{}),
	}
}

// Addr returns the address of the server.
func (n *Node) Addr() string { return n.addr }

// Dialer returns a dial function for the connections of one client (the number Cut knows it
// by) to this node, in the shape of net.Dialer.DialContext. It refuses, with ErrUnknownAddr,
// an addr other than the node's: a Dialer that quietly redirected would hide a client set up for
// the wrong server.
func (n *Node) Dialer(client int) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr != n.addr {
			err := fmt.Errorf("%w: %s (this node is %s)", ErrUnknownAddr, addr, n.addr)
			return nil, &net.OpError{Op: "dial", Net: network, Err: err}
		}
		return n.dial(ctx, client, network)
	}
}

// dial connects client to the server unless a fault refuses it.
func (n *Node) dial(ctx context.Context, client int, network string) (net.Conn, error) {
	if _, refused := n.admit(client); refused {
		return nil, &net.OpError{Op: "dial", Net: network, Err: ErrInjected}
	}
	nc, err := n.dialer.DialContext(ctx, network, n.addr)
	if err != nil {
		return nil, err
	}
	c := newConn(n, client, nc)
	n.mu.Lock()
	n.conns[c] = struct{}{}
	n.open++
	n.mu.Unlock()
	c.start()
	return c, nil
}

// Stall makes the node a black hole, as a SIGSTOPped server: dials succeed, bytes written are
// accepted at once and held, in order per connection, and nothing new comes back. Replies the
// server sent before the stall still arrive.
func (n *Node) Stall() {
	n.mu.Lock()
	n.stalled = true
	n.mu.Unlock()
}

// Resume ends a stall: it forwards everything held, in order, and returns once every byte
// accepted before the call has been written to the server (after its delay, if any), on every
// connection, including those closed since. A Stall before it returns makes it wait for the
// next Resume.
func (n *Node) Resume() {
	n.mu.Lock()
	n.stalled = false
	conns := make([]*conn, 0, len(n.conns))
	for c := range n.conns {
		conns = append(conns, c)
	}
	n.mu.Unlock()
	for _, c := range conns {
		c.flush()
	}
}

// SetFail makes requests fail at once (on) or ends it (off): a write resets its connection
// before its bytes reach the server, and dials fail. Bytes accepted before are still delivered.
func (n *Node) SetFail(on bool) { n.mu.Lock(); n.fail = on; n.mu.Unlock() }

// SetLoseReplies makes replies lost (on) or ends it (off): requests reach the server and run,
// but a connection is reset as soon as reply bytes arrive on it.
func (n *Node) SetLoseReplies(on bool) { n.mu.Lock(); n.lose = on; n.mu.Unlock() }

// SetDelay makes every write accepted from now on reach the server d later, in order; 0 for
// none. Writes accepted before keep the delay they had.
func (n *Node) SetDelay(d time.Duration) { n.mu.Lock(); n.delay = d; n.mu.Unlock() }

// Open returns how many connections to the server are still open on the server's side. Once
// every client has closed its connections, Open drops to zero when the server has read and run
// everything they sent (it closes its side after their end): a barrier for tests.
func (n *Node) Open() int { n.mu.Lock(); defer n.mu.Unlock(); return n.open }

// closed counts a connection whose server side has closed.
func (n *Node) closed() { n.mu.Lock(); n.open--; n.mu.Unlock() }

// SetClientDelay makes the link from one client slow: every write of that client accepted from
// now on reaches the server d later, in order, on top of SetDelay's; 0 for none.
func (n *Node) SetClientDelay(client int, d time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if d == 0 {
		delete(n.slow, client)
		return
	}
	n.slow[client] = d
}

// forget drops a connection whose bytes have all been written.
func (n *Node) forget(c *conn) {
	n.mu.Lock()
	delete(n.conns, c)
	n.mu.Unlock()
}

// admit says how long a write of client is delayed, or that a fault refuses it.
func (n *Node) admit(client int) (delay time.Duration, refused bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.delay + n.slow[client], n.fail || n.cutReq[client] > 0
}

// loses reports whether replies to client are lost.
func (n *Node) loses(client int) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.lose || n.cutRepl[client] > 0
}

// isStalled reports whether the node holds what is written to it.
func (n *Node) isStalled() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.stalled
}
