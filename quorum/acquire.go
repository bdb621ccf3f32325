package quorum

import (
	"context"
	"errors"
	"fmt"
	"github.com/quorumlock/quorumlock/internal/mutants"

	"github.com/quorumlock/quorumlock/fencing"
)

// maxStaleRounds bounds the rounds of one attempt that retry a proposal refused as stale.
const maxStaleRounds = 4

// TryAcquire makes one attempt to take the named lock. It returns as soon as a majority of the
// nodes granted (never waiting for stragglers) or a majority has become impossible. On failure
// it cleans up what the attempt may have set, on every node, in the background, and returns an
// error wrapping ErrNotAcquired (someone else holds it), ErrUnavailable (too few nodes answered),
// ErrNeedsHeal (too many nodes are new or lost their data for the lock to heal by itself) or
// ctx.Err(), joined with a *NodeError for each node that failed.
//
// A failed attempt's keys may still sit on a slow node while its clean-up is in flight; the
// next attempt of this Locker at the same name may overwrite them, so it is never blocked by
// its own leftovers.
func (l *Locker) TryAcquire(ctx context.Context, name string, opts ...AcquireOption) (*Lease, error) {
	le, _, err := l.tryAcquire(ctx, name, opts)
	return le, err
}

// tryAcquire is TryAcquire; when the attempt found the lock held by others on a majority of the
// nodes, with none granted to it, it also returns the lowest token of those holders (blockedBy,
// else 0): only a release of that holder or a later one (or an expiry) can let a later attempt
// in, as opposed to contenders splitting the votes.
func (l *Locker) tryAcquire(ctx context.Context, name string, opts []AcquireOption) (le *Lease, blockedBy fencing.Token, err error) {
	if err := validateName(name); err != nil {
		return nil, 0, err
	}
	cfg, err := acquireOptions(opts)
	if err != nil {
		return nil, 0, err
	}
	if err := l.enter(); err != nil {
		return nil, 0, err
	}
	defer l.tasks.Done()
	start := l.opts.Clock.Now()
	le, v, err := l.attempt(ctx, name, cfg)
	ev := Event{Kind: EventAcquire, Name: name, Duration: l.opts.Clock.Since(start), Err: err}
	ev.Token = v.proposed
	if le != nil {
		ev.Token = le.token
	}
	l.opts.Observer.Observe(ev)
	if v.granted == 0 && v.held >= majority(len(l.nodes)) {
		blockedBy = max(v.minHeld, 1)
	}
	return le, blockedBy, err
}

func (l *Locker) attempt(ctx context.Context, name string, cfg acquireConfig) (*Lease, acquireVotes, error) {
	if err := ctx.Err(); err != nil {
		return nil, acquireVotes{}, fmt.Errorf("quorum: acquire %q: %w", name, err)
	}
	leftover, _ := l.leftovers.Load(name)
	replace, _ := leftover.(string)
	req := acquireRequest{keys: keysFor(l.opts.KeyPrefix, name), owner: ownerFor(cfg), ttl: l.opts.TTL, replace: replace}
	holds := make([]hold, len(l.nodes))
	settled := make([]bool, len(l.nodes)) // answered every round: no acquire of ours still in flight
	for i := range settled {
		settled[i] = true
	}
	var above fencing.Token
	for round := 1; ; round++ {
		token, err := l.propose(name, above)
		if err != nil {
			l.cleanupAttempt(ctx, name, req, holds)
			return nil, acquireVotes{}, err
		}
		req.token = token
		start := l.opts.Clock.Now()
		v := l.acquireRound(ctx, name, req, holds, settled)
		if v.won {
			elapsed := l.opts.Clock.Since(start)
			if l.validityLeft(elapsed) > 0 {
				if l.mutant(mutants.IncrToken) {
					req.token = v.maxGranted
				}
				return l.newLease(name, req, start, settled), v, nil
			}
			l.cleanupAttempt(ctx, name, req, holds)
			return nil, v, fmt.Errorf("%w: %q: granted after %v, no validity left of TTL %v",
				ErrNotAcquired, name, elapsed, l.opts.TTL)
		}
		if err := ctx.Err(); err != nil {
			l.cleanupAttempt(ctx, name, req, holds)
			return nil, v, fmt.Errorf("quorum: acquire %q: %w", name, err)
		}
		if v.stale > 0 && v.held <= len(l.nodes)-majority(len(l.nodes)) && round < maxStaleRounds {
			// Our proposal was below some node's counter, and the nodes held by another owner
			// (a release still on its way, say) cannot block a majority: retry at once above
			// every counter seen.
			l.opts.Observer.Observe(Event{Kind: EventTokenRefused, Name: name, Token: req.token})
			above = v.maxCounter
			continue
		}
		l.cleanupAttempt(ctx, name, req, holds)
		return nil, v, v.failure(name, len(l.nodes))
	}
}

