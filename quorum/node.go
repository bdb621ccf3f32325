package quorum

import (
	"time"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/internal/redispipe"
	"github.com/redis/go-redis/v9"
)

// redisNode is one Redis server as the Locker sees it: every command, of every kind, goes out on
// one pipelined connection (commands of concurrent callers share writes and reads, and a
// command whose caller stopped waiting does not close it), so a release is always run after an
// acquire issued before it, even on a server that stalled with both queued. The connection's
// reader decodes each reply and hands it to the round that sent it: no goroutine per call.
// Every new connection loads the scripts and reads the server's run_id, which every script call
// written on it carries (see lua/marker.lua).
type redisNode struct {
	name    string
	pipe    *redispipe.Pipe
	subOpts *redis.Options // the server's address and credentials, for the pub/sub connection
	mutants nodeMutants    // empty unless built with the tag quorumlock_mutants
}

// keys names the Redis keys of one lock. All of them share one {hash tag}, except meta, which
// holds the node's marker, shared by every lock under one key prefix.
type keys struct {
	lock  string // the lock key; its value is the owner of the current grant
	fence string // the node's fencing counter for this name; it expires two TTLs after a grant
	meta  string // the node's marker: state, server process, incarnation, floor, highest token
}

// tombstoneInfix joins the lock key and the owner in a tombstone's key.
const tombstoneInfix = ":gone:"

// acquireRequest asks one node to grant a lock.
type acquireRequest struct {
	keys    keys
	owner   string        // unique per attempt: 128 random bits in hex
	ttl     time.Duration // expiry of the lock key, in whole milliseconds
	token   fencing.Token // the proposed fencing token
	replace string        // owner of this client's previous attempt at the name, whose key may be overwritten
}

// AcquireStatus is one node's answer to one acquire request (reported in Events).
type AcquireStatus int

// The answers of a node to an acquire request.
const (
	// Granted: the key was free (or held by this owner or this Locker's previous failed
	// attempt) and the proposed token was above the node's counter for the name.
	Granted AcquireStatus = 1
	// Held: another owner holds the key.
	Held AcquireStatus = 2
	// Stale: the key was free but the node's counter was at or above the proposed token.
	Stale AcquireStatus = 3
	// Amnesic: the node has no trusted record of its past (it is new, lost its data, or its
	// server restarted) and refuses every grant until it is healed.
	Amnesic AcquireStatus = 4
	// Abandoned: the owner was released on this node before the request arrived.
	Abandoned AcquireStatus = 5
	// Invalid: the node refused the proposed token (more than a day ahead of its clock).
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

// acquireReply is a node's answer to an acquireRequest.
type acquireReply struct {
	status  AcquireStatus
	counter fencing.Token // the name's counter on the node after the request, floor included
	nodeMax fencing.Token // the highest token the node granted or was healed to, over all names
	floor   fencing.Token // the node's floor: no counter is below it
	marker  marker        // for an Amnesic node; zero otherwise
}

// lossKind says how a node came to be amnesic.
type lossKind int

const (
	lossNone    lossKind = iota
	lossNew              // no marker was found: a new node, or one that lost everything
	lossRestart          // the marker was written under another server process: a restart
)

// marker describes an amnesic node.
type marker struct {
	incarnation string        // identity of this incarnation: a heal must name it
	age         time.Duration // time since the node found itself amnesic, on its own clock
	quarantine  time.Duration // how long it must wait before it may be healed
	lost        lossKind
}

// nodeState is a node's marker as state.lua reads it, for healing.
type nodeState struct {
	ok      bool
	nodeMax fencing.Token
	floor   fencing.Token
	marker  marker    // for an amnesic node
	now     time.Time // the node's clock
}

// healHow says who puts an amnesic node back into service (heal.lua's ARGV[5]).
type healHow string

const (
	healRegular       healHow = "heal"           // a majority of healthy nodes gave the floor
	healOperator      healHow = "operator"       // an operator's recovery (Locker.Heal)
	healNewDeployment healHow = "new-deployment" // an operator declared the nodes new
)

// healResult is a node's answer to a heal request.
type healResult int

const (
	healed       healResult = 1  // the node grants again
	notAmnesic   healResult = 0  // already healed, or another incarnation: nothing done
	stillWaiting healResult = -1 // the quarantine has not passed yet on the node's clock
	hasServed    healResult = -2 // a new deployment's heal refused: the node restarted, so it served
)

// holderReply is one node's answer to a holderCall.
type holderReply struct {
	trusted bool          // false for an amnesic node: its answer does not count
	owner   string        // the lock key's value, "" if none
	counter fencing.Token // the name's fence counter, 0 if none
	ttl     time.Duration // the lock key's time to live
}
