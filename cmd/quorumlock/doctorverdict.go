package main

import (
	"fmt"
	"slices"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
)

// assessment is what the reports of one inspection add up to.
type assessment struct {
	n, need     int  // nodes, and the majority a grant needs
	answered    int  // nodes that could be inspected
	canGrant    int  // answered and not quarantined
	servers     int  // distinct servers among the nodes that can grant (by run_id)
	tolerate    int  // further server failures after which a majority can still grant
	fresh       bool // every node answered and none has granted yet: the next attempt bootstraps them
	dangers     int
	warnings    int
	independent bool // no two nodes share a run_id
}

// assess counts the reports. Two URLs of one server fail together, so the failures tolerated
// are counted in servers, the largest groups first. When every node answered and none is "ok",
// the deployment is new (or lost everything at once): the next attempt bootstraps every node,
// so quarantined nodes count as able to grant.
func assess(reports []quorum.NodeReport) assessment {
	a := assessment{n: len(reports), need: len(reports)/2 + 1, independent: true, fresh: true}
	for _, r := range reports {
		a.fresh = a.fresh && r.Err == nil && r.Info.State != "ok"
	}
	groups := make(map[string]int) // run_id (or the node, if unknown) → nodes that can grant
	for _, r := range reports {
		a.count(r.Findings)
		if r.Err != nil {
			continue
		}
		a.answered++
		if r.Info.State == "amnesic" && !a.fresh {
			continue
		}
		a.canGrant++
		id := r.Info.RunID
		if id == "" {
			id = "node " + r.Node
		}
		if groups[id] > 0 {
			a.independent = false
		}
		groups[id]++
	}
	sizes := make([]int, 0, len(groups))
	for _, size := range groups {
		sizes = append(sizes, size)
	}
	slices.Sort(sizes)
	slices.Reverse(sizes)
	a.servers = len(sizes)
	left := a.canGrant
	for _, size := range sizes {
		if left-size < a.need {
			break
		}
		left -= size
		a.tolerate++
	}
	return a
}

// count adds up the findings by severity.
func (a *assessment) count(findings []quorum.Finding) {
	for _, f := range findings {
		switch f.Severity {
		case quorum.Danger:
			a.dangers++
		case quorum.Warning:
			a.warnings++
		}
	}
}

// exitCode is doctor's exit code: danger first, then a majority that cannot grant.
func (a assessment) exitCode() int {
	switch {
	case a.dangers > 0:
		return exitDanger
	case a.canGrant < a.need:
		return exitUnavailable
	}
	return exitOK
}

// verdict says in plain words what the deployment does and does not guarantee.
func (a assessment) verdict(opts quorum.Options) []string {
	lines := []string{"verdict:", fmt.Sprintf("  Nodes: %d; a grant needs a majority, %d of them.", a.n, a.need)}
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf("  "+format, args...)) }
	if !a.independent {
		add("Independence: BROKEN: some URLs reach the same server, which then counts more than once.")
	}
	if a.answered < a.n {
		add("Unknown: %d node(s) did not answer; what follows covers only the %d that did.", a.n-a.answered, a.answered)
	}
	if a.canGrant < a.need {
		add("Availability: NONE now: only %d node(s) can grant (quarantined or unreachable nodes cannot).", a.canGrant)
	} else {
		add("Availability: %d node(s) on %d server(s) can grant now; the lock stays available if %d more server(s) fail.",
			a.canGrant, a.servers, a.tolerate)
	}
	if a.dangers > 0 {
		add("Fencing tokens: NOT guaranteed (%d danger finding(s) above): a node can come back with older", a.dangers)
		add("  counters, lose lock keys and counters to eviction, or count twice, so a grant can get a")
		add("  token that is not greater than an earlier one's.")
		add("Mutual exclusion: NOT guaranteed, for the same reasons: two clients can hold the lock at once.")
	} else {
		add("Fencing tokens: every grant's token is greater than every earlier grant's, while at most %d", a.n-a.need)
		add("  node(s) lose their data at once (such a node is quarantined for %v, then healed).", opts.Quarantine)
		add("Mutual exclusion: holds while clock rates drift apart by less than %v of the TTL (%v of %v)",
			opts.DriftFactor, time.Duration(float64(opts.TTL)*opts.DriftFactor), opts.TTL)
		add("  and no holder pauses past its lease.")
	}
	if a.warnings > 0 && a.dangers == 0 {
		add("Warnings: %d; they cost availability or weaken an assumption but break no guarantee.", a.warnings)
	}
	if a.fresh {
		add("New deployment (or every node lost its data at once): no node has granted yet. The first")
		add("  attempt bootstraps them, which needs every node to answer.")
	}
	add("Never guaranteed by the lock: a holder that pauses past its lease (GC, swap, network) keeps")
	add("  writing. Only the store can stop it: pass QUORUMLOCK_TOKEN and refuse older tokens.")
	return lines
}
