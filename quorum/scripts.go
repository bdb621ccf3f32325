package quorum

import (
	_ "embed"

	"github.com/redis/go-redis/v9"
)

// script is one Lua script run on the nodes, and its SHA1. Every script starts with the marker
// prologue (lua/marker.lua), which checks the node's marker against the server process that
// runs it: a node's loss of data is seen on the first call of any kind (but a release that finds
// its own key, which deletes it and checks nothing). The KEYS, ARGV and return values of each
// script are in the header of its file and of its call in calls.go.
type script struct{ name, src, sha string }

//go:embed lua/marker.lua
var markerLua string

// newScript prepends the marker prologue to body.
func newScript(name, body string) script { return newScriptWith(name, markerLua, body) }

func newScriptWith(name, prologue, body string) script {
	src := prologue + "\n" + body
	return script{name: name, src: src, sha: redis.NewScript(src).Hash()}
}

var (
	//go:embed lua/acquire.lua
	acquireLua string
	//go:embed lua/extend.lua
	extendLua string
	//go:embed lua/extend_many.lua
	extendManyLua string
	//go:embed lua/release.lua
	releaseLua string
	//go:embed lua/state.lua
	stateLua string
	//go:embed lua/heal.lua
	healLua string
	//go:embed lua/holder.lua
	holderLua string
)

var (
	acquireScript    = newScript("acquire", acquireLua)        // grant with a proposed token
	extendScript     = newScript("extend", extendLua)          // compare-and-PEXPIRE
	extendManyScript = newScript("extend_many", extendManyLua) // extend, for a batch of leases
	releaseScript    = newScript("release", releaseLua)        // compare-and-delete, tombstone
	stateScript      = newScript("state", stateLua)            // read the marker, for healing
	healScript       = newScript("heal", healLua)              // end an amnesic node's quarantine
	holderScript     = newScript("holder", holderLua)          // who holds a lock
	allScripts       = []script{acquireScript, extendScript, extendManyScript, releaseScript, stateScript, healScript, holderScript}
)
