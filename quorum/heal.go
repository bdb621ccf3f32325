package quorum

import (
	"context"
	"sync"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/internal/mutants"
)

// healAfter returns the after-work of an acquire round on the marker meta: once every node has
// a result, the amnesic nodes it met are healed in the background (healFrom).
func (l *Locker) healAfter(meta string) func(*round[acquireReply]) {
	return func(r *round[acquireReply]) {
		amnesic := false
		for i := range r.cmds {
			res := &r.cmds[i].res
			amnesic = amnesic || res.err == nil && res.reply.status == Amnesic
		}
		if amnesic {
			r.l.goChild(func() { l.healFrom(meta, r.results()) })
		}
	}
}

// healFrom heals, in parallel, the amnesic nodes met by one complete round of acquire replies,
// each counted only if it arrived within NodeTimeout of the round's start (see
// docs/PROTOCOL.md, "Amnesia"). A node may be healed only when its quarantine (at least the
// longest TTL in use) has passed on its own clock, and only with a floor no lower than the
// highest NodeMax among a majority of all nodes that answered as healthy: any completed grant
// left its token on a majority, and that majority meets the one read here. Without a majority
// of healthy answers nothing is healed: a new deployment, or a majority that lost its data,
// needs an operator (Locker.Heal).
func (l *Locker) healFrom(meta string, replies []result[acquireReply]) {
	var amnesic []result[acquireReply]
	var healthy int
	var floor fencing.Token
	for _, r := range replies {
		switch {
		case r.err != nil:
		case r.reply.status == Amnesic:
			amnesic = append(amnesic, r)
		case r.reply.status != Invalid:
			healthy++
			floor = max(floor, r.reply.nodeMax)
		}
	}
	// The mutants heal without a quarantine (as a new deployment's heal does): skip-heal every
	// amnesic node, auto-bootstrap when every node answered amnesic.
	skip := l.mutant(mutants.SkipHeal) || l.mutant(mutants.AutoBootstrap) && len(amnesic) == len(l.nodes)
	how := map[bool]healHow{false: healRegular, true: healNewDeployment}[skip]
	if healthy < majority(len(l.nodes)) && !skip {
		return
	}
	var wg sync.WaitGroup
	for _, r := range amnesic {
		m := r.reply.marker
		if m.age < m.quarantine && !skip {
			continue
		}
		call := &healCall{meta: meta, incarnation: m.incarnation, floor: uint64(floor), how: how, q: l.opts.Quarantine}
		wg.Go(func() { l.heal(r.node, call) })
	}
	wg.Wait()
}

// heal sends one heal request, unless one is already in flight for that node.
func (l *Locker) heal(i int, call *healCall) {
	if !l.healing[i].CompareAndSwap(false, true) {
		return
	}
	defer l.healing[i].Store(false)
	start := l.opts.Clock.Now() // a pause of the process here (between the read and the heal) is harmless: see §6.4
	res, err := callOne(l, context.Background(), l.opts.CleanupTimeout, call, i)
	if err == nil && res != healed {
		return
	}
	l.opts.Observer.Observe(Event{Kind: EventHeal, Node: l.nodes[i].name, Token: fencing.Token(call.floor),
		Duration: l.opts.Clock.Since(start), Err: err})
}

// callOne sends call to node i alone and waits for its result, bounded by timeout. A failure is
// a *NodeError.
func callOne[R any](l *Locker, ctx context.Context, timeout time.Duration, call nodeCall[R], i int) (R, error) {
	to := make([]bool, len(l.nodes))
	to[i] = true
	r := <-send(l, ctx, timeout, call, to, nil).out
	return r.reply, r.err
}
