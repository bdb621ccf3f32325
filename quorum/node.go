package quorum

import (
	"context"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
)

// Node is one independent Redis endpoint as the lock sees it: the go-redis adapter (RedisNode)
// implements it, and so do the test doubles in package quorumtest. Each method performs one
// atomic step on the node. Implementations must be safe for concurrent use, must return promptly
// once ctx ends, and must make every step idempotent for the same request (clients retry).
type Node interface {
	// Name identifies the node in errors, reports and metrics, e.g. "127.0.0.1:6379/0".
	// It never contains a password.
	Name() string
	// Acquire asks the node to grant the lock to req.Owner with token req.Token (see AcquireStatus).
	Acquire(ctx context.Context, req AcquireRequest) (AcquireReply, error)
	// Extend resets the lock's expiry to req.TTL if, and only if, the key still holds req.Owner.
	// It never re-creates a missing key. It reports whether the key was extended.
	Extend(ctx context.Context, req ExtendRequest) (bool, error)
	// ExtendMany is Extend for a batch of locks in one atomic step; extended[i] reports lock i.
	ExtendMany(ctx context.Context, req ExtendManyRequest) (extended []bool, err error)
	// Release deletes the lock's key if, and only if, it still holds req.Owner, and leaves a
	// tombstone so that a request of req.Owner that arrives late is refused. It reports whether
	// a key was deleted.
	Release(ctx context.Context, req ReleaseRequest) (bool, error)
	// Heal ends a node's quarantine after it lost its data (see docs/PROTOCOL.md).
	Heal(ctx context.Context, req HealRequest) (HealResult, error)
	// Inspect reads what the node says about itself: identity, persistence, eviction, state.
	Inspect(ctx context.Context, prefix string) (NodeInfo, error)
	// Close releases the node's connections.
	Close() error
}

// Keys names the Redis keys of one lock. All of them share one {hash tag}, except Meta, which
// holds per-node state shared by every lock under one key prefix.
type Keys struct {
	Lock  string // the lock key; its value is the owner of the current grant
	Fence string // the node's fencing counter for this name
	Meta  string // the node's marker: state, incarnation, floor and highest token
}

// TombstoneKey returns the key that marks owner's requests as abandoned on a node.
func (k Keys) TombstoneKey(owner string) string { return k.Lock + tombstoneInfix + owner }

// tombstoneInfix joins the lock key and the owner in a tombstone's key.
const tombstoneInfix = ":gone:"

// AcquireRequest asks one node to grant a lock.
type AcquireRequest struct {
	Keys  Keys
	Owner string        // unique per attempt: 128 random bits in hex
	TTL   time.Duration // expiry of the lock key; rounded down to whole milliseconds
	Token fencing.Token // the proposed fencing token
	// Replace is the owner of this client's previous attempt at the same name, whose leftover key
	// may be overwritten; empty for none.
	Replace string
	// Incarnation is the identity the node takes if it has no marker yet (random, unique).
	Incarnation string
	// Quarantine is how long a node that lost its data refuses grants; the node keeps the
	// largest value any client told it.
	Quarantine time.Duration
}

// AcquireStatus is a node's answer to an AcquireRequest.
type AcquireStatus int

// The answers of a node to an AcquireRequest.
const (
	// Granted: the key was free (or held by req.Owner or req.Replace) and req.Token was greater
	// than the node's counter; the key now holds req.Owner and the counter is req.Token.
	Granted AcquireStatus = 1
	// Held: another owner holds the key.
	Held AcquireStatus = 2
	// Stale: the key was free but the node's counter was ≥ req.Token.
	Stale AcquireStatus = 3
	// Amnesic: the node has no record of its past (new, or lost its data) and refuses every grant
	// until it is healed.
	Amnesic AcquireStatus = 4
	// Abandoned: req.Owner was released on this node before the request arrived.
	Abandoned AcquireStatus = 5
	// Invalid: the node refused the request as malformed (a token out of range).
	Invalid AcquireStatus = 6
)

// String names the status.
func (s AcquireStatus) String() string {
	switch s {
	case Granted:
		return "granted"
	case Held:
		return "held"
	case Stale:
		return "stale"
	case Amnesic:
		return "amnesic"
	case Abandoned:
		return "abandoned"
	case Invalid:
		return "invalid"
	}
	return "unknown"
}

// AcquireReply is a node's answer to an AcquireRequest.
type AcquireReply struct {
	Status AcquireStatus
	// Counter is the node's fencing counter for the name after the request (its floor included).
	Counter fencing.Token
	// NodeMax is the highest token the node ever granted or was healed to, over all names.
	NodeMax fencing.Token
	// Marker describes an Amnesic node; zero otherwise.
	Marker Marker
}

// Marker is the state of a node that has no record of its past.
type Marker struct {
	Incarnation string        // identity of this incarnation of the node's data
	Age         time.Duration // time since the node found itself without a marker, on its own clock
	Quarantine  time.Duration // how long the node must wait before it may be healed
}

// ExtendRequest asks one node to extend a lock held by Owner.
type ExtendRequest struct {
	Keys  Keys
	Owner string
	TTL   time.Duration
}

// ExtendManyRequest asks one node to extend a batch of locks: Locks[i] held by Owners[i].
type ExtendManyRequest struct {
	Locks  []string // Keys.Lock of each lease
	Owners []string
	TTL    time.Duration
}

// ReleaseRequest asks one node to release a lock held by Owner.
type ReleaseRequest struct {
	Keys  Keys
	Owner string
	// TombstoneTTL is how long the tombstone left for Owner lives. Zero means no tombstone: the
	// caller knows that no acquire of Owner can still reach the node (it answered every one).
	TombstoneTTL time.Duration
}

// HealRequest ends the quarantine of the node incarnation Incarnation.
type HealRequest struct {
	Meta        string
	Incarnation string
	// Floor becomes the node's lowest acceptable counter for every name: at least the highest
	// token held by a majority of the other nodes.
	Floor fencing.Token
	// Bootstrap heals without waiting for the quarantine: only for a new deployment, when every
	// node answered Amnesic.
	Bootstrap bool
}

// HealResult is a node's answer to a HealRequest.
type HealResult int

// The answers of a node to a HealRequest.
const (
	Healed       HealResult = 1  // the node now grants again
	NotAmnesic   HealResult = 0  // already healed, or a different incarnation: nothing done
	StillWaiting HealResult = -1 // the quarantine has not passed yet on the node's clock
)

// NodeInfo is what a node says about itself, for Locker.Inspect.
type NodeInfo struct {
	RunID           string // Redis run_id: equal for two URLs that reach the same server
	Version         string // redis_version
	AppendOnly      bool   // appendonly yes
	AppendFsync     string // appendfsync: always, everysec or no; empty if unknown
	Save            string // RDB snapshot schedule ("" = none); "?" if unknown
	Replicas        int    // connected replicas: a failover to one can lose recent writes
	MaxMemory       int64  // maxmemory in bytes; 0 = unlimited
	MaxMemoryPolicy string // maxmemory-policy
	State           string // marker state under the key prefix: "ok", "amnesic" or "absent"
	Time            time.Time
}
