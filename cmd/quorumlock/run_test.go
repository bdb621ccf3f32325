package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/quorumlock/quorumlock/internal/redisproc"
	"github.com/quorumlock/quorumlock/quorum"
)

// process is one quorumlock command started by startCLI.
type process struct {
	cmd    *exec.Cmd
	dir    string
	stdout string        // path of its stdout
	stderr string        // path of its stderr
	exited chan struct{} // closed once it has exited
}

// startCLI starts "quorumlock args..." in dir with QUORUMLOCK_* variables removed from the
// environment. Its stdout and stderr go to files in dir; the process is killed at cleanup if
// it is still running.
func startCLI(t *testing.T, dir string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(os.Args[0], args...), dir: dir, exited: make(chan struct{})}
	p.cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "QUORUMLOCK_") {
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	p.cmd.Env = append(p.cmd.Env, cliEnv+"=1")
	out, err := os.CreateTemp(dir, "stdout-*")
	if err != nil {
		t.Fatal(err)
	}
	errf, err := os.CreateTemp(dir, "stderr-*")
	if err != nil {
		t.Fatal(err)
	}
	p.stdout, p.stderr = out.Name(), errf.Name()
	p.cmd.Stdout, p.cmd.Stderr = out, errf
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out.Close()
	errf.Close()
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
	})
	return p
}

// exitCode waits for the process for at most limit and returns its exit code.
func (p *process) exitCode(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(limit):
		_ = p.cmd.Process.Kill()
		<-p.exited
		t.Fatalf("%v still running after %v; stderr:\n%s", p.cmd.Args[1:], limit, p.stderrText())
		return -1
	}
}

func (p *process) stderrText() string {
	b, _ := os.ReadFile(p.stderr)
	return string(b)
}

func (p *process) stdoutText() string {
	b, _ := os.ReadFile(p.stdout)
	return string(b)
}

// cli runs "quorumlock args..." in dir and returns its exit code and stderr.
func cli(t *testing.T, dir string, args ...string) (int, string) {
	t.Helper()
	p := startCLI(t, dir, args...)
	code := p.exitCode(t, 30*time.Second)
	return code, p.stderrText()
}

// startNodes starts n redis-server processes, stopped at cleanup, and brings them into service.
func startNodes(t *testing.T, n int) ([]*redisproc.Server, string) {
	t.Helper()
	servers := redisproc.StartN(t, n, redisproc.Config{AppendOnly: true})
	urls := make([]string, n)
	for i, s := range servers {
		urls[i] = s.URL()
	}
	bringIntoService(t, urls...)
	return servers, strings.Join(urls, ",")
}

// bringIntoService brings new nodes into service as an operator does a new deployment
// (quorumlock heal --new-deployment), with the default key prefix.
func bringIntoService(t *testing.T, urls ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := quorum.Dial(ctx, urls, quorum.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Heal(ctx, quorum.HealOptions{NewDeployment: true}); err != nil {
		t.Fatal(err)
	}
}

// closedPort returns a loopback port that nothing listened on a moment ago.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// closedURLs returns n URLs of a loopback port that nothing listened on a moment ago, each with
// a database of its own, so that they are not refused as one node given twice.
func closedURLs(t *testing.T, n int) []string {
	t.Helper()
	port := strconv.Itoa(closedPort(t))
	urls := make([]string, n)
	for i := range urls {
		urls[i] = "redis://127.0.0.1:" + port + "/" + strconv.Itoa(i)
	}
	return urls
}

// waitFile waits until path exists.
func waitFile(t *testing.T, p *process, path string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		select {
		case <-p.exited:
			t.Fatalf("exited (%v) before %s appeared; stderr:\n%s", p.cmd.ProcessState, path, p.stderrText())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not appear; stderr:\n%s", path, p.stderrText())
		}
	}
}

func TestRunEndToEnd(t *testing.T) {
	_, nodes := startNodes(t, 3)
	t.Run("the command sees the lease", func(t *testing.T) { testRunEnvironment(t, nodes) })
	t.Run("exit codes", func(t *testing.T) { testRunExitCodes(t, nodes) })
	t.Run("held lock", func(t *testing.T) { testRunHeld(t, nodes) })
	t.Run("SIGTERM is forwarded", func(t *testing.T) { testRunForwardsSIGTERM(t, nodes) })
}

