package quorum

import (
	"context"
	_ "embed"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// acquireScript grants a lock with a client-proposed token; see lua/acquire.lua.
// KEYS: lock, fence, marker, tombstone. ARGV: owner, ttl ms, token, replace, incarnation,
// quarantine ms. Returns {status, counter, node_max, incarnation, age_ms, quarantine_ms}.
//
//go:embed lua/acquire.lua
var acquireLua string
var acquireScript = redis.NewScript(acquireLua)

// extendScript resets the expiry of a key that holds our owner; see lua/extend.lua.
// KEYS: lock. ARGV: owner, ttl ms. Returns 1 extended, 0 not ours.
//
//go:embed lua/extend.lua
var extendLua string
var extendScript = redis.NewScript(extendLua)

// releaseScript is compare-and-delete plus a tombstone; see lua/release.lua.
// KEYS: lock, tombstone. ARGV: owner, tombstone ttl ms. Returns 1 deleted, 0 not ours.
//
//go:embed lua/release.lua
var releaseLua string
var releaseScript = redis.NewScript(releaseLua)

// healScript ends a node's quarantine; see lua/heal.lua.
// KEYS: marker. ARGV: incarnation, floor, bootstrap "1"/"0". Returns 1, 0 or -1 (HealResult).
//
//go:embed lua/heal.lua
var healLua string
var healScript = redis.NewScript(healLua)

// RedisClient is what RedisNode needs of a go-redis client; *redis.Client implements it.
type RedisClient interface {
	redis.Scripter
	Info(ctx context.Context, section ...string) *redis.StringCmd
	ConfigGet(ctx context.Context, parameter string) *redis.MapStringStringCmd
	HGet(ctx context.Context, key, field string) *redis.StringCmd
	Time(ctx context.Context) *redis.TimeCmd
	Close() error
}

// RedisNode is a Node backed by a go-redis client. It is safe for concurrent use.
type RedisNode struct {
	name   string
	client RedisClient
}

var _ Node = (*RedisNode)(nil)

// NewRedisNode returns a Node that talks to one Redis server through client, named name in
// errors. For per-node timeouts to hold, the client must honour context deadlines
// (redis.Options.ContextTimeoutEnabled), as the clients made by Dial do.
func NewRedisNode(name string, client RedisClient) *RedisNode {
	return &RedisNode{name: name, client: client}
}

// Name returns the node's name.
func (n *RedisNode) Name() string { return n.name }

// Close closes the client.
func (n *RedisNode) Close() error { return n.client.Close() }

// Acquire runs acquire.lua.
func (n *RedisNode) Acquire(ctx context.Context, req AcquireRequest) (AcquireReply, error) {
	keys := []string{req.Keys.Lock, req.Keys.Fence, req.Keys.Meta, req.Keys.TombstoneKey(req.Owner)}
	v, err := acquireScript.Run(ctx, n.client, keys, req.Owner, req.TTL.Milliseconds(),
		strconv.FormatUint(uint64(req.Token), 10), req.Replace, req.Incarnation, req.Quarantine.Milliseconds()).Result()
	if err != nil {
		return AcquireReply{}, err
	}
	return DecodeAcquireReply(v)
}

// Extend runs extend.lua.
func (n *RedisNode) Extend(ctx context.Context, req ExtendRequest) (bool, error) {
	v, err := extendScript.Run(ctx, n.client, []string{req.Keys.Lock}, req.Owner, req.TTL.Milliseconds()).Int()
	return v == 1, err
}

// Release runs release.lua.
func (n *RedisNode) Release(ctx context.Context, req ReleaseRequest) (bool, error) {
	keys := []string{req.Keys.Lock, req.Keys.TombstoneKey(req.Owner)}
	v, err := releaseScript.Run(ctx, n.client, keys, req.Owner, req.TombstoneTTL.Milliseconds()).Int()
	return v == 1, err
}

// Heal runs heal.lua.
func (n *RedisNode) Heal(ctx context.Context, req HealRequest) (HealResult, error) {
	boot := "0"
	if req.Bootstrap {
		boot = "1"
	}
	v, err := healScript.Run(ctx, n.client, []string{req.Meta}, req.Incarnation,
		strconv.FormatUint(uint64(req.Floor), 10), boot).Int()
	if err != nil {
		return 0, err
	}
	if v < -1 || v > 1 {
		return 0, fmt.Errorf("heal: unexpected reply %d", v)
	}
	return HealResult(v), nil
}
