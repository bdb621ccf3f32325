package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
)

// The states of a node, as quorum.HealNode names them; doctor derives the same from Inspect.
const (
	stateOK          = "ok"          // in service
	stateNew         = "new"         // no lock state: never served, or lost everything
	stateRestarted   = "restarted"   // its server restarted since its marker was written
	stateUnreachable = "unreachable" // did not answer
)

// census counts the nodes of a deployment by state: what run, doctor and heal tell the operator
// to do follows from it.
type census struct {
	n, ok, fresh, restarted, unreachable int
	tokens                               bool // a reachable node reported a token
}

// add counts one node.
func (c *census) add(state string) {
	c.n++
	switch state {
	case stateOK:
		c.ok++
	case stateNew:
		c.fresh++
	case stateRestarted:
		c.restarted++
	default:
		c.unreachable++
	}
}

// healCensus counts the nodes as Heal read them.
func healCensus(nodes []quorum.HealNode) census {
	var c census
	for _, nd := range nodes {
		c.add(nd.State)
		c.tokens = c.tokens || nd.Max > 0
	}
	return c
}

func (c census) majority() int  { return c.n/2 + 1 }
func (c census) amnesic() int   { return c.fresh + c.restarted }
func (c census) reachable() int { return c.n - c.unreachable }

// canGrant: a majority of the nodes is in service.
func (c census) canGrant() bool { return c.ok >= c.majority() }

// needsHeal: more nodes are amnesic than a majority can spare, so the lock cannot heal them by
// itself (acquires fail with quorum.ErrNeedsHeal) and only quorumlock heal brings it back.
func (c census) needsHeal() bool { return c.amnesic() > c.n-c.majority() }

// looksNew: every reachable node has no lock state and no tokens, as the nodes of a new
// deployment have (or nodes that lost everything: nothing on a node tells them apart).
func (c census) looksNew() bool {
	return c.reachable() > 0 && c.fresh == c.reachable() && !c.tokens
}

// healCommand is the command that brings the deployment back into service.
func (c census) healCommand() string {
	if c.looksNew() {
		return "quorumlock heal --new-deployment"
	}
	return "quorumlock heal"
}

// newHint tells the operator of nodes that look new what each kind of heal does; wait is how
// long a recovery would wait.
func newHint(wait time.Duration) string {
	return fmt.Sprintf("every reachable node has no lock state and no tokens: if these servers have never served this lock, "+
		"`quorumlock heal --new-deployment` brings them in at once; otherwise a recovery (`quorumlock heal`) waits %v "+
		"and makes tokens jump a day ahead", wait)
}

// recoveryWait is how long a recovery waits: the longest quarantine left, and at least twice
// the clock skew (quorum.Locker.Heal).
func recoveryWait(nodes []quorum.HealNode, skew time.Duration) time.Duration {
	wait := 2 * skew
	for _, nd := range nodes {
		wait = max(wait, nd.Quarantine)
	}
	return wait
}

// wrap breaks text into lines of at most width bytes where it can, and starts every line but
// the first with indent.
func wrap(text string, width int, indent string) string {
	var b strings.Builder
	line := 0
	for i, word := range strings.Fields(text) {
		if i > 0 && line+1+len(word) > width {
			b.WriteString("\n" + indent)
			line = 0
		} else if i > 0 {
			b.WriteByte(' ')
			line++
		}
		b.WriteString(word)
		line += len(word)
	}
	return b.String()
}
