package quorum

import (
	"fmt"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/internal/redispipe"
)

// The calls of the rounds: each encodes its script call straight into the connection's buffer,
// with the run_id of the server process at the other end (redispipe.Writer.RunID) and this
// client's quarantine, which every script's marker prologue takes (lua/marker.lua). This is the
// one encoding of each script call: acquire, extend and release rounds, clean-ups and heals all
// send these.

// acquireCall is one round of an attempt. The round keeps its own copy of the request: the next
// round's token must not change what a straggler of this one sends.
// KEYS: lock, fence, marker, tombstone. ARGV: owner, ttl ms, token, replace, run_id, quarantine ms.
// Reply: {status, counter, node_max, floor, incarnation, age_ms, quarantine_ms, lost}.
type acquireCall struct {
	req acquireRequest
	q   time.Duration
}

func (c *acquireCall) op() string     { return "acquire" }
func (c *acquireCall) script() script { return acquireScript }

// droppable: a request whose round ended before it could be written is not sent at all.
func (c *acquireCall) droppable() bool { return true }

func (c *acquireCall) write(w *redispipe.Writer, _ int, verb, body string) {
	q := &c.req
	w.Array(13)
	w.Bulk(verb)
	w.Bulk(body)
	w.Int(4)
	w.Bulk(q.keys.lock)
	w.Bulk(q.keys.fence)
	w.Bulk(q.keys.meta)
	w.Bulk(q.keys.lock, tombstoneInfix, q.owner)
	w.Bulk(q.owner)
	w.Int(q.ttl.Milliseconds())
	w.Uint(uint64(q.token))
	w.Bulk(q.replace)
	w.Bulk(w.RunID())
	w.Int(c.q.Milliseconds())
}

func (c *acquireCall) decode(v *redispipe.Reply) (acquireReply, error) { return decodeAcquire(v) }

// extendCall is one Extend.
// KEYS: lock, marker, fence. ARGV: owner, ttl ms, run_id, quarantine ms. Reply: 1, 0, or -1 (amnesic).
type extendCall struct {
	keys  keys
	owner string
	ttl   time.Duration
	q     time.Duration
}

func (c *extendCall) op() string      { return "extend" }
func (c *extendCall) script() script  { return extendScript }
func (c *extendCall) droppable() bool { return false }

func (c *extendCall) write(w *redispipe.Writer, _ int, verb, body string) {
	w.Array(10)
	w.Bulk(verb)
	w.Bulk(body)
	w.Int(3)
	w.Bulk(c.keys.lock)
	w.Bulk(c.keys.meta)
	w.Bulk(c.keys.fence)
	w.Bulk(c.owner)
	w.Int(c.ttl.Milliseconds())
	w.Bulk(w.RunID())
	w.Int(c.q.Milliseconds())
}

func (c *extendCall) decode(v *redispipe.Reply) (extendVote, error) {
	n, err := decodeInt("extend", v, -1, 1)
	return extendVote(n), err
}

// extendVote is one node's answer to an extension of one lease.
type extendVote int

const (
	voteAmnesic  extendVote = -1 // the node is amnesic: no vote
	voteRefused  extendVote = 0  // the key is gone or another owner's
	voteExtended extendVote = 1
)

// extendManyCall is one batch of auto-extensions. Its locks, fences and owners have the same
// length. KEYS: marker, the lock keys, their fence keys. ARGV: ttl ms, run_id, quarantine ms,
// then one owner per lock. Reply: one 1, 0 or -1 per lock.
type extendManyCall struct {
	meta   string
	locks  []string
	fences []string
	owners []string
	ttl    time.Duration
	q      time.Duration
}

func (c *extendManyCall) op() string      { return "extend" }
func (c *extendManyCall) script() script  { return extendManyScript }
func (c *extendManyCall) droppable() bool { return false }

func (c *extendManyCall) write(w *redispipe.Writer, _ int, verb, body string) {
	w.Array(7 + len(c.locks) + len(c.fences) + len(c.owners))
	w.Bulk(verb)
	w.Bulk(body)
	w.Int(int64(1 + len(c.locks) + len(c.fences)))
	w.Bulk(c.meta)
	for _, k := range c.locks {
		w.Bulk(k)
	}
	for _, k := range c.fences {
		w.Bulk(k)
	}
	w.Int(c.ttl.Milliseconds())
	w.Bulk(w.RunID())
	w.Int(c.q.Milliseconds())
	for _, o := range c.owners {
		w.Bulk(o)
	}
}

func (c *extendManyCall) decode(v *redispipe.Reply) ([]extendVote, error) {
	if v.Kind != redispipe.KindArray || len(v.Elems) != len(c.locks) {
		return nil, fmt.Errorf("extend_many: reply %#v, want %d integers", v.Value(), len(c.locks))
	}
	out := make([]extendVote, len(v.Elems))
	for i := range v.Elems {
		n, err := decodeInt("extend_many", &v.Elems[i], -1, 1)
		if err != nil {
			return nil, err
		}
		out[i] = extendVote(n)
	}
	return out, nil
}

