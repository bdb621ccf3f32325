package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
)

// writeHealNodes prints one row per node as heal read it, then why the unreachable ones are.
func writeHealNodes(w io.Writer, nodes []quorum.HealNode) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tNODE\tSTATE\tQUARANTINE LEFT\tHIGHEST TOKEN")
	for i, nd := range nodes {
		q, top := "-", "-"
		if nd.State != stateOK && nd.State != stateUnreachable {
			q = nd.Quarantine.Round(time.Millisecond).String()
		}
		if nd.State != stateUnreachable {
			top = nd.Max.String()
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", i+1, nd.Node, nd.State, q, top)
	}
	_ = tw.Flush()
	for i, nd := range nodes {
		if nd.Err != nil {
			fmt.Fprintf(w, "  #%d %s: %v\n", i+1, nd.Node, nd.Err)
		}
	}
}

// writePlan says what heal will do, and why, in plain words.
func writePlan(w io.Writer, plan quorum.HealReport, c census, skew time.Duration) {
	fmt.Fprintf(w, "\naction: %s\n", plan.Action)
	fmt.Fprintf(w, "reason: %s\n", plan.Reason)
	switch plan.Action {
	case quorum.HealNewDeployment:
		fmt.Fprintf(w, "plan:   put the %d new node(s) into service now, without a quarantine; tokens go on from the nodes' clocks.\n", c.amnesic())
	case quorum.HealRecovery:
		wait := recoveryWait(plan.Nodes, skew)
		fmt.Fprintf(w, "plan:   wait %v (the amnesic nodes' quarantine, and twice the clock skew of %v), then give the\n", wait, skew)
		fmt.Fprintf(w, "        %d amnesic node(s) a floor above every token that can have been granted: the latest node\n", c.amnesic())
		fmt.Fprintln(w, "        clock plus a day plus the clock skew. Tokens then run about a day ahead of the clocks.")
		fmt.Fprintln(w, "        No node is healed before the wait is over: interrupt heal during the wait to cancel.")
		if c.looksNew() {
			fmt.Fprintf(w, "hint:   %s.\n", wrap(newHint(wait), 92, "        "))
		}
		if c.unreachable > 0 && c.ok+c.unreachable >= c.majority() {
			fmt.Fprintf(w, "note:   %d node(s) did not answer: if they come back healthy, the lock heals the others by itself,\n", c.unreachable)
			fmt.Fprintln(w, "        without a recovery. A recovery is needed only if they are lost.")
		}
	}
}

// writeResult says which nodes were healed, with which floor, and which were left alone;
// interrupted says that the heal was interrupted (its context ended).
func writeResult(w io.Writer, rep quorum.HealReport, interrupted bool) {
	var healed, failed, alone []string
	for _, nd := range rep.Nodes {
		switch {
		case nd.Healed:
			healed = append(healed, nd.Node)
		case nd.State == stateUnreachable:
			alone = append(alone, nd.Node)
		case nd.State != stateOK:
			failed = append(failed, nd.Node)
		}
	}
	fmt.Fprintln(w, "\nresult:")
	if len(healed) > 0 {
		fmt.Fprintf(w, "  healed: %s\n", strings.Join(healed, ", "))
	}
	if rep.Action == quorum.HealRecovery && len(healed) > 0 {
		fmt.Fprintf(w, "  floor:  %d: every later token is above it (after a wait of %v)\n", rep.Floor, rep.Wait.Round(time.Millisecond))
	}
	switch {
	case interrupted && len(healed) == 0:
		fmt.Fprintln(w, "  interrupted: no node was healed; run heal again when you are ready")
	case len(failed) > 0:
		fmt.Fprintf(w, "  NOT healed: %s (see the error below; run heal again)\n", strings.Join(failed, ", "))
	}
	if len(alone) > 0 {
		fmt.Fprintf(w, "  left alone (unreachable): %s: once they answer, the lock heals them by itself after their quarantine\n", strings.Join(alone, ", "))
	}
	if len(failed) == 0 && len(healed) > 0 {
		fmt.Fprintln(w, "  the deployment can grant now.")
	}
}

// progress prints heal's progress lines, stamped with the time, from Heal's callback and from a
// countdown of its own.
type progress struct {
	mu sync.Mutex
	w  io.Writer
}

func newProgress(w io.Writer) *progress {
	fmt.Fprintln(w, "\nprogress:")
	return &progress{w: w}
}

// say prints one line of progress.
func (p *progress) say(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "  %s  %s\n", time.Now().Format("15:04:05"), msg)
}

// countdownEvery is how often a long wait says how much of it is left.
const countdownEvery = 30 * time.Second

// countdown says every countdownEvery how much of wait is left, until the returned function is
// called, which stops it and waits for it.
func (p *progress) countdown(wait time.Duration) (stop func()) {
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		end := time.Now().Add(wait)
		tick := time.NewTicker(countdownEvery)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if left := time.Until(end); left > 0 {
					p.say(fmt.Sprintf("still waiting: about %v left; no node healed yet", left.Round(time.Second)))
				}
			}
		}
	}()
	return func() { close(done); <-stopped }
}
