package quorum

import (
	"context"
	"fmt"

	"github.com/quorumlock/quorumlock/internal/redispipe"
)

// The broadcasts' calls: each encodes its script call as RedisNode's methods do (the scripts'
// KEYS and ARGV are documented in redisnode.go), straight into the connection's buffer.

// acquireCall is one round of an attempt. The round keeps its own copy of the request: the next
// round's token must not change what a straggler of this one sends.
type acquireCall struct {
	req AcquireRequest
	// newDeployment is set, before the round closes, if every node answered amnesic and was
	// bootstrapped.
	newDeployment bool
}

func (c *acquireCall) op() string { return "acquire" }

func (c *acquireCall) do(ctx context.Context, _ int, n Node) (AcquireReply, error) {
	return n.Acquire(ctx, c.req)
}

func (c *acquireCall) script() script { return acquireScript }

// droppable: a request whose round ended before it could be written is not sent at all.
func (c *acquireCall) droppable() bool { return true }

func (c *acquireCall) write(w *redispipe.Writer, _ int, verb, body string) {
	q := &c.req
	w.Array(13)
	w.Bulk(verb)
	w.Bulk(body)
	w.Int(4)
	w.Bulk(q.Keys.Lock)
	w.Bulk(q.Keys.Fence)
	w.Bulk(q.Keys.Meta)
	w.Bulk(q.Keys.Lock, tombstoneInfix, q.Owner)
	w.Bulk(q.Owner)
	w.Int(q.TTL.Milliseconds())
	w.Uint(uint64(q.Token))
	w.Bulk(q.Replace)
	w.Bulk(q.Incarnation)
	w.Int(q.Quarantine.Milliseconds())
}

func (c *acquireCall) decode(v *redispipe.Reply) (AcquireReply, error) { return decodeAcquire(v) }

// after heals the amnesic nodes the round met, in the background (see Locker.healFrom).
func (c *acquireCall) after(r *round[AcquireReply]) {
	amnesic := false
	for i := range r.cmds {
		res := &r.cmds[i].res
		amnesic = amnesic || res.err == nil && res.reply.Status == Amnesic
	}
	if !amnesic {
		r.close()
		return
	}
	r.l.goChild(func() {
		c.newDeployment = r.l.healFrom(c.req.Keys.Meta, r.results())
		r.close()
	})
}

// extendCall is one Extend.
type extendCall struct{ req ExtendRequest }

func (c *extendCall) op() string { return "extend" }

func (c *extendCall) do(ctx context.Context, _ int, n Node) (bool, error) {
	return n.Extend(ctx, c.req)
}

func (c *extendCall) script() script  { return extendScript }
func (c *extendCall) droppable() bool { return false }

func (c *extendCall) write(w *redispipe.Writer, _ int, verb, body string) {
	w.Array(6)
	w.Bulk(verb)
	w.Bulk(body)
	w.Int(1)
	w.Bulk(c.req.Keys.Lock)
	w.Bulk(c.req.Owner)
	w.Int(c.req.TTL.Milliseconds())
}

func (c *extendCall) decode(v *redispipe.Reply) (bool, error) { return decodeBool("extend", v) }
func (c *extendCall) after(r *round[bool])                    { closeAfter(r) }

// extendManyCall is one batch of auto-extensions. Its Locks and Owners have the same length.
type extendManyCall struct{ req ExtendManyRequest }

func (c *extendManyCall) op() string { return "extend" }

func (c *extendManyCall) do(ctx context.Context, _ int, n Node) ([]bool, error) {
	return n.ExtendMany(ctx, c.req)
}

func (c *extendManyCall) script() script  { return extendManyScript }
func (c *extendManyCall) droppable() bool { return false }

func (c *extendManyCall) write(w *redispipe.Writer, _ int, verb, body string) {
	w.Array(4 + len(c.req.Locks) + len(c.req.Owners))
	w.Bulk(verb)
	w.Bulk(body)
	w.Int(int64(len(c.req.Locks)))
	for _, k := range c.req.Locks {
		w.Bulk(k)
	}
	w.Int(c.req.TTL.Milliseconds())
	for _, o := range c.req.Owners {
		w.Bulk(o)
	}
}

func (c *extendManyCall) decode(v *redispipe.Reply) ([]bool, error) {
	if v.Kind != redispipe.KindArray || len(v.Elems) != len(c.req.Locks) {
		return nil, fmt.Errorf("extend_many: reply %#v, want %d integers", v.Value(), len(c.req.Locks))
	}
	out := make([]bool, len(v.Elems))
	for i, x := range v.Elems {
		out[i] = x.Kind == redispipe.KindInt && x.Int == 1
	}
	return out, nil
}

func (c *extendManyCall) after(r *round[[]bool]) { closeAfter(r) }

// releaseCall is one Release: without a tombstone on the nodes that settled[i] says answered
// every acquire of the owner.
type releaseCall struct {
	req     ReleaseRequest
	settled []bool
}

func (c *releaseCall) op() string { return "release" }

func (c *releaseCall) reqFor(i int) ReleaseRequest {
	req := c.req
	if c.settled[i] {
		req.TombstoneTTL = 0
	}
	return req
}

func (c *releaseCall) do(ctx context.Context, i int, n Node) (bool, error) {
	return n.Release(ctx, c.reqFor(i))
}

func (c *releaseCall) script() script  { return releaseScript }
func (c *releaseCall) droppable() bool { return false }

func (c *releaseCall) write(w *redispipe.Writer, i int, verb, body string) {
	req := c.reqFor(i)
	w.Array(7)
	w.Bulk(verb)
	w.Bulk(body)
	w.Int(2)
	w.Bulk(req.Keys.Lock)
	w.Bulk(req.Keys.Lock, tombstoneInfix, req.Owner)
	w.Bulk(req.Owner)
	w.Int(req.TombstoneTTL.Milliseconds())
}

func (c *releaseCall) decode(v *redispipe.Reply) (bool, error) { return decodeBool("release", v) }
func (c *releaseCall) after(r *round[bool])                    { closeAfter(r) }
