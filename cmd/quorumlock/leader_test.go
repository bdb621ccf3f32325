package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/election"
	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/quorum/quorumtest"
)

// patientTimeout is the NodeTimeout of the tests' candidates and of the command: the machines
// are shared and loaded, and the default 50ms would make a slow answer read as unavailable.
const patientTimeout = 500 * time.Millisecond

// leaderNodes starts three in-process nodes, brought into service, and returns them and their
// URLs as --nodes takes them.
func leaderNodes(t *testing.T) (*quorumtest.Cluster, string) {
	t.Helper()
	c := quorumtest.NewCluster(t, 3)
	c.Bootstrap(t)
	return c, strings.Join(c.URLs(), ",")
}

// winTerm wins a term of the election name for the candidate id, on a Locker of its own (as
// another process would be), within ten seconds. The term is resigned at cleanup.
func winTerm(t *testing.T, c *quorumtest.Cluster, name, id string) *election.Term {
	t.Helper()
	e := election.New(c.Locker(t, quorum.Options{NodeTimeout: patientTimeout}), name, election.Options{ID: id})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	term, err := e.Campaign(ctx)
	if err != nil {
		t.Fatalf("Campaign of %s for %s: %v", id, name, err)
	}
	t.Cleanup(func() { _ = term.Resign(context.Background()) })
	return term
}

// leaderCLI runs "quorumlock leader args..." in this process, with a patient --node-timeout
// unless args set one, and returns its exit code, stdout and stderr.
func leaderCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	code := run(ctx, append([]string{"leader", "--node-timeout", patientTimeout.String()}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestLeader(t *testing.T) {
	c, nodes := leaderNodes(t)
	check := func(what string, wantCode int, wantOut string, args ...string) {
		t.Helper()
		code, out, errOut := leaderCLI(t, append([]string{"--nodes", nodes}, args...)...)
		if code != wantCode || out != wantOut || errOut != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr:\n%s\nwant exit %d, stdout %q and nothing on stderr",
				what, code, out, errOut, wantCode, wantOut)
		}
	}
	check("never led", exitNoLeader, "no leader\n", "scheduler")
	term := winTerm(t, c, "scheduler", "host-a:4242")
	check("led", exitOK, fmt.Sprintf("leader host-a:4242  token %d\n", term.Token()), "scheduler")
	check("flags after NAME", exitOK, fmt.Sprintf("leader host-a:4242  token %d\n", term.Token()), "scheduler", "--ttl", "10s")
	check("another election", exitNoLeader, "no leader\n", "billing")
	// The election needs a StopMargin only to campaign: an observer's long --node-timeout beside
	// its --ttl, which would make the default one invalid, is no error.
	check("a long node timeout", exitOK, fmt.Sprintf("leader host-a:4242  token %d\n", term.Token()),
		"--ttl", "1s", "--node-timeout", "400ms", "scheduler")
	if err := term.Resign(context.Background()); err != nil {
		t.Fatal(err)
	}
	check("resigned", exitNoLeader, "no leader\n", "scheduler")
	spaced := winTerm(t, c, "spaced", "host a")
	check("an ID with a space", exitOK, fmt.Sprintf("leader \"host a\"  token %d\n", spaced.Token()), "spaced")
}

// watcher is one "quorumlock leader --watch" running in this process.
type watcher struct {
	cancel context.CancelFunc
	lines  chan string   // its stdout, line by line; closed after done
	done   chan struct{} // closed once it has returned
	exit   int           // its exit code, once done
	stderr *bytes.Buffer // read only once done
}

