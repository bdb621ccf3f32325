package redisguard

import (
	_ "embed"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// writeScript is the fenced write; see lua/write.lua.
// KEYS: value, meta. ARGV: token, value. Returns {1, version} written, {0, fence} stale.
//
//go:embed lua/write.lua
var writeLua string
var writeScript = redis.NewScript(writeLua)

// writeIfVersionScript is the fenced compare-and-set; see lua/write_if_version.lua.
// KEYS: value, meta. ARGV: token, expected version, value, write id.
// Returns {1, version} written (or this write id's resend), {0, fence} stale, {2, version}
// version changed.
//
//go:embed lua/write_if_version.lua
var writeIfVersionLua string
var writeIfVersionScript = redis.NewScript(writeIfVersionLua)

// readForUpdateScript raises the fence and reads; see lua/read_for_update.lua.
// KEYS: value, meta. ARGV: token. Returns {1, version, value} marked, {0, fence, ""} stale.
//
//go:embed lua/read_for_update.lua
var readForUpdateLua string
var readForUpdateScript = redis.NewScript(readForUpdateLua)

// readScript reads a snapshot; see lua/read.lua.
// KEYS: value, meta. ARGV: none. Returns {fence, version, value}.
//
//go:embed lua/read.lua
var readLua string
var readScript = redis.NewScript(readLua)

// Status codes in the first element of a script's reply.
const (
	statusStale          = 0
	statusOK             = 1
	statusVersionChanged = 2
)

// reply is a decoded script reply: n integers, then an optional string.
type reply struct {
	ints []int64
	str  string
}

// decode checks that v is an array of nInts integers, then a string if withStr.
func decode(v any, nInts int, withStr bool) (reply, error) {
	arr, ok := v.([]any)
	want := nInts
	if withStr {
		want++
	}
	if !ok || len(arr) != want {
		return reply{}, fmt.Errorf("unexpected script reply %#v", v)
	}
	var r reply
	for _, x := range arr[:nInts] {
		n, ok := x.(int64)
		if !ok || n < 0 {
			return reply{}, fmt.Errorf("unexpected script reply %#v", v)
		}
		r.ints = append(r.ints, n)
	}
	if withStr {
		if r.str, ok = arr[nInts].(string); !ok {
			return reply{}, fmt.Errorf("unexpected script reply %#v", v)
		}
	}
	return r, nil
}
