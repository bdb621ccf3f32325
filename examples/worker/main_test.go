//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fastArgs are the example's durations for the test: the whole story takes about 4 s.
var fastArgs = []string{"-ttl", "500ms", "-work", "100ms", "-run", "1s", "-pause", "1.2s", "-tail", "300ms"}

// build builds the example (with -race if this test binary has it) and returns its path.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "worker")
	args := []string{"build", "-o", bin}
	if raceEnabled() {
		args = append(args, "-race")
	}
	out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built %s (race detector: %v)", bin, raceEnabled())
	return bin
}

// raceEnabled reports whether this test binary was built with -race.
func raceEnabled() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// killGroup stops every process of group pgid, paused or not: SIGCONT, then SIGKILL.
func killGroup(pgid int) {
	_ = syscall.Kill(-pgid, syscall.SIGCONT)
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// result is what a run of the example left.
type result struct {
	out  string
	code int // exit status
	pgid int // its process group, shared by its replicas
}

// runWorker runs bin with args in a process group of its own, which its replicas share. The
// group is killed (SIGCONT, SIGKILL) on timeout and when the test ends, pass or fail.
func runWorker(t *testing.T, bin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { killGroup(cmd.Process.Pid); return nil }
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := cmd.Process.Pid
	t.Cleanup(func() { killGroup(pgid) })
	err := cmd.Wait()
	t.Logf("worker %s (%v):\n%s", strings.Join(args, " "), err, out.String())
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("run worker: %v", err)
	}
	return result{out: out.String(), code: cmd.ProcessState.ExitCode(), pgid: pgid}
}

func TestWorker(t *testing.T) {
	bin := build(t)
	t.Run("help", func(t *testing.T) {
		r := runWorker(t, bin, "-h")
		if r.code != 0 || !strings.Contains(r.out, "example") || !strings.Contains(r.out, "-pause") {
			t.Errorf("-h: exit %d, want 0 and the usage with an example", r.code)
		}
		if r := runWorker(t, bin, "-ttl", "1s", "-pause", "1s"); r.code != 2 {
			t.Errorf("-pause not above -ttl: exit %d, want 2", r.code)
		}
	})
	t.Run("story", func(t *testing.T) {
		start := time.Now()
		r := runWorker(t, bin, fastArgs...)
		t.Logf("the story took %v", time.Since(start))
		if r.code != 0 {
			t.Errorf("exit %d, want 0", r.code)
		}
		if !strings.Contains(r.out, "brought the 3 new nodes into service") {
			t.Error("the supervisor does not say it brought its new nodes into service")
		}
		checkSummary(t, r.out)
		checkGone(t, r)
	})
}

// checkSummary checks the summary: at least one stale write refused, two takeovers, the
// ledger's tokens non-decreasing, every check passed.
func checkSummary(t *testing.T, out string) {
	t.Helper()
	if n := number(t, out, `stale writes refused: (\d+)`); n < 1 {
		t.Errorf("stale writes refused: %d, want at least 1", n)
	}
	if n := number(t, out, `takeovers: (\d+)`); n != 2 {
		t.Errorf("takeovers: %d, want 2", n)
	}
	stretches := regexp.MustCompile(`(?m)^    token (\d+)  replica \d+ +\d+ writes$`).FindAllStringSubmatch(out, -1)
	if len(stretches) < 3 {
		t.Errorf("%d tokens in the ledger, want at least 3 (one per holder)", len(stretches))
	}
	var last uint64
	for _, m := range stretches {
		tok, _ := strconv.ParseUint(m[1], 10, 64)
		if tok < last {
			t.Errorf("token %d after %d in the ledger", tok, last)
		}
		last = tok
	}
	for _, c := range []string{"tokens never decrease in the ledger", "stale writes refused, none in the ledger",
		"two takeovers, each with a larger token"} {
		if !strings.Contains(out, "check  "+c+": ok") {
			t.Errorf("check %q did not pass", c)
		}
	}
}

// number returns the integer that pattern's group captures in out.
func number(t *testing.T, out, pattern string) int {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(out)
	if m == nil {
		t.Errorf("no %q in the output", pattern)
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// checkGone requires the worker's process group to be empty: every replica was stopped and
// reaped. It also checks each replica's pid.
func checkGone(t *testing.T, r result) {
	t.Helper()
	if err := syscall.Kill(-r.pgid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process group %d still has members after the worker exited (kill 0: %v)", r.pgid, err)
	}
	pids := regexp.MustCompile(`started, pid (\d+)`).FindAllStringSubmatch(r.out, -1)
	if len(pids) != replicas {
		t.Errorf("%d replicas started, want %d", len(pids), replicas)
	}
	for _, m := range pids {
		pid, _ := strconv.Atoi(m[1])
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("replica pid %d still exists (kill 0: %v)", pid, err)
		}
	}
}
