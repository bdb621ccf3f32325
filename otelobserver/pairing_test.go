package otelobserver_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/quorumlock/quorumlock/clock/clocktest"
	"github.com/quorumlock/quorumlock/otelobserver"
	"github.com/quorumlock/quorumlock/quorum"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// TestAnswersGoOnTheirAttempt feeds events by hand on a fake clock: an attempt gets the answers
// of its own name that arrived since it started, and nothing else.
func TestAnswersGoOnTheirAttempt(t *testing.T) {
	exp, tp := record(t)
	clk := clocktest.NewFake(t0)
	obs := otelobserver.New(tp, otelobserver.Options{Clock: clk})
	answer := func(name, node string, st quorum.AcquireStatus) {
		obs.Observe(quorum.Event{Kind: quorum.EventNode, Name: name, Node: node, Op: "acquire", Status: st, Duration: time.Millisecond})
	}
	answer("a", "late", quorum.Granted) // the slowest answer of an earlier attempt
	clk.Step(10 * time.Millisecond)
	answer("a", "n1", quorum.Stale)
	obs.Observe(quorum.Event{Kind: quorum.EventTokenRefused, Name: "a", Token: 7})
	answer("b", "n2", quorum.Granted)
	answer("a", "n1", quorum.Held)
	clk.Step(5 * time.Millisecond)
	obs.Observe(quorum.Event{Kind: quorum.EventAcquire, Name: "a", Duration: 8 * time.Millisecond,
		Err: fmt.Errorf("%w: %q is held by another owner", quorum.ErrNotAcquired, "a")})
	obs.Observe(quorum.Event{Kind: quorum.EventAcquire, Name: "a", Duration: 8 * time.Millisecond,
		Err: fmt.Errorf("%w: %q is held by another owner", quorum.ErrNotAcquired, "a")})
	obs.Observe(quorum.Event{Kind: quorum.EventAcquire, Name: "b", Duration: 8 * time.Millisecond, Token: 9})

	spans := named(exp, "quorumlock.acquire")
	if len(spans) != 3 {
		t.Fatalf("%d acquire spans, want 3", len(spans))
	}
	a := spans[0]
	if !a.StartTime.Equal(t0.Add(7*time.Millisecond)) || !a.EndTime.Equal(t0.Add(15*time.Millisecond)) {
		t.Errorf("span [%v, %v], want it to end when observed and to last its Duration", a.StartTime, a.EndTime)
	}
	var got []string
	for _, e := range a.Events {
		got = append(got, fmt.Sprint(e.Name, " ", e.Time.Sub(t0), " ", e.Attributes))
	}
	want := []string{
		`node.acquire 10ms [{"quorumlock.node":"n1"} {"quorumlock.node.elapsed_ms":1} {"quorumlock.status":"stale"}]`,
		`token.refused 10ms [{"quorumlock.token":7}]`,
		`node.acquire 10ms [{"quorumlock.node":"n1"} {"quorumlock.node.elapsed_ms":1} {"quorumlock.status":"held"}]`,
		`exception 15ms [{"exception.type":"*fmt.wrapError"} {"exception.message":"quorum: not acquired: \"a\" is held by another owner"}]`,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events of a:\n got %q\nwant %q", got, want)
	}
	if n := answers(spans[1], "held") + answers(spans[1], "stale"); n != 0 {
		t.Errorf("the next attempt at a got %d answers already taken", n)
	}
	if n := answers(spans[2], "granted"); n != 1 || len(spans[2].Events) != 1 {
		t.Errorf("b's events: %v, want n2's answer alone", spans[2].Events)
	}
	wantAttrs(t, spans[2], attribute.String("quorumlock.lock.name", "b"), attribute.Int64("quorumlock.token", 9))
}

// TestNamelessNodeEventsAreSpans: failed calls and auto-extension batches name no lock.
func TestNamelessNodeEventsAreSpans(t *testing.T) {
	exp, tp := record(t)
	clk := clocktest.NewFake(t0)
	obs := otelobserver.New(tp, otelobserver.Options{Clock: clk})
	fail := &quorum.NodeError{Node: "n1", Op: "acquire", Err: context.DeadlineExceeded}
	obs.Observe(quorum.Event{Kind: quorum.EventNode, Node: "n1", Op: "acquire", Duration: 50 * time.Millisecond, Err: fail})
	obs.Observe(quorum.Event{Kind: quorum.EventNode, Node: "n2", Op: "extend", Duration: time.Millisecond, Batch: 40})
	obs.Observe(quorum.Event{Kind: quorum.EventAcquire, Name: "a", Duration: time.Second, Token: 3})

	spans := exp.GetSpans()
	if len(spans) != 3 {
		t.Fatalf("spans %v, want 3", names(exp))
	}
	failed, batch, attempt := spans[0], spans[1], spans[2]
	if failed.Name != "quorumlock.node.acquire" || failed.SpanKind != trace.SpanKindClient ||
		!failed.StartTime.Equal(t0.Add(-50*time.Millisecond)) || !failed.EndTime.Equal(t0) {
		t.Errorf("failed call: %s %v [%v, %v]", failed.Name, failed.SpanKind, failed.StartTime, failed.EndTime)
	}
	wantAttrs(t, failed, attribute.String("quorumlock.node", "n1"), attribute.String("quorumlock.op", "acquire"))
	wantStatus(t, failed, codes.Error)
	wantAttrs(t, batch, attribute.String("quorumlock.node", "n2"), attribute.Int("quorumlock.batch", 40))
	wantStatus(t, batch, codes.Unset)
	if len(attempt.Events) != 0 {
		t.Errorf("attempt got events %v", attempt.Events)
	}
}

