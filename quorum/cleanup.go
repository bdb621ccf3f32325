package quorum

import (
	"context"
	"errors"
	"github.com/quorumlock/quorumlock/internal/mutants"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// cleanupTries bounds how often the clean-up of one node is tried.
const cleanupTries = 3

// hold is what an attempt knows of its key on one node.
type hold int

const (
	holdNone    hold = iota // the node refused every round: it holds nothing of ours
	holdMaybe               // the node did not answer: the request may have been applied
	holdGranted             // the node granted: it holds our key
)

// cleanupAttempt cleans up a failed attempt at name on every node that may hold its key, and
// records its owner as a leftover that the next attempt at name may overwrite until the clean-up
// has succeeded everywhere. Unless the caller's ctx has ended, it waits (at most CleanupTimeout)
// for the first try on the nodes that granted — a caller retrying at once, or a contender, would
// otherwise meet those keys — but not on nodes that did not answer, which may be stalled.
func (l *Locker) cleanupAttempt(ctx context.Context, name string, req acquireRequest, holds []hold) {
	if l.mutant(mutants.NoCleanup) || !slices.ContainsFunc(holds, func(h hold) bool { return h != holdNone }) {
		return // every node refused: nothing to clean, and an earlier leftover stays replaceable
	}
	l.leftovers.Store(name, req.owner)
	tried := l.cleanup(ctx, req.keys, req.owner, holds, func() { l.leftovers.CompareAndDelete(name, req.owner) }, l.spawnChild)
	if ctx.Err() != nil {
		return
	}
	wait, cancel := context.WithTimeout(context.Background(), l.opts.CleanupTimeout)
	defer cancel()
	select {
	case <-tried:
	case <-wait.Done():
	}
}

// spawnChild is goChild for callers that take a spawn function.
func (l *Locker) spawnChild(f func()) bool { l.goChild(f); return true }

// cleanup releases owner on every node whose hold is not holdNone, in the background (started
// by spawn: goChild from a tracked call, goBackground from a timer), on a
// context that is not the caller's (which may be cancelled) and has its own timeout. Every
// release leaves a tombstone, so an acquire of ours that is still queued on a stalled node or a
// slow link is refused when it finally arrives. If every node was cleaned up, it calls cleaned
// (when not nil). The returned channel is closed once every node that granted has been tried
// once.
func (l *Locker) cleanup(ctx context.Context, k keys, owner string, holds []hold, cleaned func(), spawn func(func()) bool) <-chan struct{} {
	base := context.WithoutCancel(ctx)
	var all, granted sync.WaitGroup
	var failed atomic.Bool
	for i := range l.nodes {
		if holds[i] == holdNone {
			continue
		}
		all.Add(1)
		firstDone := func() {}
		if holds[i] == holdGranted {
			granted.Add(1)
			firstDone = sync.OnceFunc(granted.Done)
		}
		started := spawn(func() {
			defer all.Done()
			if l.releaseNode(base, i, k, owner, firstDone) != nil {
				failed.Store(true)
			}
		})
		if !started {
			all.Done()
			firstDone()
			failed.Store(true)
		}
	}
	tried := make(chan struct{})
	go func() { granted.Wait(); close(tried) }()
	if cleaned != nil {
		spawn(func() {
			all.Wait()
			if !failed.Load() {
				cleaned()
			}
		})
	}
	return tried
}

// releaseNode releases owner on node i, trying again a few times if the node fails; it calls
// firstDone once the first try has ended. A release that timed out is not tried again: the
// pipelined connection still writes it, and it runs when the node catches up, so trying again
// would only queue a copy of it on a node that is already slow. A release whose reply came
// late has run.
func (l *Locker) releaseNode(base context.Context, i int, k keys, owner string, firstDone func()) error {
	call := &releaseCall{keys: k, owner: owner, tombstoneTTL: l.tombstoneTTL(), q: l.opts.Quarantine}
	var err error
	for try := range cleanupTries {
		_, err = callOne(l, base, l.opts.CleanupTimeout, call, i)
		if try == 0 {
			firstDone()
		}
		if err == nil || errors.Is(err, errLate) {
			return nil
		}
		if errors.Is(err, context.Canceled) || try == cleanupTries-1 || errors.Is(err, context.DeadlineExceeded) {
			break
		}
		// A node that fails fast would use every try up in microseconds: wait a NodeTimeout.
		wait, cancel := context.WithTimeout(base, l.opts.NodeTimeout)
		<-wait.Done()
		cancel()
	}
	return err // a *NodeError, which the round reported to the Observer
}

// tombstoneTTL is how long a tombstone refuses a late acquire: two TTLs, far longer than the
// gap between a queued acquire and the release that follows it on a node that stalls.
func (l *Locker) tombstoneTTL() time.Duration { return 2 * l.opts.TTL }
