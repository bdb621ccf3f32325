package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/quorumlock/quorumlock/internal/redisproc"
	"github.com/quorumlock/quorumlock/quorum"
)

func TestDoctor(t *testing.T) {
	good := redisproc.StartN(t, 3, redisproc.Config{AppendOnly: true}) // appendfsync always, noeviction
	rdb := redisproc.Start(t, redisproc.Config{ExtraArgs: []string{"--save", "3600 1"}})
	lru := redisproc.Start(t, redisproc.Config{AppendOnly: true,
		ExtraArgs: []string{"--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru"}})
	closed := closedURLs(t, 2)
	sameServer := "redis://" + good[0].Addr() + "/1" // another database of the same server
	tests := []struct {
		name  string
		nodes []string
		code  int
		want  []string
	}{
		{"good", []string{good[0].URL(), good[1].URL(), good[2].URL()}, exitOK,
			[]string{"aof, fsync always", "noeviction", "findings:\n  none", "can grant now; the lock stays available if 1 more server(s) fail",
				"Fencing tokens: every grant's token is greater"}},
		// A restart is seen whatever the server reloads (a new run_id): RDB alone is no danger.
		{"RDB snapshots without AOF", []string{rdb.URL(), good[1].URL(), good[2].URL()}, exitOK,
			[]string{"rdb save 3600 1", "findings:\n  none"}},
		{"allkeys eviction", []string{good[0].URL(), lru.URL(), good[2].URL()}, exitDanger,
			[]string{"allkeys-lru, 64MiB", "danger   #2 " + lru.Addr() + "/0: maxmemory-policy allkeys-lru", "Mutual exclusion: NOT guaranteed"}},
		{"the same server twice", []string{good[0].URL(), sameServer, good[2].URL()}, exitDanger,
			[]string{"(same as #1)", "same server as " + good[0].Addr() + "/0", "Independence: BROKEN",
				"on 2 server(s) can grant now; the lock stays available if 0 more server(s) fail"}},
		{"a minority unreachable", []string{good[0].URL(), good[1].URL(), closed[0]}, exitOK,
			[]string{"warning  #3", "unreachable", "Unknown: 1 node(s) did not answer"}},
		{"a majority unreachable", []string{good[0].URL(), closed[0], closed[1]}, exitUnavailable,
			[]string{"Availability: NONE now"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), []string{"doctor", "--timeout", "500ms", "--nodes", strings.Join(tt.nodes, ",")}, &out, &errOut)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.code, errOut.String())
			}
			for _, want := range tt.want {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q", want)
				}
			}
			if t.Failed() {
				t.Logf("output:\n%s", out.String())
			}
		})
	}
}

func TestAssess(t *testing.T) {
	node := func(runID, state string) quorum.NodeReport {
		return quorum.NodeReport{Node: "n-" + runID, Info: quorum.NodeInfo{RunID: runID, State: state}}
	}
	down := quorum.NodeReport{Node: "down", Err: errors.New("refused"), Findings: []quorum.Finding{{Severity: quorum.Warning}}}
	danger := node("x", "ok")
	danger.Findings = []quorum.Finding{{Severity: quorum.Danger}, {Severity: quorum.Info}}
	tests := []struct {
		name     string
		reports  []quorum.NodeReport
		canGrant int
		servers  int
		tolerate int
		code     int
	}{
		{"five independent", []quorum.NodeReport{node("a", "ok"), node("b", "ok"), node("c", "ok"), node("d", "ok"), node("e", "ok")}, 5, 5, 2, exitOK},
		{"one server twice of five", []quorum.NodeReport{node("a", "ok"), node("a", "ok"), node("c", "ok"), node("d", "ok"), node("e", "ok")}, 5, 4, 1, exitOK},
		{"a quarantined node cannot grant", []quorum.NodeReport{node("a", "ok"), node("b", "amnesic"), node("c", "ok")}, 2, 2, 0, exitOK},
		{"a new deployment bootstraps", []quorum.NodeReport{node("a", "absent"), node("b", "amnesic"), node("c", "amnesic")}, 3, 3, 1, exitOK},
		{"a majority quarantined", []quorum.NodeReport{node("a", "ok"), node("b", "amnesic"), node("c", "amnesic")}, 1, 1, 0, exitUnavailable},
		{"a majority down", []quorum.NodeReport{node("a", "ok"), down, down}, 1, 1, 0, exitUnavailable},
		{"danger wins over down", []quorum.NodeReport{danger, down, down}, 1, 1, 0, exitDanger},
	}
	for _, tt := range tests {
		a := assess(tt.reports)
		if a.canGrant != tt.canGrant || a.servers != tt.servers || a.tolerate != tt.tolerate || a.exitCode() != tt.code {
			t.Errorf("%s: can grant %d on %d servers, tolerates %d, exit %d; want %d, %d, %d, %d", tt.name,
				a.canGrant, a.servers, a.tolerate, a.exitCode(), tt.canGrant, tt.servers, tt.tolerate, tt.code)
		}
	}
}
