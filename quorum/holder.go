package quorum

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/quorumlock/quorumlock/fencing"
)

// ErrNoHolder is returned by Holder when no owner holds the lock on a majority of the nodes
// that answered: it is free, or changing hands.
var ErrNoHolder = errors.New("quorum: no holder")

// Holder is who holds a lock, as a majority of the nodes say.
type Holder struct {
	ID    string        // the id the grant was taken As; "" if none
	Token fencing.Token // the grant's fencing token
	// ValidFor is the shortest time the lock keys of that majority have left on their nodes'
	// clocks: the holder's lease ends no later than that, unless extended.
	ValidFor time.Duration
}

// An AcquireOption changes the attempts of one call of TryAcquire, Acquire or Do.
type AcquireOption func(*acquireConfig)

type acquireConfig struct{ id string }

// MaxIDLen is the longest id of As, in bytes.
const MaxIDLen = 128

// As makes the grant readable by others as held by id (Locker.Holder): who leads, in a leader
// election. id is UTF-8, at most MaxIDLen bytes, with no control characters or braces.
func As(id string) AcquireOption { return func(c *acquireConfig) { c.id = id } }

// acquireOptions applies opts and checks them.
func acquireOptions(opts []AcquireOption) (acquireConfig, error) {
	var c acquireConfig
	for _, o := range opts {
		o(&c)
	}
	switch {
	case len(c.id) > MaxIDLen:
		return c, fmt.Errorf("%w: holder id of %d bytes, longer than %d", ErrInvalidOptions, len(c.id), MaxIDLen)
	case !utf8.ValidString(c.id) || strings.ContainsFunc(c.id, func(r rune) bool { return unicode.IsControl(r) || r == '{' || r == '}' }):
		return c, fmt.Errorf("%w: holder id %q: want UTF-8 without control characters or braces", ErrInvalidOptions, c.id)
	}
	return c, nil
}

// ownerFor returns a new owner for one attempt: 128 random bits, and the holder's id after a
// colon if it has one.
func ownerFor(c acquireConfig) string {
	if c.id == "" {
		return randomID()
	}
	return randomID() + ":" + c.id
}

// Holder reads who holds the named lock: the owner whose key a majority of the nodes hold (only
// trusted nodes count, answers within NodeTimeout), its id (As), its token and how long its keys
// have left. It returns an error wrapping ErrNoHolder if no owner holds a majority of the nodes
// that answered while a majority did answer, and ErrUnavailable if fewer than a majority did.
// It is a read: it can see a lease that has just ended on its holder's clock, or miss one that
// is being granted; the token tells stale answers apart.
func (l *Locker) Holder(ctx context.Context, name string) (Holder, error) {
	if err := validateName(name); err != nil {
		return Holder{}, err
	}
	if err := l.enter(); err != nil {
		return Holder{}, err
	}
	defer l.tasks.Done()
	rd := broadcast[holderReply](l, ctx, l.opts.NodeTimeout, &holderCall{keys: keysFor(l.opts.KeyPrefix, name), q: l.opts.Quarantine})
	replies := make([]result[holderReply], 0, len(l.nodes))
	for range l.nodes {
		replies = append(replies, <-rd.out)
	}
	return holderOf(replies, majority(len(l.nodes)), name)
}

// holderOf decides the holder from the nodes' answers.
func holderOf(replies []result[holderReply], need int, name string) (Holder, error) {
	var errs []error
	votes := map[string][]holderReply{}
	trusted := 0
	for _, r := range replies {
		switch {
		case r.err != nil:
			errs = append(errs, r.err)
		case !r.reply.trusted:
		default:
			trusted++
			if r.reply.owner != "" {
				votes[r.reply.owner] = append(votes[r.reply.owner], r.reply)
			}
		}
	}
	for owner, rs := range votes {
		if len(rs) < need {
			continue
		}
		h := Holder{ValidFor: rs[0].ttl}
		if _, id, ok := strings.Cut(owner, ":"); ok {
			h.ID = id
		}
		for _, r := range rs {
			h.Token = max(h.Token, r.counter)
			h.ValidFor = min(h.ValidFor, r.ttl)
		}
		return h, nil
	}
	if trusted < need {
		return Holder{}, outcome(fmt.Errorf("%w: holder of %q: %d of %d answers from nodes in service", ErrUnavailable, name, trusted, len(replies)), errs)
	}
	return Holder{}, fmt.Errorf("%w: %q", ErrNoHolder, name)
}
