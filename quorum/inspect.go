package quorum

import (
	"context"
	"fmt"
	"sync"
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

// NodeInfo is what a node says about itself, for Inspect.
type NodeInfo struct {
	RunID           string // Redis run_id: equal for two URLs that reach the same server; new after a restart
	Version         string // redis_version
	Role            string // "master", or "slave" for a replica (which cannot run the lock's scripts)
	AppendOnly      bool   // appendonly yes
	AppendFsync     string // appendfsync: always, everysec or no; empty if unknown
	Save            string // RDB snapshot schedule ("" = none); "?" if unknown
	Replicas        int    // connected replicas
	MaxMemory       int64  // maxmemory in bytes; 0 = unlimited
	MaxMemoryPolicy string // maxmemory-policy
	State           string // marker state under the key prefix: "ok", "amnesic" or "absent"
	MarkerRunID     string // the run_id the marker was last checked under; differs from RunID after a restart
	Lost            string // for an amnesic node: "new" (no marker was found) or "restart"
	Healed          string // how the node was last put into service: "heal", "operator", "new-deployment"
	Time            time.Time
}

// Inspect asks every node about itself and returns one report per node, in the order of the
// nodes, with findings about what endangers safety or availability: an eviction policy that can
// drop lock keys, two URLs that reach the same server, a replica, a server whose restarts
// cannot be detected, a node that restarted or is quarantined, a clock far from the local one.
// It never writes to the nodes.
func (l *Locker) Inspect(ctx context.Context) ([]NodeReport, error) {
	if err := l.enter(); err != nil {
		return nil, err
	}
	defer l.tasks.Done()
	return inspectNodes(ctx, l.nodes, l.opts), nil
}

// Inspect is Locker.Inspect for the servers at urls, without Dial's checks (a majority must
// answer, no two URLs may reach one server): for a deployment that Dial would refuse.
func Inspect(ctx context.Context, urls []string, opts Options) ([]NodeReport, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	nodes, err := newNodes(urls, opts)
	if err != nil {
		return nil, err
	}
	defer closeNodes(nodes)
	return inspectNodes(ctx, nodes, opts), nil
}

// inspectNodes inspects every node in parallel, each within max(4 × NodeTimeout, 1 s).
func inspectNodes(ctx context.Context, nodes []*redisNode, opts Options) []NodeReport {
	reports := make([]NodeReport, len(nodes))
	timeout := max(4*opts.NodeTimeout, time.Second)
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() {
			nctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			start := opts.Clock.Now()
			info, err := n.inspect(nctx, opts.KeyPrefix)
			rtt := opts.Clock.Since(start)
			rep := &reports[i]
			rep.Node, rep.Info, rep.RTT = n.name, info, rtt
			if err != nil {
				rep.Err = &NodeError{Node: n.name, Op: "inspect", Err: err}
				return
			}
			rep.Offset = info.Time.Sub(start.Add(rtt / 2)).Round(time.Microsecond)
		})
	}
	wg.Wait()
	addFindings(reports, opts)
	return reports
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
	judgeMarker(info, opts, add)
	switch p := info.MaxMemoryPolicy; {
	case p == "":
		add(Info, "maxmemory-policy unknown (CONFIG unavailable)")
	case info.MaxMemory > 0 && p != "noeviction":
		add(Danger, "maxmemory-policy %s with maxmemory %d can evict lock keys, so a second holder could be granted; use noeviction", p, info.MaxMemory)
	}
	if info.Role != "" && info.Role != "master" {
		add(Warning, "role %s: a replica cannot run the lock's scripts; point the URL at a primary", info.Role)
	}
	if info.Replicas > 0 {
		add(Info, "%d replica(s): a failover to one is seen as a restart (new run_id), and the node is quarantined and healed", info.Replicas)
	}
	if limit := time.Duration(float64(opts.TTL) * opts.DriftFactor); offset > limit || -offset > limit {
		add(Info, "clock offset %v exceeds the drift allowance %v; expiry relies on rates, not offsets", offset, limit)
	}
}

// judgeMarker: a node whose restarts cannot be seen, or that restarted or is quarantined now.
func judgeMarker(info NodeInfo, opts Options, add func(Severity, string, ...any)) {
	switch {
	case info.RunID == "":
		add(Danger, "run_id unknown (INFO server unavailable): a restart that reloads older data cannot be detected")
	case info.State == "ok" && info.MarkerRunID != info.RunID:
		add(Warning, "restarted since its marker was written (run_id %s, marker %s): amnesic from its next call, for a quarantine of %v at least", info.RunID, info.MarkerRunID, opts.Quarantine)
	case info.State == "amnesic" && info.Lost == "restart":
		add(Warning, "amnesic: the server restarted (it may have reloaded older data); it grants again once healed")
	case info.State == "amnesic":
		add(Warning, "amnesic: no lock state (new, or it lost its data); it grants again once healed")
	}
}

// judgePersistence: a restart, whatever it reloads, is seen by the marker (a new run_id), and
// costs the node a quarantine; without persistence it also loses the lock keys and counters.
func judgePersistence(info NodeInfo, opts Options, add func(Severity, string, ...any)) {
	if !info.AppendOnly && info.Save == "" {
		add(Info, "persistence off: a restart loses the node's lock state (any restart costs a quarantine of %v)", opts.Quarantine)
	}
}
