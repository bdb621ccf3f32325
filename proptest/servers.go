package proptest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/quorumlock/quorumlock/internal/redisproc"
	"github.com/quorumlock/quorumlock/quorum"
	"github.com/redis/go-redis/v9"
)

// servers are the Redis servers behind a run's nodes, as the fault injector and the checks reach
// them beside the lock's own traffic: in-process miniredis servers, or redis-server processes.
type servers interface {
	len() int
	addr(i int) string
	flushAll(i int) error                 // forget everything, as a restart without persistence
	age(i int, d time.Duration) error     // every key with a TTL expires d sooner: the clock jumps
	get(i int, key string) (string, bool) // a string key, for the lock keys left behind
	markerState(i int) string             // the node marker's state: "ok", "amnesic" or ""
	close() error
}

// startServers starts n servers of the kind asked for.
func startServers(n int, real bool) (servers, error) {
	if real {
		return startProcs(n)
	}
	return startMinis(n)
}

// minis are miniredis servers whose keys expire on the wall clock (ClockTTL), as on a real
// server; age moves one server's clock on (FastForward).
type minis []*miniredis.Miniredis

func startMinis(n int) (minis, error) {
	var ms minis
	for range n {
		m := miniredis.NewMiniRedis()
		if err := m.Start(); err != nil {
			return nil, errors.Join(fmt.Errorf("proptest: start miniredis: %w", err), ms.close())
		}
		m.ClockTTL(true)
		ms = append(ms, m)
	}
	return ms, nil
}

func (ms minis) len() int                             { return len(ms) }
func (ms minis) addr(i int) string                    { return ms[i].Addr() }
func (ms minis) flushAll(i int) error                 { ms[i].FlushAll(); return nil }
func (ms minis) age(i int, d time.Duration) error     { ms[i].FastForward(d); return nil }
func (ms minis) markerState(i int) string             { return ms[i].HGet(quorum.DefaultKeyPrefix+"node", "state") }
func (ms minis) get(i int, key string) (string, bool) { v, err := ms[i].Get(key); return v, err == nil }

func (ms minis) close() error {
	for _, m := range ms {
		m.Close()
	}
	return nil
}

// procs are redis-server processes without persistence, each with a client for the injector.
// Redis keeps absolute expiry times, so a clock jump is played by rewriting every TTL (ageLua).
type procs struct {
	ps      []*redisproc.Process
	clients []*redis.Client
}

func startProcs(n int) (*procs, error) {
	ps, err := redisproc.SpawnN(n, redisproc.Config{})
	if err != nil {
		return nil, fmt.Errorf("proptest: %w", err)
	}
	p := &procs{ps: ps}
	for _, s := range ps {
		p.clients = append(p.clients, redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1}))
	}
	return p, nil
}

// adminTimeout bounds one injector command on a real server.
const adminTimeout = 5 * time.Second

// ageLua shortens the TTL of every key under the lock's prefix by ARGV[2] ms, deleting the keys
// it runs out on. KEYS: none. ARGV: pattern, milliseconds. Returns the number of keys touched.
const ageLua = `
local n = 0
for _, k in ipairs(redis.call('KEYS', ARGV[1])) do
  local t = redis.call('PTTL', k)
  if t > 0 then
    n = n + 1
    if t <= tonumber(ARGV[2]) then redis.call('DEL', k) else redis.call('PEXPIRE', k, t - tonumber(ARGV[2])) end
  end
end
return n`

func (p *procs) len() int          { return len(p.ps) }
func (p *procs) addr(i int) string { return p.ps[i].Addr() }

func (p *procs) flushAll(i int) error {
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	return p.clients[i].FlushAll(ctx).Err()
}

func (p *procs) age(i int, d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	return p.clients[i].Eval(ctx, ageLua, nil, quorum.DefaultKeyPrefix+"*", d.Milliseconds()).Err()
}

func (p *procs) get(i int, key string) (string, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	v, err := p.clients[i].Get(ctx, key).Result()
	return v, err == nil
}

func (p *procs) markerState(i int) string {
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	return p.clients[i].HGet(ctx, quorum.DefaultKeyPrefix+"node", "state").Val()
}

func (p *procs) close() error {
	var errs []error
	for i, s := range p.ps {
		errs = append(errs, p.clients[i].Close(), s.Close())
	}
	return errors.Join(errs...)
}
