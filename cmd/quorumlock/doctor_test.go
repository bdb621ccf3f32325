package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/internal/redisproc"
	"github.com/quorumlock/quorumlock/quorum"
)

func TestDoctor(t *testing.T) {
	good := redisproc.StartN(t, 3, redisproc.Config{AppendOnly: true}) // appendfsync always, noeviction
	rdb := redisproc.Start(t, redisproc.Config{ExtraArgs: []string{"--save", "3600 1"}})
	lru := redisproc.Start(t, redisproc.Config{AppendOnly: true,
		ExtraArgs: []string{"--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru"}})
	bringIntoService(t, good[0].URL(), good[1].URL(), good[2].URL(), rdb.URL(), lru.URL())
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
			[]string{"Availability: NONE: only 1 of 3 nodes answered"}},
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

// reportOf is the report of a node whose marker has state and lost ("" for none), written under
// markerRun.
func reportOf(runID, state, markerRun, lost string) quorum.NodeReport {
	return quorum.NodeReport{Node: "n-" + runID, Info: quorum.NodeInfo{RunID: runID, State: state, MarkerRunID: markerRun, Lost: lost}}
}

func TestInspectState(t *testing.T) {
	for _, tt := range []struct {
		r    quorum.NodeReport
		want string
	}{
		{reportOf("a", "ok", "a", ""), stateOK},
		{reportOf("a", "ok", "old", ""), stateRestarted}, // amnesic from its next call
		{reportOf("a", "amnesic", "a", "restart"), stateRestarted},
		{reportOf("a", "amnesic", "a", "new"), stateNew},
		{reportOf("a", "absent", "", ""), stateNew},
		{quorum.NodeReport{Err: errors.New("refused")}, stateUnreachable},
	} {
		if got := inspectState(tt.r); got != tt.want {
			t.Errorf("%+v: state %s, want %s", tt.r.Info, got, tt.want)
		}
	}
}

func TestAssess(t *testing.T) {
	ok := func(id string) quorum.NodeReport { return reportOf(id, "ok", id, "") }
	absent := func(id string) quorum.NodeReport { return reportOf(id, "absent", "", "") }
	fresh := func(id string) quorum.NodeReport { return reportOf(id, "amnesic", id, "new") }
	restarted := func(id string) quorum.NodeReport {
		r := reportOf(id, "ok", "old-"+id, "")
		r.Findings = []quorum.Finding{{Severity: quorum.Warning, Message: "restarted since its marker was written (run_id x, marker y): amnesic from its next call, for a quarantine of 10s at least"}}
		return r
	}
	down := quorum.NodeReport{Node: "down", Err: errors.New("refused"), Findings: []quorum.Finding{{Severity: quorum.Warning}}}
	danger := ok("x")
	danger.Findings = []quorum.Finding{{Severity: quorum.Danger}, {Severity: quorum.Info}}
	tests := []struct {
		name                    string
		reports                 []quorum.NodeReport
		inService, servers, tol int
		dangers                 int
		code                    int
		heal                    string // the command the verdict names, if any
	}{
		{"five independent", []quorum.NodeReport{ok("a"), ok("b"), ok("c"), ok("d"), ok("e")}, 5, 5, 2, 0, exitOK, ""},
		{"one server twice of five", []quorum.NodeReport{ok("a"), ok("a"), ok("c"), ok("d"), ok("e")}, 5, 4, 1, 0, exitOK, ""},
		{"a restarted node is healed by the lock", []quorum.NodeReport{ok("a"), restarted("b"), ok("c")}, 2, 2, 0, 0, exitOK, ""},
		{"a wiped node beside served ones", []quorum.NodeReport{ok("a"), fresh("b"), ok("c")}, 2, 2, 0, 1, exitDanger, ""},
		{"a new deployment", []quorum.NodeReport{absent("a"), fresh("b"), fresh("c")}, 0, 0, 0, 0, exitUnavailable, "quorumlock heal --new-deployment"},
		{"a new deployment, one node down", []quorum.NodeReport{absent("a"), fresh("b"), down}, 0, 0, 0, 0, exitUnavailable, "quorumlock heal --new-deployment"},
		{"a majority restarted", []quorum.NodeReport{ok("a"), restarted("b"), restarted("c")}, 1, 1, 0, 0, exitUnavailable, "quorumlock heal"},
		{"a majority wiped", []quorum.NodeReport{ok("a"), absent("b"), absent("c")}, 1, 1, 0, 2, exitUnavailable, "quorumlock heal"},
		{"a majority down", []quorum.NodeReport{ok("a"), down, down}, 1, 1, 0, 0, exitUnavailable, ""},
		{"nothing granted wins over danger", []quorum.NodeReport{danger, down, down}, 1, 1, 0, 1, exitUnavailable, ""},
		{"amnesic, waiting for the unreachable", []quorum.NodeReport{ok("a"), ok("b"), restarted("c"), down, down}, 2, 2, 0, 0, exitUnavailable, ""},
	}
	for _, tt := range tests {
		a := assess(tt.reports)
		if a.ok != tt.inService || a.servers != tt.servers || a.tolerate != tt.tol || a.dangers != tt.dangers || a.exitCode() != tt.code {
			t.Errorf("%s: %d in service on %d servers, tolerates %d, %d dangers, exit %d; want %d, %d, %d, %d, %d", tt.name,
				a.ok, a.servers, a.tolerate, a.dangers, a.exitCode(), tt.inService, tt.servers, tt.tol, tt.dangers, tt.code)
		}
		verdict := strings.Join(a.verdict(quorum.Options{TTL: 10 * time.Second, Quarantine: 10 * time.Second}), "\n")
		var findings []string
		for _, r := range tt.reports {
			for _, f := range r.Findings {
				findings = append(findings, f.Message)
			}
		}
		all := verdict + "\n" + strings.Join(findings, "\n")
		switch {
		case tt.heal != "" && !strings.Contains(verdict, "operator runs\n    "+tt.heal+"\n"):
			t.Errorf("%s: the verdict does not name %q:\n%s", tt.name, tt.heal, verdict)
		case tt.heal == "" && strings.Contains(verdict, "operator runs"):
			t.Errorf("%s: the verdict asks for an operator:\n%s", tt.name, verdict)
		case tt.code == exitUnavailable && strings.Contains(all, "can grant now"):
			t.Errorf("%s: says a node can grant now:\n%s", tt.name, all)
		case tt.code == exitUnavailable && strings.Contains(all, "healed at the next call"):
			t.Errorf("%s: promises a heal by the lock:\n%s", tt.name, all)
		}
	}
}
