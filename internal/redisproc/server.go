package redisproc

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/internal/procutil"
)

const (
	binary         = "redis-server"
	requireEnv     = "QUORUMLOCK_REQUIRE_REDIS"
	logName        = "redis.log"
	startAttempts  = 5
	readyTimeout   = 5 * time.Second
	probeTimeout   = time.Second
	restartBackoff = 200 * time.Millisecond
	logTailBytes   = 2048
)

// Config configures one redis-server.
type Config struct {
	// AppendOnly enables the AOF with fsync on every write
	// (--appendonly yes --appendfsync always); otherwise --appendonly no.
	AppendOnly bool
	// ExtraArgs are appended to the redis-server command line,
	// e.g. "--maxmemory-policy", "allkeys-lru".
	ExtraArgs []string
}

// Available reports whether redis-server is on PATH.
func Available() bool {
	_, err := exec.LookPath(binary)
	return err == nil
}

// Require skips the test when redis-server is not on PATH, or fails it
// when the environment variable QUORUMLOCK_REQUIRE_REDIS is "1".
func Require(t testing.TB) {
	t.Helper()
	if Available() {
		return
	}
	if os.Getenv(requireEnv) == "1" {
		t.Fatalf("redisproc: %s not found on PATH and %s=1", binary, requireEnv)
	}
	t.Skipf("redisproc: %s not found on PATH; skipping (set %s=1 to fail instead)", binary, requireEnv)
}

// Server is one redis-server process started by Start. Its methods are
// safe for concurrent use.
type Server struct {
	cfg  Config
	dir  string
	port int // fixed once Start returns

	mu   sync.Mutex
	proc *process // nil when not running
}

// process is one running redis-server child.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once cmd.Wait has returned
}

// Start starts one redis-server bound to 127.0.0.1 on a free port, in a
// fresh t.TempDir() directory, and waits until it answers PING. The server
// is killed by a t.Cleanup, even if it is stopped or the test failed.
// Start calls Require first.
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	Require(t)
	s := &Server{cfg: cfg, dir: t.TempDir()}
	if err := s.startOnFreePort(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Kill)
	return s
}

// startOnFreePort launches the server on a free port, trying new ports a few times: another
// process may take a port between picking it and binding it.
func (s *Server) startOnFreePort() error {
	port, err := procutil.OnFreePort(startAttempts, func(port int) (err error) {
		s.proc, err = s.launch(port)
		return err
	})
	if err != nil {
		return fmt.Errorf("redisproc: could not start %s after %d attempts:\n%w", binary, startAttempts, err)
	}
	s.port = port
	return nil
}

// StartN starts n servers with the same Config; see Start.
func StartN(t testing.TB, n int, cfg Config) []*Server {
	t.Helper()
	servers := make([]*Server, n)
	for i := range servers {
		servers[i] = Start(t, cfg)
	}
	return servers
}

// Addr returns the server address, "127.0.0.1:PORT".
func (s *Server) Addr() string { return loopback(s.port) }

// URL returns the server URL for database 0, "redis://127.0.0.1:PORT/0".
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// loopback returns "127.0.0.1:port".
func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// Dir returns the server's working directory (--dir).
func (s *Server) Dir() string { return s.dir }

// Pid returns the process id of the running redis-server, or 0 when it has
// been killed and not restarted.
func (s *Server) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return 0
	}
	return s.proc.cmd.Process.Pid
}

// Stop sends SIGSTOP: the server stalls, and commands sent meanwhile are
// queued and run after Cont. It is a no-op when the server is not running.
func (s *Server) Stop() { s.signal(syscall.SIGSTOP) }

// Cont sends SIGCONT, resuming a stopped server. It is a no-op when the
// server is not running.
func (s *Server) Cont() { s.signal(syscall.SIGCONT) }

// Kill sends SIGCONT then SIGKILL and waits for the process to exit; data
// not yet fsynced is lost. It is a no-op when the server is not running.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.killLocked()
}

