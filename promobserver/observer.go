package promobserver

import (
	"context"
	"errors"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/quorumlock/quorumlock/quorum"
)

// Observer is a quorum.Observer that updates Prometheus metrics. It is safe for concurrent use.
type Observer struct {
	acquire       *prometheus.HistogramVec
	grants        prometheus.Counter
	replies       *prometheus.CounterVec
	nodeErrors    *prometheus.CounterVec
	extendFailure *prometheus.CounterVec
	leasesLost    prometheus.Counter
	tokenRefusals prometheus.Counter
	heals         *prometheus.CounterVec
}

var _ quorum.Observer = (*Observer)(nil)

// New returns an Observer whose metrics are registered with reg. It panics if they are already
// registered there (a programmer error, as with prometheus.MustRegister).
func New(reg prometheus.Registerer) *Observer {
	o := &Observer{
		acquire: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "quorumlock_acquire_seconds", Help: "Duration of lock attempts, by outcome.",
			Buckets: prometheus.ExponentialBuckets(50e-6, 2, 16),
		}, []string{"outcome"}),
		grants: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quorumlock_grants_total", Help: "Grants returned to callers."}),
		replies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quorumlock_node_replies_total", Help: "Acquire answers, by node and status."}, []string{"node", "status"}),
		nodeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quorumlock_node_errors_total", Help: "Failed or timed-out calls, by node and operation."}, []string{"node", "op"}),
		extendFailure: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quorumlock_extend_failures_total", Help: "Failed extensions, by outcome."}, []string{"outcome"}),
		leasesLost: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quorumlock_leases_lost_total", Help: "Leases that could no longer be guaranteed."}),
		tokenRefusals: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "quorumlock_token_refusals_total", Help: "Token proposals refused as stale and retried higher."}),
		heals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "quorumlock_heals_total", Help: "Heals of nodes that lost their data, by outcome."}, []string{"node", "outcome"}),
	}
	reg.MustRegister(o.acquire, o.grants, o.replies, o.nodeErrors, o.extendFailure, o.leasesLost, o.tokenRefusals, o.heals)
	return o
}

// Observe records one event.
func (o *Observer) Observe(ev quorum.Event) {
	switch ev.Kind {
	case quorum.EventAcquire:
		o.acquire.WithLabelValues(acquireOutcome(ev.Err)).Observe(ev.Duration.Seconds())
		if ev.Err == nil {
			o.grants.Inc()
		}
	case quorum.EventNode:
		if ev.Err != nil {
			o.nodeErrors.WithLabelValues(ev.Node, ev.Op).Inc()
		} else if ev.Op == "acquire" {
			o.replies.WithLabelValues(ev.Node, ev.Status.String()).Inc()
		}
	case quorum.EventExtend:
		if ev.Err != nil {
			o.extendFailure.WithLabelValues(extendOutcome(ev.Err)).Inc()
		}
	case quorum.EventLeaseLost:
		o.leasesLost.Inc()
	case quorum.EventTokenRefused:
		o.tokenRefusals.Inc()
	case quorum.EventHeal:
		outcome := "healed"
		if ev.Err != nil {
			outcome = "failed"
		}
		o.heals.WithLabelValues(ev.Node, outcome).Inc()
	}
}

func acquireOutcome(err error) string {
	switch {
	case err == nil:
		return "granted"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "cancelled"
	case errors.Is(err, quorum.ErrNotAcquired):
		return "not_acquired"
	case errors.Is(err, quorum.ErrUnavailable):
		return "unavailable"
	}
	return "error"
}

func extendOutcome(err error) string {
	switch {
	case errors.Is(err, quorum.ErrLeaseLost):
		return "lost"
	case errors.Is(err, quorum.ErrUnavailable):
		return "unavailable"
	}
	return "other"
}
