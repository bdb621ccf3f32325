package otelobserver_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/quorumlock/quorumlock/otelobserver"
	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/quorum/quorumtest"
)

// TestSpansFollowALocker drives a real Locker on in-process nodes — take, contend, extend with
// a node down, release — and reads the spans back.
func TestSpansFollowALocker(t *testing.T) {
	exp, tp := record(t)
	c := quorumtest.NewCluster(t, 3)
	// A generous NodeTimeout: a call that times out on a loaded machine would fail the attempt.
	l := c.BootstrappedLocker(t, quorum.Options{NodeTimeout: time.Second,
		Observer: otelobserver.New(tp, otelobserver.Options{})})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	le, err := l.TryAcquire(ctx, "job")
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
	if err := le.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil { // waits for the calls still in flight, and their events
		t.Fatal(err)
	}
	down := nodes(c)[0]

	acquires := named(exp, "quorumlock.acquire")
	if len(acquires) != 2 {
		t.Fatalf("%d acquire spans, want 2: %v", len(acquires), names(exp))
	}
	granted, refused := acquires[0], acquires[1]
	wantAttrs(t, granted, attribute.String("quorumlock.lock.name", "job"),
		attribute.Int64("quorumlock.token", int64(le.Token())), attribute.String("quorumlock.outcome", "granted"))
	wantStatus(t, granted, codes.Unset)
	if n := answers(granted, "granted"); n < 2 {
		t.Errorf("granted attempt has %d granted answers, want a majority: %v", n, granted.Events)
	}
	wantAttrs(t, refused, attribute.String("quorumlock.lock.name", "job"), attribute.String("quorumlock.outcome", "not_acquired"))
	wantStatus(t, refused, codes.Unset) // contention is no fault
	if n := answers(refused, "held"); n < 2 {
		t.Errorf("refused attempt has %d held answers, want a majority: %v", n, refused.Events)
	}
	if !hasEvent(refused, "exception") {
		t.Errorf("refused attempt records no error: %v", refused.Events)
	}
	for _, s := range acquires {
		for _, e := range s.Events {
			for _, kv := range e.Attributes {
				if kv.Key == "quorumlock.node" && !slices.Contains(nodes(c), kv.Value.AsString()) {
					t.Errorf("%s event names node %q, not one of %v", e.Name, kv.Value.AsString(), nodes(c))
				}
			}
		}
	}
	if !granted.StartTime.Before(granted.EndTime) || granted.EndTime.After(refused.StartTime) {
		t.Errorf("attempts [%v, %v] and [%v, %v] are not in order", granted.StartTime, granted.EndTime, refused.StartTime, refused.EndTime)
	}

	extends := named(exp, "quorumlock.extend")
	if len(extends) != 1 {
		t.Fatalf("%d extend spans, want 1: %v", len(extends), names(exp))
	}
	wantAttrs(t, extends[0], attribute.String("quorumlock.lock.name", "job"),
		attribute.Int64("quorumlock.token", int64(le.Token())), attribute.String("quorumlock.outcome", "extended"))
	wantStatus(t, extends[0], codes.Unset)
	// Node 0's calls fail from here on: the extension's and the release's, and maybe the
	// refused attempt's last acquire and its clean-up (a release), if they were still in flight.
	// A healthy node's call may fail too, by timing out on a loaded machine.
	downOps := map[string]bool{}
	for _, s := range exp.GetSpans() {
		op, ok := strings.CutPrefix(s.Name, "quorumlock.node.")
		if !ok {
			continue
		}
		if value(s, "quorumlock.node").AsString() == down {
			downOps[op] = true
		}
		wantAttrs(t, s, attribute.String("quorumlock.op", op))
		wantStatus(t, s, codes.Error)
		if s.SpanKind != trace.SpanKindClient || !hasEvent(s, "exception") {
			t.Errorf("node span: kind %v, events %v", s.SpanKind, s.Events)
		}
	}
	if !downOps["extend"] || !downOps["release"] {
		t.Errorf("failed calls to node %s: %v, want extend and release", down, downOps)
	}
}

