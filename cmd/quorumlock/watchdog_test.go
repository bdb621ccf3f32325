//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// procStat returns the state and the process group of pid, read from /proc/PID/stat.
func procStat(pid int) (state byte, pgid int, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 3 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: %q", pid, b)
	}
	pgid, err = strconv.Atoi(f[2])
	return f[0][0], pgid, err
}

// groupMembers returns the processes of group pgid that are still alive: zombies are dead, only
// not yet reaped by whoever inherited them.
func groupMembers(t *testing.T, pgid int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if state, g, err := procStat(pid); err == nil && g == pgid && state != 'Z' {
			pids = append(pids, pid)
		}
	}
	return pids
}

// waitGroupGone waits at most limit for group pgid to have no live process, and returns the
// survivors.
func waitGroupGone(t *testing.T, pgid int, limit time.Duration) []int {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		left := groupMembers(t, pgid)
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(10 * time.Millisecond) // polling /proc: nothing to wait on for a non-child
	}
}

// commandGroup reads the pids that COMMAND wrote to dir/pids, checks that they share a process
// group other than the test's own, and registers a cleanup that kills what is left of it, so
// that nothing the test started outlives it even when it fails.
func commandGroup(t *testing.T, dir string) (pids []int, pgid int) {
	t.Helper()
	for _, s := range strings.Fields(string(readFile(t, filepath.Join(dir, "pids")))) {
		pid, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("pids: %v", err)
		}
		pids = append(pids, pid)
	}
	_, pgid, err := procStat(pids[0])
	if err != nil {
		t.Fatal(err)
	}
	if pgid == syscall.Getpgrp() {
		t.Fatalf("COMMAND runs in the test's own process group %d", pgid)
	}
	t.Cleanup(func() {
		if len(groupMembers(t, pgid)) > 0 { // the group id is reserved while a member lives
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
	})
	for _, pid := range pids {
		if _, g, err := procStat(pid); err != nil || g != pgid {
			t.Fatalf("pid %d: group %d (%v), want COMMAND's group %d", pid, g, err, pgid)
		}
	}
	return pids, pgid
}

func TestRunDiesCommandDies(t *testing.T) {
	_, nodes := startNodes(t, 3)
	t.Run("run killed", func(t *testing.T) { testRunKilledKillsTheGroup(t, nodes, "killed-job", false) })
	t.Run("run killed after forwarding SIGTERM", func(t *testing.T) { testRunKilledKillsTheGroup(t, nodes, "term-killed-job", true) })
	t.Run("run exits", func(t *testing.T) { testRunExitLeavesNothing(t, nodes) })
}

// testRunKilledKillsTheGroup: SIGKILL gives run no chance to clean up, yet COMMAND and what it
// started must not go on without the lock: the lease would run out and a second run take the
// lock while they still ran, unfenced. With term, run first forwards a SIGTERM, which COMMAND
// survives: the group's guard must survive it too. A killed run leaves its lock held until the
// TTL runs out, so each call needs a lock name of its own.
func testRunKilledKillsTheGroup(t *testing.T, nodes, name string, term bool) {
	dir := t.TempDir()
	// Two sleeps in COMMAND's group, immune to SIGTERM; the shell notes a SIGTERM and waits on.
	script := `trap 'touch got-term' TERM
		(trap '' TERM; exec sleep 60) & a=$!
		(trap '' TERM; exec sleep 60) & b=$!
		echo $$ $a $b > pids.tmp; mv pids.tmp pids; wait; wait`
	p := startCLI(t, dir, "run", "--nodes", nodes, "--ttl", "5s", name, "--", "sh", "-c", script)
	waitFile(t, p, filepath.Join(dir, "pids"))
	pids, pgid := commandGroup(t, dir)
	if term {
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		waitFile(t, p, filepath.Join(dir, "got-term"))
	}
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.exited
	if left := waitGroupGone(t, pgid, 3*time.Second); len(left) > 0 {
		t.Fatalf("3s after run was killed (TTL 5s), COMMAND's group %d (sh and sleeps %v) still has %v", pgid, pids, left)
	}
}

// testRunExitLeavesNothing: when run exits normally, nothing it started stays in COMMAND's
// group (run's helper process included).
func testRunExitLeavesNothing(t *testing.T, nodes string) {
	dir := t.TempDir()
	script := `echo $$ > pids.tmp; mv pids.tmp pids; ` + waitForStop
	p := startCLI(t, dir, "run", "--nodes", nodes, "exit-job", "--", "sh", "-c", script)
	waitFile(t, p, filepath.Join(dir, "pids"))
	_, pgid := commandGroup(t, dir)
	writeFile(t, filepath.Join(dir, "stop"), nil)
	if code := p.exitCode(t, 20*time.Second); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, p.stderrText())
	}
	if left := waitGroupGone(t, pgid, 3*time.Second); len(left) > 0 {
		t.Fatalf("after run exited 0, COMMAND's group %d still has %v", pgid, left)
	}
}
