package otelobserver

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/quorumlock/quorumlock/clock"
	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/quorum"
)

// ScopeName is the instrumentation scope of the Observer's tracer.
const ScopeName = "github.com/quorumlock/quorumlock/otelobserver"

// DefaultSlots is the number of slots of the table of pending node answers when Options.Slots
// is zero.
const DefaultSlots = 256

// Options configures an Observer. The zero value of every field means its documented default.
type Options struct {
	// Clock tells the time at which each event is observed: a span ends then and starts the
	// event's Duration before. Pass the Locker's quorum.Options.Clock, since Duration is
	// measured on it. Default clock.Real().
	Clock clock.Clock
	// Slots is how many lock names at once can keep node answers until their attempt ends
	// (see the package doc); memory is bounded by Slots × 32 answers. Zero means DefaultSlots
	// (256). Negative is a programmer error: New panics.
	Slots int
}

// Observer is a quorum.Observer that records OpenTelemetry spans. It is safe for concurrent use.
type Observer struct {
	tracer  trace.Tracer
	clock   clock.Clock
	pending *pending
}

var _ quorum.Observer = (*Observer)(nil)

// New returns an Observer whose spans are made by a tracer of tp (otel.GetTracerProvider() if
// tp is nil). It panics if opts.Slots is negative.
func New(tp trace.TracerProvider, opts Options) *Observer {
	if opts.Slots < 0 {
		panic("otelobserver: Options.Slots is negative")
	}
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real()
	}
	if opts.Slots == 0 {
		opts.Slots = DefaultSlots
	}
	return &Observer{tracer: tp.Tracer(ScopeName), clock: opts.Clock, pending: newPending(opts.Slots)}
}

// The attributes set on spans and span events.
const (
	keyName     = attribute.Key("quorumlock.lock.name")
	keyToken    = attribute.Key("quorumlock.token")
	keyNode     = attribute.Key("quorumlock.node")
	keyOp       = attribute.Key("quorumlock.op")
	keyStatus   = attribute.Key("quorumlock.status")
	keyOutcome  = attribute.Key("quorumlock.outcome")
	keyElapsed  = attribute.Key("quorumlock.node.elapsed_ms")
	keyBatch    = attribute.Key("quorumlock.batch")
	keyFloor    = attribute.Key("quorumlock.heal.floor")
	keyDropped  = attribute.Key("quorumlock.node_events.dropped")
	keyError    = attribute.Key("quorumlock.error")
	eventReply  = "node.acquire"
	eventRefuse = "token.refused"
)

// Observe records one event.
func (o *Observer) Observe(ev quorum.Event) {
	now := o.clock.Now()
	switch ev.Kind {
	case quorum.EventAcquire:
		o.acquire(ev, now)
	case quorum.EventNode:
		if ev.Op == "acquire" && ev.Name != "" {
			o.pending.add(ev.Name, note{at: now, node: ev.Node, status: ev.Status, elapsed: ev.Duration, err: ev.Err})
			return
		}
		o.node(ev, now)
	case quorum.EventTokenRefused:
		o.pending.add(ev.Name, note{at: now, refused: true, token: ev.Token})
	case quorum.EventExtend:
		outcome, alarm := extendOutcome(ev.Err)
		o.record("quorumlock.extend", trace.SpanKindInternal, now.Add(-ev.Duration), now, ev.Err, alarm,
			keyName.String(ev.Name), token(ev.Token), keyOutcome.String(outcome))
	case quorum.EventLeaseLost:
		o.record("quorumlock.lease_lost", trace.SpanKindInternal, now, now, ev.Err, true,
			keyName.String(ev.Name), token(ev.Token))
	case quorum.EventHeal:
		o.record("quorumlock.heal", trace.SpanKindInternal, now.Add(-ev.Duration), now, ev.Err, ev.Err != nil,
			keyNode.String(ev.Node), keyFloor.Int64(int64(ev.Token)))
	}
}

// acquire records one attempt, with the node answers of its name kept since it started.
func (o *Observer) acquire(ev quorum.Event, now time.Time) {
	start := now.Add(-ev.Duration)
	outcome, alarm := acquireOutcome(ev.Err)
	attrs := []attribute.KeyValue{keyName.String(ev.Name), keyOutcome.String(outcome)}
	if ev.Token != 0 {
		attrs = append(attrs, token(ev.Token))
	}
	_, span := o.tracer.Start(context.Background(), "quorumlock.acquire", trace.WithTimestamp(start),
		trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(attrs...))
	var notes [maxNotes]note
	n, dropped := o.pending.take(ev.Name, start, &notes)
	if span.IsRecording() {
		for _, nt := range notes[:n] {
			nt.addTo(span)
		}
		if dropped > 0 {
			span.SetAttributes(keyDropped.Int(dropped))
		}
	}
	end(span, now, ev.Err, alarm)
}

// node records one node call that belongs to no acquire span.
func (o *Observer) node(ev quorum.Event, now time.Time) {
	attrs := []attribute.KeyValue{keyNode.String(ev.Node), keyOp.String(ev.Op)}
	if ev.Name != "" {
		attrs = append(attrs, keyName.String(ev.Name))
	}
	if ev.Batch > 0 {
		attrs = append(attrs, keyBatch.Int(ev.Batch))
	}
	o.record("quorumlock.node."+ev.Op, trace.SpanKindClient, now.Add(-ev.Duration), now, ev.Err, ev.Err != nil, attrs...)
}

// record makes one span from start to now.
func (o *Observer) record(name string, kind trace.SpanKind, start, now time.Time, err error, alarm bool, attrs ...attribute.KeyValue) {
	_, span := o.tracer.Start(context.Background(), name, trace.WithTimestamp(start),
		trace.WithSpanKind(kind), trace.WithAttributes(attrs...))
	end(span, now, err, alarm)
}

// end records err, if any, with status Error if alarm, and ends span at now.
func end(span trace.Span, now time.Time, err error, alarm bool) {
	if err != nil {
		span.RecordError(err, trace.WithTimestamp(now))
		if alarm {
			span.SetStatus(codes.Error, err.Error())
		}
	}
	span.End(trace.WithTimestamp(now))
}

// token is the attribute for a fencing token. Tokens stay below 2^53 (package fencing), so
// int64 holds them exactly.
func token(t fencing.Token) attribute.KeyValue { return keyToken.Int64(int64(t)) }

// acquireOutcome names how an attempt ended, and says whether that deserves status Error.
func acquireOutcome(err error) (string, bool) {
	switch {
	case err == nil:
		return "granted", false
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "cancelled", false
	case errors.Is(err, quorum.ErrNotAcquired):
		return "not_acquired", false
	case errors.Is(err, quorum.ErrNeedsHeal):
		return "needs_heal", true
	case errors.Is(err, quorum.ErrUnavailable):
		return "unavailable", true
	}
	return "error", true
}

// extendOutcome names how an extension ended, and says whether that deserves status Error.
func extendOutcome(err error) (string, bool) {
	switch {
	case err == nil:
		return "extended", false
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "cancelled", false
	case errors.Is(err, quorum.ErrReleased):
		return "released", false
	case errors.Is(err, quorum.ErrLeaseLost):
		return "lost", true
	case errors.Is(err, quorum.ErrUnavailable):
		return "unavailable", true
	}
	return "error", true
}
