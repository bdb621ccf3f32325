package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/quorum"
)

func TestCensus(t *testing.T) {
	node := func(state string, max fencing.Token) quorum.HealNode { return quorum.HealNode{State: state, Max: max} }
	down := node(stateUnreachable, 0)
	tests := []struct {
		name                          string
		nodes                         []quorum.HealNode
		canGrant, needsHeal, looksNew bool
		command                       string
	}{
		{"in service", []quorum.HealNode{node(stateOK, 5), node(stateOK, 5), node(stateOK, 5)}, true, false, false, "quorumlock heal"},
		{"one restarted", []quorum.HealNode{node(stateOK, 5), node(stateRestarted, 5), node(stateOK, 5)}, true, false, false, "quorumlock heal"},
		{"new", []quorum.HealNode{node(stateNew, 0), node(stateNew, 0), node(stateNew, 0)}, false, true, true, "quorumlock heal --new-deployment"},
		{"new, one down", []quorum.HealNode{node(stateNew, 0), node(stateNew, 0), down}, false, true, true, "quorumlock heal --new-deployment"},
		{"new with tokens", []quorum.HealNode{node(stateNew, 7), node(stateNew, 0), node(stateNew, 0)}, false, true, false, "quorumlock heal"},
		{"a majority wiped", []quorum.HealNode{node(stateOK, 5), node(stateNew, 0), node(stateNew, 0)}, false, true, false, "quorumlock heal"},
		{"a majority restarted", []quorum.HealNode{node(stateRestarted, 5), node(stateRestarted, 5), node(stateOK, 5)}, false, true, false, "quorumlock heal"},
		{"waiting for the unreachable", []quorum.HealNode{node(stateOK, 5), node(stateOK, 5), node(stateNew, 0), down, down}, false, false, false, "quorumlock heal"},
		{"nothing answers", []quorum.HealNode{down, down, down}, false, false, false, "quorumlock heal"},
	}
	for _, tt := range tests {
		c := healCensus(tt.nodes)
		got := fmt.Sprint(c.canGrant(), c.needsHeal(), c.looksNew(), c.healCommand())
		if want := fmt.Sprint(tt.canGrant, tt.needsHeal, tt.looksNew, tt.command); got != want {
			t.Errorf("%s: can grant, needs heal, looks new, command = %s; want %s", tt.name, got, want)
		}
	}
}

func TestRecoveryWait(t *testing.T) {
	nodes := []quorum.HealNode{{State: stateNew, Quarantine: 3 * time.Minute}, {State: stateOK}}
	if got := recoveryWait(nodes, time.Minute); got != 3*time.Minute {
		t.Errorf("wait %v, want the quarantine left, 3m", got)
	}
	if got := recoveryWait(nodes, 2*time.Minute); got != 4*time.Minute {
		t.Errorf("wait %v, want twice the clock skew, 4m", got)
	}
}

func TestWrap(t *testing.T) {
	text := strings.Repeat("word ", 30)
	for i, line := range strings.Split(wrap(text, 20, "  "), "\n") {
		if len(line) > 22 || i > 0 && !strings.HasPrefix(line, "  word") {
			t.Errorf("line %d %q: want at most 20 bytes after the indent", i, line)
		}
	}
}

func TestAcquireExitNeedsHeal(t *testing.T) {
	err := errors.Join(fmt.Errorf("%w: 2 of 3 nodes", quorum.ErrNeedsHeal),
		&quorum.NodeError{Node: "a", Op: "acquire", Err: quorum.ErrNodeAmnesic})
	if code := acquireExit(err, quorum.ErrUnavailable); code != exitUnavailable {
		t.Errorf("exit %d, want %d", code, exitUnavailable)
	}
}
