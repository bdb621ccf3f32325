package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"syscall"
	"testing"

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
