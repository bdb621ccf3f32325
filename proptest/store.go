package proptest

import (
	"slices"
	"sync"

	"github.com/quorumlock/quorumlock/fencing"
)

// store is the fenced resource of the workload: a set of integers that clients update with
// read-modify-write under the lock. It is a fenced store done right (docs/PROTOCOL.md §10):
//
//   - Every read is a read-for-update that raises the fence to the reader's token ("mark before
//     write"). A fenced write alone is not enough for read-modify-write: a stale holder's write
//     could land between the new holder's read and write, and the new holder would then
//     overwrite it from a stale read, losing an acknowledged update with every token in order.
//   - Reads and writes compare the token with the fence and act in one atomic step, and refuse
//     a token below the fence. An equal token is admitted: tokens are unique per grant.
//
// It records every operation, admitted or refused, with its position in the store's own order.
//
// An unfenced store (for a lock without tokens, such as the peer's) admits every read and write
// in arrival order: a plain register.
type store struct {
	rec    *recorder
	fenced bool
	res    int // the lock that guards it, recorded with its operations

	mu    sync.Mutex
	fence fencing.Token
	set   []int // sorted
	seq   int
}

func newStore(rec *recorder, fenced bool, res int) *store {
	return &store{rec: rec, fenced: fenced, res: res}
}

// newStores returns one store per lock of s.
func newStores(rec *recorder, fenced bool, s Scenario) []*store {
	var out []*store
	for res := range s.names() {
		out = append(out, newStore(rec, fenced, res))
	}
	return out
}

// admits reports whether the store admits token now, and raises the fence to it if so.
func (s *store) admits(token fencing.Token) bool {
	if !s.fenced {
		return true
	}
	if token < s.fence {
		return false
	}
	s.fence = token
	return true
}

// readForUpdate returns the set if the store admits token (not below the fence), and raises the
// fence to it.
func (s *store) readForUpdate(client, lease int, token fencing.Token) ([]int, bool) {
	op := Op{Client: client, Kind: OpRead, Lease: lease, Token: token, Invoke: s.rec.now(), Res: s.res}
	s.mu.Lock()
	s.seq++
	op.Seq = s.seq
	if s.admits(token) {
		op.OK = true
		op.Value = slices.Clone(s.set)
	}
	s.mu.Unlock()
	op.Complete = s.rec.now()
	s.rec.add(op)
	return op.Value, op.OK
}

// write replaces the set with value if the store admits token, and raises the fence.
func (s *store) write(client, lease int, token fencing.Token, value []int, elem int) bool {
	op := Op{Client: client, Kind: OpWrite, Lease: lease, Token: token, Elem: elem,
		Value: slices.Clone(value), Invoke: s.rec.now(), Res: s.res}
	s.mu.Lock()
	s.seq++
	op.Seq = s.seq
	if s.admits(token) {
		s.set = slices.Clone(value)
		op.OK = true
	}
	s.mu.Unlock()
	op.Complete = s.rec.now()
	s.rec.add(op)
	return op.OK
}

// final records and returns the set at the end of the run.
func (s *store) final() []int {
	op := Op{Kind: OpFinal, Invoke: s.rec.now(), Res: s.res}
	s.mu.Lock()
	s.seq++
	op.Seq = s.seq
	op.Value = slices.Clone(s.set)
	s.mu.Unlock()
	op.OK = true
	op.Complete = s.rec.now()
	s.rec.add(op)
	return op.Value
}

// with returns set with elem added, sorted.
func with(set []int, elem int) []int {
	out := slices.Clone(set)
	if i, found := slices.BinarySearch(out, elem); !found {
		out = slices.Insert(out, i, elem)
	}
	return out
}
