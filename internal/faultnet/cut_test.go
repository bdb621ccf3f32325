package faultnet_test

import (
	"context"
	"errors"
	"testing"

	"github.com/quorumlock/quorumlock/internal/faultnet"
)

// TestCutAffectsOnlyTheCutClient: for each kind of cut, the cut client's request fails (the
// server runs it only if replies alone are cut), and another client's connections to the same
// node are untouched.
func TestCutAffectsOnlyTheCutClient(t *testing.T) {
	for _, tc := range []struct {
		cut      faultnet.Cut
		writeErr bool // the write itself fails
		runs     bool // the server runs the request
		dialErr  bool // a new dial of the cut client fails
	}{
		{faultnet.CutRequests, true, false, true},
		{faultnet.CutReplies, false, true, false},
		{faultnet.CutBoth, true, false, true},
	} {
		t.Run(tc.cut.String(), func(t *testing.T) {
			s, n := startNode(t)
			cut, other := connect(t, n.Dialer(1), s.Addr()), connect(t, n.Dialer(2), s.Addr())
			n.Cut(1, tc.cut)
			err := cut.send("SET", "k", "v")
			if errors.Is(err, faultnet.ErrInjected) != tc.writeErr {
				t.Fatalf("write of the cut client: %v", err)
			}
			if _, err := cut.reply(); !errors.Is(err, faultnet.ErrInjected) {
				t.Fatalf("read of the cut client: %v, want ErrInjected", err)
			}
			if tc.runs {
				if !s.Exists("k") {
					t.Fatal("the server did not run the request")
				}
			} else {
				staysAbsent(t, s, "k")
			}
			if got := other.do("INCR", "n"); got != "1" {
				t.Fatalf("other client: INCR = %q", got)
			}
			nc, err := n.Dialer(1)(context.Background(), "tcp", s.Addr())
			if nc != nil {
				_ = nc.Close()
			}
			if errors.Is(err, faultnet.ErrInjected) != tc.dialErr {
				t.Fatalf("dial of the cut client: %v", err)
			}
			connect(t, n.Dialer(2), s.Addr()).do("PING")
		})
	}
}

// TestCutsNest: a cut of one kind stays in force until as many Uncuts as Cuts.
func TestCutsNest(t *testing.T) {
	s, n := startNode(t)
	n.Cut(1, faultnet.CutRequests)
	n.Cut(1, faultnet.CutBoth)
	n.Uncut(1, faultnet.CutRequests)
	if nc, err := n.Dialer(1)(context.Background(), "tcp", s.Addr()); !errors.Is(err, faultnet.ErrInjected) {
		if nc != nil {
			_ = nc.Close()
		}
		t.Fatalf("dial with one cut of requests left: %v, want ErrInjected", err)
	}
	n.Uncut(1, faultnet.CutRequests)
	c := connect(t, n.Dialer(1), s.Addr())
	if err := c.send("PING"); err != nil {
		t.Fatalf("write with replies still cut: %v", err)
	}
	if _, err := c.reply(); !errors.Is(err, faultnet.ErrInjected) {
		t.Fatalf("read with replies still cut: %v, want ErrInjected", err)
	}
	n.Uncut(1, faultnet.CutReplies)
	connect(t, n.Dialer(1), s.Addr()).do("PING")
}

// TestUnbalancedUncutPanics: an Uncut without its Cut is a programmer error.
func TestUnbalancedUncutPanics(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(n *faultnet.Node)
	}{
		{"uncut without cut", func(n *faultnet.Node) { n.Uncut(0, faultnet.CutReplies) }},
		{"uncut of the other kind", func(n *faultnet.Node) { n.Cut(0, faultnet.CutRequests); n.Uncut(0, faultnet.CutBoth) }},
		{"not a cut", func(n *faultnet.Node) { n.Cut(0, faultnet.Cut(4)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			tc.run(faultnet.NewNode("127.0.0.1:1"))
		})
	}
}
