package faultnet_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/quorumlock/quorumlock/internal/faultnet"
)

// TestNetworkRoutesByAddress: one Dialer reaches every node of the Network, each through its
// own faults.
func TestNetworkRoutesByAddress(t *testing.T) {
	a, b := miniredis.RunT(t), miniredis.RunT(t)
	var nw faultnet.Network
	na := nw.Add(a.Addr())
	nw.Add(b.Addr())
	if nw.Add(a.Addr()) != na || nw.Node(a.Addr()) != na {
		t.Fatal("Add or Node of a known address returned another Node")
	}
	dial := nw.Dialer(0)
	ca, cb := connect(t, dial, a.Addr()), connect(t, dial, b.Addr())
	na.Stall()
	if err := ca.send("SET", "k", "a"); err != nil {
		t.Fatal(err)
	}
	if got := cb.do("SET", "k", "b"); got != "OK" {
		t.Fatalf("SET on the healthy node = %q", got)
	}
	staysAbsent(t, a, "k")
	na.Resume()
	ca.expect("OK")
}

// TestDialerRefusesUnknownAddress: neither a Network nor a Node dials an address it does not
// hold.
func TestDialerRefusesUnknownAddress(t *testing.T) {
	s := miniredis.RunT(t)
	var nw faultnet.Network
	nw.Add("127.0.0.1:1")
	if nc, err := nw.Dialer(0)(context.Background(), "tcp", s.Addr()); !errors.Is(err, faultnet.ErrUnknownAddr) {
		if nc != nil {
			_ = nc.Close()
		}
		t.Fatalf("Network dial of an unknown address: %v, want ErrUnknownAddr", err)
	}
	n := faultnet.NewNode("127.0.0.1:1")
	if nc, err := n.Dialer(0)(context.Background(), "tcp", s.Addr()); !errors.Is(err, faultnet.ErrUnknownAddr) {
		if nc != nil {
			_ = nc.Close()
		}
		t.Fatalf("Node dial of another address: %v, want ErrUnknownAddr", err)
	}
}

// TestOpenCountsServerSides: Open counts a connection until the server has closed its side,
// which it does after running what the client sent before closing.
func TestOpenCountsServerSides(t *testing.T) {
	s := miniredis.RunT(t)
	var nw faultnet.Network
	n := nw.Add(s.Addr())
	c, err := nw.Dialer(1)(context.Background(), "tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	if n.Open() != 1 {
		t.Fatalf("Open = %d with one connection, want 1", n.Open())
	}
	n.Stall()
	if _, err := c.Write([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")); err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	n.Resume()
	deadline := time.Now().Add(5 * time.Second)
	for n.Open() != 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if v, _ := s.Get("k"); n.Open() != 0 || v != "v" {
		t.Fatalf("Open = %d, k = %q after close: want 0, and the write run", n.Open(), v)
	}
}
