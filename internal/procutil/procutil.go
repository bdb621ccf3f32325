// Package procutil holds what the test harnesses for server processes (redisproc, pgproc)
// share: picking a free loopback port and reading the tail of a server's log.
package procutil

import (
	"errors"
	"fmt"
	"net"
	"os"
)

// FreePort returns a port that was free on 127.0.0.1 a moment ago. Another process may take it
// before the caller binds it: callers retry with a new port when their server fails to start.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// LogTail returns at most the last max bytes of the log file at path, starting no earlier than
// offset from.
func LogTail(path string, from int64, max int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	if from <= int64(len(b)) {
		b = b[from:]
	}
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}

// OnFreePort calls launch with a free port until it succeeds, at most attempts times: another
// process may take a port between FreePort and the server binding it. It returns the port the
// server started on, or every attempt's error.
func OnFreePort(attempts int, launch func(port int) error) (int, error) {
	var errs []error
	for range attempts {
		port, err := FreePort()
		if err == nil {
			if err = launch(port); err == nil {
				return port, nil
			}
		}
		errs = append(errs, err)
	}
	return 0, errors.Join(errs...)
}
