package quorum

import (
	"bytes"
	"fmt"
	"sync/atomic"

	"github.com/quorumlock/quorumlock/internal/redispipe"
)

// evalCmd is one node's part in a round: the script call that the node's pipe writes and whose
// reply its reader goroutine decodes and delivers (a redispipe.Request), and the slot of its
// result.
type evalCmd[R any] struct {
	r    *round[R]
	i    int
	node *redisNode
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