// startWatch runs "quorumlock leader --watch args..." in this process, with a patient
// --node-timeout, until stop or the test's end.
func startWatch(t *testing.T, args ...string) *watcher {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &watcher{cancel: cancel, lines: make(chan string), done: make(chan struct{}), stderr: new(bytes.Buffer)}
	pr, pw := io.Pipe()
	go func() {
		args := append([]string{"leader", "--watch", "--node-timeout", patientTimeout.String()}, args...)
		w.exit = run(ctx, args, pw, w.stderr)
		close(w.done)
		pw.Close()
	}()
	go func() {
		defer close(w.lines)
		for sc := bufio.NewScanner(pr); sc.Scan(); {
			w.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() { w.stop(t) })
	return w
}

// next returns the next line printed, without its time, which it checks; it fails the test
// if none comes within twenty seconds.
func (w *watcher) next(t *testing.T) string {
	t.Helper()
	select {
	case line, ok := <-w.lines:
		if !ok {
			t.Fatalf("the watch ended (exit %d); stderr:\n%s", w.exit, w.stderr)
		}
		at, rest, _ := strings.Cut(line, "  ")
		if _, err := time.Parse(rfc3339Millis, at); err != nil || !strings.HasSuffix(at, "Z") {
			t.Fatalf("line %q does not start with the time in UTC: %v", line, err)
		}
		return rest
	case <-time.After(20 * time.Second):
		t.Fatal("no line printed within 20s")
		return ""
	}
}

// stop cancels the watch's context and returns its exit code once it has returned, with the
// lines it printed meanwhile; it fails the test if that takes more than ten seconds.
func (w *watcher) stop(t *testing.T) (exit int, rest []string) {
	t.Helper()
	w.cancel()
	limit := time.After(10 * time.Second)
	for {
		select {
		case line, ok := <-w.lines: // read until it returns: its printing must not block
			if !ok {
				return w.exit, rest
			}
			rest = append(rest, line)
		case <-limit:
			t.Fatal("the watch did not return within 10s of its context's end")
		}
	}
}

// TestLeaderWatch: --watch prints the vacancy, a leader, the vacancy after it resigned, and the
// next leader, one line each, in order; cancelling its context ends it with exit 0.
func TestLeaderWatch(t *testing.T) {
	c, nodes := leaderNodes(t)
	w := startWatch(t, "--nodes", nodes, "scheduler")
	if got := w.next(t); got != "no leader" {
		t.Fatalf("first line %q, want %q", got, "no leader")
	}
	a := winTerm(t, c, "scheduler", "host-a")
	if got, want := w.next(t), fmt.Sprintf("leader host-a  token %d", a.Token()); got != want {
		t.Fatalf("after host-a won: %q, want %q", got, want)
	}
	if err := a.Resign(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := w.next(t); got != "no leader" {
		t.Fatalf("after host-a resigned: %q, want %q", got, "no leader")
	}
	b := winTerm(t, c, "scheduler", "host-b")
	if got, want := w.next(t), fmt.Sprintf("leader host-b  token %d", b.Token()); got != want || b.Token() <= a.Token() {
		t.Fatalf("after host-b won: %q, want %q, above host-a's token %d", got, want, a.Token())
	}
	code, rest := w.stop(t)
	if code != exitOK || w.stderr.Len() != 0 {
		t.Errorf("stopped: exit %d, stderr:\n%s\nwant exit 0 and nothing on stderr (then printed %q)", code, w.stderr, rest)
	}
}

// TestLeaderWatchSIGINT: the command, as a process, ends its watch at SIGINT with exit 0.
func TestLeaderWatchSIGINT(t *testing.T) {
	_, nodes := leaderNodes(t)
	p := startCLI(t, t.TempDir(), "leader", "--watch", "--node-timeout", patientTimeout.String(), "--nodes", nodes, "scheduler")
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(p.stdoutText(), "no leader\n") {
		select {
		case <-p.exited:
			t.Fatalf("exited (%v) before printing; stderr:\n%s", p.cmd.ProcessState, p.stderrText())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing printed within 20s; stderr:\n%s", p.stderrText())
		}
	}
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := p.exitCode(t, 10*time.Second); code != exitOK || p.stderrText() != "" {
		t.Errorf("after SIGINT: exit %d, stderr:\n%s\nwant exit 0 and nothing on stderr", code, p.stderrText())
	}
}

// TestLeaderUnavailable: nodes that cannot say who leads are not "no leader", and the message
// says where to look.
func TestLeaderUnavailable(t *testing.T) {
	unhealed := quorumtest.NewCluster(t, 3) // a new deployment: no node is in service
	for _, tt := range []struct {
		name, nodes, want string
	}{
		{"not in service", strings.Join(unhealed.URLs(), ","), "majority of nodes unavailable"},
		{"unreachable", strings.Join(closedURLs(t, 3), ","), "connection refused"},
	} {
		for _, watch := range []string{"--watch=false", "--watch"} { // a watch that cannot read does not start
			code, out, errOut := leaderCLI(t, "--nodes", tt.nodes, watch, "scheduler")
			if code != exitUnavailable || out != "" || !strings.HasPrefix(errOut, "quorumlock leader: ") ||
				!strings.Contains(errOut, tt.want) || !strings.Contains(errOut, "quorumlock doctor") {
				t.Errorf("%s, %s: exit %d, stdout %q, stderr:\n%s\nwant exit %d, %q and quorumlock doctor named on stderr",
					tt.name, watch, code, out, errOut, exitUnavailable, tt.want)
			}
		}
	}
}

// TestLeaderUsage: mistakes in the command line are one line and the hint, or one line naming
// what is at fault, with exit code 2.
func TestLeaderUsage(t *testing.T) {
	_, nodes := leaderNodes(t)
	hint := "\nRun 'quorumlock leader -h' for usage.\n"
	for _, tt := range []struct {
		args []string
		want string // stderr
	}{
		{[]string{"--nodes", nodes}, "quorumlock leader: missing NAME, the election to read" + hint},
		{[]string{"--nodes", nodes, "a", "b"}, "quorumlock leader: unexpected argument \"b\" after NAME \"a\"" + hint},
		{[]string{"--nodes", nodes, "a", "--nope"}, "quorumlock leader: flag provided but not defined: -nope" + hint},
		{[]string{"scheduler"}, "quorumlock leader: no nodes: give --nodes, QUORUMLOCK_NODES or nodes: in a --config file\n"},
		{[]string{"--nodes", nodes, "{bad}"}, "quorumlock leader: NAME: invalid lock name: \"{bad}\" contains a brace, which would break the key's hash tag\n"},
		{[]string{"--nodes", nodes, ""}, "quorumlock leader: NAME: invalid lock name: empty\n"},
		{[]string{"--nodes", nodes, "--watch", "{bad}"}, "quorumlock leader: NAME: invalid lock name: \"{bad}\" contains a brace, which would break the key's hash tag\n"},
		{[]string{"--nodes", nodes, "--watch"}, "quorumlock leader: missing NAME, the election to read" + hint},
	} {
		code, out, errOut := leaderCLI(t, tt.args...)
		if code != exitUsage || out != "" || errOut != tt.want {
			t.Errorf("%q: exit %d, stdout %q, stderr:\n%s\nwant exit %d and stderr:\n%s", tt.args, code, out, errOut, exitUsage, tt.want)
		}
	}
}

func TestLeaderExit(t *testing.T) {
	live, ended := context.Background(), cancelled()
	unavailable := fmt.Errorf("%w: holder", quorum.ErrUnavailable)
	for _, tt := range []struct {
		name string
		ctx  context.Context
		err  error
		want int
	}{
		{"a leader", live, nil, exitOK},
		{"no leader", live, fmt.Errorf("%w of \"x\"", election.ErrNoLeader), exitNoLeader},
		{"no leader, then interrupted", ended, election.ErrNoLeader, exitNoLeader},
		{"invalid name", live, quorum.ErrInvalidName, exitUsage},
		{"nodes refused", live, quorum.ErrInvalidOptions, exitUsage},
		{"election options refused", live, election.ErrInvalidOptions, exitUsage},
		{"unavailable", live, unavailable, exitUnavailable},
		{"interrupted", ended, errors.Join(unavailable, context.Canceled), exitInterrupted},
		{"closed", live, quorum.ErrClosed, exitUnavailable},
	} {
		if got := leaderExit(tt.ctx, tt.err); got != tt.want {
			t.Errorf("%s: exit %d, want %d", tt.name, got, tt.want)
		}
	}
}

func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func TestLeaderLine(t *testing.T) {
	for _, tt := range []struct {
		ldr  election.Leader
		want string
	}{
		{election.Leader{}, "no leader"},
		{election.Leader{ID: "host-a:4242", Token: 17}, "leader host-a:4242  token 17"},
		{election.Leader{ID: "hôte-é", Token: 17}, "leader hôte-é  token 17"},
		{election.Leader{ID: "", Token: 17}, `leader ""  token 17`}, // a lock taken without an ID
		{election.Leader{ID: "host a", Token: 17}, `leader "host a"  token 17`},
		{election.Leader{ID: `say "hi"`, Token: 17}, `leader "say \"hi\""  token 17`},
		{election.Leader{ID: "a\u00a0b", Token: 17}, `leader "a\u00a0b"  token 17`}, // a space but not ' '
	} {
		if got := leaderLine(tt.ldr); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.ldr, got, tt.want)
		}
	}
}
