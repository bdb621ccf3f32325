package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// HoldReport is the outcome of Hold, as data. Every time.Duration is in nanoseconds in JSON,
// every memory figure in bytes. "During the hold" means from the moment every lease was
// acquired until For had passed.
type HoldReport struct {
	Started   time.Time `json:"started"`
	Backend   string    `json:"backend"`
	InProcess bool      `json:"in_process"`
	Servers   []string  `json:"servers"` // redis_version of every node, "" when it does not say
	Go        string    `json:"go"`
	CPUs      int       `json:"cpus"`
	Nodes     int       `json:"nodes"`

	// What was asked, and the Locker's options that matter.
	Leases         int           `json:"leases"`
	Hold           time.Duration `json:"hold"`
	Workers        int           `json:"workers"`
	TTL            time.Duration `json:"ttl"`
	ExtendInterval time.Duration `json:"extend_interval"`
	NodeTimeout    time.Duration `json:"node_timeout"`

	// Acquisition: leases granted, failures, wall time, leases per second, client CPU.
	Acquired          int           `json:"acquired"`
	AcquireErrors     int           `json:"acquire_errors"`
	FirstAcquireError string        `json:"first_acquire_error,omitempty"`
	AcquireTime       time.Duration `json:"acquire_time"`
	AcquireRate       float64       `json:"acquire_rate"`
	AcquireCPU        time.Duration `json:"acquire_cpu"`

	// Held is the measured hold. Lost counts the leases acquired that, at its end, had ended
	// (Err not nil) or were past ValidUntil; LostEvents the EventLeaseLost of the whole run.
	// MinValidityLeft is the least ValidUntil − now over the leases still held at the check.
	Held            time.Duration `json:"held"`
	Lost            int           `json:"lost"`
	LostEvents      int64         `json:"lost_events"`
	LostAcquiring   int64         `json:"lost_acquiring"` // EventLeaseLost before the hold began
	FirstLost       string        `json:"first_lost,omitempty"`
	MinValidityLeft time.Duration `json:"min_validity_left"`

	// Auto-extension during the hold: ExtendMany calls (batches) summed over the nodes and per
	// node, failed calls, leases per call, call latency; Extensions and ExtensionFailures are
	// the per-lease outcomes (EventExtend).
	ExtendCalls        int64         `json:"extend_calls"`
	ExtendCallsPerNode []int64       `json:"extend_calls_per_node"`
	ExtendCallErrors   int64         `json:"extend_call_errors"`
	LeasesPerCall      float64       `json:"leases_per_call"`
	ExtendCallP50      time.Duration `json:"extend_call_p50"`
	ExtendCallP99      time.Duration `json:"extend_call_p99"`
	ExtendCallMax      time.Duration `json:"extend_call_max"`
	Extensions         int64         `json:"extensions"`
	ExtensionFailures  int64         `json:"extension_failures"`
	FirstExtendError   string        `json:"first_extend_error,omitempty"`

	// Cost of the hold. ClientCPU is getrusage of this process (with in-process nodes, their
	// work too); ClientCores is ClientCPU per second held. ServerCPU sums INFO cpu over the
	// nodes; unknown for miniredis.
	ClientCPU      time.Duration `json:"client_cpu"`
	ClientCores    float64       `json:"client_cores"`
	ServerCPUKnown bool          `json:"server_cpu_known"`
	ServerCPU      time.Duration `json:"server_cpu"`

	// Memory and goroutines at the end of the hold, from runtime.MemStats: HeapInUse
	// (HeapInuse), Sys (all memory obtained from the OS), HeapLive (HeapAlloc right after a
	// GC), HeapPerLease ((HeapLive − the same before acquiring) / Acquired). MaxGoroutines is
	// the highest count sampled every 100 ms during the hold (its start included, when calls of
	// the last acquisitions to the slower nodes may still be finishing). RedisMemory is the growth of
	// used_memory (INFO memory) summed over the nodes, from before acquiring.
	HeapInUse        uint64 `json:"heap_in_use"`
	Sys              uint64 `json:"sys"`
	HeapLive         uint64 `json:"heap_live"`
	HeapPerLease     int64  `json:"heap_per_lease"`
	Goroutines       int    `json:"goroutines"`
	MaxGoroutines    int    `json:"max_goroutines"`
	RedisMemoryKnown bool   `json:"redis_memory_known"`
	RedisMemory      int64  `json:"redis_memory"`

	// Release of every lease acquired, then the lock keys left on the nodes once the Locker
	// was closed. NodeErrors counts failed node calls of the whole run (EventNode).
	Released          int           `json:"released"`
	ReleaseErrors     int           `json:"release_errors"`
	FirstReleaseError string        `json:"first_release_error,omitempty"`
	ReleaseTime       time.Duration `json:"release_time"`
	KeysLeft          int           `json:"keys_left"`
	NodeErrors        int64         `json:"node_errors"`
	FirstNodeError    string        `json:"first_node_error,omitempty"`

	Elapsed time.Duration `json:"elapsed"`
}

