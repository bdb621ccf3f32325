package proptest

import (
	"fmt"
	"net"
	"sync"
)

// portMu serialises, within this process, every start of a server and every hand-over of a
// killed server's port, so that a port freed by a kill is never taken by a server that another
// run (running in parallel) starts before the killed one comes back. Without it, a run's clients
// would talk to another run's server.
var portMu sync.Mutex

// portHold keeps the port of a killed server until it restarts: it accepts connections and
// closes them at once, so clients fail fast as on a crashed server, and nobody else can bind it.
type portHold struct {
	ln   net.Listener
	done chan struct{}
}

// holdPort binds addr, which the caller has just freed (with portMu held).
func holdPort(addr string) (*portHold, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("proptest: hold the port of a killed server: %w", err)
	}
	h := &portHold{ln: ln, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	return h, nil
}

// release frees the port (with portMu held); a nil hold does nothing.
func (h *portHold) release() {
	if h == nil {
		return
	}
	_ = h.ln.Close()
	<-h.done
}

// portHolds are the held ports of a run's servers, by server: nil while a server runs.
type portHolds []*portHold

// kill stops server i (stop) and holds its port addr until revive.
func (h portHolds) kill(i int, addr string, stop func()) error {
	portMu.Lock()
	defer portMu.Unlock()
	stop()
	hold, err := holdPort(addr)
	h[i] = hold
	return err
}

// revive frees server i's port and starts the server again on it (start).
func (h portHolds) revive(i int, start func() error) error {
	portMu.Lock()
	defer portMu.Unlock()
	h[i].release()
	h[i] = nil
	return start()
}
