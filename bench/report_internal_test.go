package bench

import (
	"math"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		in   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{1, 9, 5}, 5},
		{[]float64{4, 1}, 2.5},
		{[]float64{100, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		rs := make([]Result, len(tt.in))
		for i, v := range tt.in {
			rs[i].OpsPerSec = v
		}
		if got := median(rs, func(r Result) float64 { return r.OpsPerSec }); got != tt.want {
			t.Errorf("median(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestSummarizeTakesMediansAndWorstLeftovers(t *testing.T) {
	rounds := []Result{
		{Library: Ours, P50: 3 * time.Millisecond, KeysLeft: 0, Errors: 2, ServerCPUKnown: true, ServerCPUPerOp: 10},
		{Library: Ours, P50: 1 * time.Millisecond, KeysLeft: 5, Errors: 0, ServerCPUKnown: true, ServerCPUPerOp: 30,
			FirstError: "boom"},
		{Library: Ours, P50: 2 * time.Millisecond, KeysLeft: 1, Errors: 1, ServerCPUKnown: true, ServerCPUPerOp: 20},
	}
	m := summarize(rounds).Median
	if m.P50 != 2*time.Millisecond || m.ServerCPUPerOp != 20 {
		t.Errorf("P50 = %v, ServerCPUPerOp = %v; want medians 2ms and 20ns", m.P50, m.ServerCPUPerOp)
	}
	if m.KeysLeft != 5 || m.Errors != 2 || m.FirstError != "boom" {
		t.Errorf("KeysLeft = %d, Errors = %d, FirstError = %q; want the worst round: 5, 2, boom",
			m.KeysLeft, m.Errors, m.FirstError)
	}
	rounds[1].ServerCPUKnown = false
	if m := summarize(rounds).Median; m.ServerCPUKnown || m.ServerCPUPerOp != 0 {
		t.Errorf("one round without server CPU: known = %v, value = %v; want unknown, 0", m.ServerCPUKnown, m.ServerCPUPerOp)
	}
}

func TestRatios(t *testing.T) {
	ours := Result{OpsPerSec: 100, GrantsPerSec: 30, P50: time.Millisecond, KeysLeft: 0, Errors: 0}
	peer := Result{OpsPerSec: 200, GrantsPerSec: 10, P50: 4 * time.Millisecond, KeysLeft: 8, Errors: 0,
		ServerCPUKnown: true, ServerCPUPerOp: 5}
	got := map[string]Ratio{}
	for _, r := range ratios(Contended, ours, peer) {
		got[r.Metric] = r
	}
	want := map[string]Ratio{
		"ops_per_sec":    {"ops_per_sec", 0.5, Higher},
		"grants_per_sec": {"grants_per_sec", 3, Higher},
		"p50":            {"p50", 0.25, Lower},
		"keys_left":      {"keys_left", 0, Lower},
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || math.Abs(g.Value-w.Value) > 1e-9 || g.Better != w.Better {
			t.Errorf("ratio %s = %+v (present %v), want %+v", k, g, ok, w)
		}
	}
	for _, k := range []string{"errors", "server_cpu_per_op", "p99"} {
		if _, ok := got[k]; ok {
			t.Errorf("ratio %s present; want absent (peer zero or ours unknown)", k)
		}
	}
	for _, r := range ratios(Pairs, ours, peer) {
		if r.Metric == "grants_per_sec" {
			t.Errorf("grants/s ratio present for a Pairs scenario")
		}
	}
}

func TestPercentiles(t *testing.T) {
	h := hdrhistogram.New(histMin, histMax, histDigits)
	if p50, p99, p999 := percentiles(h); p50 != 0 || p99 != 0 || p999 != 0 {
		t.Fatalf("empty histogram: %v %v %v, want zeros", p50, p99, p999)
	}
	for v := int64(1); v <= 1000; v++ {
		if err := h.RecordValue(v); err != nil {
			t.Fatal(err)
		}
	}
	p50, p99, p999 := percentiles(h)
	want := []time.Duration{500 * time.Microsecond, 990 * time.Microsecond, 999 * time.Microsecond}
	for i, got := range []time.Duration{p50, p99, p999} {
		if got != want[i] {
			t.Errorf("percentile %d = %v, want %v", i, got, want[i])
		}
	}
}

func TestIsLockKey(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		{"p:{a}", true},
		{"p:{a.b.1}", true},
		{"p:{a}:fence", false},
		{"p:{a}:gone:xyz", false},
		{"p:node", false},
		{"q:{a}", false},
		{"p:{}", false},
		{"p:{a}b}", false},
	}
	for _, tt := range tests {
		if got := isLockKey("p:", tt.key); got != tt.want {
			t.Errorf("isLockKey(p:, %q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

func TestFormatDur(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{1500 * time.Nanosecond, "1.5µs"},
		{87 * time.Microsecond, "87µs"},
		{1234 * time.Microsecond, "1.23ms"},
		{12345 * time.Microsecond, "12.3ms"},
		{100 * time.Millisecond, "100ms"},
		{2100 * time.Millisecond, "2.10s"},
		{12500 * time.Millisecond, "12.5s"},
	}
	for _, tt := range tests {
		if got := formatDur(float64(tt.d)); got != tt.want {
			t.Errorf("formatDur(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