// Header returns the lines that say what was run and where.
func (r HoldReport) Header() []string {
	lines := []string{
		fmt.Sprintf("quorumlock bench --hold, %s: %d leases held at once, auto-extended, for %v",
			r.Started.Format(time.DateTime), r.Leases, r.Hold),
		fmt.Sprintf("nodes: %s; %s, %d CPUs", Report{Backend: r.Backend, Servers: r.Servers}.describeNodes(), r.Go, r.CPUs),
		fmt.Sprintf("options: TTL %v (extend every %v), node timeout %v, other quorum defaults; %d workers acquire and release",
			r.TTL, formatDur(float64(r.ExtendInterval)), r.NodeTimeout, r.Workers),
	}
	if r.InProcess {
		lines = append(lines, "in-process miniredis: not representative of real Redis speed "+
			"(client CPU includes the servers' work)")
	}
	return lines
}

// rows returns the table: metric, value.
func (r HoldReport) rows() [][2]string {
	perSec := func(n float64) string {
		if r.Held <= 0 {
			return "-"
		}
		return formatRate(n / r.Held.Seconds())
	}
	cores := func(d time.Duration) string {
		if r.Held <= 0 {
			return formatDur(float64(d))
		}
		return fmt.Sprintf("%s = %.3f cores", formatDur(float64(d)), d.Seconds()/r.Held.Seconds())
	}
	server := "- (not reported by the nodes)"
	if r.ServerCPUKnown {
		server = cores(r.ServerCPU) + fmt.Sprintf(", sum over %d nodes", r.Nodes)
	}
	redisMem := "- (not reported by the nodes)"
	if r.RedisMemoryKnown {
		redisMem = fmt.Sprintf("%s, sum over %d nodes", formatBytes(r.RedisMemory), r.Nodes)
	}
	perNode := make([]string, len(r.ExtendCallsPerNode))
	for i, n := range r.ExtendCallsPerNode {
		perNode[i] = fmt.Sprint(n)
	}
	perInterval := "-" // extensions of one lease per ExtendInterval
	if r.ExtendInterval > 0 && r.Acquired > 0 && r.Held > 0 {
		perInterval = fmt.Sprintf("%.2f", float64(r.Extensions)/float64(r.Acquired)/(r.Held.Seconds()/r.ExtendInterval.Seconds()))
	}
	return [][2]string{
		{"leases acquired", fmt.Sprintf("%d of %d (errors: %d)", r.Acquired, r.Leases, r.AcquireErrors)},
		{"acquisition", fmt.Sprintf("%s, %s leases/s; client CPU %s", formatDur(float64(r.AcquireTime)),
			formatRate(r.AcquireRate), formatDur(float64(r.AcquireCPU)))},
		{"held for", formatDur(float64(r.Held))},
		{"leases lost by the end of the hold", fmt.Sprintf("%d (lease-lost events: %d, %d of them while acquiring)",
			r.Lost, r.LostEvents, r.LostAcquiring)},
		{"least validity left at the check", formatDur(float64(r.MinValidityLeft))},
		{"extension batches (ExtendMany calls)", fmt.Sprintf("%d, %s/s; per node: %s; failed: %d",
			r.ExtendCalls, perSec(float64(r.ExtendCalls)), strings.Join(perNode, " "), r.ExtendCallErrors)},
		{"leases per batch (mean)", formatCount(r.LeasesPerCall)},
		{"batch call p50 / p99 / max", fmt.Sprintf("%s / %s / %s", formatDur(float64(r.ExtendCallP50)),
			formatDur(float64(r.ExtendCallP99)), formatDur(float64(r.ExtendCallMax)))},
		{"lease extensions", fmt.Sprintf("%d ok (%s/s; %s per lease per ExtendInterval), %d failed",
			r.Extensions, perSec(float64(r.Extensions)), perInterval, r.ExtensionFailures)},
		{"client CPU during the hold", cores(r.ClientCPU)},
		{"server CPU during the hold", server},
		{"Go heap in use / live after GC", fmt.Sprintf("%s / %s", formatBytes(int64(r.HeapInUse)), formatBytes(int64(r.HeapLive)))},
		{"Go heap per lease (live)", formatBytes(r.HeapPerLease)},
		{"total memory from the OS (Sys)", formatBytes(int64(r.Sys))},
		{"goroutines at the end / max", fmt.Sprintf("%d / %d", r.Goroutines, r.MaxGoroutines)},
		{"Redis used_memory growth", redisMem},
		{"release", fmt.Sprintf("%d in %s (errors: %d)", r.Released, formatDur(float64(r.ReleaseTime)), r.ReleaseErrors)},
		{"lock keys left after release", fmt.Sprint(r.KeysLeft)},
		{"node call errors (whole run)", fmt.Sprint(r.NodeErrors)},
	}
}

