package pgproc

import (
	"context"
	"fmt"
	"net"
	"net/url"
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
	// Superuser is the database superuser that initdb creates; trust authentication lets it in
	// without a password.
	Superuser = "postgres"

	logName       = "postgres.log"
	initdbLogName = "initdb.log"
	startAttempts = 5
	initdbTimeout = time.Minute
	readyTimeout  = 15 * time.Second
	quitTimeout   = 5 * time.Second
	logTailBytes  = 2048
	maxSocketPath = 100 // sun_path holds 108 bytes; leave room
)

// Config configures one PostgreSQL server.
type Config struct {
	// ExtraArgs are appended to the postgres command line, e.g. "-c", "max_connections=20".
	ExtraArgs []string
}

// Server is one PostgreSQL server started by Start. Its methods are safe for concurrent use.
type Server struct {
	cfg     Config
	inst    installation
	dir     string // working directory: data/, the log files, the unix socket
	sockDir string // "" when the path would be too long for a unix socket
	port    int    // fixed once Start returns

	mu   sync.Mutex
	proc *process // nil when not running
}

// process is one running postmaster.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once cmd.Wait has returned
}

// Start runs initdb into a fresh t.TempDir() directory and starts postgres on 127.0.0.1 on a
// free port, and waits until it is ready to accept connections. The server is stopped by a
// t.Cleanup, even if the test failed. Start calls Require first.
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	Require(t)
	inst, _ := locate() // Require has checked it
	s := &Server{cfg: cfg, inst: inst, dir: t.TempDir()}
	if len(filepath.Join(s.dir, ".s.PGSQL.65535")) <= maxSocketPath {
		s.sockDir = s.dir
	}
	if err := handOver(s.dir, inst.cred); err != nil {
		t.Fatalf("pgproc: hand %s over to user %s: %v", s.dir, runAsUser, err)
	}
	if err := s.initdb(); err != nil {
		t.Fatalf("pgproc: %v", err)
	}
	port, err := procutil.OnFreePort(startAttempts, func(port int) (err error) {
		s.proc, err = s.launch(port)
		return err
	})
	if err != nil {
		t.Fatalf("pgproc: could not start postgres after %d attempts:\n%v", startAttempts, err)
	}
	s.port = port
	t.Cleanup(s.Kill)
	return s
}

// Addr returns the server address, "127.0.0.1:PORT".
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Port returns the TCP port the server listens on.
func (s *Server) Port() int { return s.port }

// URL returns a connection URL for the database "postgres" as Superuser over TCP, without TLS:
// "postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable".
func (s *Server) URL() string { return s.DatabaseURL("postgres") }

// DatabaseURL is URL for the named database.
func (s *Server) DatabaseURL(database string) string {
	u := url.URL{Scheme: "postgres", User: url.User(Superuser), Host: s.Addr(), Path: "/" + database,
		RawQuery: "sslmode=disable"}
	return u.String()
}

// Dir returns the server's temporary directory; the data directory is Dir()/data.
func (s *Server) Dir() string { return s.dir }

// SocketDir returns the directory of the server's unix socket, or "" when the temporary
// directory's path is too long for one and the server listens on TCP only.
func (s *Server) SocketDir() string { return s.sockDir }

// Pid returns the process id of the running postmaster, or 0 once it has been killed.
func (s *Server) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return 0
	}
	return s.proc.cmd.Process.Pid
}

// Kill stops the server: SIGCONT, then SIGQUIT (immediate shutdown: the postmaster ends its
// children and exits without a checkpoint), then SIGKILL if it has not exited within a few
// seconds; it waits for the postmaster to exit. It is a no-op when the server is not running.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return
	}
	p := s.proc
	s.proc = nil
	// os.Process.Signal never reaches a reused pid once the child is reaped.
	_ = p.cmd.Process.Signal(syscall.SIGCONT)
	_ = p.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-p.done:
	case <-time.After(quitTimeout):
		// Its children notice the postmaster's death and exit by themselves.
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	}
}

// dataDir returns the data directory.
func (s *Server) dataDir() string { return filepath.Join(s.dir, "data") }

// command returns a command for the named PostgreSQL binary, run in s.dir as the user of the
// installation, in its own process group, with output appended to logf.
func (s *Server) command(ctx context.Context, name string, logf *os.File, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(s.inst.bin, name), args...)
	cmd.Dir = s.dir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: s.inst.cred}
	return cmd
}

// initdb creates the data directory.
func (s *Server) initdb() error {
	logPath := filepath.Join(s.dir, initdbLogName)
	logf, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("create initdb log: %w", err)
	}
	defer logf.Close()
	ctx, cancel := context.WithTimeout(context.Background(), initdbTimeout)
	defer cancel()
	cmd := s.command(ctx, "initdb", logf, "-D", s.dataDir(), "-U", Superuser, "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync")
	if err := cmd.Run(); err != nil {
		hint := ""
		if s.inst.cred != nil {
			hint = fmt.Sprintf(" (running as user %s: it must be able to reach %s; set TMPDIR/GOTMPDIR to a directory it can reach)", runAsUser, s.dir)
		}
		return fmt.Errorf("initdb in %s: %w%s\n--- log tail (%s):\n%s", s.dir, err, hint, logPath, procutil.LogTail(logPath, 0, logTailBytes))
	}
	return nil
}

// args returns the postgres command line for port.
func (s *Server) args(port int) []string {
	args := []string{
		"-D", s.dataDir(),
		"-p", strconv.Itoa(port),
		"-k", s.sockDir,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
	}
	return append(args, s.cfg.ExtraArgs...)
}

// launch starts postgres on port and waits until it is ready. On failure the child is killed
// and reaped, and the error carries the log tail.
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
	fmt.Fprintf(logf, "--- pgproc: starting on port %d at %s\n", port, time.Now().Format(time.RFC3339Nano))
	cmd := s.command(context.Background(), "postgres", logf, s.args(port)...)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	if err := waitReady(s.dataDir(), port, cmd.Process.Pid, p.done); err != nil {
		_ = cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-p.done:
		case <-time.After(quitTimeout):
			_ = cmd.Process.Signal(syscall.SIGKILL)
			<-p.done
		}
		return nil, fmt.Errorf("port %d: %w (%v)\n--- log tail (%s):\n%s",
			port, err, cmd.ProcessState, logPath, procutil.LogTail(logPath, from, logTailBytes))
	}
	return p, nil
}

// waitReady polls until the postmaster with pid reports itself ready on port in dataDir's
// postmaster.pid and accepts a TCP connection, the process exits (done is closed) or
// readyTimeout passes.
func waitReady(dataDir string, port, pid int, done <-chan struct{}) error {
	deadline := time.Now().Add(readyTimeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("postgres exited before becoming ready (last probe: %v)", last)
		default:
		}
		if last = probe(dataDir, port, pid); last == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("postgres not ready after %v (last probe: %v)", readyTimeout, last)
}

// probe checks postmaster.pid (line 1: pid, line 4: port, line 8: status) and then that the
// port accepts a connection.
func probe(dataDir string, port, pid int) error {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return err
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 8 || strings.TrimSpace(lines[0]) != strconv.Itoa(pid) ||
		strings.TrimSpace(lines[3]) != strconv.Itoa(port) {
		return fmt.Errorf("postmaster.pid does not name pid %d on port %d yet: %q", pid, port, b)
	}
	if status := strings.TrimSpace(lines[7]); status != "ready" {
		return fmt.Errorf("postmaster status %q", status)
	}
	conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
	if err != nil {
		return err
	}
	return conn.Close()
}
