package otelobserver

import (
	"hash/maphash"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/quorum"
)

// maxNotes bounds the notes one slot keeps: enough for every answer of seven nodes over the
// four rounds an attempt may take after stale refusals, and the refusals themselves.
const maxNotes = 32

// note is one thing reported about an attempt before it ended: a node's answer, or a proposal
// refused as stale.
type note struct {
	at      time.Time // when it was observed
	node    string
	status  quorum.AcquireStatus
	elapsed time.Duration
	err     error
	refused bool          // a token refusal rather than a node's answer
	token   fencing.Token // the refused proposal
}

// addTo adds n to span as a span event.
func (n note) addTo(span trace.Span) {
	if n.refused {
		span.AddEvent(eventRefuse, trace.WithTimestamp(n.at), trace.WithAttributes(token(n.token)))
		return
	}
	attrs := []attribute.KeyValue{keyNode.String(n.node),
		keyElapsed.Float64(float64(n.elapsed) / float64(time.Millisecond))}
	if n.err != nil {
		attrs = append(attrs, keyError.String(n.err.Error()))
	} else {
		attrs = append(attrs, keyStatus.String(n.status.String()))
	}
	span.AddEvent(eventReply, trace.WithTimestamp(n.at), trace.WithAttributes(attrs...))
}

// pending keeps the notes of attempts in flight until their EventAcquire, in a fixed number of
// slots chosen by a hash of the lock name. A slot holds one name at a time: a note for another
// name evicts what it held. That keeps memory bounded whatever the number of names, at the cost
// of notes lost when names collide (see the package doc).
type pending struct {
	seed  maphash.Seed
	slots []slot
}

type slot struct {
	mu      sync.Mutex
	name    string
	notes   []note // at most maxNotes; its array is reused
	dropped int    // notes for name beyond maxNotes
}

func newPending(n int) *pending {
	return &pending{seed: maphash.MakeSeed(), slots: make([]slot, n)}
}

func (p *pending) slot(name string) *slot {
	return &p.slots[maphash.String(p.seed, name)%uint64(len(p.slots))]
}

// add keeps n for the next attempt at name to end.
func (p *pending) add(name string, n note) {
	s := p.slot(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.name != name {
		s.reset(name)
	}
	if len(s.notes) == maxNotes {
		s.dropped++
		return
	}
	s.notes = append(s.notes, n)
}

// take copies into out the notes for name observed at or after since, empties the slot, and
// returns how many it copied and how many were dropped for lack of room. Notes older than since
// belong to an earlier attempt (the slowest node's answer, which arrives after its attempt
// returned at a majority).
func (p *pending) take(name string, since time.Time, out *[maxNotes]note) (n, dropped int) {
	s := p.slot(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.name != name {
		return 0, 0
	}
	for _, nt := range s.notes {
		if !nt.at.Before(since) {
			out[n] = nt
			n++
		}
	}
	dropped = s.dropped
	s.reset("")
	return n, dropped
}

// reset gives the slot to name, empty. Old notes are cleared so that their errors and strings
// can be collected.
func (s *slot) reset(name string) {
	clear(s.notes)
	s.name, s.notes, s.dropped = name, s.notes[:0], 0
}
