package redispipe

import (
	"bufio"
	"context"
	"net"
	"sync"
	"time"
)

// call is one command and, once done is closed, its outcome.
type call struct {
	ctx       context.Context
	args      []string
	droppable bool // not written at all if ctx has ended before its turn
	sent      time.Time
	reply     any
	err       error
	done      chan struct{}
}

func (c *call) finish(reply any, err error) {
	c.reply, c.err = reply, err
	close(c.done)
}

// conn is one connection with a writer and a reader goroutine. Calls move from queue (to be
// written) to inflight (written, awaiting a reply, in order) under mu; a failed conn finishes
// every call it holds with its error and is never used again.
type conn struct {
	nc           net.Conn
	replyTimeout time.Duration

	mu       sync.Mutex
	queue    []*call
	spare    []*call // the writer's previous batch, reused as the next queue
	inflight fifo
	err      error // non-nil once failed
	closing  bool  // Close: write what is queued, then stop

	wake         chan struct{} // capacity 1: the writer has work
	writerExited chan struct{}
	readerExited chan struct{}
}

func newConn(nc net.Conn, br *bufio.Reader, replyTimeout time.Duration) *conn {
	c := &conn{
		nc:           nc,
		replyTimeout: replyTimeout,
		wake:         make(chan struct{}, 1),
		writerExited: make(chan struct{}),
		readerExited: make(chan struct{}),
	}
	go c.writeLoop()
	go c.readLoop(br)
	return c
}

// enqueue hands a call to the writer; it fails if the conn has failed or is closing.
func (c *conn) enqueue(cl *call) error {
	c.mu.Lock()
	if c.err != nil || c.closing {
		err := c.err
		c.mu.Unlock()
		if err == nil {
			err = ErrClosed
		}
		return err
	}
	c.queue = append(c.queue, cl)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return nil
}

// failed reports whether the conn can no longer be used.
func (c *conn) failed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err != nil || c.closing
}

// fail ends the conn: every queued and in-flight call gets err, and the socket is closed.
func (c *conn) fail(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	calls := append(c.inflight.drain(), c.queue...)
	c.queue = nil
	c.mu.Unlock()
	_ = c.nc.Close()
	for _, cl := range calls {
		cl.finish(nil, err)
	}
	select {
	case c.wake <- struct{}{}: // let the writer see the failure
	default:
	}
}

// closeGrace bounds how long close waits for queued commands to be written (the socket may
// be full when the server is stalled).
const closeGrace = time.Second

// close writes what is queued, then closes the socket and waits for both goroutines.
func (c *conn) close() {
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	t := time.NewTimer(closeGrace)
	defer t.Stop()
	select {
	case <-c.writerExited:
	case <-t.C:
	}
	c.fail(ErrClosed)
	<-c.writerExited
	<-c.readerExited
}

func (c *conn) writeLoop() {
	defer close(c.writerExited)
	bw := bufio.NewWriterSize(c.nc, 32<<10)
	for range c.wake {
		c.mu.Lock()
		batch, closing, failed := c.queue, c.closing, c.err != nil
		c.queue, c.spare = c.spare[:0], nil
		c.mu.Unlock()
		if failed {
			return
		}
		if err := c.writeBatch(bw, batch); err != nil {
			c.fail(err)
			return
		}
		clear(batch)
		c.mu.Lock()
		c.spare = batch
		c.mu.Unlock()
		if closing {
			return
		}
	}
}

// writeBatch writes a batch with one flush. A call moves to inflight before its bytes can reach
// the server, so its reply always finds it there.
func (c *conn) writeBatch(bw *bufio.Writer, batch []*call) error {
	now := time.Now()
	for _, cl := range batch {
		if cl.droppable && cl.ctx.Err() != nil {
			cl.finish(nil, cl.ctx.Err())
			continue
		}
		cl.sent = now
		c.mu.Lock()
		if c.err != nil {
			c.mu.Unlock()
			cl.finish(nil, c.err)
			continue
		}
		if c.inflight.len() == 0 {
			_ = c.nc.SetReadDeadline(now.Add(c.replyTimeout))
		}
		c.inflight.push(cl)
		c.mu.Unlock()
		if err := writeCommand(bw, cl.args); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func (c *conn) readLoop(br *bufio.Reader) {
	defer close(c.readerExited)
	for {
		reply, err := readReply(br)
		if err != nil {
			c.fail(err)
			return
		}
		c.mu.Lock()
		cl := c.inflight.pop()
		if cl == nil {
			c.mu.Unlock()
			c.fail(errUnexpectedReply)
			return
		}
		if next := c.inflight.peek(); next == nil {
			_ = c.nc.SetReadDeadline(time.Time{})
		} else {
			_ = c.nc.SetReadDeadline(next.sent.Add(c.replyTimeout))
		}
		c.mu.Unlock()
		cl.finish(reply, nil)
	}
}
