package bench

import (
	"fmt"
	"math"
	"time"
)

// Better says which direction of a metric is better.
type Better string

// The directions.
const (
	Higher Better = "higher"
	Lower  Better = "lower"
)

// Metric is one compared quantity: a column of the table and an entry of Ratios.
type Metric struct {
	Key    string // name in JSON ratios, e.g. "p50"
	Title  string // column header, e.g. "p50"
	Better Better
	value  func(Kind, Result) (float64, bool)
	format func(float64) string
}

// Value returns the metric of r in a scenario of kind k, and false when it does not apply or
// is unknown: grants/s but where an op can be refused or wait (in the others every op that
// succeeds is a grant), ops/s of elections (paced by the time each leader leads, and for
// failovers by the TTL), server CPU of miniredis, attempts per grant of redsync (not counted)
// and of the scenarios where no op waits.
func (m Metric) Value(k Kind, r Result) (float64, bool) { return m.value(k, r) }

// Format renders a value of the metric for a table.
func (m Metric) Format(v float64) string { return m.format(v) }

// Metrics returns the compared metrics, in table order.
func Metrics() []Metric {
	always := func(f func(Result) float64) func(Kind, Result) (float64, bool) {
		return func(_ Kind, r Result) (float64, bool) { return f(r), true }
	}
	dur := func(f func(Result) time.Duration) func(Kind, Result) (float64, bool) {
		return always(func(r Result) float64 { return float64(f(r)) })
	}
	return []Metric{
		{"ops_per_sec", "ops/s", Higher, func(k Kind, r Result) (float64, bool) {
			return r.OpsPerSec, !k.elects()
		}, formatRate},
		{"grants_per_sec", "grants/s", Higher, func(k Kind, r Result) (float64, bool) {
			return r.GrantsPerSec, k == Contended || k == Waiting
		}, formatRate},
		{"attempts_per_grant", "attempts/grant", Lower, func(k Kind, r Result) (float64, bool) {
			return r.AttemptsPerGrant, (k == Waiting || k.elects()) && r.AttemptsPerGrant > 0
		}, formatCount},
		{"p50", "p50", Lower, dur(func(r Result) time.Duration { return r.P50 }), formatDur},
		{"p99", "p99", Lower, dur(func(r Result) time.Duration { return r.P99 }), formatDur},
		{"p999", "p99.9", Lower, dur(func(r Result) time.Duration { return r.P999 }), formatDur},
		{"client_cpu_per_op", "cpu/op", Lower, dur(func(r Result) time.Duration { return r.ClientCPUPerOp }), formatDur},
		{"allocs_per_op", "allocs/op", Lower, always(func(r Result) float64 { return r.AllocsPerOp }), formatCount},
		{"server_cpu_per_op", "srv cpu/op", Lower, func(_ Kind, r Result) (float64, bool) {
			return float64(r.ServerCPUPerOp), r.ServerCPUKnown
		}, formatDur},
		{"keys_left", "keys left", Lower, always(func(r Result) float64 { return float64(r.KeysLeft) }), formatCount},
		{"errors", "errors", Lower, always(func(r Result) float64 { return float64(r.Errors) }), formatCount},
	}
}

// Ratio is ours/peer for one metric.
type Ratio struct {
	Metric string  `json:"metric"`
	Value  float64 `json:"value"`
	Better Better  `json:"better"` // which direction of the ratio favours ours
}

// ratio returns ours/peer for m, and false when either is unknown or peer is zero.
func ratio(m Metric, k Kind, ours, peer Result) (float64, bool) {
	o, ok1 := m.Value(k, ours)
	p, ok2 := m.Value(k, peer)
	if !ok1 || !ok2 || p == 0 || math.IsNaN(o) || math.IsNaN(p) {
		return 0, false
	}
	return o / p, true
}

// ratios returns the ratios of every metric that has one.
func ratios(k Kind, ours, peer Result) []Ratio {
	var out []Ratio
	for _, m := range Metrics() {
		if v, ok := ratio(m, k, ours, peer); ok {
			out = append(out, Ratio{Metric: m.Key, Value: v, Better: m.Better})
		}
	}
	return out
}

// formatDur renders nanoseconds with three significant digits or fewer: "87µs", "1.23ms",
// "12.3ms", "250ms", "1.05s", "12.5s".
func formatDur(ns float64) string {
	d := time.Duration(ns)
	switch {
	case d < 10*time.Microsecond:
		return fmt.Sprintf("%.1fµs", ns/1e3)
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", ns/1e3)
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2fms", ns/1e6)
	case d < 100*time.Millisecond:
		return fmt.Sprintf("%.1fms", ns/1e6)
	case d < time.Second:
		return fmt.Sprintf("%.0fms", ns/1e6)
	case d < 10*time.Second:
		return fmt.Sprintf("%.2fs", ns/1e9)
	}
	return fmt.Sprintf("%.1fs", ns/1e9)
}

// formatRate renders a rate per second with at most one decimal below 100.
func formatRate(v float64) string {
	if v < 100 {
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

// formatCount renders a count or a per-op count.
func formatCount(v float64) string {
	if v == math.Trunc(v) || v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

// formatRatio renders ours/peer as "0.62x".
func formatRatio(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0fx", v)
	}
	return fmt.Sprintf("%.2fx", v)
}
