package redisguard

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/quorumlock/quorumlock/fencing"
)

// Options configures a Guard. The zero value is ready to use.
type Options struct {
	// KeyPrefix starts every Redis key the guard uses. Default "" (no prefix). For a guarded key
	// K the value is stored at KeyPrefix+"{"+K+"}:value" and the fence and version in a hash at
	// KeyPrefix+"{"+K+"}:fence": both share the hash tag, so they live in one cluster slot.
	// It must not contain "{" or "}", which would move the hash tag.
	KeyPrefix string
}

// Record is a snapshot of a guarded key, as returned by Read.
type Record struct {
	Value   string        // "" when never written
	Version uint64        // number of writes so far; 0 when never written
	Fence   fencing.Token // highest token accepted; 0 when none
}

// Guard fences writes to Redis keys: each write runs as one Lua script that compares the token
// with the key's stored fence and writes only if the token is not older. A Guard is safe for
// concurrent use, and holds no state besides its options: guards with the same options on the
// same server are interchangeable.
type Guard struct {
	client redis.Scripter
	opts   Options
}

// New returns a Guard over client, which may be a *redis.Client, *redis.ClusterClient or
// *redis.Ring, or any other redis.Scripter. It returns an error wrapping ErrInvalidOptions for
// a nil client or a KeyPrefix with a brace.
func New(client redis.Scripter, opts Options) (*Guard, error) {
	if client == nil {
		return nil, fmt.Errorf("%w: nil client", ErrInvalidOptions)
	}
	if strings.ContainsAny(opts.KeyPrefix, "{}") {
		return nil, fmt.Errorf("%w: KeyPrefix %q contains a brace", ErrInvalidOptions, opts.KeyPrefix)
	}
	return &Guard{client: client, opts: opts}, nil
}

// Keys returns the Redis keys that hold key's value and its fence (a hash with the fields
// "fence", "version" and "write_id", the id of the last WriteIfVersion call that wrote).
func (g *Guard) Keys(key string) (valueKey, fenceKey string) {
	base := g.opts.KeyPrefix + "{" + key + "}"
	return base + ":value", base + ":fence"
}

// keys returns Keys as a slice, in the scripts' KEYS order.
func (g *Guard) keys(key string) []string {
	v, f := g.Keys(key)
	return []string{v, f}
}

// Write sets key to value if token is not older than the key's fence, and raises the fence to
// token, in one atomic step. It returns the key's version after the write. For an older token
// it returns a *fencing.StaleTokenError naming the key, the token and the stored fence, and
// nothing is written. A write that changes nothing (same token as the fence, same value; for
// instance a call resent by the client) leaves the version as it is.
func (g *Guard) Write(ctx context.Context, key string, token fencing.Token, value string) (uint64, error) {
	if err := check(key, token); err != nil {
		return 0, err
	}
	v, err := writeScript.Run(ctx, g.client, g.keys(key), token.String(), value).Result()
	if err != nil {
		return 0, opError(ctx, "write", key, err)
	}
	r, err := decode(v, 2, false)
	if err != nil {
		return 0, opError(ctx, "write", key, err)
	}
	if r.ints[0] == statusStale {
		return 0, stale(key, token, r.ints[1])
	}
	return uint64(r.ints[1]), nil
}

// ReadForUpdate marks the key before a read-modify-write: it raises the key's fence to token
// and returns the value and its version, in one atomic step ("" and 0 when never written).
// From then on writes with older tokens are refused, so a stale holder's write cannot land
// between this read and the caller's write. Pass the version to WriteIfVersion. For an older
// token it returns a *fencing.StaleTokenError and changes nothing.
func (g *Guard) ReadForUpdate(ctx context.Context, key string, token fencing.Token) (value string, version uint64, err error) {
	if err := check(key, token); err != nil {
		return "", 0, err
	}
	v, err := readForUpdateScript.Run(ctx, g.client, g.keys(key), token.String()).Result()
	if err != nil {
		return "", 0, opError(ctx, "read for update", key, err)
	}
	r, err := decode(v, 2, true)
	if err != nil {
		return "", 0, opError(ctx, "read for update", key, err)
	}
	if r.ints[0] == statusStale {
		return "", 0, stale(key, token, r.ints[1])
	}
	return r.str, uint64(r.ints[1]), nil
}

// WriteIfVersion sets key to value only if token is not older than the key's fence and the
// key's version is still version (as returned by ReadForUpdate or Read), raising the fence to
// token, in one atomic step; it returns the version after the write. For an older token it
// returns a *fencing.StaleTokenError; for a changed version, a *VersionError (the caller must
// read again). In both cases nothing is written.
//
// Every call is a distinct update, even with the same token, version and value as another: of
// two workers of one lease that read the same version, only the first to write succeeds. Each
// call sends a write id of its own, which the key records, so that only a resend of this call
// (go-redis retries) is recognised as already applied.
func (g *Guard) WriteIfVersion(ctx context.Context, key string, token fencing.Token, version uint64, value string) (uint64, error) {
	return g.writeIfVersion(ctx, key, token, version, value, newWriteID())
}

// writeIfVersion is WriteIfVersion with the call's write id.
func (g *Guard) writeIfVersion(ctx context.Context, key string, token fencing.Token, version uint64, value, writeID string) (uint64, error) {
	if err := check(key, token); err != nil {
		return 0, err
	}
	ver := strconv.FormatUint(version, 10)
	v, err := writeIfVersionScript.Run(ctx, g.client, g.keys(key), token.String(), ver, value, writeID).Result()
	if err != nil {
		return 0, opError(ctx, "write if version", key, err)
	}
	r, err := decode(v, 2, false)
	if err != nil {
		return 0, opError(ctx, "write if version", key, err)
	}
	switch r.ints[0] {
	case statusStale:
		return 0, stale(key, token, r.ints[1])
	case statusVersionChanged:
		return 0, &VersionError{Key: key, Token: token, Version: version, Current: uint64(r.ints[1])}
	}
	return uint64(r.ints[1]), nil
}

// Read returns a consistent snapshot of key's value, version and fence, and changes nothing.
// It is not a fenced read: use ReadForUpdate before a read-modify-write.
func (g *Guard) Read(ctx context.Context, key string) (Record, error) {
	if err := checkKey(key); err != nil {
		return Record{}, err
	}
	v, err := readScript.Run(ctx, g.client, g.keys(key)).Result()
	if err != nil {
		return Record{}, opError(ctx, "read", key, err)
	}
	r, err := decode(v, 2, true)
	if err != nil {
		return Record{}, opError(ctx, "read", key, err)
	}
	return Record{Value: r.str, Version: uint64(r.ints[1]), Fence: fencing.Token(r.ints[0])}, nil
}

// newWriteID returns the write id of one WriteIfVersion call: 128 bits from crypto/rand in hex,
// so that no two calls share one.
func newWriteID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails: crypto/rand crashes the program rather than return an error
	return hex.EncodeToString(b[:])
}

// stale returns the error for a token refused because fence was already accepted.
func stale(key string, token fencing.Token, fence int64) error {
	return &fencing.StaleTokenError{Resource: key, Token: token, Fence: fencing.Token(fence)}
}
