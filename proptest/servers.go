package proptest

import (
	"errors"
	"fmt"
	"time"

	"github.com/quorumlock/quorumlock/quorum/quorumtest"
	"github.com/redis/go-redis/v9"
)

// servers are the Redis servers behind a run's nodes, as the fault injector and the checks reach
// them beside the lock's own traffic: in-process miniredis servers, or redis-server processes.
type servers interface {
	len() int
	options(i int) *redis.Options         // how a client reaches server i
	flushAll(i int) error                 // forget everything, as a restart without persistence
	age(i int, d time.Duration) error     // every key with a TTL expires d sooner: the clock jumps
	get(i int, key string) (string, bool) // a string key, for the lock keys left behind
	markerState(i int) string             // the node marker's state: "ok", "amnesic" or ""
	kill(i int) error                     // kill -9: the server stops serving
	revive(i int, how revival) error      // start it again: empty, with its data, or from its snapshot
	snapshot(i int) error                 // save the server's data (SAVE), for a later revival from it
	process(i int) stopper                // the server's process for SIGSTOP, or nil
	close() error
}

// revival says what a server killed by a fault comes back with.
type revival int

const (
	reviveEmpty    revival = iota // its data is lost: no persistence, or a lost disk
	reviveData                    // all its data: an AOF fsynced on every write
	reviveSnapshot                // its last snapshot: an RDB reload, a lagging replica, a backup
)

// stopper is a server process that a stall stops and continues (SIGSTOP, SIGCONT).
type stopper interface {
	Stop()
	Cont()
}

// keyPrefix is the key prefix of every Locker of a run: not the default, so that a campaign on
// servers given by URL touches only its own keys (data loss deletes them, clock jumps age them).
const keyPrefix = "quorumlock-check:"

// startServers starts n servers of the kind asked for: on the servers at urls if given (n must
// not exceed them), else redis-server processes if real, else miniredis servers.
// Real servers keep an AOF, fsynced on every write, if persist.
func startServers(n int, real, persist bool, urls []string) (servers, error) {
	switch {
	case len(urls) > 0:
		return dialRemotes(urls[:min(n, len(urls))])
	case real:
		return startProcs(n, persist)
	}
	return startMinis(n)
}

// minis are in-process Redis servers (quorumtest.Server: miniredis that tells a run_id, new at
// every start) whose keys expire on the wall clock (ClockTTL), as on a real server; age moves
// one server's clock on (FastForward). A killed server's port is held until it restarts
// (portHold).
type minis struct {
	ms    []*quorumtest.Server
	snaps []*quorumtest.Snapshot
	holds portHolds
}

func startMinis(n int) (*minis, error) {
	portMu.Lock()
	defer portMu.Unlock()
	ms := &minis{holds: make(portHolds, n), snaps: make([]*quorumtest.Snapshot, n)}
	for range n {
		m, err := quorumtest.StartServer()
		if err != nil {
			return nil, errors.Join(fmt.Errorf("proptest: %w", err), ms.close())
		}
		m.ClockTTL(true)
		ms.ms = append(ms.ms, m)
	}
	return ms, nil
}

func (ms *minis) len() int                         { return len(ms.ms) }
func (ms *minis) options(i int) *redis.Options     { return &redis.Options{Addr: ms.ms[i].Addr()} }
func (ms *minis) flushAll(i int) error             { ms.ms[i].FlushAll(); return nil }
func (ms *minis) age(i int, d time.Duration) error { ms.ms[i].FastForward(d); return nil }
func (ms *minis) markerState(i int) string         { return ms.ms[i].HGet(keyPrefix+"node", "state") }
func (ms *minis) get(i int, key string) (string, bool) {
	v, err := ms.ms[i].Get(key)
	return v, err == nil
}
func (ms *minis) process(int) stopper { return nil }

// snapshot copies server i's data, for a revival from it.
func (ms *minis) snapshot(i int) error {
	snap, err := ms.ms[i].Snapshot()
	ms.snaps[i] = snap
	return err
}

// kill closes server i and holds its port.
func (ms *minis) kill(i int) error {
	return ms.holds.kill(i, ms.ms[i].Addr(), ms.ms[i].Close)
}

// revive restarts server i on its port, as a new process (a new run_id). ClockTTL stays on
// across the restart, so the first access counts the downtime: keys age while a server is down,
// as Redis, which stores expiry as a time, ages them.
func (ms *minis) revive(i int, how revival) error {
	return ms.holds.revive(i, func() error {
		if how == reviveSnapshot && ms.snaps[i] != nil {
			return ms.ms[i].RestartFrom(ms.snaps[i])
		}
		return ms.ms[i].Restart(how == reviveData)
	})
}

func (ms *minis) close() error {
	for i, m := range ms.ms {
		ms.holds[i].release()
		m.Close()
	}
	return nil
}