// footer returns the first error of every kind that occurred.
func (r HoldReport) footer() []string {
	var lines []string
	for _, e := range []struct{ what, msg string }{
		{"acquire", r.FirstAcquireError}, {"lost", r.FirstLost}, {"extend", r.FirstExtendError},
		{"release", r.FirstReleaseError}, {"node", r.FirstNodeError},
	} {
		if e.msg != "" {
			lines = append(lines, fmt.Sprintf("first %s error: %s", e.what, e.msg))
		}
	}
	return lines
}

// WriteTable writes the report as an aligned two-column table for a terminal.
func (r HoldReport) WriteTable(w io.Writer) error {
	var b strings.Builder
	for _, l := range r.Header() {
		b.WriteString(l + "\n")
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, row := range r.rows() {
		fmt.Fprintf(tw, "%s\t%s\n", row[0], row[1])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if f := r.footer(); len(f) > 0 {
		b.WriteString("\n" + strings.Join(f, "\n") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown writes the report as Markdown: the header as a paragraph, then the table.
func (r HoldReport) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	for _, l := range r.Header() {
		b.WriteString(l + "  \n")
	}
	b.WriteString("\n| metric | value |\n| --- | --- |\n")
	for _, row := range r.rows() {
		b.WriteString("| " + strings.Join(escapeMD(row[:]), " | ") + " |\n")
	}
	if f := r.footer(); len(f) > 0 {
		b.WriteString("\n" + strings.Join(f, "  \n") + "  \n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// formatBytes renders a size in B, KiB, MiB or GiB with three significant digits or fewer.
func formatBytes(n int64) string {
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	v := float64(n)
	units := []string{"B", "KiB", "MiB", "GiB"}
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	switch {
	case i == 0:
		return fmt.Sprintf("%s%d B", sign, n)
	case v < 10:
		return fmt.Sprintf("%s%.2f %s", sign, v, units[i])
	case v < 100:
		return fmt.Sprintf("%s%.1f %s", sign, v, units[i])
	}
	return fmt.Sprintf("%s%.0f %s", sign, v, units[i])
}
