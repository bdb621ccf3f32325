package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
)

// assessment is what the reports of one inspection add up to.
type assessment struct {
	census           // the nodes by state (inspectState)
	servers     int  // distinct servers among the nodes in service (by run_id)
	tolerate    int  // further server failures after which a majority can still grant
	dangers     int  // danger findings
	warnings    int  // warning findings
	independent bool // no two nodes share a run_id
}

// inspectState is the state of a node as Inspect saw it, named as Heal names it. A marker
// written under another run_id is a restart the node has not seen yet: it is amnesic from its
// next call on.
func inspectState(r quorum.NodeReport) string {
	switch info := r.Info; {
	case r.Err != nil:
		return stateUnreachable
	case info.State == "ok" && info.MarkerRunID == info.RunID:
		return stateOK
	case info.State == "ok", info.State == "amnesic" && info.Lost == "restart":
		return stateRestarted
	}
	return stateNew // no marker, or amnesic since it found none
}

// assess judges the deployment as a whole (judgeDeployment, which adds findings to reports),
// then counts. Two URLs of one server fail together, so the failures tolerated are counted in
// servers, the largest groups first.
func assess(reports []quorum.NodeReport) assessment {
	a := assessment{independent: true}
	for _, r := range reports {
		a.add(inspectState(r))
	}
	judgeDeployment(reports, a.census)
	seen := make(map[string]bool)  // run_ids of the nodes that answered
	groups := make(map[string]int) // run_id (or the node, if unknown) → nodes in service
	for _, r := range reports {
		a.count(r.Findings)
		id := r.Info.RunID
		if r.Err == nil && id != "" {
			a.independent = a.independent && !seen[id]
			seen[id] = true
		}
		if inspectState(r) != stateOK {
			continue
		}
		if id == "" {
			id = "node " + r.Node
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
	left := a.ok
	for _, size := range sizes {
		if left-size < a.majority() {
			break
		}
		left -= size
		a.tolerate++
	}
	return a
}

// judgeDeployment adds the findings that need the whole deployment in view. A node without
// lock state beside nodes that served lost everything, or was added to a serving deployment.
// When the nodes in service are too few to heal the others, quorum's per-node findings about
// the marker (which promise a heal) are replaced by what is true.
func judgeDeployment(reports []quorum.NodeReport, c census) {
	served := c.ok+c.restarted > 0
	for i := range reports {
		r := &reports[i]
		state := inspectState(*r)
		if state == stateNew && served {
			r.Findings = append(r.Findings, quorum.Finding{Severity: quorum.Danger, Message: "no lock state, beside nodes that " +
				"have served: it lost everything (a restart without persistence, a flush, a new disk), or it is a new node " +
				"added to a serving deployment, which breaks mutual exclusion for clients that still use the old list of nodes"})
		}
		if c.canGrant() || state == stateOK || state == stateUnreachable {
			continue
		}
		r.Findings = slices.DeleteFunc(r.Findings, isMarkerFinding)
		msg := "not in service (" + state + "): the lock heals it by itself only while a majority of the nodes is in service"
		if c.needsHeal() {
			msg = fmt.Sprintf("not in service (%s): too many nodes are amnesic for the lock to heal it: run %s", state, c.healCommand())
		}
		r.Findings = append(r.Findings, quorum.Finding{Severity: quorum.Warning, Message: msg})
	}
}

// isMarkerFinding reports whether f is quorum's finding about a restarted or quarantined node,
// whose generic words doctor replaces with what the deployment as a whole needs.
func isMarkerFinding(f quorum.Finding) bool {
	return strings.HasPrefix(f.Message, "restarted since its marker was written") || strings.HasPrefix(f.Message, "amnesic:")
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

// exitCode is doctor's exit code: nothing can be granted first, then danger.
func (a assessment) exitCode() int {
	switch {
	case !a.canGrant():
		return exitUnavailable
	case a.dangers > 0:
		return exitDanger
	}
	return exitOK
}

// verdict says in plain words what the deployment does and does not guarantee.
func (a assessment) verdict(opts quorum.Options) []string {
	lines := []string{"verdict:", fmt.Sprintf("  Nodes: %d; a grant needs a majority, %d of them.", a.n, a.majority())}
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf("  "+format, args...)) }
	if !a.independent {
		add("Independence: BROKEN: some URLs reach the same server, which then counts more than once.")
	}
	if a.unreachable > 0 {
		add("Unknown: %d node(s) did not answer; what follows covers only the %d that did.", a.unreachable, a.reachable())
	}
	for _, l := range a.availability(opts) {
		add("%s", l)
	}
	if a.dangers > 0 {
		add("Fencing tokens: NOT guaranteed (%d danger finding(s) above): a node can come back with older", a.dangers)
		add("  counters, lose lock keys and counters to eviction, count twice, or be unknown to other")
		add("  clients, so a grant can get a token that is not greater than an earlier one's.")
		add("Mutual exclusion: NOT guaranteed, for the same reasons: two clients can hold the lock at once.")
	} else {
		add("Fencing tokens: every grant's token is greater than every earlier grant's: a node that restarted")
		add("  or lost its data grants nothing until it is healed with a floor above every token it may have")
		add("  granted (by the lock while a majority is in service, else by quorumlock heal).")
		add("Mutual exclusion: holds while clock rates drift apart by less than %v of the TTL (%v of %v)",
			opts.DriftFactor, time.Duration(float64(opts.TTL)*opts.DriftFactor), opts.TTL)
		add("  and no holder pauses past its lease.")
	}
	if a.warnings > 0 && a.dangers == 0 {
		add("Warnings: %d; they cost availability or weaken an assumption but break no guarantee.", a.warnings)
	}
	add("Never guaranteed by the lock: a holder that pauses past its lease (GC, swap, network) keeps")
	add("  writing. Only the store can stop it: pass QUORUMLOCK_TOKEN and refuse older tokens.")
	return lines
}

// availability says whether the nodes can grant now, and if not, what brings them back.
func (a assessment) availability(opts quorum.Options) []string {
	switch {
	case a.reachable() < a.majority():
		return []string{fmt.Sprintf("Availability: NONE: only %d of %d nodes answered. Bring nodes back: nothing, not even", a.reachable(), a.n),
			"  quorumlock heal, can act before a majority answers."}
	case a.canGrant():
		lines := []string{fmt.Sprintf("Availability: %d node(s) on %d server(s) can grant now; the lock stays available if %d more server(s) fail.",
			a.ok, a.servers, a.tolerate)}
		if a.amnesic() > 0 {
			lines = append(lines, fmt.Sprintf("Healing: %d node(s) are new, restarted or wiped, and grant nothing yet; the lock heals each", a.amnesic()),
				fmt.Sprintf("  at the first acquire after its quarantine (%v with these settings), while a majority is in service.", opts.Quarantine))
		}
		return lines
	case a.needsHeal():
		lines := []string{fmt.Sprintf("Availability: NONE: %d of %d nodes are amnesic (new, restarted or wiped), more than a majority", a.amnesic(), a.n),
			"  can spare: the lock cannot heal them by itself. Nothing is granted until an operator runs",
			"  " + a.healCommand()}
		wait := max(opts.Quarantine, 2*quorum.DefaultClockSkew)
		if a.looksNew() {
			return append(lines, "  "+wrap(newHint(wait)+".", 94, "    "))
		}
		return append(lines, fmt.Sprintf("  A recovery waits out the quarantine and twice the clock skew (about %v), then gives them a", wait),
			"  floor above every token that can have been granted: tokens jump a day ahead.")
	}
	return []string{fmt.Sprintf("Availability: NONE now: %d node(s) in service, %d amnesic, %d unreachable. Once enough of the", a.ok, a.amnesic(), a.unreachable),
		"  unreachable ones answer in service, the lock grants again and heals the amnesic ones by itself;",
		"  if they are lost for good, quorumlock heal recovers."}
}
