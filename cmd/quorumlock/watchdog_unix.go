//go:build unix

package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"
)

// watchdogEnv, set in its environment, makes the quorumlock binary run as run's watchdog
// (watchdogMain) instead of a command. It is run's private interface, hence no subcommand.
const watchdogEnv = "QUORUMLOCK_RUN_WATCHDOG"

// watchdogReady is the byte the watchdog writes to its stdout once it ignores the group's
// signals, so that run starts COMMAND only once it is guarded.
const watchdogReady = 'R'

// watchdog is a helper process, the quorumlock binary again, that leads COMMAND's process group
// and kills it if run dies, however it dies: SIGKILL gives run no chance to clean up, and
// Pdeathsig would cover only COMMAND, not what it starts, and fires when the forking thread
// exits rather than the process (golang/go#27505). Its stdin is a pipe whose only write end run
// holds (O_CLOEXEC, so COMMAND does not inherit it); the kernel closes it when run dies, and the
// watchdog, reading EOF, sends SIGKILL to the group. The watchdog leads the group so that its
// id is known before COMMAND starts: there is no moment at which COMMAND runs unguarded.
type watchdog struct {
	cmd *exec.Cmd
	ctl *os.File // write end of the watchdog's stdin; never written, closed only by stop or death
}

// startWatchdog starts the watchdog in a new process group and waits until it is ready.
func startWatchdog(stderr io.Writer) (*watchdog, error) {
	exe, err := executable()
	if err != nil {
		return nil, fmt.Errorf("watchdog: %w", err)
	}
	ctlR, ctlW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("watchdog: %w", err)
	}
	readyR, readyW, err := os.Pipe()
	if err != nil {
		ctlR.Close()
		ctlW.Close()
		return nil, fmt.Errorf("watchdog: %w", err)
	}
	defer readyR.Close()
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), watchdogEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = ctlR, readyW, stderr
	ownGroup(cmd)
	err = cmd.Start()
	ctlR.Close()
	readyW.Close()
	if err != nil {
		ctlW.Close()
		return nil, fmt.Errorf("watchdog: %w", err)
	}
	wd := &watchdog{cmd: cmd, ctl: ctlW}
	var b [1]byte
	if _, err := io.ReadFull(readyR, b[:]); err != nil || b[0] != watchdogReady {
		wd.stop()
		return nil, fmt.Errorf("watchdog did not start: %v", cmd.ProcessState)
	}
	return wd, nil
}

// executable returns the path to exec this program again: on Linux /proc/self/exe, which still
// names this very binary after it has been replaced or deleted on disk.
func executable() (string, error) {
	if runtime.GOOS == "linux" {
		return "/proc/self/exe", nil
	}
	return os.Executable()
}

// pgid returns the id of the watchdog's process group, which COMMAND joins. It stays reserved
// until stop has reaped the watchdog, even if the group was killed.
func (wd *watchdog) pgid() int { return wd.cmd.Process.Pid }

// stop kills the watchdog alone (not its group) and reaps it: run is ending normally, and what
// is left of COMMAND's group is left as it is. SIGKILL works even if COMMAND stopped its group.
func (wd *watchdog) stop() {
	_ = wd.cmd.Process.Kill()
	_ = wd.cmd.Wait()
	_ = wd.ctl.Close()
}

// watchdogMain is the watchdog process: it reads in until EOF, which comes when run has died,
// then kills its own process group, COMMAND's, itself included. run stops it with SIGKILL when it
// ends normally, so it never returns from a normal run. It refuses to run unless it leads its
// process group, so that a stray QUORUMLOCK_RUN_WATCHDOG cannot make it kill a shell's job.
func watchdogMain(in io.Reader, ready, stderr io.Writer) int {
	if syscall.Getpgrp() != syscall.Getpid() {
		fmt.Fprintf(stderr, "quorumlock: %s is for quorumlock run's own use\n", watchdogEnv)
		return exitUsage
	}
	// The group gets the signals run forwards and those COMMAND sends with "kill 0"; the watchdog
	// must outlive them. (SIGHUP: a group orphaned by run's death gets it if a member is stopped.)
	signal.Ignore(syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	if _, err := ready.Write([]byte{watchdogReady}); err != nil {
		return 1
	}
	_, _ = io.Copy(io.Discard, in)       // nothing is ever written: this waits for EOF
	_ = syscall.Kill(0, syscall.SIGKILL) // pid 0: every process in the caller's group
	return 1
}
