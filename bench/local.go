package bench

import (
	"errors"
	"fmt"

	"github.com/alicebob/miniredis/v2"

	"github.com/quorumlock/quorumlock/internal/redisproc"
)

// LocalNodes is a set of Redis servers started by this process for a benchmark: redis-server
// processes or in-process miniredis servers, all on 127.0.0.1. Close stops them.
type LocalNodes struct {
	// URLs of the servers, in the order they were started.
	URLs []string
	// InProcess is true for miniredis servers.
	InProcess bool
	closers   []func() error
}

// RedisAvailable reports whether redis-server is on PATH, so that SpawnRedis can work.
func RedisAvailable() bool { return redisproc.Available() }

// SpawnRedis starts n redis-server processes on free 127.0.0.1 ports, without persistence
// (--save "" --appendonly no). On failure the servers already started are stopped.
func SpawnRedis(n int) (*LocalNodes, error) {
	procs, err := redisproc.SpawnN(n, redisproc.Config{})
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	ln := &LocalNodes{}
	for _, p := range procs {
		ln.URLs = append(ln.URLs, p.URL())
		ln.closers = append(ln.closers, p.Close)
	}
	return ln, nil
}

// StartInProcess starts n miniredis servers in this process on free 127.0.0.1 ports. They are
// not representative of real Redis speed, and their work counts as the client's.
func StartInProcess(n int) (*LocalNodes, error) {
	ln := &LocalNodes{InProcess: true}
	for range n {
		s := miniredis.NewMiniRedis()
		if err := s.StartAddr("127.0.0.1:0"); err != nil {
			_ = ln.Close()
			return nil, fmt.Errorf("bench: start miniredis: %w", err)
		}
		ln.URLs = append(ln.URLs, "redis://"+s.Addr()+"/0")
		ln.closers = append(ln.closers, func() error { s.Close(); return nil })
	}
	return ln, nil
}

// Close stops every server. It is idempotent.
func (ln *LocalNodes) Close() error {
	var errs []error
	for _, c := range ln.closers {
		errs = append(errs, c())
	}
	ln.closers = nil
	return errors.Join(errs...)
}
