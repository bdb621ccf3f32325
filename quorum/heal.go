package quorum

import (
	"context"
	"sync"

	"github.com/quorumlock/quorumlock/fencing"
)

// healFrom heals, in parallel, the amnesic nodes met by one complete round, and reports whether
// every node answered amnesic (a new deployment, now bootstrapped unless a heal failed), of of acquire replies (see
// docs/PROTOCOL.md, "Amnesia"):
//
//   - If every node answered Amnesic, this is a new deployment (or a loss of every node at once,
//     which is outside the fault model): every node is bootstrapped with floor 0 at once.
//   - Otherwise a node may be healed only when its quarantine (at least the longest TTL in use)
//     has passed on its own clock, and only with a floor no lower than the highest NodeMax among
//     a majority of all nodes that answered as healthy: any completed grant left its token on a
//     majority, and that majority meets the one we read.
func (l *Locker) healFrom(meta string, replies []result[AcquireReply]) (newDeployment bool) {
	var amnesic []result[AcquireReply]
	var healthy int
	var floor fencing.Token
	for _, r := range replies {
		switch {
		case r.err != nil:
		case r.reply.Status == Amnesic:
			amnesic = append(amnesic, r)
		case r.reply.Status != Invalid:
			healthy++
			floor = max(floor, r.reply.NodeMax)
		}
	}
	if len(amnesic) == 0 {
		return false
	}
	bootstrap := len(amnesic) == len(l.nodes) || l.mutant(MutantSkipHeal)
	if !bootstrap && healthy < majority(len(l.nodes)) {
		return false
	}
	var wg sync.WaitGroup
	for _, r := range amnesic {
		if !bootstrap && r.reply.Marker.Age < r.reply.Marker.Quarantine {
			continue
		}
		req := HealRequest{Meta: meta, Incarnation: r.reply.Marker.Incarnation, Floor: floor, Bootstrap: bootstrap}
		wg.Go(func() { l.heal(r.node, req) })
	}
	wg.Wait()
	return len(amnesic) == len(l.nodes)
}

// heal sends one heal request, unless one is already in flight for that node.
func (l *Locker) heal(i int, req HealRequest) {
	if !l.healing[i].CompareAndSwap(false, true) {
		return
	}
	defer l.healing[i].Store(false)
	n := l.nodes[i]
	ctx, cancel := context.WithTimeout(context.Background(), l.opts.CleanupTimeout)
	defer cancel()
	start := l.opts.Clock.Now()
	res, err := n.Heal(ctx, req)
	if err == nil && res != Healed {
		return
	}
	if err != nil {
		err = &NodeError{Node: n.Name(), Op: "heal", Err: err}
	}
	l.opts.Observer.Observe(Event{Kind: EventHeal, Node: n.Name(), Token: req.Floor,
		Duration: l.opts.Clock.Since(start), Err: err})
}
