package quorum

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
)

// DefaultClockSkew is the default of HealOptions.ClockSkew.
const DefaultClockSkew = time.Minute

// tokenHorizon is how far ahead of its clock a node accepts a proposal (acquire.lua): no token
// was ever granted above a node's clock plus a day.
const tokenHorizon = 24 * time.Hour

// ErrHealRefused is returned by Heal when it will not act: a regular heal applies, the nodes
// do not look like a new deployment, or there is nothing to heal. The error says why.
var ErrHealRefused = errors.New("quorum: heal refused")

// HealOptions says how Heal brings a deployment into service.
type HealOptions struct {
	// NewDeployment declares that these servers have never served this lock (a brand-new
	// deployment): every amnesic node is brought into service at once, without a quarantine,
	// and tokens go on from the nodes' clocks. Heal refuses it if any node shows that it served
	// (a healthy marker, or a restart seen by its marker); nothing else on a node tells a new one
	// from one that lost its data, so this is the operator's word. Default false: a recovery.
	NewDeployment bool
	// DryRun reads the nodes and returns the plan (with the floor and wait of a recovery)
	// without healing any. The read is a call like any other: a node without a marker gets one,
	// and starts its quarantine.
	DryRun bool
	// ClockSkew bounds how far apart the nodes' clocks are; a recovery's floor lies that far
	// beyond the latest node clock plus the day a node lets tokens run ahead, and a recovery
	// waits at least twice that long (until every node's clock is past the floor minus a day,
	// so that a proposal above the floor is not refused as too far ahead). Default
	// DefaultClockSkew (a minute).
	ClockSkew time.Duration
	// Progress, if not nil, is told in words what Heal is doing while it waits and acts.
	Progress func(string)
	// Force recovers even when the nodes in service and the unreachable ones together make a
	// majority. Without it Heal refuses then: if the unreachable nodes come back in service,
	// the lock heals the rest by itself, without the recovery's jump of the tokens; use Force
	// when they are gone for good.
	Force bool
}

// HealAction is what Heal does.
type HealAction int

// The actions of Heal.
const (
	HealNothing       HealAction = iota // no node is amnesic
	HealRefused                         // Heal will not act (Reason says why)
	HealRecovery                        // amnesic nodes are healed, after their quarantine, to a floor above every token
	HealNewDeployment                   // new nodes are put into service at once
)

func (a HealAction) String() string {
	return [...]string{"nothing to do", "refused", "recovery", "new deployment"}[a]
}

// HealNode is one node as Heal found it.
type HealNode struct {
	Node       string
	State      string        // "ok", "new" (no lock state), "restarted", or "unreachable"
	Quarantine time.Duration // left of an amnesic node's quarantine when read
	Max        fencing.Token // the highest token the node granted or was healed to
	Err        error         // why it is unreachable
	Healed     bool          // Heal put it into service
}

// HealReport is what Heal found and what it did or would do.
type HealReport struct {
	Nodes  []HealNode
	Action HealAction
	Reason string        // in words: why this action
	Floor  fencing.Token // the floor given to the nodes healed
	Wait   time.Duration // how long the quarantine (and clock skew) made it wait
}

// Heal is the operator's step for a deployment that cannot heal by itself: a new deployment,
// or more nodes amnesic (new, restarted or wiped) than a majority can spare, so that every
// acquire fails with ErrNeedsHeal. It reads every node, says what it found (HealReport), and:
//
//   - refuses (ErrHealRefused) when a majority of the nodes is healthy: the next acquire heals
//     the amnesic ones, with a floor read from that majority, once their quarantine is over;
//   - with NewDeployment, puts every amnesic node into service at once (refused if any node
//     shows that it served);
//   - otherwise recovers: it waits until every amnesic node's quarantine (at least the longest
//     TTL) has passed, so that no lease the lost data backed can still be valid, and gives them
//     a floor above every token that can ever have been granted: the latest node clock plus the
//     day a node lets tokens run ahead, plus ClockSkew. Later tokens are larger than every token
//     before, whatever was lost; they run about a day ahead of the clocks for a day.
//
// Nodes that do not answer are left alone; an amnesic one among them is healed by the lock
// once a majority is healthy. Heal returns when it is done or ctx ends.
func (l *Locker) Heal(ctx context.Context, opts HealOptions) (HealReport, error) {
	if err := l.enter(); err != nil {
		return HealReport{}, err
	}
	defer l.tasks.Done()
	if opts.ClockSkew <= 0 {
		opts.ClockSkew = DefaultClockSkew
	}
	if opts.Progress == nil {
		opts.Progress = func(string) {}
	}
	states, rep := l.readStates(ctx)
	if rep.answered() == 0 {
		return rep, fmt.Errorf("%w: heal: no node answered", ErrUnavailable)
	}
	rep.plan(len(l.nodes), opts)
	if rep.Action == HealRefused || rep.Action == HealNothing {
		return rep, fmt.Errorf("%w: %s", ErrHealRefused, rep.Reason)
	}
	if rep.Action == HealRecovery {
		rep.Floor = recoveryFloor(states, opts.ClockSkew)
		rep.Wait = max(maxQuarantineLeft(rep.Nodes), 2*opts.ClockSkew)
	}
	if opts.DryRun {
		return rep, nil
	}
	if rep.Action == HealRecovery {
		opts.Progress(fmt.Sprintf("waiting %v: the quarantine of the amnesic nodes, and twice the clock skew", rep.Wait.Round(time.Millisecond)))
		if err := l.pause(ctx, rep.Wait, nil); err != nil {
			return rep, fmt.Errorf("quorum: heal: %w", err)
		}
	}
	return rep, l.healAll(ctx, &rep, states, opts)
}

