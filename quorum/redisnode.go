package quorum

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/quorumlock/quorumlock/internal/redispipe"
	"github.com/redis/go-redis/v9"
)

// acquireScript grants a lock with a client-proposed token; see lua/acquire.lua.
// KEYS: lock, fence, marker, tombstone. ARGV: owner, ttl ms, token, replace, incarnation,
// quarantine ms. Returns {status, counter, node_max, incarnation, age_ms, quarantine_ms}.
//
// script is one embedded Lua script and its SHA1.
type script struct{ name, src, sha string }

func newScript(name, src string) script {
	return script{name: name, src: src, sha: redis.NewScript(src).Hash()}
}

var allScripts = []script{acquireScript, extendScript, extendManyScript, releaseScript, healScript}

//go:embed lua/acquire.lua
var acquireLua string
var acquireScript = newScript("acquire", acquireLua)

// extendScript resets the expiry of a key that holds our owner; see lua/extend.lua.
// KEYS: lock. ARGV: owner, ttl ms. Returns 1 extended, 0 not ours.
//
//go:embed lua/extend.lua
var extendLua string
var extendScript = newScript("extend", extendLua)

// extendManyScript extends a batch of keys that hold their owners; see lua/extend_many.lua.
// KEYS: lock keys. ARGV: ttl ms, then one owner per key. Returns an array of 1 (extended) or 0.
//
//go:embed lua/extend_many.lua
var extendManyLua string
var extendManyScript = newScript("extend_many", extendManyLua)

// releaseScript is compare-and-delete plus a tombstone; see lua/release.lua.
// KEYS: lock, tombstone. ARGV: owner, tombstone ttl ms. Returns 1 deleted, 0 not ours.
//
//go:embed lua/release.lua
var releaseLua string
var releaseScript = newScript("release", releaseLua)

// healScript ends a node's quarantine; see lua/heal.lua.
// KEYS: marker. ARGV: incarnation, floor, bootstrap "1"/"0". Returns 1, 0 or -1 (HealResult).
//
//go:embed lua/heal.lua
var healLua string
var healScript = newScript("heal", healLua)

// RedisNode is a Node on one Redis server. The lock's scripts run on one pipelined connection
// (commands of concurrent callers share writes and reads, and a command whose caller stopped
// waiting does not close it), so a release is always run after an acquire issued before it,
// even on a server that stalled with both queued. A Locker sends its acquire, extend and
// release rounds to a RedisNode without a goroutine per call: the connection's reader decodes
// each reply and hands it to the round. Inspection uses a go-redis client.
// It is safe for concurrent use.
type RedisNode struct {
	name    string
	pipe    *redispipe.Pipe
	client  *redis.Client
	mutants nodeMutants // empty unless built with the tag quorumlock_mutants
}

var _ Node = (*RedisNode)(nil)

// NewRedisNode returns a Node for the server that opts describe (as redis.ParseURL returns
// them: Addr, Username, Password, DB, TLSConfig and DialTimeout are used), named name in errors.
// replyTimeout is how long the connection may wait for a reply before it is deemed dead and
// replaced; Dial uses the TTL. Per-call timeouts come from each call's context.
func NewRedisNode(name string, opts *redis.Options, replyTimeout time.Duration) *RedisNode {
	onConnect := make([][]string, 0, len(allScripts))
	for _, sc := range allScripts {
		onConnect = append(onConnect, []string{"SCRIPT", "LOAD", sc.src})
	}
	pipe := redispipe.New(redispipe.Config{
		Addr: opts.Addr, Username: opts.Username, Password: opts.Password, DB: opts.DB,
		TLS: opts.TLSConfig, DialTimeout: opts.DialTimeout, ReplyTimeout: replyTimeout,
		OnConnect: onConnect,
	})
	co := *opts
	co.ContextTimeoutEnabled = true
	co.MaxRetries = -1
	return &RedisNode{name: name, pipe: pipe, client: redis.NewClient(&co)}
}

// Name returns the node's name.
func (n *RedisNode) Name() string { return n.name }

// Close closes the connections, after writing the commands already issued.
func (n *RedisNode) Close() error {
	return errors.Join(n.pipe.Close(), n.client.Close())
}

