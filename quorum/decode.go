package quorum

import (
	"fmt"
	"math"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/internal/redispipe"
)

// maxMillis is the longest time.Duration in whole milliseconds: a larger age or quarantine
// would wrap around when converted.
const maxMillis = math.MaxInt64 / int64(time.Millisecond)

// decodeAcquire decodes the reply of acquire.lua, {status, counter, node_max, floor,
// incarnation, age_ms, quarantine_ms, lost}, without allocating unless the node is amnesic. It
// refuses anything else with an error that says what was wrong, and never panics.
func decodeAcquire(v *redispipe.Reply) (acquireReply, error) {
	if v.Kind != redispipe.KindArray || len(v.Elems) != 8 {
		return acquireReply{}, fmt.Errorf("acquire: malformed reply %#v", v.Value())
	}
	a := v.Elems
	n, err := replyInts("acquire", a, 5, 0, 1, 2, 3, 5, 6, 7)
	if err != nil {
		return acquireReply{}, err
	}
	st := AcquireStatus(n[0])
	if st < Granted || st > Invalid {
		return acquireReply{}, fmt.Errorf("acquire: unknown status %d", n[0])
	}
	r := acquireReply{status: st, counter: fencing.Token(n[1]), nodeMax: fencing.Token(n[2]), floor: fencing.Token(n[3])}
	if st == Amnesic {
		if r.marker, err = decodeMarker("acquire", a, 4, n[5], n[6], n[7]); err != nil {
			return acquireReply{}, err
		}
	}
	return r, nil
}

// decodeState decodes the reply of state.lua: {ok, node_max, floor, incarnation, age_ms,
// quarantine_ms, lost, node time µs}.
func decodeState(v *redispipe.Reply) (nodeState, error) {
	if v.Kind != redispipe.KindArray || len(v.Elems) != 8 {
		return nodeState{}, fmt.Errorf("state: malformed reply %#v", v.Value())
	}
	a := v.Elems
	n, err := replyInts("state", a, 4, 0, 1, 2, 4, 5, 6, 7)
	if err != nil {
		return nodeState{}, err
	}
	s := nodeState{ok: n[0] == 1, nodeMax: fencing.Token(n[1]), floor: fencing.Token(n[2]),
		now: time.UnixMicro(n[7])}
	if !s.ok {
		if s.marker, err = decodeMarker("state", a, 3, n[4], n[5], n[6]); err != nil {
			return nodeState{}, err
		}
	}
	return s, nil
}

// replyInts reads the integer elements at idx of a script's array reply, each in [0, 2^53);
// the result is indexed like the reply. A negative age, at element age (the node's clock
// stepped back since the marker was written), reads as 0.
func replyInts(name string, a []redispipe.Reply, age int, idx ...int) ([8]int64, error) {
	var n [8]int64
	for _, i := range idx {
		e := &a[i]
		x := e.Int
		if i == age && e.Kind == redispipe.KindInt && x < 0 {
			x = 0
		}
		if e.Kind != redispipe.KindInt || x < 0 || fencing.Token(x) > fencing.MaxToken {
			return n, fmt.Errorf("%s: reply element %d is %#v, want an integer in [0, 2^53)", name, i, e.Value())
		}
		n[i] = x
	}
	return n, nil
}

// decodeMarker reads an amnesic node's marker: its incarnation at element inc, its age and
// quarantine in ms, and how it was lost.
func decodeMarker(name string, a []redispipe.Reply, inc int, age, q, lost int64) (marker, error) {
	if a[inc].Kind != redispipe.KindBulk && a[inc].Kind != redispipe.KindStatus {
		return marker{}, fmt.Errorf("%s: reply element %d is %#v, want a string", name, inc, a[inc].Value())
	}
	if age > maxMillis || q > maxMillis {
		return marker{}, fmt.Errorf("%s: age %d ms or quarantine %d ms is longer than a time.Duration holds", name, age, q)
	}
	if lost != int64(lossNew) && lost != int64(lossRestart) {
		return marker{}, fmt.Errorf("%s: unknown loss %d", name, lost)
	}
	return marker{incarnation: string(a[inc].Str), age: time.Duration(age) * time.Millisecond,
		quarantine: time.Duration(q) * time.Millisecond, lost: lossKind(lost)}, nil
}

// decodeInt decodes a script's integer reply in [lo, hi].
func decodeInt(name string, v *redispipe.Reply, lo, hi int64) (int64, error) {
	if v.Kind != redispipe.KindInt || v.Int < lo || v.Int > hi {
		return 0, fmt.Errorf("%s: reply %#v, want an integer in [%d, %d]", name, v.Value(), lo, hi)
	}
	return v.Int, nil
}

// decodeHolder decodes the reply of holder.lua: {trusted, owner, counter, pttl_ms}.
func decodeHolder(v *redispipe.Reply) (holderReply, error) {
	if v.Kind != redispipe.KindArray || len(v.Elems) != 4 {
		return holderReply{}, fmt.Errorf("holder: malformed reply %#v", v.Value())
	}
	a := v.Elems
	n, err := replyInts("holder", a, -1, 0, 2, 3)
	if err != nil {
		return holderReply{}, err
	}
	if a[1].Kind != redispipe.KindBulk && a[1].Kind != redispipe.KindStatus {
		return holderReply{}, fmt.Errorf("holder: reply element 1 is %#v, want a string", a[1].Value())
	}
	if n[3] > maxMillis {
		return holderReply{}, fmt.Errorf("holder: time to live %d ms is longer than a time.Duration holds", n[3])
	}
	return holderReply{trusted: n[0] == 1, owner: string(a[1].Str), counter: fencing.Token(n[2]),
		ttl: time.Duration(n[3]) * time.Millisecond}, nil
}