func testRunEnvironment(t *testing.T, nodes string) {
	dir := t.TempDir()
	script := `printf '%s %s %s' "$QUORUMLOCK_NAME" "$QUORUMLOCK_TOKEN" "$QUORUMLOCK_VALID_UNTIL" > lease.txt`
	var last uint64
	for i := range 2 {
		before := time.Now()
		if code, stderr := cli(t, dir, "run", "--nodes", nodes, "--ttl", "5s", "env-job", "--", "sh", "-c", script); code != 0 {
			t.Fatalf("exit %d; stderr:\n%s", code, stderr)
		}
		f := strings.Fields(string(readFile(t, filepath.Join(dir, "lease.txt"))))
		if len(f) != 3 || f[0] != "env-job" {
			t.Fatalf("the command saw %q; want the name, a token and a time", f)
		}
		token, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil || token <= last {
			t.Fatalf("run %d: QUORUMLOCK_TOKEN=%s (%v); want a number above the previous one, %d", i, f[1], err, last)
		}
		last = token
		until, err := time.Parse("2006-01-02T15:04:05.000Z07:00", f[2])
		if err != nil || until.Before(before) || until.After(time.Now().Add(5*time.Second)) {
			t.Fatalf("QUORUMLOCK_VALID_UNTIL=%s (%v); want RFC 3339 with ms, within the 5s TTL", f[2], err)
		}
	}
}

func testRunExitCodes(t *testing.T, nodes string) {
	dir := t.TempDir()
	closed := strings.Join(closedURLs(t, 3), ",")
	tests := []struct {
		name  string
		flags []string
		cmd   []string
		want  int
	}{
		{"success", nil, []string{"true"}, exitOK},
		{"failure", nil, []string{"sh", "-c", "exit 42"}, exitChildFailed},
		{"failure, child's code", []string{"--child-exit-code"}, []string{"sh", "-c", "exit 42"}, 42},
		{"killed, child's code", []string{"--child-exit-code"}, []string{"sh", "-c", "kill -KILL $$"}, 128 + 9},
		{"killed", nil, []string{"sh", "-c", "kill -KILL $$"}, exitChildFailed},
		{"not startable", nil, []string{filepath.Join(dir, "no-such-command")}, exitStartFailed},
		{"nodes unavailable", []string{"--nodes", closed}, []string{"true"}, exitUnavailable},
		{"invalid name", nil, []string{"true"}, exitUsage},
	}
	for _, tt := range tests {
		name := "codes"
		if tt.name == "invalid name" {
			name = "{bad}"
		}
		args := append([]string{"run", "--nodes", nodes}, tt.flags...)
		args = append(append(args, name, "--"), tt.cmd...)
		if code, stderr := cli(t, dir, args...); code != tt.want {
			t.Errorf("%s: exit %d, want %d; stderr:\n%s", tt.name, code, tt.want, stderr)
		}
	}
	// Every run above released the lock, even the one whose command could not start.
	if code, stderr := cli(t, dir, "run", "--nodes", nodes, "codes", "--", "true"); code != 0 {
		t.Errorf("the lock was not released: exit %d; stderr:\n%s", code, stderr)
	}
}