// acquireVotes is what one round of an attempt decided.
type acquireVotes struct {
	won         bool
	granted     int // grants to this attempt
	held, stale int
	maxCounter  fencing.Token // the highest counter among stale refusals
	maxGranted  fencing.Token // the highest counter among grants: our token, unless mutated
	proposed    fencing.Token // the token this round proposed
	minHeld     fencing.Token // the lowest counter among the nodes held by others
	amnesic     int           // answers from nodes without a trusted record of their past
	restarted   int           // amnesic answers from nodes that restarted (they served)
	healthy     int           // answers from healthy nodes
	nodeErrs    []error
}

// failure says why a round that did not win failed. More amnesic nodes than can be missing
// from a majority means that no automatic heal can ever run: an operator must act.
func (v acquireVotes) failure(name string, n int) error {
	switch {
	case v.amnesic > n-majority(n):
		what := "run `quorumlock heal` (or Locker.Heal) to recover them"
		if v.restarted == 0 && v.healthy == 0 {
			what = "if these servers have never served this lock, run `quorumlock heal --new-deployment`; else `quorumlock heal` to recover them"
		}
		return outcome(fmt.Errorf("%w: %q: %d of %d nodes are new, restarted or lost their data, more than a majority can spare; %s",
			ErrNeedsHeal, name, v.amnesic, n, what), v.nodeErrs)
	case v.held > 0:
		return outcome(fmt.Errorf("%w: %q is held by another owner", ErrNotAcquired, name), v.nodeErrs)
	}
	return outcome(fmt.Errorf("%w: %q", ErrUnavailable, name), v.nodeErrs)
}

// answer is what acquireRound heard from one node before the round was decided.
type answer uint8

const (
	answerNone    answer = iota // nothing yet, or an error
	answerOther                 // an answer other than a grant
	answerGranted               // a grant
)

// acquireRound sends req to every node and returns at the majority, as soon as a majority is
// impossible, or when ctx ends. It raises holds[i] to granted for every node that granted, and
// to maybe for every node that did not answer (an error, or still pending): the request may have
// been applied all the same. The round goes on in the background, where amnesic nodes get
// healed once every node answered (healAfter).
//
// The requests do not run on ctx, only on NodeTimeout: a caller that cancels ctx once it holds
// the lease must not cancel the stragglers, whose keys make the lease survive more failures;
// and the replies of a failed round are what heals amnesic nodes. Clean-up undoes the rest.
func (l *Locker) acquireRound(ctx context.Context, name string, req acquireRequest, holds []hold, settled []bool) acquireVotes {
	call := &acquireCall{req: req, q: l.opts.Quarantine}
	rd := send(l, context.WithoutCancel(ctx), l.opts.NodeTimeout, call, nil, l.healAfter(req.keys.meta))
	v := acquireVotes{proposed: req.token}
	answered := make([]answer, len(l.nodes))
	t := newTally(len(l.nodes))
	waitAll := l.mutant(mutants.WaitAll)
	for (waitAll && t.pending > 0 || !t.won() && !t.lost()) && ctx.Err() == nil {
		select {
		case r := <-rd.out: // every node call ends by NodeTimeout
			switch {
			case r.err != nil:
			case r.reply.status == Granted:
				answered[r.node] = answerGranted
			default:
				answered[r.node] = answerOther
			}
			t.add(answered[r.node] == answerGranted)
			l.countReply(&v, name, r)
		case <-ctx.Done():
		}
	}
	if !t.won() && v.amnesic > 0 {
		l.drainAmnesic(ctx, &v, name, &t, rd, answered)
	}
	for i := range holds {
		settled[i] = settled[i] && answered[i] != answerNone
		switch answered[i] {
		case answerGranted:
			holds[i] = holdGranted
		case answerNone:
			holds[i] = max(holds[i], holdMaybe)
		}
	}
	v.won = t.won()
	return v
}

