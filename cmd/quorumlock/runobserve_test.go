package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
)

func TestMetricsServer(t *testing.T) {
	m, err := serveMetrics("127.0.0.1:0", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer m.stop()
	rec := &attemptRecorder{next: m.observer, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	rec.Observe(quorum.Event{Kind: quorum.EventAcquire, Name: "job", Err: quorum.ErrUnavailable})
	rec.Observe(quorum.Event{Kind: quorum.EventAcquire, Name: "job"})
	if rec.last() != nil {
		t.Errorf("last outcome %v; want the grant", rec.last())
	}
	resp, err := http.Get("http://" + m.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"quorumlock_grants_total 1", `quorumlock_acquire_seconds_count{outcome="unavailable"} 1`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
}

func TestAcquireExit(t *testing.T) {
	tests := []struct {
		name      string
		err, last error
		want      int
	}{
		{"held", quorum.ErrNotAcquired, nil, exitNotAcquired},
		{"unavailable", quorum.ErrUnavailable, nil, exitUnavailable},
		{"wait ran out while held", context.DeadlineExceeded, quorum.ErrNotAcquired, exitNotAcquired},
		{"wait ran out while unavailable", context.DeadlineExceeded, quorum.ErrUnavailable, exitUnavailable},
		{"unavailable nodes timed out", errors.Join(quorum.ErrUnavailable, context.DeadlineExceeded), nil, exitUnavailable},
		{"invalid name", quorum.ErrInvalidName, nil, exitUsage},
		{"same server twice", quorum.ErrInvalidOptions, nil, exitUsage},
		{"SIGINT", signalError{syscall.SIGINT}, nil, 130},
	}
	for _, tt := range tests {
		if got := acquireExit(tt.err, tt.last); got != tt.want {
			t.Errorf("%s: exit %d, want %d", tt.name, got, tt.want)
		}
	}
}

// nodeFailure returns an outcome as quorum builds it: the sentinel, then one NodeError per node.
func nodeFailure(sentinel error, op string, nodes ...string) error {
	errs := []error{fmt.Errorf("%w: %q", sentinel, "job")}
	for _, n := range nodes {
		errs = append(errs, &quorum.NodeError{Node: n, Op: op, Err: errors.New("dial tcp " + n + ": connection refused")})
	}
	return errors.Join(errs...)
}

// TestExtensionFailuresAreRateLimited: a burst of failed extensions (a lease whose nodes are
// gone is retried until its validity runs out) makes one log line, naming the failed nodes.
func TestExtensionFailuresAreRateLimited(t *testing.T) {
	var buf bytes.Buffer
	rec := &attemptRecorder{log: slog.New(slog.NewTextHandler(&buf, nil))}
	err := nodeFailure(quorum.ErrUnavailable, "extend", "127.0.0.1:7001/0", "127.0.0.1:7002/0")
	for range 100 {
		rec.Observe(quorum.Event{Kind: quorum.EventExtend, Name: "job", Err: err})
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "extension failed") || !strings.Contains(lines[0], "127.0.0.1:7001/0,127.0.0.1:7002/0") {
		t.Errorf("100 failed extensions at once logged %d lines; want one naming both nodes:\n%s", len(lines), buf.String())
	}
}

// TestWaitingIsLoggedWithItsReason: while run waits (--wait), it says why (held, or which nodes
// are unavailable), at most once per logEvery, counting the attempts in between.
func TestWaitingIsLoggedWithItsReason(t *testing.T) {
	var buf bytes.Buffer
	now := time.Unix(0, 0)
	rec := &attemptRecorder{log: slog.New(slog.NewTextHandler(&buf, nil)), wait: true, now: func() time.Time { return now }}
	held := nodeFailure(quorum.ErrNotAcquired, "acquire")
	down := nodeFailure(quorum.ErrUnavailable, "acquire", "127.0.0.1:7002/0", "127.0.0.1:7003/0")
	for i := range 120 { // an attempt every 100ms for 12s: held for 6s, then unavailable
		err := held
		if i >= 60 {
			err = down
		}
		rec.Observe(quorum.Event{Kind: quorum.EventAcquire, Name: "job", Err: err})
		now = now.Add(100 * time.Millisecond)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 { // at 0s, 5s and 10s
		t.Fatalf("%d lines over 12s; want 3, one per %v:\n%s", len(lines), logEvery, buf.String())
	}
	for i, want := range []string{"reason=held attempts=1", "reason=held attempts=50", "reason=unavailable attempts=50"} {
		if !strings.Contains(lines[i], `msg="waiting for the lock"`) || !strings.Contains(lines[i], want) {
			t.Errorf("line %d lacks %q: %s", i, want, lines[i])
		}
	}
	if !strings.Contains(lines[2], "failed_nodes=127.0.0.1:7002/0,127.0.0.1:7003/0") {
		t.Errorf("the unavailable line does not name the failed nodes: %s", lines[2])
	}
	buf.Reset()
	once := &attemptRecorder{log: slog.New(slog.NewTextHandler(&buf, nil))} // --wait 0
	once.Observe(quorum.Event{Kind: quorum.EventAcquire, Name: "job", Err: held})
	if buf.Len() != 0 {
		t.Errorf("without --wait, a failed attempt is run's final word, not a wait: %s", buf.String())
	}
}
