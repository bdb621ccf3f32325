package quorum

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// cleanupTries bounds how often the clean-up of one node is tried.
const cleanupTries = 3

// cleanupAttempt cleans up a failed attempt at name, and records its owner as a leftover that
// the next attempt at name may overwrite until the clean-up has succeeded everywhere.
func (l *Locker) cleanupAttempt(ctx context.Context, name string, req AcquireRequest, mayHold []bool) {
	if !slices.Contains(mayHold, true) {
		return // every node refused: nothing to clean, and an earlier leftover stays replaceable
	}
	l.leftovers.Store(name, req.Owner)
	l.cleanup(ctx, req.Keys, req.Owner, mayHold, func() { l.leftovers.CompareAndDelete(name, req.Owner) })
}

// cleanup releases owner on every node i with mayHold[i], in the background, on a context that
// is not the caller's (which may be cancelled) and has its own timeout. Where the key is not
// ours the release leaves a tombstone, so an acquire of ours that is still queued on a stalled
// node or a slow link is refused when it finally arrives. If every node was cleaned up, it
// calls cleaned (when not nil).
func (l *Locker) cleanup(ctx context.Context, keys Keys, owner string, mayHold []bool, cleaned func()) {
	base := context.WithoutCancel(ctx)
	var wg sync.WaitGroup
	var failed atomic.Bool
	for i, n := range l.nodes {
		if !mayHold[i] {
			continue
		}
		wg.Add(1)
		started := l.goBackground(func() {
			defer wg.Done()
			if l.releaseNode(base, n, keys, owner) != nil {
				failed.Store(true)
			}
		})
		if !started {
			wg.Done()
			failed.Store(true)
		}
	}
	if cleaned != nil {
		l.goBackground(func() {
			wg.Wait()
			if !failed.Load() {
				cleaned()
			}
		})
	}
}

// releaseNode releases owner on one node, trying again a few times if the node fails.
func (l *Locker) releaseNode(base context.Context, n Node, keys Keys, owner string) error {
	req := ReleaseRequest{Keys: keys, Owner: owner, TombstoneTTL: l.tombstoneTTL()}
	var err error
	for range cleanupTries {
		ctx, cancel := context.WithTimeout(base, l.opts.CleanupTimeout)
		_, err = n.Release(ctx, req)
		cancel()
		if err == nil {
			return nil
		}
		if errors.Is(err, context.Canceled) {
			break
		}
	}
	err = &NodeError{Node: n.Name(), Op: "release", Err: err}
	l.opts.Observer.Observe(Event{Kind: EventNode, Node: n.Name(), Op: "release", Err: err})
	return err
}

// tombstoneTTL is how long a tombstone refuses a late acquire: two TTLs, far longer than the
// gap between a queued acquire and the release that follows it on a node that stalls.
func (l *Locker) tombstoneTTL() time.Duration { return 2 * l.opts.TTL }
