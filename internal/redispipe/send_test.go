package redispipe_test

import (
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/quorumlock/quorumlock/internal/redispipe"
)

// echo is a Request that sends ECHO msg and records its reply.
type echo struct {
	msg   string
	skip  error
	got   string
	err   error
	calls int
	done  chan struct{}
}

func newEcho(msg string) *echo { return &echo{msg: msg, done: make(chan struct{})} }

func (e *echo) Dropped() error { return e.skip }

func (e *echo) WriteCommand(w *redispipe.Writer) {
	w.Array(2)
	w.Bulk("EC", "HO") // one argument from parts
	w.Bulk(e.msg)
}

func (e *echo) Complete(v *redispipe.Reply, err error) {
	e.calls++
	if err == nil {
		e.got = string(v.Str)
	}
	e.err = err
	close(e.done)
}

// TestSendDeliversEachReplyToItsRequest: requests sent from many goroutines, before the first
// connection is up and while it is busy, each get their own reply, once.
func TestSendDeliversEachReplyToItsRequest(t *testing.T) {
	s := miniredis.RunT(t)
	p := newPipe(t, redispipe.Config{Addr: s.Addr()})
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 200 {
				e := newEcho(strconv.Itoa(g*1000 + i))
				p.Send(e)
				<-e.done
				if e.err != nil || e.got != e.msg || e.calls != 1 {
					t.Errorf("ECHO %s: got %q, %v after %d completions", e.msg, e.got, e.err, e.calls)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestSendDroppedIsNotWritten(t *testing.T) {
	s := miniredis.RunT(t)
	p := newPipe(t, redispipe.Config{Addr: s.Addr()})
	do(t, p, "PING")
	before := s.CommandCount()
	skip := errors.New("caller gone")
	e := newEcho("x")
	e.skip = skip
	p.Send(e)
	<-e.done
	if !errors.Is(e.err, skip) {
		t.Fatalf("dropped request completed with %v, want its Dropped error", e.err)
	}
	do(t, p, "PING")
	if n := s.CommandCount() - before; n != 1 {
		t.Fatalf("%d commands reached the server, want only the PING after the dropped request", n)
	}
}

func TestSendAfterCloseFails(t *testing.T) {
	s := miniredis.RunT(t)
	p := redispipe.New(redispipe.Config{Addr: s.Addr()})
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	e := newEcho("x")
	p.Send(e)
	<-e.done
	if !errors.Is(e.err, redispipe.ErrClosed) {
		t.Fatalf("Send after Close completed with %v, want ErrClosed", e.err)
	}
}
