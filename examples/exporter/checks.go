package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/quorumlock/quorumlock/fencing/redisguard"
)

// check prints the summary and the checks, and reports whether every check passed.
func (h *history) check(ctx context.Context, guard *redisguard.Guard) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	most := h.mostAtOnce()
	stalled, refused := h.stalledRefused()
	fmt.Fprintf(h.out, "\nsummary\n  exports: %d, on %d slots\n  most exports running at once with a valid permit: %d of %d permits\n",
		len(h.exports), len(h.writes), most, h.permits)
	staleOK, staleWhy := h.noStaleAccepted(ctx, guard)
	checks := []struct {
		name string
		ok   bool
		why  string
	}{
		{fmt.Sprintf("never more than %d exports ran at once", h.permits), most <= h.permits, fmt.Sprintf("%d at once", most)},
		{"the store accepted no stale write", staleOK, staleWhy},
		{"the stalled worker's write was refused as stale", stalled && refused,
			fmt.Sprintf("stalled export ran: %v, its write refused: %v", stalled, refused)},
		{"every write was accepted or refused as stale", h.writeErrors() == 0, fmt.Sprintf("%d writes failed", h.writeErrors())},
	}
	ok := true
	for _, c := range checks {
		if c.ok {
			fmt.Fprintf(h.out, "check  %s: ok\n", c.name)
			continue
		}
		ok = false
		fmt.Fprintf(h.out, "check  %s: FAILED (%s)\n", c.name, c.why)
	}
	return ok
}

// mostAtOnce returns the most exports that ran at once, each from its grant until it finished
// or its permit's validity ran out.
func (h *history) mostAtOnce() int {
	type edge struct {
		at   time.Time
		step int
	}
	var edges []edge
	for _, e := range h.exports {
		edges = append(edges, edge{e.start, +1}, edge{e.end, -1})
	}
	slices.SortFunc(edges, func(a, b edge) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.step - b.step // an end before a start at the same instant
	})
	most, n := 0, 0
	for _, e := range edges {
		n += e.step
		most = max(most, n)
	}
	return most
}

// noStaleAccepted checks every slot's accepted writes in the store's order: their tokens never
// decrease, and the fence the store keeps is the last of them.
func (h *history) noStaleAccepted(ctx context.Context, guard *redisguard.Guard) (bool, string) {
	for slot, writes := range h.writes {
		slices.SortFunc(writes, func(a, b write) int { return int(a.version) - int(b.version) })
		for i := 1; i < len(writes); i++ {
			if writes[i].token < writes[i-1].token {
				return false, fmt.Sprintf("%s: token %d accepted after %d", slot, writes[i].token, writes[i-1].token)
			}
		}
		rec, err := guard.Read(ctx, slot)
		if err != nil {
			return false, err.Error()
		}
		if last := writes[len(writes)-1].token; rec.Fence != last {
			return false, fmt.Sprintf("%s: the store's fence is %d, the last accepted token %d", slot, rec.Fence, last)
		}
	}
	return true, ""
}

// stalledRefused reports whether the stalled export ran, and whether its write was refused.
func (h *history) stalledRefused() (stalled, refused bool) {
	for _, e := range h.exports {
		if e.stalled {
			return true, e.refused
		}
	}
	return false, false
}

// writeErrors counts the writes that failed other than by a stale token.
func (h *history) writeErrors() int {
	n := 0
	for _, e := range h.exports {
		if e.err != nil {
			n++
		}
	}
	return n
}
