package redispipe

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Errors of a Pipe.
var (
	// ErrClosed is returned for calls on a closed Pipe.
	ErrClosed          = errors.New("redispipe: closed")
	errUnexpectedReply = errors.New("redispipe: reply without a command")
)

// Config says how to reach one server.
type Config struct {
	Addr     string      // host:port
	Username string      // ACL user; empty for the default user
	Password string      // empty for none
	DB       int         // database number
	TLS      *tls.Config // nil for plain TCP
	// DialTimeout bounds connecting and the handshake (AUTH, SELECT, OnConnect). Default 5 s.
	DialTimeout time.Duration
	// ReplyTimeout is how long the oldest written command may wait for its reply before the
	// connection is deemed dead and closed (commands already written still run on the server if
	// it was only stalled). Default 30 s.
	ReplyTimeout time.Duration
	// OnConnect are commands sent on every new connection before any other, e.g. SCRIPT LOAD.
	OnConnect [][]string
	// ReadRunID asks the server for its run_id (INFO server) on every new connection; the
	// Writer of the connection returns it (Writer.RunID). A server that does not answer it has
	// an empty run_id.
	ReadRunID bool
	// Dialer opens the network connection (before TLS, if any). Default: a net.Dialer with
	// DialTimeout. Tests use it to put faults below the connection.
	Dialer func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Pipe is a pipelined connection to one server that reconnects when needed. It is safe for
// concurrent use.
type Pipe struct {
	cfg Config

	mu      sync.Mutex
	conn    *conn
	dialing chan struct{} // closed when the dial in progress ends
	dialErr error
	closed  bool
	waiters sync.WaitGroup // Send's goroutines waiting for a connection
}

// New returns a Pipe that connects on first use.
func New(cfg Config) *Pipe {
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	if cfg.ReplyTimeout <= 0 {
		cfg.ReplyTimeout = 30 * time.Second
	}
	return &Pipe{cfg: cfg}
}

// Do sends a command and waits for its reply or for ctx to end. An error reply from the server
// is returned as an Error. When ctx ends first, the command still runs (it may already be on
// its way) and its reply is discarded; the connection stays open, so commands issued later are
// still run after it.
func (p *Pipe) Do(ctx context.Context, args ...string) (any, error) {
	return p.do(ctx, false, args)
}

// DoUnlessCancelled is Do, except that a command whose ctx has ended before it could be written
// is not written at all.
func (p *Pipe) DoUnlessCancelled(ctx context.Context, args ...string) (any, error) {
	return p.do(ctx, true, args)
}

func (p *Pipe) do(ctx context.Context, droppable bool, args []string) (any, error) {
	cl := &argsCall{ctx: ctx, args: args, droppable: droppable, done: make(chan struct{})}
	c, err := p.connection(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.enqueue(cl); err != nil {
		return nil, err
	}
	select {
	case <-cl.done:
		return cl.reply, cl.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// argsCall is a Request of Do: a command given as strings, its reply as generic values.
type argsCall struct {
	ctx       context.Context
	args      []string
	droppable bool // not written at all if ctx has ended before its turn
	reply     any
	err       error
	done      chan struct{} // closed once reply and err are set
}

func (c *argsCall) Dropped() error {
	if c.droppable {
		return c.ctx.Err()
	}
	return nil
}

func (c *argsCall) WriteCommand(w *Writer) {
	w.Array(len(c.args))
	for _, a := range c.args {
		w.Bulk(a)
	}
}

func (c *argsCall) Complete(reply *Reply, err error) {
	if err == nil {
		c.reply = reply.Value()
	}
	c.err = err
	close(c.done)
}

// Send queues req and returns at once, without waiting for its reply: the pipe calls req's
// methods from its own goroutines (see Request). Requests sent on a live connection are written
// in the order of Send. If no connection is live, a goroutine of the pipe waits for one to be
// dialled (at most DialTimeout) and queues req then, or completes it with the dial's error:
// such requests are not ordered among themselves, as two callers of Do waiting for the same
// dial are not. Close waits for these goroutines. After Close, req is completed with ErrClosed
// at once.
func (p *Pipe) Send(req Request) {
	p.mu.Lock()
	c, closed := p.conn, p.closed
	p.mu.Unlock()
	if !closed && c != nil && c.enqueue(req) == nil {
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		req.Complete(nil, ErrClosed)
		return
	}
	p.waiters.Add(1)
	p.mu.Unlock()
	go func() {
		defer p.waiters.Done()
		c, err := p.connection(context.Background())
		if err == nil {
			err = c.enqueue(req)
		}
		if err != nil {
			req.Complete(nil, err)
		}
	}()
}

// resend queues, in their order, requests that a failed connection never wrote, on the next
// connection: their callers may have stopped waiting, but a command issued is a command sent,
// as it would have been on the old connection (a clean-up's release must still follow the
// acquire it undoes). Requests dropped by then are not written (Request.Dropped).
func (p *Pipe) resend(reqs []Request) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		for _, req := range reqs {
			req.Complete(nil, ErrClosed)
		}
		return
	}
	p.waiters.Add(1)
	p.mu.Unlock()
	go func() {
		defer p.waiters.Done()
		c, err := p.connection(context.Background())
		for _, req := range reqs {
			if err == nil {
				err = c.enqueue(req)
			}
			if err != nil {
				req.Complete(nil, err)
			}
		}
	}()
}

// connection returns the live connection, dialling one if there is none.
func (p *Pipe) connection(ctx context.Context) (*conn, error) {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, ErrClosed
		}
		if p.conn != nil && !p.conn.failed() {
			c := p.conn
			p.mu.Unlock()
			return c, nil
		}
		wait := p.dialing
		if wait == nil {
			wait = make(chan struct{})
			p.dialing = wait
			go p.dial(wait)
		}
		p.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		p.mu.Lock()
		err := p.dialErr
		p.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
}

// dial connects and publishes the connection (or the error) to the callers waiting on done.
func (p *Pipe) dial(done chan struct{}) {
	c, err := p.connect()
	p.mu.Lock()
	if p.closed && c != nil {
		c.close()
		c, err = nil, ErrClosed
	}
	// A failed conn's goroutines have ended or are ending by themselves (fail closed the socket).
	p.conn, p.dialErr, p.dialing = c, err, nil
	p.mu.Unlock()
	close(done)
}

// connect dials and runs the handshake within DialTimeout.
func (p *Pipe) connect() (*conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.DialTimeout)
	defer cancel()
	dial := p.cfg.Dialer
	if dial == nil {
		dial = (&net.Dialer{KeepAlive: 15 * time.Second}).DialContext
	}
	nc, err := dial(ctx, "tcp", p.cfg.Addr)
	if err != nil {
		return nil, err
	}
	if p.cfg.TLS != nil {
		tc := tls.Client(nc, p.cfg.TLS)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = nc.Close()
			return nil, err
		}
		nc = tc
	}
	br := bufio.NewReaderSize(nc, 16<<10)
	runID, err := p.handshake(nc, br)
	if err != nil {
		_ = nc.Close()
		return nil, err
	}
	return newConn(nc, br, p.cfg.ReplyTimeout, runID, p.resend), nil
}

