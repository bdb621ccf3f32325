package proptest

import (
	"fmt"
	"slices"
	"strings"
)

// NotApplicable returns the properties that do not apply to the library a history ran
// (History.Against): for redsync, which hands out no fencing token, those of the tokens and of
// the fence. The store then admits every read and write in arrival order; lost updates,
// linearizability (as a plain register), exclusion, extend continuity, liveness, keys left
// behind and latency are checked on it as on ours.
func NotApplicable(against string) []Property {
	if against == "" {
		return nil
	}
	return []Property{PropTokenUnique, PropTokenOrder, PropFenceOrder, PropWake}
}

// fenced reports whether the history's lock hands out fencing tokens, which its store enforces.
func (h *History) fenced() bool { return h.Against == "" }

// PeerReport is what the peer library did on the same scenarios as ours (CampaignConfig.Against),
// each on a fresh cluster with the same plan. It is held to the properties and the timing model
// ours is held to: an overlap after data loss on a minority counts as a violation, although
// Redlock as published asks for persistence or delayed restarts instead. Its violations are
// findings about the peer: they never fail a campaign.
type PeerReport struct {
	Library       string
	Scenarios     int    // scenarios run and checked
	NotRun        int    // scenarios the peer could not run to their end (see runPeer)
	Skipped       int    // scenarios it has no equivalent for (peerRuns): scripts, semaphore, election
	NotRunExample string // the first of them, with its error
	Operations    int
	Violations    map[Property]int    // histories that breached the property where it is claimed
	Expected      map[Property]int    // histories that breached it outside the timing model
	NotApplicable []Property          // not checked: the library has no fencing token
	Examples      map[Property]string // the first violation of each property, with its scenario
	Left          KeysLeft
}

func newPeerReport(against string) *PeerReport {
	return &PeerReport{Library: against, Violations: map[Property]int{}, Expected: map[Property]int{},
		NotApplicable: NotApplicable(against), Examples: map[Property]string{}, Left: newKeysLeft()}
}

// add counts one checked history of the peer.
func (p *PeerReport) add(h *History, res Result) {
	p.Scenarios++
	for _, o := range h.Ops {
		if o.Kind != OpFault {
			p.Operations++
		}
	}
	countViolations(res, p.Violations, p.Expected)
	for _, v := range res.Violations {
		if _, seen := p.Examples[v.Property]; !seen && !v.Expected {
			p.Examples[v.Property] = fmt.Sprintf("seed %d (%s): %s", h.Scenario.Seed, h.Scenario.Family, v.Detail)
		}
	}
	p.Left.add(h)
}

// notRun counts a scenario the peer could not run to its end.
func (p *PeerReport) notRun(s Scenario, err error) {
	p.NotRun++
	if p.NotRunExample == "" {
		p.NotRunExample = fmt.Sprintf("seed %d (%s): %v", s.Seed, s.Family, err)
	}
}

// applies reports whether property p is checked on the peer.
func (p *PeerReport) applies(prop Property) bool { return !slices.Contains(p.NotApplicable, prop) }

// countViolations counts, per property, whether res breached it where it is claimed
// (violations) and outside the timing model (expected): at most once per history each.
func countViolations(res Result, violations, expected map[Property]int) {
	type key struct {
		p        Property
		expected bool
	}
	counted := map[key]bool{}
	for _, v := range res.Violations {
		if counted[key{v.Property, v.Expected}] {
			continue
		}
		counted[key{v.Property, v.Expected}] = true
		if v.Expected {
			expected[v.Property]++
		} else {
			violations[v.Property]++
		}
	}
}

// KeysLeft counts the lock keys that runs left on the nodes after every client had closed.
type KeysLeft struct {
	Keys      int               // keys, summed over nodes and scenarios
	Scenarios int               // scenarios that left at least one
	ByFamily  map[string]int    // those scenarios, by family
	ByFault   map[FaultKind]int // those scenarios, by each kind of fault they injected
}

func newKeysLeft() KeysLeft {
	return KeysLeft{ByFamily: map[string]int{}, ByFault: map[FaultKind]int{}}
}

func (k *KeysLeft) add(h *History) {
	n := 0
	for _, keys := range h.LeftKeys {
		n += len(keys)
	}
	if n == 0 {
		return
	}
	k.Keys += n
	k.Scenarios++
	k.ByFamily[h.Scenario.Family]++
	for _, kind := range AllFaultKinds {
		if slices.ContainsFunc(h.Scenario.Faults, func(f Fault) bool { return f.Kind == kind }) {
			k.ByFault[kind]++
		}
	}
}