func testRunHeld(t *testing.T, nodes string) {
	dir := t.TempDir()
	holder := startCLI(t, dir, "run", "--nodes", nodes, "held-job", "--", "sh", "-c", waitForStop)
	waitFile(t, holder, filepath.Join(dir, "ready"))
	for _, wait := range []string{"0", "300ms"} {
		code, stderr := cli(t, dir, "run", "--nodes", nodes, "--wait", wait, "held-job", "--", "true")
		if code != exitNotAcquired {
			t.Errorf("--wait %s on a held lock: exit %d, want %d; stderr:\n%s", wait, code, exitNotAcquired, stderr)
		}
		// While it waits, run says why; with --wait 0 it does not wait.
		if says := strings.Contains(stderr, `msg="waiting for the lock" name=held-job reason=held`); says != (wait != "0") {
			t.Errorf("--wait %s on a held lock: says it waits because the lock is held: %v; stderr:\n%s", wait, says, stderr)
		}
	}
	writeFile(t, filepath.Join(dir, "stop"), nil)
	if code := holder.exitCode(t, 20*time.Second); code != 0 {
		t.Fatalf("holder: exit %d; stderr:\n%s", code, holder.stderrText())
	}
	if code, stderr := cli(t, dir, "run", "--nodes", nodes, "held-job", "--", "true"); code != 0 {
		t.Errorf("after the holder released: exit %d; stderr:\n%s", code, stderr)
	}
}

// waitForStop is a command that says it is ready, then waits (20 s at most) for a file "stop".
const waitForStop = `touch ready; i=0; while [ ! -e stop ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done`

func testRunForwardsSIGTERM(t *testing.T, nodes string) {
	dir := t.TempDir()
	script := `trap 'echo term > got; exit 7' TERM; touch ready; i=0; while [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done`
	p := startCLI(t, dir, "run", "--nodes", nodes, "--child-exit-code", "term-job", "--", "sh", "-c", script)
	waitFile(t, p, filepath.Join(dir, "ready"))
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.exitCode(t, 20*time.Second); code != 7 {
		t.Fatalf("exit %d, want the command's 7; stderr:\n%s", code, p.stderrText())
	}
	if got := string(readFile(t, filepath.Join(dir, "got"))); got != "term\n" {
		t.Fatalf("the command's trap wrote %q", got)
	}
	if code, stderr := cli(t, dir, "run", "--nodes", nodes, "term-job", "--", "true"); code != 0 {
		t.Errorf("the lock was not released: exit %d; stderr:\n%s", code, stderr)
	}
}

func TestRunLostLeaseKillsTheCommand(t *testing.T) {
	servers, nodes := startNodes(t, 3)
	dir := t.TempDir()
	const ttl, grace = time.Second, time.Second
	// The command ignores SIGTERM (and so does its sleep), so only the SIGKILL after the grace
	// period can stop it before it writes "finished".
	script := `trap '' TERM; touch ready; sleep 20; touch finished`
	p := startCLI(t, dir, "run", "--nodes", nodes, "--ttl", ttl.String(), "--grace", grace.String(), "lost-job", "--", "sh", "-c", script)
	waitFile(t, p, filepath.Join(dir, "ready"))
	start := time.Now()
	servers[0].Stop() // a majority stalls: the lease cannot be extended
	servers[1].Stop()
	t.Cleanup(func() { servers[0].Cont(); servers[1].Cont() })
	code := p.exitCode(t, 30*time.Second)
	elapsed := time.Since(start)
	if code != exitLeaseLost {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitLeaseLost, p.stderrText())
	}
	// The lease ends at most a TTL after the stall; generous slack for a loaded machine.
	if limit := ttl + grace + 8*time.Second; elapsed > limit {
		t.Errorf("the command was stopped %v after the stall; want within TTL + grace (+ slack) = %v", elapsed, limit)
	}
	if _, err := os.Stat(filepath.Join(dir, "finished")); err == nil {
		t.Error("the command finished although its lease was lost")
	}
	if stderr := p.stderrText(); !strings.Contains(stderr, "lease lost") || !strings.Contains(stderr, "killing the command") {
		t.Errorf("stderr does not tell the lease was lost and the command killed:\n%s", stderr)
	}
}