// Restart starts the server again on the same port and directory (so with
// AppendOnly the AOF is reloaded) and waits until it answers PING. A
// running server is killed first. If the port is briefly busy, the start
// is retried a few times before failing the test.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.restart(false); err != nil {
		t.Fatal(err)
	}
}

// restart kills the running server, if any, removes its data files if wipe
// (the AOF and any RDB: a disk that was lost), and starts it again on the
// same port and directory, retrying a few times if the port is briefly busy.
func (s *Server) restart(wipe bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.killLocked()
	if wipe {
		for _, name := range []string{"appendonlydir", "appendonly.aof", "dump.rdb"} {
			if err := os.RemoveAll(filepath.Join(s.dir, name)); err != nil {
				return fmt.Errorf("redisproc: wipe %s: %w", s.dir, err)
			}
		}
	}
	var errs []error
	for i := 0; i < startAttempts; i++ {
		if i > 0 {
			time.Sleep(restartBackoff)
		}
		p, err := s.launch(s.port)
		if err == nil {
			s.proc = p
			return nil
		}
		errs = append(errs, err)
	}
	return fmt.Errorf("redisproc: could not restart %s on %s after %d attempts:\n%w",
		binary, s.Addr(), startAttempts, errors.Join(errs...))
}

// signal sends sig to the running process, if any.
func (s *Server) signal(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		// os.Process.Signal never reaches a reused pid once reaped.
		_ = s.proc.cmd.Process.Signal(sig)
	}
}

// killLocked kills and reaps the running process, if any. s.mu is held.
func (s *Server) killLocked() {
	if s.proc == nil {
		return
	}
	p := s.proc
	s.proc = nil
	_ = p.cmd.Process.Signal(syscall.SIGCONT)
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// args returns the redis-server command line for port.
func (s *Server) args(port int) []string {
	args := []string{
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--dir", s.dir,
		"--save", "",
		"--daemonize", "no",
		"--logfile", "",
	}
	if s.cfg.AppendOnly {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		args = append(args, "--appendonly", "no")
	}
	return append(args, s.cfg.ExtraArgs...)
}

// launch starts redis-server on port and waits until it is ready. On
// failure the child is killed and reaped, and the error carries the log tail.
func (s *Server) launch(port int) (*process, error) {
	logPath := filepath.Join(s.dir, logName)
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	defer logf.Close() // the child keeps its own descriptor
	var from int64     // this attempt's output starts here
	if fi, err := logf.Stat(); err == nil {
		from = fi.Size()
	}
	fmt.Fprintf(logf, "--- redisproc: starting on port %d at %s\n", port, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(binary, s.args(port)...)
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", binary, err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	if err := waitReady(port, cmd.Process.Pid, p.done); err != nil {
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
		return nil, fmt.Errorf("port %d: %w (%v)\n--- log tail (%s):\n%s",
			port, err, cmd.ProcessState, logPath, procutil.LogTail(logPath, from, logTailBytes))
	}
	return p, nil
}

// waitReady polls port until the redis-server with pid answers PING, the
// process exits (done is closed) or readyTimeout passes.
func waitReady(port, pid int, done <-chan struct{}) error {
	deadline := time.Now().Add(readyTimeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("%s exited before becoming ready (last probe: %v)", binary, last)
		default:
		}
		if last = probe(port, pid); last == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready after %v (last probe: %v)", binary, readyTimeout, last)
}

// probe sends PING and INFO server to port, and checks for +PONG and that
// the answering server is process pid (not another server that grabbed the
// port first).
func probe(port, pid int) error {
	conn, err := net.DialTimeout("tcp", loopback(port), probeTimeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(probeTimeout))
	if _, err := io.WriteString(conn, "PING\r\nINFO server\r\n"); err != nil {
		return err
	}
	r := bufio.NewReader(conn)
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	// INFO server is a bulk reply; scan its lines for process_id.
	want := "process_id:" + strconv.Itoa(pid) + "\r\n"
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return fmt.Errorf("INFO server: %w", err)
		}
		if strings.HasPrefix(line, "process_id:") {
			if line != want {
				return fmt.Errorf("port answered by another server (%s)", strings.TrimSpace(line))
			}
			return nil
		}
	}
}
