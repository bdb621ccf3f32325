package redisproc

import (
	"fmt"
	"os"
	"sync"
)

// Process is one redis-server started by Spawn, for programs that are not tests (benchmarks,
// tools). It is bound to 127.0.0.1 on a free port and runs in its own temporary directory and
// process group, like a Server started by Start. Its methods are safe for concurrent use.
type Process struct {
	srv  *Server
	once sync.Once
	err  error
}

// Spawn starts one redis-server with cfg bound to 127.0.0.1 on a free port, in a fresh
// temporary directory, and waits until it answers PING. It needs no testing.TB: the caller must
// call Close, which stops the server and removes the directory. It returns an error when
// redis-server is not on PATH or does not start after a few attempts.
func Spawn(cfg Config) (*Process, error) {
	if !Available() {
		return nil, fmt.Errorf("redisproc: %s not found on PATH", binary)
	}
	dir, err := os.MkdirTemp("", "redisproc-")
	if err != nil {
		return nil, fmt.Errorf("redisproc: working directory: %w", err)
	}
	s := &Server{cfg: cfg, dir: dir}
	if err := s.startOnFreePort(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return &Process{srv: s}, nil
}

// SpawnN starts n servers with the same Config; see Spawn. If one fails, the servers already
// started are closed and the error is returned.
func SpawnN(n int, cfg Config) ([]*Process, error) {
	procs := make([]*Process, 0, n)
	for range n {
		p, err := Spawn(cfg)
		if err != nil {
			for _, q := range procs {
				_ = q.Close()
			}
			return nil, err
		}
		procs = append(procs, p)
	}
	return procs, nil
}

// Addr returns the server address, "127.0.0.1:PORT".
func (p *Process) Addr() string { return p.srv.Addr() }

// URL returns the server URL for database 0, "redis://127.0.0.1:PORT/0".
func (p *Process) URL() string { return p.srv.URL() }

// Pid returns the process id of the running redis-server, or 0 after Close.
func (p *Process) Pid() int { return p.srv.Pid() }

// Stop sends SIGSTOP: the server stops answering, its connections stay open, and commands sent
// meanwhile run when it resumes (Cont).
func (p *Process) Stop() { p.srv.Stop() }

// Cont sends SIGCONT, resuming a stopped server.
func (p *Process) Cont() { p.srv.Cont() }

// Kill sends SIGCONT then SIGKILL and waits for the process to exit; Restart starts it again.
func (p *Process) Kill() { p.srv.Kill() }

// Restart kills the server if it runs and starts it again on the same port and directory: with
// AppendOnly it reloads its AOF, unless wipe, which deletes the data files first (a lost disk).
func (p *Process) Restart(wipe bool) error { return p.srv.restart(wipe) }

// Close kills the server (SIGCONT then SIGKILL), waits for it to exit and removes its
// directory. It is idempotent and returns the error of removing the directory, if any.
func (p *Process) Close() error {
	p.once.Do(func() {
		p.srv.Kill()
		if err := os.RemoveAll(p.srv.dir); err != nil {
			p.err = fmt.Errorf("redisproc: remove %s: %w", p.srv.dir, err)
		}
	})
	return p.err
}
