package quorum

import (
	"context"
	"fmt"
	"time"
)

// Severity ranks a Finding.
type Severity int

// Severities of findings.
const (
	// Info is worth knowing and breaks nothing.
	Info Severity = iota
	// Warning costs availability or weakens an assumption, but no guarantee is broken.
	Warning
	// Danger breaks a guarantee: fix it before relying on the lock.
	Danger
)

func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warning:
		return "warning"
	case Danger:
		return "danger"
	}
	return "none"
}

// Finding is one thing Inspect noticed about a node.
type Finding struct {
	Severity Severity
	Message  string
}

// NodeReport is what Inspect found about one node.
type NodeReport struct {
	Node     string
	Info     NodeInfo
	RTT      time.Duration // round trip of the inspection, on the monotonic clock
	Offset   time.Duration // node clock minus local clock, ± RTT/2
	Err      error         // non-nil if the node could not be inspected
	Findings []Finding
}

// Inspect asks every node about itself and returns one report per node, in the order of the
// nodes, with findings about settings that endanger safety or availability: persistence that
// can restore older counters (RDB snapshots, appendfsync other than always, replicas), an
// eviction policy that can drop lock keys, tombstones or counters, two URLs that reach the same
// server, a node in quarantine, a clock far from the local one.
func (l *Locker) Inspect(ctx context.Context) ([]NodeReport, error) {
	if err := l.enter(); err != nil {
		return nil, err
	}
	defer l.tasks.Done()
	reports := make([]NodeReport, len(l.nodes))
	results := broadcast[NodeInfo](l, ctx, l.opts.NodeTimeout, funcCall[NodeInfo]{name: "inspect",
		f: func(ctx context.Context, _ int, n Node) (NodeInfo, error) { return n.Inspect(ctx, l.opts.KeyPrefix) }}).out
	now := l.opts.Clock.Now()
	for range l.nodes {
		r := <-results
		rep := &reports[r.node]
		rep.Node, rep.Info, rep.RTT, rep.Err = l.nodes[r.node].Name(), r.reply, r.elapsed, r.err
		if r.err == nil {
			rep.Offset = r.reply.Time.Sub(now.Add(r.elapsed / 2)).Round(time.Microsecond)
		}
	}
	addFindings(reports, l.opts)
	return reports, nil
}

// addFindings judges each report, and the reports together (shared run_id).
func addFindings(reports []NodeReport, opts Options) {
	seen := make(map[string]string)
	for i := range reports {
		r := &reports[i]
		add := func(s Severity, format string, args ...any) {
			r.Findings = append(r.Findings, Finding{Severity: s, Message: fmt.Sprintf(format, args...)})
		}
		if r.Err != nil {
			add(Warning, "unreachable: %v", r.Err)
			continue
		}
		if other, dup := seen[r.Info.RunID]; dup && r.Info.RunID != "" {
			add(Danger, "same server as %s (run_id %s): the nodes are not independent", other, r.Info.RunID)
		}
		seen[r.Info.RunID] = r.Node
		judgeNode(r.Info, r.Offset, opts, add)
	}
}

func judgeNode(info NodeInfo, offset time.Duration, opts Options, add func(Severity, string, ...any)) {
	judgePersistence(info, opts, add)
	switch p := info.MaxMemoryPolicy; {
	case p == "":
		add(Info, "maxmemory-policy unknown (CONFIG unavailable)")
	case info.MaxMemory > 0 && p != "noeviction":
		add(Danger, "maxmemory-policy %s with maxmemory %d can evict lock keys, tombstones or fencing counters; use noeviction", p, info.MaxMemory)
	}
	if info.Replicas > 0 {
		add(Danger, "%d replica(s): a failover can lose recent writes while the marker survives, so counters go back undetected", info.Replicas)
	}
	if info.State == "amnesic" {
		add(Warning, "quarantined: the node lost its data (or is new) and refuses grants until healed")
	}
	if limit := time.Duration(float64(opts.TTL) * opts.DriftFactor); offset > limit || -offset > limit {
		add(Info, "clock offset %v exceeds the drift allowance %v; expiry relies on rates, not offsets", offset, limit)
	}
}

// judgePersistence: only appendfsync always, or no persistence at all, keeps the counters
// honest. A restore of older data (an RDB snapshot, an AOF that missed its last second) brings
// back the marker with counters that went backwards, and nothing can detect it.
func judgePersistence(info NodeInfo, opts Options, add func(Severity, string, ...any)) {
	switch {
	case info.AppendOnly && info.AppendFsync == "always":
	case info.AppendOnly && info.AppendFsync != "":
		add(Danger, "appendfsync %s: a crash can lose the last writes while the marker survives, so counters go back undetected; use appendfsync always", info.AppendFsync)
	case info.AppendOnly:
		add(Info, "appendfsync unknown (CONFIG unavailable): only appendfsync always is safe")
	case info.Save == "?":
		add(Warning, "appendonly no and the RDB schedule is unknown (CONFIG unavailable): a restart from a snapshot would make counters go back undetected")
	case info.Save != "":
		add(Danger, "appendonly no with RDB snapshots (save %q): a restart reloads an older snapshot, marker included, so counters go back undetected", info.Save)
	default:
		add(Warning, "persistence off: a restart loses everything; the node is then quarantined for %v and healed", opts.Quarantine)
	}
}
