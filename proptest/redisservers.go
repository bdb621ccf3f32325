package proptest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quorumlock/quorumlock/internal/redisproc"
	"github.com/redis/go-redis/v9"
)

// admins reach Redis servers beside the lock's own traffic, one go-redis client per server, for
// the injector and the checks. Redis keeps absolute expiry times, so a clock jump is played by
// rewriting every TTL (ageLua).
type admins struct {
	opts    []*redis.Options
	clients []*redis.Client
}

func newAdmins(opts []*redis.Options) admins {
	a := admins{opts: opts}
	for _, o := range opts {
		c := *o
		c.MaxRetries = -1
		a.clients = append(a.clients, redis.NewClient(&c))
	}
	return a
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

// forgetLua deletes every key under the prefix ARGV[1]: the lock's data loss on a server that
// holds other data too. KEYS: none. Returns the number of keys deleted.
const forgetLua = `
local n = 0
for _, k in ipairs(redis.call('KEYS', ARGV[1])) do
  n = n + redis.call('DEL', k)
end
return n`

func (a admins) len() int                     { return len(a.opts) }
func (a admins) options(i int) *redis.Options { return a.opts[i] }

func (a admins) age(i int, d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	return a.clients[i].Eval(ctx, ageLua, nil, keyPrefix+"*", d.Milliseconds()).Err()
}

// forget deletes the lock's keys on server i, all of them: marker, counters, locks, tombstones.
func (a admins) forget(i int) error {
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	return a.clients[i].Eval(ctx, forgetLua, nil, keyPrefix+"*").Err()
}

func (a admins) get(i int, key string) (string, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	v, err := a.clients[i].Get(ctx, key).Result()
	return v, err == nil
}

func (a admins) markerState(i int) string {
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	return a.clients[i].HGet(ctx, keyPrefix+"node", "state").Val()
}

func (a admins) closeClients() error {
	var errs []error
	for _, c := range a.clients {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// procs are redis-server processes started for one run, with an AOF (fsync always) if the run
// restarts a node that keeps its data, else without persistence.
type procs struct {
	admins
	ps    []*redisproc.Process
	holds portHolds
}

func startProcs(n int, persist bool) (*procs, error) {
	portMu.Lock()
	defer portMu.Unlock()
	ps, err := redisproc.SpawnN(n, redisproc.Config{AppendOnly: persist})
	if err != nil {
		return nil, fmt.Errorf("proptest: %w", err)
	}
	var opts []*redis.Options
	for _, s := range ps {
		opts = append(opts, &redis.Options{Addr: s.Addr()})
	}
	return &procs{admins: newAdmins(opts), ps: ps, holds: make(portHolds, n)}, nil
}

func (p *procs) flushAll(i int) error {
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	return p.clients[i].FlushAll(ctx).Err()
}

func (p *procs) process(i int) stopper { return p.ps[i] }

// kill kills server i (kill -9) and holds its port.
func (p *procs) kill(i int) error { return p.holds.kill(i, p.ps[i].Addr(), p.ps[i].Kill) }

// revive restarts server i on its port: with its data files deleted first (reviveEmpty), or
// with what they hold (the AOF of a persistent server, or the RDB that snapshot saved).
func (p *procs) revive(i int, how revival) error {
	return p.holds.revive(i, func() error { return p.ps[i].Restart(how == reviveEmpty) })
}

// snapshot saves server i's data to its RDB file (SAVE): a server without an AOF reloads it
// when it restarts with its data.
func (p *procs) snapshot(i int) error {
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	return p.clients[i].Save(ctx).Err()
}

func (p *procs) close() error {
	errs := []error{p.closeClients()}
	for i, s := range p.ps {
		p.holds[i].release()
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// remotes are servers given by URL, which may hold other data: a run touches only the keys under
// keyPrefix, deletes them before it starts (a new deployment) and after it ends, and plays data
// loss by deleting them. Runs on remotes must not overlap.
type remotes struct{ admins }

func dialRemotes(urls []string) (*remotes, error) {
	var opts []*redis.Options
	for _, u := range urls {
		o, err := redis.ParseURL(u)
		if err != nil {
			return nil, fmt.Errorf("proptest: node %q: %w", u, err)
		}
		opts = append(opts, o)
	}
	r := &remotes{newAdmins(opts)}
	for i := range urls {
		if err := r.forget(i); err != nil {
			return nil, errors.Join(fmt.Errorf("proptest: node %s: %w", opts[i].Addr, err), r.closeClients())
		}
	}
	return r, nil
}

func (r *remotes) flushAll(i int) error { return r.forget(i) }
func (r *remotes) process(int) stopper  { return nil }

// kill cannot stop a server that is not ours: a restart of a remote is played as data loss, and
// its stalls as black holes in front of it.
func (r *remotes) kill(int) error { return nil }

// revive plays a restart of a remote as data loss: any restart makes a node amnesic (its
// marker names another process), which deleting the lock's keys makes it too.
func (r *remotes) revive(i int, _ revival) error { return r.forget(i) }

// snapshot of a remote is played by its revival (data loss).
func (r *remotes) snapshot(int) error { return nil }

func (r *remotes) close() error {
	var errs []error
	for i := range r.opts {
		errs = append(errs, r.forget(i))
	}
	return errors.Join(append(errs, r.closeClients())...)
}
