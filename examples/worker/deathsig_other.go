//go:build unix && !linux

package main

import "os/exec"

// killWithParent does nothing here: a replica exits when its stdin closes (exitWhenOrphaned).
func killWithParent(*exec.Cmd) {}
