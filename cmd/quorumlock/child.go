package main

import (
	"io"
	"log/slog"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
)

// child is the command run by run, in a process group of its own that only its watchdog shares.
type child struct {
	cmd    *exec.Cmd
	wd     *watchdog     // leads the group; kills it if run dies
	exited chan struct{} // closed once cmd.Wait has returned; cmd.ProcessState is then set
}

// startChild starts a watchdog, then argv with env in the watchdog's process group, sharing this
// process's standard streams (or stdout and stderr), and reaps it in a goroutine that ends with
// it. The caller stops the watchdog (c.wd.stop) once it no longer needs the group guarded.
func startChild(argv, env []string, stdout, stderr io.Writer) (*child, error) {
	wd, err := startWatchdog(stderr)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	joinGroup(cmd, wd.pgid())
	if err := cmd.Start(); err != nil {
		wd.stop()
		return nil, err
	}
	c := &child{cmd: cmd, wd: wd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait() // the outcome is read from cmd.ProcessState
		close(c.exited)
	}()
	return c, nil
}

// wait returns once the child has exited, forwarding every signal from sigs to its group
// meanwhile. If the lease ends first (it is released only after wait returns, so it was lost),
// wait sends SIGTERM to the group and SIGKILL after grace; once the child has exited, whatever is
// left of its group is killed too, since nothing it started may go on without the lock. wait
// reports whether the lease was lost.
func (c *child) wait(le *quorum.Lease, sigs <-chan os.Signal, grace time.Duration, log *slog.Logger) bool {
	ended := le.Done()
	var kill <-chan time.Time
	lost := false
	for {
		select {
		case <-c.exited:
			if lost {
				_ = signalGroup(c.wd.pgid(), syscall.SIGKILL)
			}
			return lost
		case s := <-sigs:
			log.Info("forwarding signal to the command", "signal", s.String())
			if sig, ok := s.(syscall.Signal); ok {
				_ = signalGroup(c.wd.pgid(), sig)
			}
		case <-ended:
			ended, lost = nil, true
			log.Error("lease lost: terminating the command", "name", le.Name(), "err", le.Err(), "grace", grace)
			_ = signalGroup(c.wd.pgid(), syscall.SIGTERM)
			t := time.NewTimer(grace)
			defer t.Stop()
			kill = t.C
		case <-kill:
			kill = nil
			log.Error("grace period over: killing the command")
			_ = signalGroup(c.wd.pgid(), syscall.SIGKILL)
		}
	}
}
