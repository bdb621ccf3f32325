package quorumtest

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/alicebob/miniredis/v2"
	"github.com/alicebob/miniredis/v2/server"
)

// Server is an in-process Redis server (miniredis) on 127.0.0.1 that behaves as redis-server
// does where the lock depends on it: INFO tells a run_id, new at every start, so that the lock's
// marker sees a restart. A test can also make the lock's scripts fail by name (FailScript) and
// count their calls (ScriptCalls). It is safe for concurrent use.
type Server struct {
	*miniredis.Miniredis

	mu      sync.Mutex
	runID   string
	gen     uint64            // counts the stops: a connection of a stopped process is refused
	names   map[string]string // script SHA1 → script name, learned from SCRIPT LOAD and EVAL
	failing map[string]bool   // script names whose calls fail
	calls   map[string]int    // script name → calls
	before  func(name string) // called before each script call, or nil
}

// StartServer starts a Server on a free loopback port. Its keys expire only when its clock is
// moved (FastForward), unless ClockTTL(true) makes them expire on the wall clock, as on a real
// server (which costs a scan of every key at every command).
func StartServer() (*Server, error) {
	s := &Server{Miniredis: miniredis.NewMiniRedis(), names: map[string]string{}, failing: map[string]bool{}, calls: map[string]int{}}
	if err := s.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("quorumtest: start miniredis: %w", err)
	}
	s.started()
	return s, nil
}

// RunID returns the run_id the server tells now.
func (s *Server) RunID() string { s.mu.Lock(); defer s.mu.Unlock(); return s.runID }

// Restart stops the server and starts it again on the same port, as a new process (a new
// run_id), with its data (as after a restart that reloaded its files) or empty (no persistence).
func (s *Server) Restart(keepData bool) error {
	return s.restart(func() error {
		if !keepData {
			s.FlushAll()
		}
		return nil
	})
}

// restart stops the server, lets load put the new process's data in place, and only then
// serves again: as with a real server, no client sees the old process's data or a half-loaded
// set under the new run_id. (miniredis answers the first commands of a connection accepted in
// the instant between its start and the hook's installation itself, without a run_id.)
func (s *Server) restart(load func() error) error {
	s.Close()
	if err := load(); err != nil {
		return err
	}
	if err := s.Miniredis.Restart(); err != nil {
		return fmt.Errorf("quorumtest: restart miniredis: %w", err)
	}
	s.started()
	return nil
}

// Close stops the server. Every connection it served is closed; one it accepted in the instant
// of stopping, which miniredis would go on serving, is refused from its next command: a stopped
// redis-server answers nothing.
func (s *Server) Close() {
	s.mu.Lock()
	s.gen++
	s.mu.Unlock()
	s.Miniredis.Close()
}

// started draws a new run_id and installs the hook that answers INFO and watches scripts, for
// the connections of this start only.
func (s *Server) started() {
	var b [20]byte
	_, _ = rand.Read(b[:])
	s.mu.Lock()
	s.runID = hex.EncodeToString(b[:])
	gen := s.gen
	s.mu.Unlock()
	s.Server().SetPreHook(func(c *server.Peer, cmd string, args ...string) bool {
		return s.hook(gen, c, cmd, args...)
	})
}

// FailScript makes every call of the lock's script name ("acquire", "extend", "extend_many",
// "release", "state", "heal") fail with an error reply, without running, until turned off.
func (s *Server) FailScript(name string, on bool) { s.mu.Lock(); s.failing[name] = on; s.mu.Unlock() }

// BeforeScript makes the server call f with the script's name before it runs each call of
// one of the lock's scripts (nil for none): a test can act at that moment, e.g. step a fake
// clock as if the round trip took long. f must not call the server.
func (s *Server) BeforeScript(f func(name string)) { s.mu.Lock(); s.before = f; s.mu.Unlock() }

// ScriptCalls returns how many calls of the lock's script name reached the server; of every
// script if name is "".
func (s *Server) ScriptCalls(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if name != "" {
		return s.calls[name]
	}
	total := 0
	for _, n := range s.calls {
		total += n
	}
	return total
}

// hook runs before every command of a connection accepted by start gen: it refuses the command
// if the server has stopped since, answers INFO with a server section that has the run_id, and
// counts or fails script calls.
func (s *Server) hook(gen uint64, c *server.Peer, cmd string, args ...string) bool {
	s.mu.Lock()
	stopped := gen != s.gen
	s.mu.Unlock()
	if stopped {
		c.WriteError("ERR quorumtest: this connection's server has stopped")
		c.Close()
		return true
	}
	switch strings.ToUpper(cmd) {
	case "INFO":
		if len(args) == 0 || strings.EqualFold(args[0], "server") {
			c.WriteBulk(fmt.Sprintf("# Server\r\nredis_version:7.0.0-miniredis\r\nrun_id:%s\r\n# Replication\r\nrole:master\r\nconnected_slaves:0\r\n", s.RunID()))
			return true
		}
	case "SCRIPT":
		if len(args) == 2 && strings.EqualFold(args[0], "LOAD") {
			s.learn(args[1])
		}
	case "EVAL":
		if len(args) > 0 {
			return s.script(c, s.learn(args[0]))
		}
	case "EVALSHA":
		if len(args) > 0 {
			s.mu.Lock()
			name := s.names[strings.ToLower(args[0])]
			s.mu.Unlock()
			return s.script(c, name)
		}
	}
	return false
}

// scriptHeader matches the first line of a script file: "-- NAME.lua: what it does".
var scriptHeader = regexp.MustCompile(`(?m)^-- (\w+)\.lua:`)

// learn records the name of the script src (the first "-- NAME.lua:" header after the
// marker prologue) by its SHA1, and returns it.
func (s *Server) learn(src string) string {
	sum := sha1.Sum([]byte(src))
	name := ""
	for _, m := range scriptHeader.FindAllStringSubmatch(src, -1) {
		if m[1] != "marker" {
			name = m[1]
			break
		}
	}
	s.mu.Lock()
	s.names[hex.EncodeToString(sum[:])] = name
	s.mu.Unlock()
	return name
}

// script counts a call of the script name and fails it if asked; it reports whether the hook
// answered.
func (s *Server) script(c *server.Peer, name string) bool {
	s.mu.Lock()
	s.calls[name]++
	fail, before := s.failing[name], s.before
	s.mu.Unlock()
	if before != nil {
		before(name)
	}
	if fail {
		c.WriteError("ERR quorumtest: injected failure of " + name)
	}
	return fail
}
