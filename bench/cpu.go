package bench

import (
	"fmt"
	"syscall"
	"time"
)

// processCPU returns the user plus system CPU time this whole process has used (getrusage
// RUSAGE_SELF). Like package internal/redisproc, this needs a Unix system.
func processCPU() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("bench: getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}
