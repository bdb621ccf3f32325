//go:build unix

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/quorum/quorumtest"
)

// child is one replica process.
type child struct {
	n     int
	cmd   *exec.Cmd
	stdin io.WriteCloser // closing it makes the replica exit (exitWhenOrphaned)
}

// supervisor runs the replicas and the story, and keeps the timeline.
type supervisor struct {
	cfg     config
	out     io.Writer
	start   time.Time
	events  chan event
	readers sync.WaitGroup
	kids    []*child
	stopped bool

	history   []event       // every event received, in order
	holder    int           // the replica that acquired the lock last; 0 before the first grant
	token     fencing.Token // its token
	changes   int           // grants to a replica other than the previous holder
	takeovers int           // of those, the ones the story caused and verified
}

// supervise runs the whole example and returns the exit status.
func supervise(ctx context.Context, cfg config, stdout io.Writer) int {
	s := &supervisor{cfg: cfg, out: stdout, start: time.Now(), events: make(chan event, 64)}
	dir, err := os.MkdirTemp("", "quorumlock-worker-")
	if err != nil {
		s.logf("supervisor", "%v", err)
		return 1
	}
	defer os.RemoveAll(dir)
	dbPath := filepath.Join(dir, "ledger.db")
	urls, stopNodes, err := startNodes(nodes)
	if err == nil {
		defer stopNodes()
		err = bringIntoService(ctx, urls, cfg.ttl)
	}
	if err == nil {
		err = createLedger(ctx, dbPath)
	}
	if err != nil {
		s.logf("supervisor", "%v", err)
		return 1
	}
	s.logf("supervisor", "%d miniredis nodes: %s", nodes, strings.Join(urls, " "))
	s.logf("supervisor", "brought the %d new nodes into service (Heal with NewDeployment: they have never served)", nodes)
	s.logf("supervisor", "SQLite ledger (WAL, busy_timeout 5s): %s", dbPath)
	defer s.stopAll() // also on panic: no replica outlives the supervisor
	err = s.startReplicas(urls, dbPath)
	if err == nil {
		err = s.story(ctx)
	}
	s.stopAll()
	if err != nil {
		s.logf("supervisor", "STORY FAILED: %v", err)
	}
	if !s.summarize(ctx, dbPath) || err != nil {
		return 1
	}
	return 0
}

// startNodes starts n in-process Redis servers on free loopback ports. Each tells a run_id, as
// redis-server does, so that the lock would see a restart.
func startNodes(n int) (urls []string, stop func(), err error) {
	var servers []*quorumtest.Server
	stop = func() {
		for _, s := range servers {
			s.Close()
		}
	}
	for range n {
		s, err := quorumtest.StartServer()
		if err != nil {
			stop()
			return nil, nil, err
		}
		s.ClockTTL(true) // keys expire as time passes, as on a real Redis
		servers = append(servers, s)
		urls = append(urls, "redis://"+s.Addr())
	}
	return urls, stop, nil
}

// bringIntoService declares the nodes, started just now, a new deployment: new nodes refuse
// every grant until an operator brings them in (quorumlock heal --new-deployment does the same).
func bringIntoService(ctx context.Context, urls []string, ttl time.Duration) error {
	l, err := quorum.Dial(ctx, urls, quorum.Options{TTL: ttl})
	if err != nil {
		return err
	}
	defer l.Close()
	_, err = l.Heal(ctx, quorum.HealOptions{NewDeployment: true})
	return err
}

// startReplicas re-executes this binary once per replica, with -replica N.
func (s *supervisor) startReplicas(urls []string, dbPath string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	for n := 1; n <= replicas; n++ {
		cmd := exec.Command(exe, "-replica", strconv.Itoa(n), "-nodes", strings.Join(urls, ","),
			"-db", dbPath, "-ttl", s.cfg.ttl.String(), "-work", s.cfg.work.String())
		cmd.Stderr = os.Stderr
		killWithParent(cmd)
		stdin, err := cmd.StdinPipe()
		if err != nil {
			return err
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return err
		}
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start replica %d: %w", n, err)
		}
		s.kids = append(s.kids, &child{n: n, cmd: cmd, stdin: stdin})
		s.readers.Go(func() { readEvents(stdout, n, s.events) })
	}
	return nil
}

// signal sends sig to replica n.
func (s *supervisor) signal(n int, sig syscall.Signal) error {
	return s.kids[n-1].cmd.Process.Signal(sig)
}

// stopAll stops every replica, paused or not (SIGCONT, then SIGKILL), and waits for them.
// Events still in flight are dropped. It may be called more than once.
func (s *supervisor) stopAll() {
	if s.stopped {
		return
	}
	s.stopped = true
	for _, k := range s.kids {
		_ = k.cmd.Process.Signal(syscall.SIGCONT)
		_ = k.cmd.Process.Kill()
	}
	done := make(chan struct{})
	go func() { s.readers.Wait(); close(done) }()
	for drained := false; !drained; {
		select {
		case <-s.events:
		case <-done:
			drained = true
		}
	}
	for _, k := range s.kids {
		_ = k.stdin.Close()
		_ = k.cmd.Wait()
	}
	s.logf("supervisor", "stopped all %d replicas (SIGCONT, SIGKILL, waited)", len(s.kids))
}

// logf prints one line of the timeline.
func (s *supervisor) logf(who, format string, args ...any) {
	fmt.Fprintf(s.out, "%6.2fs  %-10s  %s\n", time.Since(s.start).Seconds(), who, fmt.Sprintf(format, args...))
}

// record stamps ev with the time, adds it to the history, updates who holds the lock, prints
// it, and returns it.
func (s *supervisor) record(ev event) event {
	ev.at = time.Now()
	s.history = append(s.history, ev)
	who := fmt.Sprintf("replica %d", ev.Replica)
	switch ev.Kind {
	case kindStarted:
		s.logf(who, "started, pid %d", ev.PID)
	case kindAcquired:
		note := ""
		if s.holder != 0 && s.holder != ev.Replica {
			s.changes++
			note = fmt.Sprintf("  << takes over from replica %d (token %d)", s.holder, s.token)
		}
		s.holder, s.token = ev.Replica, ev.Token
		s.logf(who, "acquired %q, token %d%s", lockName, ev.Token, note)
	case kindAccepted:
		s.logf(who, "batch %d written, token %d", ev.Batch, ev.Token)
	case kindRefused:
		s.logf(who, "batch %d REFUSED: %s", ev.Batch, ev.Detail)
	case kindLost:
		s.logf(who, "lease lost, stops: %s", ev.Detail)
	case kindExited:
		s.logf(who, "exited")
	default:
		s.logf(who, "%s: %s", ev.Kind, ev.Detail)
	}
	return ev
}

// pid returns the process id of replica n.
func (s *supervisor) pid(n int) int { return s.kids[n-1].cmd.Process.Pid }
