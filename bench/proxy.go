package bench

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// DelayProxy is a TCP proxy listening on 127.0.0.1 that forwards every connection to one
// upstream address and delivers every chunk of bytes a fixed delay after it arrived, in each
// direction. Chunks in flight overlap, so the delay adds latency without limiting throughput:
// a slow link, not a slow server. It is safe for concurrent use.
//
// The proxy runs in this process: its CPU and allocations count as the client's.
type DelayProxy struct {
	ln       net.Listener
	upstream string
	delay    time.Duration
	wg       sync.WaitGroup // the accept loop and every connection's goroutines

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// chunkSize is the most one read forwards as one chunk.
const chunkSize = 16 << 10

var chunkPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// chunk is bytes read from one side, to be written to the other at due.
type chunk struct {
	buf *[]byte
	n   int
	due time.Time
}

// NewDelayProxy starts a proxy on a free 127.0.0.1 port in front of upstream (host:port),
// delaying each direction by delay. Close stops it.
func NewDelayProxy(upstream string, delay time.Duration) (*DelayProxy, error) {
	if delay < 0 {
		return nil, fmt.Errorf("bench: proxy delay %v is negative", delay)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bench: proxy listen: %w", err)
	}
	p := &DelayProxy{ln: ln, upstream: upstream, delay: delay, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Addr returns the address clients connect to, "127.0.0.1:PORT".
func (p *DelayProxy) Addr() string { return p.ln.Addr().String() }

// Close stops accepting, closes every connection (bytes still delayed are dropped) and waits
// until every goroutine of the proxy has returned. It is idempotent.
func (p *DelayProxy) Close() error {
	p.mu.Lock()
	already := p.closed
	p.closed = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	var err error
	if !already {
		err = p.ln.Close()
	}
	p.wg.Wait()
	return err
}

func (p *DelayProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.wg.Add(1)
		go p.handle(c)
	}
}

// track registers conns so Close can close them; it fails once the proxy is closed.
func (p *DelayProxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	for _, c := range conns {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *DelayProxy) untrack(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		delete(p.conns, c)
		_ = c.Close()
	}
}

// handle connects c to the upstream and forwards both ways until either side is done.
func (p *DelayProxy) handle(c net.Conn) {
	defer p.wg.Done()
	up, err := net.DialTimeout("tcp", p.upstream, time.Second)
	if err != nil {
		_ = c.Close()
		return
	}
	if !p.track(c, up) {
		_ = c.Close()
		_ = up.Close()
		return
	}
	defer p.untrack(c, up)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pipe(up, c) }()
	go func() { defer wg.Done(); p.pipe(c, up) }()
	wg.Wait()
}

// pipe reads src and writes each chunk to dst once its delay has passed. When src ends it
// half-closes dst; when writing fails it closes both, which ends the other direction too.
func (p *DelayProxy) pipe(dst, src net.Conn) {
	queue := make(chan chunk, 256)
	written := make(chan struct{})
	go func() {
		defer close(written)
		p.deliver(dst, src, queue)
	}()
	for {
		buf := chunkPool.Get().(*[]byte)
		n, err := src.Read(*buf)
		if n > 0 {
			queue <- chunk{buf: buf, n: n, due: time.Now().Add(p.delay)}
		} else {
			chunkPool.Put(buf)
		}
		if err != nil {
			break
		}
	}
	close(queue)
	<-written
}

// deliver writes the chunks of queue to dst at their due times, until queue is closed.
func (p *DelayProxy) deliver(dst, src net.Conn, queue <-chan chunk) {
	failed := false
	for ck := range queue {
		if !failed {
			time.Sleep(time.Until(ck.due))
			if _, err := dst.Write((*ck.buf)[:ck.n]); err != nil {
				failed = true // keep draining so the reader never blocks
				_ = dst.Close()
				_ = src.Close()
			}
		}
		chunkPool.Put(ck.buf)
	}
	if tc, ok := dst.(*net.TCPConn); ok && !failed {
		if err := tc.CloseWrite(); err != nil && !errors.Is(err, net.ErrClosed) {
			_ = dst.Close()
		}
	}
}
