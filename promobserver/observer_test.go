package promobserver_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/quorumlock/quorumlock/promobserver"
	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/quorum/quorumtest"
)

// TestMetricsFollowALocker drives a real Locker on in-process nodes and reads the metrics back.
func TestMetricsFollowALocker(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	obs := promobserver.New(reg)
	c := quorumtest.NewCluster(t, 3)
	l := c.BootstrappedLocker(t, quorum.Options{Observer: obs})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	le, err := l.Acquire(ctx, "job")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.TryAcquire(ctx, "job"); !errors.Is(err, quorum.ErrNotAcquired) {
		t.Fatalf("second TryAcquire: %v", err)
	}
	c.Faults[0].SetFail(true)
	if err := le.Extend(ctx); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP quorumlock_grants_total Grants returned to callers.
# TYPE quorumlock_grants_total counter
quorumlock_grants_total 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "quorumlock_grants_total"); err != nil {
		t.Error(err)
	}
	for _, name := range []string{"quorumlock_acquire_seconds", "quorumlock_node_replies_total", "quorumlock_node_errors_total"} {
		if n, err := testutil.GatherAndCount(reg, name); err != nil || n == 0 {
			t.Errorf("%s: %d series, %v", name, n, err)
		}
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}