// drainAmnesic collects the rest of a failed round that met an amnesic node (each call ends by
// NodeTimeout): whether the deployment needs an operator depends on how many nodes are amnesic.
func (l *Locker) drainAmnesic(ctx context.Context, v *acquireVotes, name string, t *tally, rd *round[acquireReply], answered []answer) {
	for t.pending > 0 && ctx.Err() == nil {
		select {
		case r := <-rd.out:
			if r.err == nil {
				answered[r.node] = answerOther
				if r.reply.status == Granted {
					answered[r.node] = answerGranted
				}
			}
			t.add(answered[r.node] == answerGranted)
			l.countReply(v, name, r)
		case <-ctx.Done():
		}
	}
}

// countReply folds one node's answer into the round's votes.
func (l *Locker) countReply(v *acquireVotes, name string, r result[acquireReply]) {
	n := l.nodes[r.node]
	if r.err != nil {
		v.nodeErrs = append(v.nodeErrs, r.err) // the round reported it to the Observer
		return
	}
	l.opts.Observer.Observe(Event{Kind: EventNode, Name: name, Node: n.name, Op: "acquire",
		Status: r.reply.status, Token: v.proposed, Duration: r.elapsed})
	l.noteFloor(r.reply.floor)
	if st := r.reply.status; st != Amnesic && st != Invalid {
		v.healthy++
	}
	switch r.reply.status {
	case Granted:
		v.granted++
		v.maxGranted = max(v.maxGranted, r.reply.counter)
	case Held:
		v.held++
		if v.minHeld == 0 || r.reply.counter < v.minHeld {
			v.minHeld = r.reply.counter // the holder's token: its grant wrote the counter
		}
	case Stale:
		v.stale++
		v.maxCounter = max(v.maxCounter, r.reply.counter)
	case Amnesic:
		v.amnesic++
		if r.reply.marker.lost == lossRestart {
			v.restarted++
		}
		v.nodeErrs = append(v.nodeErrs, &NodeError{Node: n.name, Op: "acquire", Err: amnesicError(r.reply.marker)})
	case Invalid:
		v.nodeErrs = append(v.nodeErrs, &NodeError{Node: n.name, Op: "acquire",
			Err: errors.New("token refused as invalid: more than a day ahead of the node's clock? check this host's clock")})
	default:
		v.nodeErrs = append(v.nodeErrs, &NodeError{Node: n.name, Op: "acquire",
			Err: fmt.Errorf("request refused: %v", r.reply.status)})
	}
}

// amnesicError says, in words, why an amnesic node refused and when it can be healed.
func amnesicError(m marker) error {
	what := "has no lock state (it is new, or it lost its data)"
	if m.lost == lossRestart {
		what = "restarted (its server process changed: it may have reloaded older data) and is quarantined"
	}
	if left := m.quarantine - m.age; left > 0 {
		return fmt.Errorf("%w: it %s; its quarantine ends in %v", ErrNodeAmnesic, what, left.Round(1e6))
	}
	return fmt.Errorf("%w: it %s; its quarantine is over", ErrNodeAmnesic, what)
}
