package faultnet

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// chunk is the bytes of one accepted Write, and when they may be forwarded.
type chunk struct {
	b   []byte
	due time.Time
}

// conn is a client's connection to a node's server through the node's faults. Writes go to a
// queue that the forwarder writes to the server (forward.go); the server's bytes reach Read
// through a net.Pipe fed by the pump, which gives Read the deadlines and wake-ups of a real
// net.Conn. Once the application's side is shut (err set: Close, or a reset by a fault), Read
// and Write fail, but the queue is still written; a server that broke the connection empties it.
type conn struct {
	node   *Node
	client int
	server net.Conn // the real connection
	app    net.Conn // the application's end of the pipe: Read and its deadline
	feed   net.Conn // the pump's end of the pipe

	wake chan struct{} // capacity 1: the forwarder has something to look at

	mu        sync.Mutex
	written   sync.Cond // on mu: broadcast as chunks are written, and when the forwarder ends
	queue     []chunk
	accepted  uint64 // chunks ever queued
	sent      uint64 // chunks written to the server
	done      bool   // the forwarder has ended: nothing more will be written
	closed    bool   // Close was called
	err       error  // why the application's side is shut; nil while open
	wDeadline time.Time
}

var _ net.Conn = (*conn)(nil)

func newConn(n *Node, client int, server net.Conn) *conn {
	app, feed := net.Pipe()
	c := &conn{node: n, client: client, server: server, app: app, feed: feed, wake: make(chan struct{}, 1)}
	c.written.L = &c.mu
	return c
}

// Write accepts b at once, to be forwarded after the node's delay and any stall, or resets the
// connection if a fault refuses the client's requests.
func (c *conn) Write(b []byte) (int, error) {
	delay, refused := c.node.admit(c.client)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.err != nil:
		return 0, c.opError("write", c.err)
	case !c.wDeadline.IsZero() && !time.Now().Before(c.wDeadline):
		return 0, c.opError("write", os.ErrDeadlineExceeded)
	case refused:
		c.resetLocked()
		return 0, c.opError("write", ErrInjected)
	case len(b) == 0:
		return 0, nil
	}
	c.queue = append(c.queue, chunk{b: bytes.Clone(b), due: time.Now().Add(delay)})
	c.accepted++
	c.kick()
	return len(b), nil
}

// Read returns the server's bytes; io.EOF once the server closed the connection.
func (c *conn) Read(b []byte) (int, error) {
	n, err := c.app.Read(b)
	switch {
	case err == nil:
		return n, nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		return n, c.opError("read", os.ErrDeadlineExceeded) // not the pipe's own OpError
	}
	c.mu.Lock()
	why := c.err
	c.mu.Unlock()
	switch {
	case err == io.EOF && (why == nil || why == errServerClosed):
		return n, io.EOF
	case why != nil:
		// The pipe only says it is closed; this says why. A Read pending when a fault reset
		// the connection can also see the pump's end close just after, and net.Pipe then picks
		// either; the reset came first.
		err = why
	}
	return n, c.opError("read", err)
}

// Close shuts the application's side at once; the bytes already accepted are still written
// to the server, then the connection to it is closed.
func (c *conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return c.opError("close", net.ErrClosed)
	}
	c.closed, c.err = true, net.ErrClosed
	_ = c.app.Close()
	c.kick()
	return nil
}

// reset shuts the application's side because of a fault.
func (c *conn) reset() {
	c.mu.Lock()
	c.resetLocked()
	c.mu.Unlock()
}

func (c *conn) resetLocked() {
	if c.err == nil {
		c.err = ErrInjected
	}
	_ = c.app.Close() // a pending Read returns; the pump's bytes are discarded from now on
	c.kick()
}

// LocalAddr returns the local address of the connection to the server.
func (c *conn) LocalAddr() net.Addr { return c.server.LocalAddr() }

// RemoteAddr returns the server's address.
func (c *conn) RemoteAddr() net.Addr { return c.server.RemoteAddr() }

// SetDeadline sets the read and write deadlines.
func (c *conn) SetDeadline(t time.Time) error {
	_ = c.SetWriteDeadline(t)
	return c.SetReadDeadline(t)
}

// SetReadDeadline bounds pending and future Reads.
func (c *conn) SetReadDeadline(t time.Time) error {
	if err := c.app.SetReadDeadline(t); err != nil {
		// The pipe is closed: by Close, an error as on a closed TCP connection; by a reset or by
		// the server, Read fails at once anyway, and a TCP connection would accept the deadline.
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.closed {
			return c.opError("set", net.ErrClosed)
		}
	}
	return nil
}

// SetWriteDeadline bounds future Writes. Since Write never waits, only a deadline already
// passed has an effect: the Write fails with os.ErrDeadlineExceeded.
func (c *conn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	c.wDeadline = t
	c.mu.Unlock()
	return nil
}

// opError wraps err as a TCP connection would.
func (c *conn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: c.server.LocalAddr().Network(), Source: c.server.LocalAddr(), Addr: c.server.RemoteAddr(), Err: err}
}

// kick wakes the forwarder.
func (c *conn) kick() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}
