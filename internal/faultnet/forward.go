package faultnet

import (
	"time"
)

// drainTimeout bounds how long a connection whose application side is shut waits, once its
// bytes are written, for the server to close its side.
const drainTimeout = 5 * time.Second

// start runs the connection's two goroutines. Both end once the connection to the server is
// closed: the forwarder when it has written every accepted byte (or the server broke the
// connection), the pump when the server has closed its side (or drainTimeout after).
func (c *conn) start() {
	go c.forward()
	go c.pump()
}

// forward writes the accepted chunks to the server, one at a time in order, each once it is
// due and the node is not stalled.
func (c *conn) forward() {
	broken := false
	defer func() { c.finish(broken) }()
	for {
		ch, ok, shut := c.head()
		switch {
		case !ok && shut:
			return
		case !ok || c.node.isStalled(): // checked after taking the chunk: see doc of head
			<-c.wake
			continue
		}
		if wait := time.Until(ch.due); wait > 0 {
			c.sleep(wait)
			continue
		}
		if _, err := c.server.Write(ch.b); err != nil {
			broken = true
			c.serverGone()
			return
		}
		c.pop()
	}
}

// head returns the oldest chunk still to write, if any, and whether the application's side is
// shut. The stall is checked after head returns: a chunk accepted after Stall returned was
// queued before that check, so the check sees the stall.
func (c *conn) head() (ch chunk, ok, shut bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.queue) > 0 {
		ch, ok = c.queue[0], true
	}
	return ch, ok, c.err != nil
}

// pop drops the chunk just written (unless the server broke the connection meanwhile).
func (c *conn) pop() {
	c.mu.Lock()
	if len(c.queue) > 0 {
		c.queue[0] = chunk{}
		c.queue = c.queue[1:]
		c.sent++
	}
	c.written.Broadcast()
	c.mu.Unlock()
}

// sleep waits d, or less if something may have changed.
func (c *conn) sleep(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.wake:
	}
}

// finish ends the connection to the server once the forwarder is done: a half-close, so that
// the server reads every byte written, then sees the end and closes its side, which ends the
// pump; a full close if the connection is broken.
func (c *conn) finish(broken bool) {
	c.mu.Lock()
	c.done, c.queue = true, nil
	c.written.Broadcast()
	c.mu.Unlock()
	c.node.forget(c)
	cw, ok := c.server.(interface{ CloseWrite() error })
	if broken || !ok || cw.CloseWrite() != nil {
		_ = c.server.Close()
		return
	}
	_ = c.server.SetReadDeadline(time.Now().Add(drainTimeout))
}

// flush waits until every chunk accepted so far has been written, or never will be.
func (c *conn) flush() {
	c.kick()
	c.mu.Lock()
	defer c.mu.Unlock()
	target := c.accepted
	for c.sent < target && !c.done {
		c.written.Wait()
	}
}

// pump passes the server's bytes to Read, until the server closes its side. A reply that
// arrives while the node loses the client's replies resets the connection; once the
// application's side is shut, the bytes are discarded.
func (c *conn) pump() {
	defer c.node.closed()
	defer c.server.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := c.server.Read(buf)
		if n > 0 {
			if c.node.loses(c.client) {
				c.reset()
			} else {
				_, _ = c.feed.Write(buf[:n]) // fails, discarding, once the pipe is closed
			}
		}
		if err != nil {
			c.serverGone()
			return
		}
	}
}

// serverGone ends a connection the server closed or broke: Read returns io.EOF once it has
// read what came before, Write fails, and what is queued is dropped (the server cannot read it).
func (c *conn) serverGone() {
	c.mu.Lock()
	if c.err == nil {
		c.err = errServerClosed
	}
	c.queue = nil
	c.mu.Unlock()
	_ = c.feed.Close()
	c.kick()
}
