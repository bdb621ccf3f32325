package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/quorumlock/quorumlock/promobserver"
	"github.com/quorumlock/quorumlock/quorum"
)

// attemptRecorder is run's quorum.Observer: it remembers the outcome of the last acquire attempt
// that ran to its end (to tell "held" from "unavailable" when --wait runs out), logs failed node
// calls (debug) and extensions (warn), and passes every event on to next, if set.
type attemptRecorder struct {
	next quorum.Observer
	log  *slog.Logger

	mu      sync.Mutex
	lastErr error
}

var _ quorum.Observer = (*attemptRecorder)(nil)

// Observe records one event.
func (r *attemptRecorder) Observe(ev quorum.Event) {
	switch ev.Kind {
	case quorum.EventAcquire:
		if !errors.Is(ev.Err, context.Canceled) && !errors.Is(ev.Err, context.DeadlineExceeded) {
			r.mu.Lock()
			r.lastErr = ev.Err
			r.mu.Unlock()
		}
		r.log.Debug("acquire attempt", "name", ev.Name, "duration", ev.Duration, "err", ev.Err)
	case quorum.EventNode:
		if ev.Err != nil {
			r.log.Debug("node call failed", "node", ev.Node, "op", ev.Op, "err", ev.Err)
		}
	case quorum.EventExtend:
		if ev.Err != nil {
			r.log.Warn("extension failed", "name", ev.Name, "err", ev.Err)
		}
	}
	if r.next != nil {
		r.next.Observe(ev)
	}
}

// last returns the outcome of the last acquire attempt that ran to its end.
func (r *attemptRecorder) last() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastErr
}

// metricsServer serves the metrics of one promobserver on /metrics.
type metricsServer struct {
	observer *promobserver.Observer
	addr     string // the address listened on, with the port chosen for ":0"
	srv      *http.Server
	done     chan struct{} // closed when Serve has returned
}

// serveMetrics listens on addr at once (so a bad address fails before the lock is taken) and
// serves a registry of its own, holding only the lock's metrics.
func serveMetrics(addr string, log *slog.Logger) (*metricsServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	m := &metricsServer{
		observer: promobserver.New(reg),
		addr:     ln.Addr().String(),
		srv:      &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second},
		done:     make(chan struct{}),
	}
	go func() {
		defer close(m.done)
		if err := m.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Warn("metrics server stopped", "err", err)
		}
	}()
	log.Info("serving metrics", "url", "http://"+m.addr+"/metrics")
	return m, nil
}

// stop shuts the server down, giving scrapes in progress a second, and waits for it.
func (m *metricsServer) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = m.srv.Shutdown(ctx)
	<-m.done
}
