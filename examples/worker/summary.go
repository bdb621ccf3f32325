//go:build unix

package main

import (
	"context"
	"fmt"
)

// summarize prints what the ledger holds and what the replicas reported, checks it, and
// reports whether every check passed.
func (s *supervisor) summarize(ctx context.Context, dbPath string) bool {
	l, err := readLedger(ctx, dbPath)
	if err != nil {
		fmt.Fprintf(s.out, "\nsummary: cannot read the ledger: %v\n", err)
		return false
	}
	fmt.Fprintf(s.out, "\nsummary\n  writes accepted per token, in commit order (%d ledger rows, fence %d):\n",
		len(l.rows), l.fence)
	for _, st := range l.stretches() {
		fmt.Fprintf(s.out, "    token %d  replica %d  %3d writes\n", st.token, st.replica, st.writes)
	}
	var refused []event
	for _, ev := range s.history {
		if ev.Kind == kindRefused {
			refused = append(refused, ev)
		}
	}
	fmt.Fprintf(s.out, "  stale writes refused: %d\n", len(refused))
	fmt.Fprintf(s.out, "  takeovers: %d\n", s.takeovers)
	if extra := s.changes - s.takeovers; extra > 0 {
		fmt.Fprintf(s.out, "  other changes of holder: %d (a lease lost under load, still fenced)\n", extra)
	}
	ok := true
	check := func(what string, err error) {
		if err != nil {
			fmt.Fprintf(s.out, "check  %s: FAIL: %v\n", what, err)
			ok = false
			return
		}
		fmt.Fprintf(s.out, "check  %s: ok\n", what)
	}
	check("tokens never decrease in the ledger", l.checkOrder())
	check("stale writes refused, none in the ledger", checkRefused(l, refused))
	check("two takeovers, each with a larger token", checkTakeovers(s.takeovers))
	return ok
}

// checkRefused requires at least one refused write, and none of them in the ledger.
func checkRefused(l ledger, refused []event) error {
	if len(refused) == 0 {
		return fmt.Errorf("no write was refused")
	}
	for _, ev := range refused {
		if l.contains(ev.Replica, ev.Batch, ev.Token) {
			return fmt.Errorf("replica %d's batch %d with token %d was refused, yet is in the ledger",
				ev.Replica, ev.Batch, ev.Token)
		}
	}
	return nil
}

// checkTakeovers requires both takeovers of the story.
func checkTakeovers(n int) error {
	if n != 2 {
		return fmt.Errorf("%d takeovers seen, want 2", n)
	}
	return nil
}
