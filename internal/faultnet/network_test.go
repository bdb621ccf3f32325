package faultnet_test

import (
	"context"
	"errors"
	"testing"

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
