package redispipe_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/quorumlock/quorumlock/internal/redispipe"
)

// gatedConn is a connection whose writes, once gated, wait until the gate opens (or fail if
// the connection was closed meanwhile).
type gatedConn struct {
	net.Conn
	mu   sync.Mutex
	gate chan struct{}
}

func (g *gatedConn) Write(b []byte) (int, error) {
	g.mu.Lock()
	gate := g.gate
	g.mu.Unlock()
	if gate != nil {
		<-gate
	}
	return g.Conn.Write(b)
}

// TestUnwrittenCommandsGoToTheNextConnection: commands queued behind a write that never
// completes, on a connection that then fails, are written on the next connection, not failed:
// a command issued is a command sent, as a clean-up's release must be.
func TestUnwrittenCommandsGoToTheNextConnection(t *testing.T) {
	s := miniredis.RunT(t)
	var mu sync.Mutex
	var conns []*gatedConn
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		g := &gatedConn{Conn: nc}
		mu.Lock()
		conns = append(conns, g)
		mu.Unlock()
		return g, nil
	}
	p := newPipe(t, redispipe.Config{Addr: s.Addr(), Dialer: dial})
	do(t, p, "PING")
	gate := make(chan struct{})
	mu.Lock()
	first := conns[0]
	mu.Unlock()
	first.mu.Lock()
	first.gate = gate
	first.mu.Unlock()
	stuck := newEcho("stuck") // the writer blocks writing it
	p.Send(stuck)
	time.Sleep(50 * time.Millisecond) // the writer is in Write
	queued := []*echo{newEcho("a"), newEcho("b"), newEcho("c")}
	for _, e := range queued {
		p.Send(e)
	}
	_ = first.Conn.Close() // the connection fails under the stuck writer
	close(gate)
	<-stuck.done
	if stuck.err == nil {
		t.Errorf("the command being written when the connection failed got %q, want its error", stuck.got)
	}
	for _, e := range queued {
		select {
		case <-e.done:
		case <-time.After(5 * time.Second):
			t.Fatalf("ECHO %s never completed", e.msg)
		}
		if e.err != nil || e.got != e.msg {
			t.Errorf("ECHO %s queued behind a failed write: %q, %v; want it sent on the next connection", e.msg, e.got, e.err)
		}
	}
}