// TestALostLeaseIsAnErrorSpan lets an auto-extended lease be lost with two of three nodes down.
func TestALostLeaseIsAnErrorSpan(t *testing.T) {
	exp, tp := record(t)
	c := quorumtest.NewCluster(t, 3)
	l := c.BootstrappedLocker(t, quorum.Options{TTL: time.Second, NodeTimeout: 200 * time.Millisecond,
		Observer: otelobserver.New(tp, otelobserver.Options{})})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	le, err := l.TryAcquire(ctx, "short")
	if err != nil {
		t.Fatal(err)
	}
	le.AutoExtend()
	c.Faults[1].SetFail(true)
	c.Faults[2].SetFail(true)
	select {
	case <-le.Done():
	case <-ctx.Done():
		t.Fatal("the lease outlived its validity with two of three nodes down")
	}
	// Err waits for the lease's lock, held while the loss is reported.
	if err := le.Err(); !errors.Is(err, quorum.ErrLeaseLost) {
		t.Fatalf("Err = %v, want ErrLeaseLost", err)
	}

	lost := named(exp, "quorumlock.lease_lost")
	if len(lost) != 1 {
		t.Fatalf("%d lease_lost spans, want 1: %v", len(lost), names(exp))
	}
	wantAttrs(t, lost[0], attribute.String("quorumlock.lock.name", "short"), attribute.Int64("quorumlock.token", int64(le.Token())))
	wantStatus(t, lost[0], codes.Error)
	if !hasEvent(lost[0], "exception") {
		t.Errorf("lease_lost records no error: %v", lost[0].Events)
	}
	var unavailable int
	for _, s := range named(exp, "quorumlock.extend") {
		if value(s, "quorumlock.outcome").AsString() == "unavailable" {
			unavailable++
			wantStatus(t, s, codes.Error)
		}
	}
	if unavailable == 0 {
		t.Errorf("no auto-extension was unavailable: %v", names(exp))
	}
	batches := named(exp, "quorumlock.node.extend")
	var ok, failed int
	for _, s := range batches {
		if s.Status.Code == codes.Error {
			failed++
			continue
		}
		ok++
		wantAttrs(t, s, attribute.String("quorumlock.node", c.Servers[0].Addr()+"/0"), attribute.Int("quorumlock.batch", 1))
	}
	if ok == 0 || failed == 0 {
		t.Errorf("auto-extension node spans: %d ok, %d failed; want both", ok, failed)
	}
}

// nodes returns the cluster's node names.
func nodes(c *quorumtest.Cluster) []string {
	var out []string
	for _, s := range c.Servers {
		out = append(out, s.Addr()+"/0")
	}
	return out
}

// record returns an in-memory exporter and a provider that exports each span as it ends.
func record(t *testing.T) (*tracetest.InMemoryExporter, *sdktrace.TracerProvider) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return exp, tp
}

// named returns the spans called name, in the order they ended.
func named(exp *tracetest.InMemoryExporter, name string) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range exp.GetSpans() {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

func names(exp *tracetest.InMemoryExporter) []string {
	var out []string
	for _, s := range exp.GetSpans() {
		out = append(out, s.Name)
	}
	return out
}

func value(s tracetest.SpanStub, key string) attribute.Value {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value
		}
	}
	return attribute.Value{}
}

func wantAttrs(t *testing.T, s tracetest.SpanStub, want ...attribute.KeyValue) {
	t.Helper()
	for _, kv := range want {
		if got := value(s, string(kv.Key)); got != kv.Value {
			t.Errorf("%s: %s = %q, want %q", s.Name, kv.Key, got.String(), kv.Value.String())
		}
	}
}

func wantStatus(t *testing.T, s tracetest.SpanStub, want codes.Code) {
	t.Helper()
	if s.Status.Code != want {
		t.Errorf("%s (%v): status %v %q, want %v", s.Name, s.Attributes, s.Status.Code, s.Status.Description, want)
	}
}

func hasEvent(s tracetest.SpanStub, name string) bool {
	for _, e := range s.Events {
		if e.Name == name {
			return true
		}
	}
	return false
}

// answers counts the span's node.acquire events with the given status.
func answers(s tracetest.SpanStub, status string) int {
	n := 0
	for _, e := range s.Events {
		for _, kv := range e.Attributes {
			if e.Name == "node.acquire" && kv.Key == "quorumlock.status" && kv.Value.AsString() == status {
				n++
			}
		}
	}
	return n
}
