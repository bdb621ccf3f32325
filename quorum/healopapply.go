package quorum

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// healAll heals every amnesic node that answered the read, and reads a node again when it
// answers that its quarantine is not over (its clock is slower) or it changed incarnation (it
// restarted meanwhile: a new quarantine). It records which nodes were healed.
func (l *Locker) healAll(ctx context.Context, rep *HealReport, states []result[nodeState], opts HealOptions) error {
	how := healOperator
	if rep.Action == HealNewDeployment {
		how = healNewDeployment
	}
	var errs []error
	for i, r := range states {
		if r.err != nil || r.reply.ok {
			continue
		}
		err := l.healOne(ctx, i, r.reply, how, rep, opts)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rep.Nodes[i].Healed = true
		if how == healNewDeployment {
			opts.Progress(fmt.Sprintf("put %s into service", l.nodes[i].name))
		} else {
			opts.Progress(fmt.Sprintf("healed %s with floor %d", l.nodes[i].name, rep.Floor))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("quorum: heal: %w", errors.Join(errs...))
	}
	return nil
}

// maxHealTries bounds how often one node is asked again.
const maxHealTries = 5

// healOne heals node i, read as st, until it is healed, refuses, or the tries are used up.
func (l *Locker) healOne(ctx context.Context, i int, st nodeState, how healHow, rep *HealReport, opts HealOptions) error {
	name := l.nodes[i].name
	for range maxHealTries {
		call := &healCall{meta: l.opts.KeyPrefix + "node", incarnation: st.marker.incarnation,
			floor: uint64(rep.Floor), how: how, q: l.opts.Quarantine}
		res, err := callOne(l, ctx, max(l.opts.NodeTimeout, time.Second), call, i)
		switch {
		case err != nil:
			return err
		case res == healed:
			return nil
		case res == hasServed:
			return fmt.Errorf("%w: %s: not a new deployment: the node restarted or granted tokens", ErrHealRefused, name)
		}
		// Still in quarantine on its own clock, or another incarnation (it restarted): read it
		// again and wait out what is left.
		states, _ := l.readStates(ctx)
		if states[i].err != nil {
			return states[i].err
		}
		if st = states[i].reply; st.ok {
			return nil // healed meanwhile (by the lock, or another heal)
		}
		wait := max(st.marker.quarantine-st.marker.age, 10*time.Millisecond)
		opts.Progress(fmt.Sprintf("%s: quarantine not over on its clock, waiting %v", name, wait.Round(time.Millisecond)))
		if how == healNewDeployment && st.marker.lost == lossRestart {
			return fmt.Errorf("%w: %s restarted during the heal", ErrHealRefused, name)
		}
		if how != healNewDeployment {
			if err := l.pause(ctx, wait, nil); err != nil {
				return err
			}
		}
	}
	return fmt.Errorf("quorum: heal: %s: not healed after %d tries", name, maxHealTries)
}
