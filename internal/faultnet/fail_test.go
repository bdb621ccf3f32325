package faultnet_test

import (
	"context"
	"errors"
	"testing"

	"github.com/quorumlock/quorumlock/internal/faultnet"
)

// TestFailResetsAtOnce: under SetFail a write resets the connection at once, the server does
// not run the command, and Read fails too; connections of every client are affected.
func TestFailResetsAtOnce(t *testing.T) {
	s, n := startNode(t)
	clients := []*client{connect(t, n.Dialer(0), s.Addr()), connect(t, n.Dialer(1), s.Addr())}
	n.SetFail(true)
	for i, c := range clients {
		key := "k" + itoa(i)
		if err := c.send("SET", key, "v"); !errors.Is(err, faultnet.ErrInjected) {
			t.Fatalf("client %d: write under SetFail: %v, want ErrInjected", i, err)
		}
		if _, err := c.reply(); !errors.Is(err, faultnet.ErrInjected) {
			t.Fatalf("client %d: read after the reset: %v, want ErrInjected", i, err)
		}
		staysAbsent(t, s, key)
	}
	n.SetFail(false)
	if err := clients[0].send("PING"); !errors.Is(err, faultnet.ErrInjected) {
		t.Fatalf("write on a reset connection after SetFail(false): %v, want ErrInjected", err)
	}
	connect(t, n.Dialer(0), s.Addr()).do("PING")
}

// TestDialDuringFailFails: SetFail refuses new connections, and ends when it is turned off.
func TestDialDuringFailFails(t *testing.T) {
	s, n := startNode(t)
	n.SetFail(true)
	nc, err := n.Dialer(0)(context.Background(), "tcp", s.Addr())
	if !errors.Is(err, faultnet.ErrInjected) {
		if nc != nil {
			_ = nc.Close()
		}
		t.Fatalf("dial under SetFail: %v, want ErrInjected", err)
	}
	if got := s.TotalConnectionCount(); got != 0 {
		t.Fatalf("the server saw %d connections", got)
	}
	n.SetFail(false)
	connect(t, n.Dialer(0), s.Addr()).do("PING")
}

// TestFailKeepsBytesAcceptedBefore: bytes a stall held before SetFail still run on Resume;
// the fault refuses only later writes.
func TestFailKeepsBytesAcceptedBefore(t *testing.T) {
	s, n := startNode(t)
	c := connect(t, n.Dialer(0), s.Addr())
	n.Stall()
	if err := c.send("SET", "before", "v"); err != nil {
		t.Fatal(err)
	}
	n.SetFail(true)
	if err := c.send("SET", "after", "v"); !errors.Is(err, faultnet.ErrInjected) {
		t.Fatalf("write under SetFail: %v, want ErrInjected", err)
	}
	n.Resume()
	eventually(t, "run", func() bool { return s.Exists("before") })
	staysAbsent(t, s, "after")
}

// TestLoseRepliesRunsThenResets: under SetLoseReplies the command runs on the server while
// the client's connection is reset, and the server still runs what followed it on the
// connection.
func TestLoseRepliesRunsThenResets(t *testing.T) {
	s, n := startNode(t)
	c := connect(t, n.Dialer(0), s.Addr())
	c.do("PING")
	n.SetLoseReplies(true)
	if err := c.send("SET", "k", "v"); err != nil {
		t.Fatalf("write under SetLoseReplies: %v", err)
	}
	if _, err := c.reply(); !errors.Is(err, faultnet.ErrInjected) {
		t.Fatalf("read under SetLoseReplies: %v, want ErrInjected", err)
	}
	if got, _ := s.Get("k"); got != "v" {
		t.Fatalf("k = %q on the server, want v: the command must run", got)
	}
	if err := c.send("PING"); !errors.Is(err, faultnet.ErrInjected) {
		t.Fatalf("write on the reset connection: %v, want ErrInjected", err)
	}
	n.SetLoseReplies(false)
	connect(t, n.Dialer(0), s.Addr()).do("PING")
}

// TestLoseRepliesAllowsDial: a node that loses replies accepts connections; the first reply
// resets them.
func TestLoseRepliesAllowsDial(t *testing.T) {
	s, n := startNode(t)
	n.SetLoseReplies(true)
	c := connect(t, n.Dialer(0), s.Addr())
	if err := c.send("INCR", "n"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.reply(); !errors.Is(err, faultnet.ErrInjected) {
		t.Fatalf("read: %v, want ErrInjected", err)
	}
	if got, _ := s.Get("n"); got != "1" {
		t.Fatalf("n = %q, want 1", got)
	}
}
