package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
)

func TestParseRunPermits(t *testing.T) {
	if rc, err := parseRun([]string{"job", "--", "true"}, io.Discard); err != nil || rc.permits != 1 {
		t.Fatalf("without --permits: %d (%v), want 1", rc.permits, err)
	}
	if rc, err := parseRun([]string{"--permits", "3", "job", "--", "true"}, io.Discard); err != nil || rc.permits != 3 {
		t.Fatalf("--permits 3: %d (%v)", rc.permits, err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--permits", "0", "job", "--", "true"}, "--permits 0: want 1 or more"},
		{[]string{"job", "--permits", "-2", "--", "true"}, "--permits -2: want 1 or more"},
		{[]string{"--permits", "many", "job", "--", "true"}, "invalid value"},
	} {
		if _, err := parseRun(tt.args, io.Discard); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseRun(%q) = %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
}

// permitScript records what COMMAND is told of its permit, then waits for "stop" as
// waitForStop does.
const permitScript = `printf '%s %s %s %s' "$QUORUMLOCK_NAME" "$QUORUMLOCK_TOKEN" "$QUORUMLOCK_SLOT" "$QUORUMLOCK_PERMITS" > permit.txt; ` + waitForStop

// heldPermit is what a command under run was told of its permit.
type heldPermit struct {
	name    string
	token   uint64
	slot    int
	permits string
}

// readPermit reads permit.txt, written by permitScript in dir.
func readPermit(t *testing.T, dir string) heldPermit {
	t.Helper()
	f := strings.Fields(string(readFile(t, filepath.Join(dir, "permit.txt"))))
	if len(f) != 4 {
		t.Fatalf("the command saw %q; want the name, token, slot and permits", f)
	}
	token, err1 := strconv.ParseUint(f[1], 10, 64)
	slot, err2 := strconv.Atoi(f[2])
	if err1 != nil || err2 != nil {
		t.Fatalf("the command saw %q: token or slot is not a number", f)
	}
	return heldPermit{name: f[0], token: token, slot: slot, permits: f[3]}
}

// holderToken reads the token of the holder of lock name on the nodes.
func holderToken(t *testing.T, nodes, name string) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := quorum.Dial(ctx, strings.Split(nodes, ","), quorum.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	h, err := l.Holder(ctx, name)
	if err != nil {
		t.Fatalf("Holder(%q): %v", name, err)
	}
	return uint64(h.Token)
}

// startHolder starts run with args and permitScript in a directory of its own, and waits
// until the command runs.
func startHolder(t *testing.T, args ...string) (*process, string) {
	t.Helper()
	dir := t.TempDir()
	p := startCLI(t, dir, append(append([]string{"run"}, args...), "--", "sh", "-c", permitScript)...)
	waitFile(t, p, filepath.Join(dir, "ready"))
	return p, dir
}

// stopHolder lets a holder's command end and requires run to exit 0.
func stopHolder(t *testing.T, p *process, dir string) {
	t.Helper()
	writeFile(t, filepath.Join(dir, "stop"), nil)
	if code := p.exitCode(t, 20*time.Second); code != 0 {
		t.Fatalf("holder: exit %d; stderr:\n%s", code, p.stderrText())
	}
}

func TestRunPermits(t *testing.T) {
	_, nodes := startNodes(t, 3)
	t.Run("N commands at once", func(t *testing.T) { testRunNCommandsAtOnce(t, nodes) })
	t.Run("--permits 1 is the lock NAME", func(t *testing.T) { testRunOnePermitIsTheLock(t, nodes) })
	t.Run("invalid NAME", func(t *testing.T) {
		code, stderr := cli(t, t.TempDir(), "run", "--nodes", nodes, "--permits", "3", "{bad}", "--", "true")
		if code != exitUsage || !strings.Contains(stderr, "quorumlock run: NAME: ") || strings.Contains(stderr, "not acquired") {
			t.Errorf("exit %d, want %d and NAME named, not \"not acquired\"; stderr:\n%s", code, exitUsage, stderr)
		}
	})
}

// testRunNCommandsAtOnce: two runs hold the two permits of "exports" at once, each told its
// slot, its slot's lock name and that lock's token; a third is refused as held (exit 3), and
// says it waits while it does; once a holder ends, a third gets its slot.
func testRunNCommandsAtOnce(t *testing.T, nodes string) {
	args := []string{"--nodes", nodes, "--permits", "2", "exports"}
	h1, dir1 := startHolder(t, args...)
	h2, dir2 := startHolder(t, args...)
	p1, p2 := readPermit(t, dir1), readPermit(t, dir2)
	for _, p := range []heldPermit{p1, p2} {
		if p.name != "exports/permit/"+strconv.Itoa(p.slot) || p.permits != "2" || holderToken(t, nodes, p.name) != p.token {
			t.Errorf("the command was told %+v; want the name of its slot's lock, 2 permits, and that lock's token", p)
		}
	}
	if p1.slot == p2.slot {
		t.Fatalf("both commands hold slot %d", p1.slot)
	}
	for _, wait := range []string{"0", "300ms"} {
		code, stderr := cli(t, t.TempDir(), append(append([]string{"run", "--wait", wait}, args...), "--", "true")...)
		if code != exitNotAcquired {
			t.Errorf("--wait %s with both permits held: exit %d, want %d; stderr:\n%s", wait, code, exitNotAcquired, stderr)
		}
		if says := strings.Contains(stderr, `msg="waiting for the lock" name=exports/permit/`); says != (wait != "0") {
			t.Errorf("--wait %s with both permits held: says it waits: %v; stderr:\n%s", wait, says, stderr)
		}
	}
	stopHolder(t, h1, dir1)
	h3, dir3 := startHolder(t, append([]string{"--wait", "10s"}, args...)...)
	if p3 := readPermit(t, dir3); p3.slot != p1.slot || p3.token <= p1.token {
		t.Errorf("after slot %d (token %d) was released, the next run got %+v; want that slot with a larger token", p1.slot, p1.token, p3)
	}
	stopHolder(t, h2, dir2)
	stopHolder(t, h3, dir3)
}

// testRunOnePermitIsTheLock: --permits 1 takes the lock NAME itself, as run without the flag:
// each excludes the other, and the command is told NAME, slot 0 and 1 permit.
func testRunOnePermitIsTheLock(t *testing.T, nodes string) {
	h, dir := startHolder(t, "--nodes", nodes, "solo")
	if code, stderr := cli(t, t.TempDir(), "run", "--nodes", nodes, "--permits", "1", "solo", "--", "true"); code != exitNotAcquired {
		t.Errorf("--permits 1 while run without it holds the lock: exit %d, want %d; stderr:\n%s", code, exitNotAcquired, stderr)
	}
	stopHolder(t, h, dir)
	h, dir = startHolder(t, "--nodes", nodes, "--permits", "1", "solo")
	if p := readPermit(t, dir); p.name != "solo" || p.slot != 0 || p.permits != "1" || holderToken(t, nodes, "solo") != p.token {
		t.Errorf("--permits 1: the command was told %+v; want the lock solo, slot 0, 1 permit and its token", p)
	}
	if code, stderr := cli(t, t.TempDir(), "run", "--nodes", nodes, "solo", "--", "true"); code != exitNotAcquired {
		t.Errorf("run without --permits while --permits 1 holds the lock: exit %d, want %d; stderr:\n%s", code, exitNotAcquired, stderr)
	}
	stopHolder(t, h, dir)
}

// TestRunPermitLostKillsTheCommand: a majority of the nodes stalls under a command that holds a
// permit; the permit's lease cannot be extended, so the command is killed and run exits 5, as
// for a lock.
func TestRunPermitLostKillsTheCommand(t *testing.T) {
	servers, nodes := startNodes(t, 3)
	dir := t.TempDir()
	script := `trap '' TERM; touch ready; sleep 20; touch finished`
	p := startCLI(t, dir, "run", "--nodes", nodes, "--ttl", "1s", "--grace", "1s", "--permits", "3", "lost-exports", "--", "sh", "-c", script)
	waitFile(t, p, filepath.Join(dir, "ready"))
	servers[0].Stop()
	servers[1].Stop()
	t.Cleanup(func() { servers[0].Cont(); servers[1].Cont() })
	if code := p.exitCode(t, 30*time.Second); code != exitLeaseLost {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitLeaseLost, p.stderrText())
	}
	if _, err := os.Stat(filepath.Join(dir, "finished")); err == nil {
		t.Error("the command finished although its permit was lost")
	}
	if stderr := p.stderrText(); !strings.Contains(stderr, "lease lost") || !strings.Contains(stderr, "lost-exports/permit/") {
		t.Errorf("stderr does not tell that the permit's lease was lost:\n%s", stderr)
	}
}