func TestParseRun(t *testing.T) {
	rc, err := parseRun([]string{"--wait", "1s", "job", "--grace", "2s", "--child-exit-code", "--", "cmd", "-x", "--", "y"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if rc.name != "job" || rc.wait != time.Second || rc.grace != 2*time.Second || !rc.childExitCode ||
		strings.Join(rc.command, " ") != "cmd -x -- y" {
		t.Fatalf("parsed %+v", rc)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "missing NAME -- COMMAND"},
		{[]string{"--", "true"}, "missing NAME before --"},
		{[]string{"--wait", "1s", "--", "true"}, "missing NAME before --"},
		{[]string{"job"}, `missing -- COMMAND after NAME "job"`},
		{[]string{"job", "--wait", "1s"}, `missing -- COMMAND after NAME "job"`},
		{[]string{"job", "cmd"}, `missing -- between NAME "job" and COMMAND "cmd"`},
		{[]string{"job", "--"}, "missing COMMAND after --"},
		{[]string{"job", "extra", "--", "cmd"}, `unexpected argument "extra" between NAME and --`},
		{[]string{"--wait", "-1s", "job", "--", "cmd"}, "--wait -1s: want 0 or more"},
		{[]string{"--grace", "-1s", "job", "--", "cmd"}, "--grace -1s: want 0 or more"},
		{[]string{"--log-level", "loud", "job", "--", "cmd"}, "invalid value"},
	} {
		if _, err := parseRun(tt.args, io.Discard); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseRun(%q) = %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
}

func TestRunUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"run", "job", "--", "true"},                           // no nodes
		{"run", "--nodes", "redis://a:1", "--ttl", "x", "job"}, // bad flag value, no --
		{"run", "--nodes", "redis://a:1", "--metrics-addr", "256.0.0.1:bad", "job", "--", "true"},
		{"doctor", "--nodes", "redis://a:1", "--timeout", "0s"},
		{"doctor", "--nodes", "ftp://a:1"},
		{"run", "--nodes", "redis://a:1", "--ttl", "10s", "--quarantine", "5s", "job", "--", "true"}, // below the TTL
		{"doctor", "--nodes", "redis://a:1", "--quarantine", "25h"},                                  // above a day
	} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, &out, &errOut); code != exitUsage || errOut.Len() == 0 {
			t.Errorf("%q: exit %d, stderr %q; want %d and a message", args, code, errOut.String(), exitUsage)
		}
	}
}

// TestRunConfigErrorsAreNotNotAcquired: options that quorum refuses are a configuration error,
// reported before connecting with the settings named, never logged as "not acquired".
func TestRunConfigErrorsAreNotNotAcquired(t *testing.T) {
	closed := closedURLs(t, 1)[0]
	s := miniredis.RunT(t)
	live := "redis://" + s.Addr()
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"--nodes", closed, "--ttl", "10s", "--quarantine", "5s"}, []string{"--quarantine, --ttl: Quarantine (5s) must be at least TTL (10s)"}},
		{[]string{"--nodes", closed, "--quarantine", "5s"}, []string{"--quarantine: Quarantine (5s) must be at least TTL (10s)"}}, // the default TTL
		{[]string{"--nodes", closed, "--ttl", "100ms", "--node-timeout", "1s"},
			[]string{"--node-timeout, --ttl: NodeTimeout (1s) must be less than TTL (100ms)", "--ttl, --node-timeout: TTL (100ms) leaves no validity"}},
		{[]string{"--nodes", closed + "," + closed}, []string{"is given twice"}},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		args := append(append([]string{"run"}, tt.args...), "job", "--", "true")
		code := run(context.Background(), args, &out, &errOut)
		if code != exitUsage || strings.Contains(errOut.String(), "not acquired") || !strings.HasPrefix(errOut.String(), "quorumlock run: ") {
			t.Errorf("%q: exit %d, stderr:\n%s\nwant %d and a configuration error, not \"not acquired\"", args, code, errOut.String(), exitUsage)
		}
		for _, w := range tt.want {
			if !strings.Contains(errOut.String(), w) {
				t.Errorf("%q: stderr lacks %q:\n%s", args, w, errOut.String())
			}
		}
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"run", "--nodes", live, "{bad}", "--", "true"}, &out, &errOut)
	if code != exitUsage || strings.Contains(errOut.String(), "not acquired") || !strings.Contains(errOut.String(), "quorumlock run: NAME: ") {
		t.Errorf("an invalid NAME: exit %d, stderr:\n%s\nwant %d and NAME named, not \"not acquired\"", code, errOut.String(), exitUsage)
	}
}