// TestOutcomes: how each ending of an attempt or an extension is named, and which are alarms.
func TestOutcomes(t *testing.T) {
	nodeErr := &quorum.NodeError{Node: "n1", Op: "acquire", Err: errors.New("refused")}
	for _, tc := range []struct {
		kind    quorum.EventKind
		err     error
		outcome string
		status  codes.Code
	}{
		{quorum.EventAcquire, nil, "granted", codes.Unset},
		{quorum.EventAcquire, fmt.Errorf("%w: x", quorum.ErrNotAcquired), "not_acquired", codes.Unset},
		{quorum.EventAcquire, fmt.Errorf("quorum: acquire: %w", context.Canceled), "cancelled", codes.Unset},
		{quorum.EventAcquire, fmt.Errorf("quorum: acquire: %w", context.DeadlineExceeded), "cancelled", codes.Unset},
		{quorum.EventAcquire, errors.Join(quorum.ErrUnavailable, nodeErr), "unavailable", codes.Error},
		{quorum.EventAcquire, quorum.ErrNeedsHeal, "needs_heal", codes.Error},
		{quorum.EventAcquire, quorum.ErrTokenSpace, "error", codes.Error},
		{quorum.EventExtend, nil, "extended", codes.Unset},
		{quorum.EventExtend, quorum.ErrReleased, "released", codes.Unset},
		{quorum.EventExtend, fmt.Errorf("quorum: extend: %w", context.Canceled), "cancelled", codes.Unset},
		{quorum.EventExtend, quorum.ErrLeaseLost, "lost", codes.Error},
		{quorum.EventExtend, errors.Join(quorum.ErrUnavailable, nodeErr), "unavailable", codes.Error},
		{quorum.EventExtend, quorum.ErrClosed, "error", codes.Error},
	} {
		exp, tp := record(t)
		otelobserver.New(tp, otelobserver.Options{}).Observe(quorum.Event{Kind: tc.kind, Name: "a", Token: 5, Err: tc.err})
		spans := exp.GetSpans()
		if len(spans) != 1 {
			t.Fatalf("%v: %d spans", tc.err, len(spans))
		}
		wantAttrs(t, spans[0], attribute.String("quorumlock.outcome", tc.outcome))
		wantStatus(t, spans[0], tc.status)
		if (tc.err != nil) != hasEvent(spans[0], "exception") {
			t.Errorf("%v: events %v", tc.err, spans[0].Events)
		}
	}
}

// TestAnswersBeyondTheBoundAreCounted: one slot keeps at most 32 answers.
func TestAnswersBeyondTheBoundAreCounted(t *testing.T) {
	exp, tp := record(t)
	obs := otelobserver.New(tp, otelobserver.Options{Clock: clocktest.NewFake(t0)})
	for i := range 40 {
		obs.Observe(quorum.Event{Kind: quorum.EventNode, Name: "a", Node: fmt.Sprint("n", i), Op: "acquire", Status: quorum.Held})
	}
	obs.Observe(quorum.Event{Kind: quorum.EventAcquire, Name: "a", Err: quorum.ErrNotAcquired})
	s := named(exp, "quorumlock.acquire")[0]
	if n := answers(s, "held"); n != 32 {
		t.Errorf("%d answers kept, want 32", n)
	}
	wantAttrs(t, s, attribute.Int("quorumlock.node_events.dropped", 8))
}

// TestSharedSlotsNeverMixNames: with one slot for every name, attempts of eight names at once
// from eight goroutines evict each other's answers, but never get one of another name.
func TestSharedSlotsNeverMixNames(t *testing.T) {
	exp, tp := record(t)
	obs := otelobserver.New(tp, otelobserver.Options{Slots: 1})
	var wg sync.WaitGroup
	for g := range 8 {
		name := fmt.Sprint("lock-", g)
		wg.Go(func() {
			for range 100 {
				for range 3 {
					obs.Observe(quorum.Event{Kind: quorum.EventNode, Name: name, Node: name, Op: "acquire", Status: quorum.Granted})
				}
				obs.Observe(quorum.Event{Kind: quorum.EventAcquire, Name: name, Duration: time.Second, Token: 1})
			}
		})
	}
	wg.Wait()
	attached := 0
	for _, s := range named(exp, "quorumlock.acquire") {
		name := value(s, "quorumlock.lock.name").AsString()
		for _, e := range s.Events {
			attached++
			if e.Attributes[0] != attribute.String("quorumlock.node", name) {
				t.Fatalf("attempt at %s got %v", name, e.Attributes)
			}
		}
	}
	if attached == 0 {
		t.Error("no answer was ever attached") // the check above would hold vacuously
	}
}

func TestNewPanicsOnNegativeSlots(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New accepted Slots -1")
		}
	}()
	otelobserver.New(nil, otelobserver.Options{Slots: -1})
}
