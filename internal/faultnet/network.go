package faultnet

import (
	"context"
	"fmt"
	"net"
	"sync"
)

// Network maps server addresses to Nodes, so that one Dialer per client serves every node, as
// a client that takes one dial function for all its servers needs. The zero value is an empty
// Network. It is safe for concurrent use.
type Network struct {
	mu    sync.Mutex
	nodes map[string]*Node
}

// Add returns the Node of the server at addr (host:port), new and without faults if the
// Network had none for it.
func (nw *Network) Add(addr string) *Node {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	if n, ok := nw.nodes[addr]; ok {
		return n
	}
	if nw.nodes == nil {
		nw.nodes = make(map[string]*Node)
	}
	n := NewNode(addr)
	nw.nodes[addr] = n
	return n
}

// Node returns the Node of the server at addr, or nil if none was added.
func (nw *Network) Node(addr string) *Node {
	nw.mu.Lock()
	defer nw.mu.Unlock()
	return nw.nodes[addr]
}

// Dialer returns a dial function for the connections of one client to every node of the
// Network, each through its node's faults. It refuses, with ErrUnknownAddr, an address that
// was not added: a test that forgot a node would otherwise run it without faults.
func (nw *Network) Dialer(client int) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		n := nw.Node(addr)
		if n == nil {
			return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("%w: %s", ErrUnknownAddr, addr)}
		}
		return n.dial(ctx, client, network)
	}
}
