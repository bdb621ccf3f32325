package quorum

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"

	"github.com/quorumlock/quorumlock/internal/redispipe"
)

// nodeCall is what a broadcast asks of every node: one script call on a RedisNode, or the
// matching Node method on any other Node.
type nodeCall[R any] interface {
	op() string
	// do calls node i through the Node interface, on a goroutine of its own.
	do(ctx context.Context, i int, n Node) (R, error)
	// script is the script a RedisNode runs; droppable says whether a call whose round has
	// ended before it could be written is not written at all.
	script() script
	droppable() bool
	// write encodes the call for node i: verb (EVALSHA or EVAL), body (SHA1 or source), the
	// number of keys, the keys and the arguments.
	write(w *redispipe.Writer, i int, verb, body string)
	// decode reads a script's reply (never an error reply).
	decode(v *redispipe.Reply) (R, error)
	// after runs once every node has a result, on the goroutine of the last one; it must not
	// block, and must call r.close when its work is over.
	after(r *round[R])
}

// evalCmd is one node's part in a round: on a RedisNode, the script call that the node's pipe
// writes and whose reply its reader goroutine decodes and delivers (redispipe.Request); on any
// node, the slot of its result.
type evalCmd[R any] struct {
	r    *round[R]
	i    int
	node *RedisNode
	sc   script

	delivered atomic.Bool
	res       result[R]
}

var _ redispipe.Request = (*evalCmd[bool])(nil)

// Dropped drops a droppable call whose round is over before it could be written.
func (c *evalCmd[R]) Dropped() error {
	if c.r.call.droppable() {
		return c.r.endErr()
	}
	return nil
}

// WriteCommand writes the call by the script's SHA1 (loaded on every new connection).
func (c *evalCmd[R]) WriteCommand(w *redispipe.Writer) { c.r.call.write(w, c.i, "EVALSHA", c.sc.sha) }

// Complete decodes the reply and delivers it. If the server no longer has the script (SCRIPT
// FLUSH, or a mutant's script), the call is sent again with the script's source.
func (c *evalCmd[R]) Complete(v *redispipe.Reply, err error) {
	if err == nil && v.Kind == redispipe.KindError && bytes.HasPrefix(v.Str, []byte("NOSCRIPT")) {
		c.node.pipe.Send(&sourceCmd[R]{c})
		return
	}
	c.complete(v, err)
}

func (c *evalCmd[R]) complete(v *redispipe.Reply, err error) {
	var reply R
	switch {
	case err != nil:
	case v.Kind == redispipe.KindError:
		err = fmt.Errorf("%s: %w", c.sc.name, v.Err())
	default:
		reply, err = c.r.call.decode(v)
	}
	c.r.deliver(c.i, reply, err)
}

// sourceCmd is an evalCmd sent again by the script's source.
type sourceCmd[R any] struct{ c *evalCmd[R] }

func (s *sourceCmd[R]) Dropped() error { return s.c.Dropped() }

func (s *sourceCmd[R]) WriteCommand(w *redispipe.Writer) {
	s.c.r.call.write(w, s.c.i, "EVAL", s.c.sc.src)
}

func (s *sourceCmd[R]) Complete(v *redispipe.Reply, err error) { s.c.complete(v, err) }

// funcCall is a nodeCall without a script, such as Inspect: every node is called through the
// Node interface.
type funcCall[R any] struct {
	name string
	f    func(ctx context.Context, i int, n Node) (R, error)
}

func (c funcCall[R]) op() string { return c.name }

func (c funcCall[R]) do(ctx context.Context, i int, n Node) (R, error) { return c.f(ctx, i, n) }

func (c funcCall[R]) script() script  { return script{} }
func (c funcCall[R]) droppable() bool { return false }

func (c funcCall[R]) write(*redispipe.Writer, int, string, string) {
	panic("quorum: funcCall has no script")
}

func (c funcCall[R]) decode(*redispipe.Reply) (R, error) { panic("quorum: funcCall has no script") }
func (c funcCall[R]) after(r *round[R])                  { closeAfter(r) }

// closeAfter is the after of calls that have no after-work.
func closeAfter[R any](r *round[R]) { r.close() }

// decodeBool decodes a script's integer reply: true for 1.
func decodeBool(name string, v *redispipe.Reply) (bool, error) {
	if v.Kind != redispipe.KindInt {
		return false, fmt.Errorf("%s: reply %#v, want an integer", name, v.Value())
	}
	return v.Int == 1, nil
}