// handshake authenticates, selects the database, runs OnConnect and reads the run_id if asked,
// synchronously.
func (p *Pipe) handshake(nc net.Conn, br *bufio.Reader) (runID string, err error) {
	var cmds [][]string
	switch {
	case p.cfg.Username != "":
		cmds = append(cmds, []string{"AUTH", p.cfg.Username, p.cfg.Password})
	case p.cfg.Password != "":
		cmds = append(cmds, []string{"AUTH", p.cfg.Password})
	}
	if p.cfg.DB != 0 {
		cmds = append(cmds, []string{"SELECT", strconv.Itoa(p.cfg.DB)})
	}
	cmds = append(cmds, p.cfg.OnConnect...)
	if p.cfg.ReadRunID {
		cmds = append(cmds, []string{"INFO", "server"})
	}
	if len(cmds) == 0 {
		return "", nil
	}
	_ = nc.SetDeadline(time.Now().Add(p.cfg.DialTimeout))
	defer nc.SetDeadline(time.Time{})
	bw := bufio.NewWriter(nc)
	for _, cmd := range cmds {
		if err := writeCommand(bw, cmd); err != nil {
			return "", err
		}
	}
	if err := bw.Flush(); err != nil {
		return "", err
	}
	for i, cmd := range cmds {
		reply, err := readReply(br)
		if err != nil {
			return "", err
		}
		if p.cfg.ReadRunID && i == len(cmds)-1 {
			return infoField(reply, "run_id"), nil // an error reply (INFO disabled) leaves it empty
		}
		if e, ok := reply.(Error); ok {
			return "", fmt.Errorf("redispipe: %s: %w", cmd[0], e)
		}
	}
	return "", nil
}

// infoField returns field of an INFO reply ("field:value" lines), or "" if absent.
func infoField(reply any, field string) string {
	text, _ := reply.(string)
	for line := range strings.Lines(text) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return v
		}
	}
	return ""
}

// Close closes the connection after writing the commands already issued. Calls in progress
// and later calls fail with ErrClosed.
func (p *Pipe) Close() error {
	p.mu.Lock()
	p.closed = true
	c, dialing := p.conn, p.dialing
	p.conn = nil
	p.mu.Unlock()
	if dialing != nil {
		<-dialing // the dial sees closed and closes what it got
	}
	if c != nil {
		c.close()
	}
	p.waiters.Wait()
	return nil
}