// String says how many keys were left, and where.
func (k KeysLeft) String() string {
	if k.Keys == 0 {
		return "none"
	}
	s := fmt.Sprintf("%d in %d scenarios; by family:", k.Keys, k.Scenarios)
	for _, f := range families {
		if n := k.ByFamily[f.name]; n > 0 {
			s += fmt.Sprintf(" %s %d", f.name, n)
		}
	}
	s += "; with faults:"
	for _, kind := range AllFaultKinds {
		if n := k.ByFault[kind]; n > 0 {
			s += fmt.Sprintf(" %s %d", kind, n)
		}
	}
	return s
}

// runPeer runs s against the peer library on a fresh cluster, checks it, and counts it in the
// report's Peer. Campaigns with a mutant and shrink runs do not run the peer. A peer run that
// could not run to its end (its warm-up lock was never granted: redsync on a loaded machine can
// time out every attempt, as go-redis closes a connection whose read timed out and must dial
// again within the next node timeout) is counted as not run, with the first error; our run of
// the same scenario already stopped the campaign if the servers did not start.
func (c *campaign) runPeer(s Scenario) {
	if c.cfg.Against == "" || c.cfg.Mutant != "" || s.Shrunk > 0 {
		return
	}
	if err := peerRuns(s); err != nil {
		c.mu.Lock()
		c.rep.Peer.Skipped++
		c.mu.Unlock()
		return
	}
	h, err := Run(c.ctx, s, RunConfig{Against: c.cfg.Against, RealRedis: c.cfg.RealRedis, URLs: c.cfg.URLs})
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx.Err() != nil {
		return // cut short: not counted
	}
	if err != nil {
		c.rep.Peer.notRun(s, err)
		return
	}
	c.rep.Peer.add(h, Check(h))
}

// writeProperties writes the violations by property: ours, and the peer's beside them.
func (r Report) writeProperties(b *strings.Builder) {
	if r.Peer == nil {
		fmt.Fprintf(b, "%-20s %10s %10s\n", "property", "violations", "expected")
		for _, p := range AllProperties {
			fmt.Fprintf(b, "%-20s %10d %10d\n", p, r.Violations[p], r.Expected[p])
		}
		return
	}
	peer := r.Peer
	fmt.Fprintf(b, "%-20s %21s   %21s\n", "", "ours", peer.Library)
	fmt.Fprintf(b, "%-20s %10s %10s   %10s %10s\n", "property", "violations", "expected", "violations", "expected")
	for _, p := range AllProperties {
		theirs := fmt.Sprintf("%10d %10d", peer.Violations[p], peer.Expected[p])
		if !peer.applies(p) {
			theirs = fmt.Sprintf("%10s %10s", "n/a", "n/a")
		}
		fmt.Fprintf(b, "%-20s %10d %10d   %s\n", p, r.Violations[p], r.Expected[p], theirs)
	}
}

// exampleWidth bounds the detail of a violation printed as an example.
const exampleWidth = 300

// writeKeysLeft writes the keys left behind, ours and the peer's, and the peer's first
// violation of each property.
func (r Report) writeKeysLeft(b *strings.Builder) {
	fmt.Fprintf(b, "keys left behind: ours %v\n", r.Left)
	peer := r.Peer
	if peer == nil {
		return
	}
	fmt.Fprintf(b, "keys left behind: %s %v\n", peer.Library, peer.Left)
	fmt.Fprintf(b, "%s ran the same %d scenarios (%d operations)", peer.Library, peer.Scenarios, peer.Operations)
	if peer.NotRun > 0 {
		fmt.Fprintf(b, "; %d more could not run: %s", peer.NotRun, firstLine(peer.NotRunExample))
	}
	if peer.Skipped > 0 {
		fmt.Fprintf(b, "; %d it has no equivalent for (scripted, semaphore, election) were not given to it", peer.Skipped)
	}
	if len(peer.Examples) > 0 {
		fmt.Fprintf(b, "; the first violation of each property:")
	}
	fmt.Fprintln(b)
	for _, p := range AllProperties {
		if ex, ok := peer.Examples[p]; ok {
			if len(ex) > exampleWidth {
				ex = ex[:exampleWidth] + "..."
			}
			fmt.Fprintf(b, "  %s: %s\n", p, ex)
		}
	}
}

// firstLine returns s up to its first newline.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
