package proptest

import (
	"slices"
	"sync"
	"time"

	"github.com/quorumlock/quorumlock/internal/faultnet"
)

// nodeCtl holds the faults active on one server and applies them to its fault layer: a stall
// stops the server process (SIGSTOP) where there is one, else holds what clients send; the
// other faults act in the fault layer. Overlapping faults of one kind nest: a node stays stalled
// until the last stall ends.
type nodeCtl struct {
	proc stopper        // the server process, which a stall stops; nil: the fault layer stalls
	fn   *faultnet.Node // the server's fault layer

	mu     sync.Mutex
	stall  int
	fail   int
	lose   int
	delays []time.Duration
	cuts   []clientCut             // partitions in force, to undo on reset
	slow   map[int][]time.Duration // per client: slow links in force
}

// clientCut is one partition of one client from this node.
type clientCut struct {
	client int
	cut    faultnet.Cut
}

// set starts (on) or ends (off) one interval fault on this node.
func (n *nodeCtl) set(f Fault, on bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	step := map[bool]int{true: 1, false: -1}[on]
	switch f.Kind {
	case FaultStall:
		n.stall += step
		if on && n.stall == 1 || !on && n.stall == 0 {
			n.applyStall(on)
		}
	case FaultFail:
		n.fail += step
		n.fn.SetFail(n.fail > 0)
	case FaultLoseReplies:
		n.lose += step
		n.fn.SetLoseReplies(n.lose > 0)
	case FaultDelay:
		if on {
			n.delays = append(n.delays, f.Delay)
		} else if i := slices.Index(n.delays, f.Delay); i >= 0 {
			n.delays = slices.Delete(n.delays, i, i+1)
		}
		n.fn.SetDelay(slices.Max(append([]time.Duration{0}, n.delays...)))
	case FaultPartition:
		n.partition(f, on)
	case FaultSlowLink:
		n.slowLink(f, on)
	}
}

// slowLink delays f's clients' requests to this node (on), or ends that delay.
func (n *nodeCtl) slowLink(f Fault, on bool) {
	if n.slow == nil {
		n.slow = map[int][]time.Duration{}
	}
	for _, c := range f.Clients {
		if on {
			n.slow[c] = append(n.slow[c], f.Delay)
		} else if i := slices.Index(n.slow[c], f.Delay); i >= 0 {
			n.slow[c] = slices.Delete(n.slow[c], i, i+1)
		}
		n.fn.SetClientDelay(c, slices.Max(append([]time.Duration{0}, n.slow[c]...)))
	}
}

// partition cuts f's clients off from this node (on), or ends that cut.
func (n *nodeCtl) partition(f Fault, on bool) {
	cut := map[string]faultnet.Cut{CutBoth: faultnet.CutBoth, CutRequests: faultnet.CutRequests, CutReplies: faultnet.CutReplies}[f.Cut]
	for _, c := range f.Clients {
		cc := clientCut{c, cut}
		if on {
			n.fn.Cut(c, cut)
			n.cuts = append(n.cuts, cc)
		} else if i := slices.Index(n.cuts, cc); i >= 0 {
			n.fn.Uncut(c, cut)
			n.cuts = slices.Delete(n.cuts, i, i+1)
		}
	}
}

// applyStall stalls or resumes the server. Resume waits until the requests the stall held have
// been written: they run even if their callers gave up, as on a SIGSTOPped server that resumes.
func (n *nodeCtl) applyStall(on bool) {
	switch {
	case n.proc != nil && on:
		n.proc.Stop()
	case n.proc != nil:
		n.proc.Cont()
	case on:
		n.fn.Stall()
	default:
		n.fn.Resume()
	}
}

// reset ends every fault.
func (n *nodeCtl) reset() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stall > 0 {
		n.applyStall(false)
	}
	for _, cc := range n.cuts {
		n.fn.Uncut(cc.client, cc.cut)
	}
	for c := range n.slow {
		n.fn.SetClientDelay(c, 0)
	}
	n.stall, n.fail, n.lose, n.delays, n.cuts, n.slow = 0, 0, 0, nil, nil, nil
	n.fn.SetFail(false)
	n.fn.SetLoseReplies(false)
	n.fn.SetDelay(0)
}
