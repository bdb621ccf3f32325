//go:build linux

package main

import (
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestRunMajorityKilledEndsWithABoundedLog kills two of three redis-server with SIGKILL under a
// running run (TTL 3s): the lease cannot be extended, so COMMAND must be terminated, run must
// exit 5, and its log must stay short however often the extensions fail.
func TestRunMajorityKilledEndsWithABoundedLog(t *testing.T) {
	servers, nodes := startNodes(t, 3)
	p := startCLI(t, t.TempDir(), "run", "--nodes", nodes, "--ttl", "3s", "majority-job", "--", "sleep", "30")
	pid, pgid := waitCommandStarted(t, p)
	start := time.Now()
	servers[0].Kill()
	servers[1].Kill()
	code := p.exitCode(t, 40*time.Second)
	elapsed := time.Since(start)
	stderr := p.stderrText()
	if code != exitLeaseLost {
		t.Fatalf("exit %d, want %d (lease lost); stderr:\n%s", code, exitLeaseLost, stderr)
	}
	if left := waitGroupGone(t, pgid, 5*time.Second); len(left) > 0 {
		t.Errorf("COMMAND (sleep, pid %d) was not terminated: its group %d still has %v", pid, pgid, left)
	}
	// The lease ends within a TTL of the kill; sleep dies at the SIGTERM. Slack for a loaded machine.
	if limit := 3*time.Second + 8*time.Second; elapsed > limit {
		t.Errorf("run ended %v after the kill; want within the TTL (+ slack) = %v", elapsed, limit)
	}
	if lines := strings.Count(stderr, "\n"); lines > 40 {
		t.Errorf("%d lines of log, want at most 40:\n%s", lines, stderr)
	}
	if !strings.Contains(stderr, "lease lost") || !strings.Contains(stderr, servers[0].Addr()) {
		t.Errorf("the log does not say the lease was lost, or which nodes failed (%s):\n%s", servers[0].Addr(), stderr)
	}
}

var startedRE = regexp.MustCompile(`msg="command started" pid=(\d+) pgid=(\d+)`)

// waitCommandStarted waits for run's "command started" line and returns COMMAND's pid and
// process group; a cleanup kills what is left of the group, should the test fail.
func waitCommandStarted(t *testing.T, p *process) (pid, pgid int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := startedRE.FindStringSubmatch(p.stderrText()); m != nil {
			pid, _ = strconv.Atoi(m[1])
			pgid, _ = strconv.Atoi(m[2])
			t.Cleanup(func() {
				if len(groupMembers(t, pgid)) > 0 {
					_ = syscall.Kill(-pgid, syscall.SIGKILL)
				}
			})
			return pid, pgid
		}
		select {
		case <-p.exited:
			t.Fatalf("run exited (%v) before starting COMMAND; stderr:\n%s", p.cmd.ProcessState, p.stderrText())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("COMMAND did not start; stderr:\n%s", p.stderrText())
		}
	}
}
