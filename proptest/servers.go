package proptest

import (
	"errors"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
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
	revive(i int, persist bool) error     // start it again, with its data or empty
	process(i int) stopper                // the server's process for SIGSTOP, or nil
	close() error
}

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

// minis are miniredis servers whose keys expire on the wall clock (ClockTTL), as on a real
// server; age moves one server's clock on (FastForward). A killed server's port is held until it
// restarts (portHold).
type minis struct {
	ms    []*miniredis.Miniredis
	holds portHolds
}

func startMinis(n int) (*minis, error) {
	portMu.Lock()
	defer portMu.Unlock()
	ms := &minis{holds: make(portHolds, n)}
	for range n {
		m := miniredis.NewMiniRedis()
		if err := m.Start(); err != nil {
			return nil, errors.Join(fmt.Errorf("proptest: start miniredis: %w", err), ms.close())
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

// kill closes server i and holds its port.
func (ms *minis) kill(i int) error {
	return ms.holds.kill(i, ms.ms[i].Addr(), ms.ms[i].Close)
}

// revive restarts server i on its port; miniredis keeps its data across a restart.
func (ms *minis) revive(i int, persist bool) error {
	return ms.holds.revive(i, func() error {
		if err := ms.ms[i].Restart(); err != nil {
			return err
		}
		if !persist {
			ms.ms[i].FlushAll()
		}
		return nil
	})
}

func (ms *minis) close() error {
	for i, m := range ms.ms {
		ms.holds[i].release()
		m.Close()
	}
	return nil
}
