package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/quorumlock/quorumlock/promobserver"
	"github.com/quorumlock/quorumlock/quorum"
)

// logEvery is the least time between two log lines of a kind that repeats: why run still waits
// for the lock, a failed extension. The lines in between are counted, not lost.
const logEvery = 5 * time.Second

// attemptRecorder is run's quorum.Observer: it remembers the outcome of the last acquire attempt
// that ran to its end (to tell "held" from "unavailable" when --wait runs out), says why run
// waits (info, with --wait) and that extensions fail (warn), each at most once per logEvery,
// logs failed node calls (debug), and passes every event on to next, if set.
type attemptRecorder struct {
	next quorum.Observer
	log  *slog.Logger
	wait bool             // run retries (--wait): a failed attempt is a reason to wait, logged
	now  func() time.Time // default time.Now

	mu      sync.Mutex
	lastErr error
	waits   every // "waiting for the lock" lines
	extends every // "extension failed" lines
}

var _ quorum.Observer = (*attemptRecorder)(nil)

// Observe records one event.
func (r *attemptRecorder) Observe(ev quorum.Event) {
	switch ev.Kind {
	case quorum.EventAcquire:
		r.log.Debug("acquire attempt", "name", ev.Name, "duration", ev.Duration, "err", ev.Err)
		if !errors.Is(ev.Err, context.Canceled) && !errors.Is(ev.Err, context.DeadlineExceeded) {
			r.attempted(ev)
		}
	case quorum.EventNode:
		if ev.Err != nil {
			r.log.Debug("node call failed", "node", ev.Node, "op", ev.Op, "err", ev.Err)
		}
	case quorum.EventExtend:
		if ev.Err != nil {
			r.extensionFailed(ev)
		}
	}
	if r.next != nil {
		r.next.Observe(ev)
	}
}

// attempted records an acquire attempt that ran to its end and, if run will try again, says why.
func (r *attemptRecorder) attempted(ev quorum.Event) {
	level, reason := slog.LevelInfo, "held"
	switch {
	case errors.Is(ev.Err, quorum.ErrNotAcquired):
	case errors.Is(ev.Err, quorum.ErrUnavailable):
		level, reason = slog.LevelWarn, "unavailable"
	default: // granted, or an error that ends Acquire (needs heal, invalid): nothing to wait for
		r.mu.Lock()
		r.lastErr = ev.Err
		r.mu.Unlock()
		return
	}
	r.mu.Lock()
	r.lastErr = ev.Err
	due, n := r.wait && r.waits.allow(r.clock()), r.waits.count
	r.mu.Unlock()
	if due {
		r.log.Log(context.Background(), level, "waiting for the lock",
			append([]any{"name", ev.Name, "reason", reason, "attempts", n}, failureAttrs(ev.Err)...)...)
	}
}

// extensionFailed logs a failed extension, at most once per logEvery.
func (r *attemptRecorder) extensionFailed(ev quorum.Event) {
	r.mu.Lock()
	due, n := r.extends.allow(r.clock()), r.extends.count
	r.mu.Unlock()
	if due {
		r.log.Warn("extension failed", append([]any{"name", ev.Name, "failures", n}, failureAttrs(ev.Err)...)...)
	}
}

func (r *attemptRecorder) clock() time.Time {
	if r.now != nil {
		return r.now()
	}
	return time.Now()
}

// every lets one log line through per logEvery and counts the events since the last one.
type every struct {
	last  time.Time // when a line was last let through; zero before the first
	n     int       // events since then, this one included
	count int       // the number of events the line just let through stands for
}

// allow counts an event at now and reports whether its line is due; count is then the number
// of events it stands for.
func (e *every) allow(now time.Time) bool {
	e.n++
	if !e.last.IsZero() && now.Sub(e.last) < logEvery {
		return false
	}
	e.last, e.count, e.n = now, e.n, 0
	return true
}

// failureAttrs describes a failed quorum call in a few log attributes: the outcome (the first
// line of err), the nodes that failed, and the first node's cause.
func failureAttrs(err error) []any {
	outcome, _, _ := strings.Cut(err.Error(), "\n")
	attrs := []any{"err", outcome}
	var nodes []string
	var cause error
	walkNodeErrors(err, func(ne *quorum.NodeError) {
		if !slices.Contains(nodes, ne.Node) {
			nodes = append(nodes, ne.Node)
		}
		if cause == nil {
			cause = ne.Err
		}
	})
	if len(nodes) > 0 {
		attrs = append(attrs, "failed_nodes", strings.Join(nodes, ","), "cause", cause)
	}
	return attrs
}

// walkNodeErrors calls fn for every *quorum.NodeError in err's tree (quorum joins them beside
// the outcome with errors.Join).
func walkNodeErrors(err error, fn func(*quorum.NodeError)) {
	if ne, ok := err.(*quorum.NodeError); ok {
		fn(ne)
		return
	}
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			walkNodeErrors(e, fn)
		}
	case interface{ Unwrap() error }:
		if e := u.Unwrap(); e != nil {
			walkNodeErrors(e, fn)
		}
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
