package main

import (
	"os/exec"
	"syscall"
)

// killWithParent makes the kernel kill cmd's process when the supervisor dies, even with
// SIGKILL while that replica is stopped (SIGSTOP), when it could not notice its stdin closing.
func killWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