// releaseCall is one release: of a lease, or a clean-up. Nodes that settled[i] says answered
// every acquire of the owner get no tombstone (nil settled: every node gets one). A release
// that announces itself wakes the clients waiting for the lock (see notify.go); a clean-up of a
// failed attempt does not, or contenders would wake each other with every split vote.
// KEYS: lock, tombstone, marker. ARGV: owner, tombstone ttl ms (0: none), run_id, quarantine ms,
// announce (the lease's token, or 0: none). Reply: 1 deleted, 0 not ours.
type releaseCall struct {
	keys         keys
	owner        string
	tombstoneTTL time.Duration
	settled      []bool
	q            time.Duration
	announce     fencing.Token // the released lease's token, announced to waiters; 0: a clean-up, unannounced
}

func (c *releaseCall) op() string      { return "release" }
func (c *releaseCall) script() script  { return releaseScript }
func (c *releaseCall) droppable() bool { return false }

func (c *releaseCall) write(w *redispipe.Writer, i int, verb, body string) {
	tomb := c.tombstoneTTL
	if c.settled != nil && c.settled[i] {
		tomb = 0
	}
	w.Array(11)
	w.Bulk(verb)
	w.Bulk(body)
	w.Int(3)
	w.Bulk(c.keys.lock)
	w.Bulk(c.keys.lock, tombstoneInfix, c.owner)
	w.Bulk(c.keys.meta)
	w.Bulk(c.owner)
	w.Int(tomb.Milliseconds())
	w.Bulk(w.RunID())
	w.Int(c.q.Milliseconds())
	w.Int(int64(c.announce))
}

func (c *releaseCall) decode(v *redispipe.Reply) (bool, error) {
	n, err := decodeInt("release", v, 0, 1)
	return n == 1, err
}

// stateCall reads every node's marker, for a heal.
// KEYS: marker. ARGV: run_id, quarantine ms.
// Reply: {ok, node_max, floor, incarnation, age_ms, quarantine_ms, lost, node time µs}.
type stateCall struct {
	meta string
	q    time.Duration
}

func (c *stateCall) op() string      { return "state" }
func (c *stateCall) script() script  { return stateScript }
func (c *stateCall) droppable() bool { return false }

func (c *stateCall) write(w *redispipe.Writer, _ int, verb, body string) {
	w.Array(6)
	w.Bulk(verb)
	w.Bulk(body)
	w.Int(1)
	w.Bulk(c.meta)
	w.Bulk(w.RunID())
	w.Int(c.q.Milliseconds())
}

func (c *stateCall) decode(v *redispipe.Reply) (nodeState, error) { return decodeState(v) }

// healCall ends the quarantine of one amnesic node incarnation, with a floor.
// KEYS: marker. ARGV: run_id, quarantine ms, incarnation, floor, how.
// Reply: 1 healed, 0 not amnesic or another incarnation, -1 still waiting, -2 has served.
type healCall struct {
	meta        string
	incarnation string
	floor       uint64
	how         healHow
	q           time.Duration
}

func (c *healCall) op() string      { return "heal" }
func (c *healCall) script() script  { return healScript }
func (c *healCall) droppable() bool { return false }

func (c *healCall) write(w *redispipe.Writer, _ int, verb, body string) {
	w.Array(9)
	w.Bulk(verb)
	w.Bulk(body)
	w.Int(1)
	w.Bulk(c.meta)
	w.Bulk(w.RunID())
	w.Int(c.q.Milliseconds())
	w.Bulk(c.incarnation)
	w.Uint(c.floor)
	w.Bulk(string(c.how))
}

func (c *healCall) decode(v *redispipe.Reply) (healResult, error) {
	n, err := decodeInt("heal", v, -2, 1)
	return healResult(n), err
}

// holderCall reads who holds a lock on every node.
// KEYS: lock, fence, marker. ARGV: run_id, quarantine ms.
// Reply: {trusted, owner, counter, pttl_ms}.
type holderCall struct {
	keys keys
	q    time.Duration
}

func (c *holderCall) op() string      { return "holder" }
func (c *holderCall) script() script  { return holderScript }
func (c *holderCall) droppable() bool { return false }

func (c *holderCall) write(w *redispipe.Writer, _ int, verb, body string) {
	w.Array(8)
	w.Bulk(verb)
	w.Bulk(body)
	w.Int(3)
	w.Bulk(c.keys.lock)
	w.Bulk(c.keys.fence)
	w.Bulk(c.keys.meta)
	w.Bulk(w.RunID())
	w.Int(c.q.Milliseconds())
}

func (c *holderCall) decode(v *redispipe.Reply) (holderReply, error) { return decodeHolder(v) }