// Acquire runs acquire.lua. A request whose caller stopped waiting before it could be written
// is not sent at all.
func (n *RedisNode) Acquire(ctx context.Context, req AcquireRequest) (AcquireReply, error) {
	v, err := n.eval(ctx, true, acquireScript, []string{req.Keys.Lock, req.Keys.Fence, req.Keys.Meta,
		req.Keys.TombstoneKey(req.Owner)}, req.Owner, ms(req.TTL), req.Token.String(), req.Replace,
		req.Incarnation, ms(req.Quarantine))
	if err != nil {
		return AcquireReply{}, err
	}
	return DecodeAcquireReply(v)
}

// Extend runs extend.lua.
func (n *RedisNode) Extend(ctx context.Context, req ExtendRequest) (bool, error) {
	v, err := n.evalInt(ctx, extendScript, []string{req.Keys.Lock}, req.Owner, ms(req.TTL))
	return v == 1, err
}

// ExtendMany runs extend_many.lua.
func (n *RedisNode) ExtendMany(ctx context.Context, req ExtendManyRequest) ([]bool, error) {
	if len(req.Locks) != len(req.Owners) {
		return nil, fmt.Errorf("extend_many: %d locks but %d owners", len(req.Locks), len(req.Owners))
	}
	args := make([]string, 0, 1+len(req.Owners))
	args = append(append(args, ms(req.TTL)), req.Owners...)
	v, err := n.eval(ctx, false, extendManyScript, req.Locks, args...)
	if err != nil {
		return nil, err
	}
	a, ok := v.([]any)
	if !ok || len(a) != len(req.Locks) {
		return nil, fmt.Errorf("extend_many: reply %#v, want %d integers", v, len(req.Locks))
	}
	out := make([]bool, len(a))
	for i, x := range a {
		out[i] = x == int64(1)
	}
	return out, nil
}

// Release runs release.lua.
func (n *RedisNode) Release(ctx context.Context, req ReleaseRequest) (bool, error) {
	v, err := n.evalInt(ctx, releaseScript, []string{req.Keys.Lock, req.Keys.TombstoneKey(req.Owner)},
		req.Owner, ms(req.TombstoneTTL))
	return v == 1, err
}

// Heal runs heal.lua.
func (n *RedisNode) Heal(ctx context.Context, req HealRequest) (HealResult, error) {
	boot := "0"
	if req.Bootstrap {
		boot = "1"
	}
	v, err := n.evalInt(ctx, healScript, []string{req.Meta}, req.Incarnation, req.Floor.String(), boot)
	if err != nil {
		return 0, err
	}
	if v < -1 || v > 1 {
		return 0, fmt.Errorf("heal: unexpected reply %d", v)
	}
	return HealResult(v), nil
}

func (n *RedisNode) evalInt(ctx context.Context, sc script, keys []string, args ...string) (int64, error) {
	v, err := n.eval(ctx, false, sc, keys, args...)
	if err != nil {
		return 0, err
	}
	i, ok := v.(int64)
	if !ok {
		return 0, fmt.Errorf("%s: reply %#v, want an integer", sc.name, v)
	}
	return i, nil
}

// eval runs a script by its SHA1 (loaded on every new connection), and by its source if the
// server no longer has it (SCRIPT FLUSH).
func (n *RedisNode) eval(ctx context.Context, droppable bool, sc script, keys []string, args ...string) (any, error) {
	sc = n.mutated(sc)
	cmd := make([]string, 0, 3+len(keys)+len(args))
	cmd = append(cmd, "EVALSHA", sc.sha, strconv.Itoa(len(keys)))
	cmd = append(append(cmd, keys...), args...)
	do := n.pipe.Do
	if droppable {
		do = n.pipe.DoUnlessCancelled
	}
	v, err := do(ctx, cmd...)
	if e, ok := v.(redispipe.Error); ok && strings.HasPrefix(string(e), "NOSCRIPT") {
		cmd[0], cmd[1] = "EVAL", sc.src
		v, err = do(ctx, cmd...)
	}
	if e, ok := v.(redispipe.Error); ok {
		return nil, fmt.Errorf("%s: %w", sc.name, e)
	}
	return v, err
}

// ms formats a duration as whole milliseconds.
func ms(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