// readStates reads every node's marker in one round (replies after NodeTimeout do not count).
func (l *Locker) readStates(ctx context.Context) ([]result[nodeState], HealReport) {
	rd := broadcast[nodeState](l, ctx, max(l.opts.NodeTimeout, time.Second), &stateCall{meta: l.opts.KeyPrefix + "node", q: l.opts.Quarantine})
	states := make([]result[nodeState], len(l.nodes))
	for range l.nodes {
		r := <-rd.out
		states[r.node] = r
	}
	rep := HealReport{Nodes: make([]HealNode, len(l.nodes))}
	for i, r := range states {
		rep.Nodes[i] = healNode(l.nodes[i].name, r)
	}
	return states, rep
}

// healNode describes one node's state as read.
func healNode(name string, r result[nodeState]) HealNode {
	n := HealNode{Node: name, Max: r.reply.nodeMax, Err: r.err}
	switch {
	case r.err != nil:
		n.State = "unreachable"
	case r.reply.ok:
		n.State = "ok"
	case r.reply.marker.lost == lossRestart:
		n.State = "restarted"
	default:
		n.State = "new"
	}
	if m := r.reply.marker; r.err == nil && !r.reply.ok {
		n.Quarantine = max(m.quarantine-m.age, 0)
	}
	return n
}

// plan decides the action from what was read.
func (rep *HealReport) plan(n int, opts HealOptions) {
	count := map[string]int{}
	for _, nd := range rep.Nodes {
		count[nd.State]++
	}
	amnesic := count["new"] + count["restarted"]
	served := count["ok"] > 0 || count["restarted"] > 0 || rep.maxToken() > 0
	switch {
	case amnesic == 0:
		rep.Action, rep.Reason = HealNothing, "no node is amnesic"
	case count["ok"] >= majority(n):
		rep.Action = HealRefused
		rep.Reason = fmt.Sprintf("%d of %d nodes are healthy, a majority: the lock heals the %d amnesic node(s) by itself, with a floor read from that majority, at the next acquire after their quarantine", count["ok"], n, amnesic)
	case !opts.NewDeployment && !opts.Force && count["ok"]+count["unreachable"] >= majority(n):
		rep.Action = HealRefused
		rep.Reason = fmt.Sprintf("%d node(s) are unreachable and %d in service: if the unreachable ones come back in service, the lock heals the %d amnesic node(s) by itself, without making tokens jump a day ahead; if they are gone for good, force the recovery", count["unreachable"], count["ok"], amnesic)
	case opts.NewDeployment && served:
		rep.Action = HealRefused
		rep.Reason = "not a new deployment: a node has served (a healthy marker, a restart seen by its marker, or tokens granted); run heal without --new-deployment to recover"
	case opts.NewDeployment:
		rep.Action, rep.Reason = HealNewDeployment, fmt.Sprintf("%d new node(s), declared never to have served: put into service at once", amnesic)
	default:
		rep.Action = HealRecovery
		rep.Reason = fmt.Sprintf("%d of %d nodes are amnesic and only %d healthy, fewer than a majority (%d): they are healed after their quarantine, to a floor above every token that can have been granted", amnesic, n, count["ok"], majority(n))
	}
}

// answered counts the nodes that answered the read.
func (rep *HealReport) answered() int {
	n := 0
	for _, nd := range rep.Nodes {
		if nd.Err == nil {
			n++
		}
	}
	return n
}

// maxToken is the highest token any node reported.
func (rep *HealReport) maxToken() fencing.Token {
	var m fencing.Token
	for _, nd := range rep.Nodes {
		m = max(m, nd.Max)
	}
	return m
}

// maxQuarantineLeft is the longest quarantine left among the nodes.
func maxQuarantineLeft(nodes []HealNode) time.Duration {
	var d time.Duration
	for _, nd := range nodes {
		d = max(d, nd.Quarantine)
	}
	return d
}

// recoveryFloor is above every token that can have been granted: a node accepts no proposal
// more than tokenHorizon ahead of its own clock, and the nodes' clocks lie within skew of the
// latest one read. It is never below a token that a node reported.
func recoveryFloor(states []result[nodeState], skew time.Duration) fencing.Token {
	var floor fencing.Token
	var latest time.Time
	for _, r := range states {
		if r.err != nil {
			continue
		}
		floor = max(floor, r.reply.nodeMax)
		if r.reply.now.After(latest) {
			latest = r.reply.now
		}
	}
	return max(floor, fencing.Token(latest.Add(tokenHorizon+skew).UnixMicro()))
}
