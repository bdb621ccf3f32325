package redispipe

import (
	"bufio"
	"net"
	"sync"
	"time"
)

// Request is one command in the pipe. The pipe's goroutines call its methods: Dropped and
// WriteCommand from the writer, Complete from whichever goroutine ends the command. A reply may
// arrive while WriteCommand is still returning, so Complete must not change what WriteCommand
// reads.
type Request interface {
	// Dropped is asked just before the command is written: a non-nil error means that it must
	// not be written any more (its caller stopped waiting), and Complete gets that error.
	Dropped() error
	// WriteCommand encodes the command.
	WriteCommand(w *Writer)
	// Complete receives the reply, valid only until Complete returns, or the error that ended
	// the command (with a nil reply). It is called exactly once and must not block.
	Complete(reply *Reply, err error)
}

// sent is a written command waiting for its reply.
type sent struct {
	req Request
	at  time.Time
}

// conn is one connection with a writer and a reader goroutine. Calls move from queue (to be
// written) to inflight (written, awaiting a reply, in order) under mu; a failed conn finishes
// every call it holds with its error and is never used again.
type conn struct {
	nc           net.Conn
	replyTimeout time.Duration
	runID        string // the server process's run_id, for Writer.RunID

	mu       sync.Mutex
	queue    []Request
	spare    []Request // the writer's previous batch, reused as the next queue
	inflight fifo
	err      error // non-nil once failed
	closing  bool  // Close: write what is queued, then stop
	// orphans takes, in order, the requests a failed conn never wrote, to send them on the next
	// connection; nil: they fail with the conn's error.
	orphans func([]Request)

	wake         chan struct{} // capacity 1: the writer has work
	writerExited chan struct{}
	readerExited chan struct{}
}

func newConn(nc net.Conn, br *bufio.Reader, replyTimeout time.Duration, runID string, orphans func([]Request)) *conn {
	c := &conn{
		nc:           nc,
		replyTimeout: replyTimeout,
		runID:        runID,
		orphans:      orphans,
		wake:         make(chan struct{}, 1),
		writerExited: make(chan struct{}),
		readerExited: make(chan struct{}),
	}
	go c.writeLoop()
	go c.readLoop(br)
	return c
}

// enqueue hands a request to the writer; it fails if the conn has failed or is closing.
func (c *conn) enqueue(req Request) error {
	c.mu.Lock()
	if c.err != nil || c.closing {
		err := c.err
		c.mu.Unlock()
		if err == nil {
			err = ErrClosed
		}
		return err
	}
	c.queue = append(c.queue, req)
	c.mu.Unlock()
	c.kick()
	return nil
}

// kick wakes the writer.
func (c *conn) kick() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// failed reports whether the conn can no longer be used.
func (c *conn) failed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err != nil || c.closing
}

// fail ends the conn: every in-flight call gets err, and the socket is closed; the calls it
// never wrote (queued) go to the next connection (orphans), unless the conn is closing.
func (c *conn) fail(err error) { c.failWith(err, nil) }

// failWith is fail, with unwritten, the calls the writer held when it failed, before the queue.
func (c *conn) failWith(err error, unwritten []Request) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		for _, req := range unwritten {
			req.Complete(nil, c.err)
		}
		return
	}
	c.err = err
	written := c.inflight.drain()
	unwritten = append(unwritten, c.queue...)
	c.queue = nil
	orphans := c.orphans
	if c.closing {
		orphans = nil
	}
	c.mu.Unlock()
	_ = c.nc.Close()
	for _, req := range written {
		req.Complete(nil, err)
	}
	if orphans != nil && len(unwritten) > 0 {
		orphans(unwritten)
	} else {
		for _, req := range unwritten {
			req.Complete(nil, err)
		}
	}
	c.kick() // let the writer see the failure
}

// closeGrace bounds how long close waits for queued commands to be written (the socket may
// be full when the server is stalled).
const closeGrace = time.Second

// close writes what is queued, then closes the socket and waits for both goroutines.
func (c *conn) close() {
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	c.kick()
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
	w := &Writer{bw: bufio.NewWriterSize(c.nc, 32<<10), runID: c.runID}
	for range c.wake {
		c.mu.Lock()
		batch, closing, failed := c.queue, c.closing, c.err != nil
		c.queue, c.spare = c.spare[:0], nil
		c.mu.Unlock()
		if failed {
			return
		}
		if rest, err := c.writeBatch(w, batch); err != nil {
			c.failWith(err, rest)
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

// writeBatch writes a batch with one flush. A request moves to inflight before its bytes can
// reach the server, so its reply always finds it there. If the conn fails meanwhile, it returns
// the error and the requests it did not write.
func (c *conn) writeBatch(w *Writer, batch []Request) (rest []Request, err error) {
	now := time.Now()
	for i, req := range batch {
		if err := req.Dropped(); err != nil {
			req.Complete(nil, err)
			continue
		}
		c.mu.Lock()
		if c.err != nil {
			err := c.err
			c.mu.Unlock()
			return batch[i:], err
		}
		if c.inflight.len() == 0 {
			_ = c.nc.SetReadDeadline(now.Add(c.replyTimeout))
		}
		c.inflight.push(sent{req: req, at: now})
		c.mu.Unlock()
		req.WriteCommand(w)
		if err := w.Err(); err != nil {
			return batch[i+1:], err
		}
	}
	return nil, w.bw.Flush()
}

func (c *conn) readLoop(br *bufio.Reader) {
	defer close(c.readerExited)
	reply := new(Reply) // reused: a Request's Complete must not keep it
	for {
		if err := readInto(br, reply, 0); err != nil {
			c.fail(err)
			return
		}
		c.mu.Lock()
		s, ok := c.inflight.pop()
		if !ok {
			c.mu.Unlock()
			c.fail(errUnexpectedReply)
			return
		}
		if next, ok := c.inflight.peek(); !ok {
			_ = c.nc.SetReadDeadline(time.Time{})
		} else {
			_ = c.nc.SetReadDeadline(next.at.Add(c.replyTimeout))
		}
		c.mu.Unlock()
		s.req.Complete(reply, nil)
	}
}
