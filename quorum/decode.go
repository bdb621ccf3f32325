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

// DecodeAcquireReply decodes the reply of acquire.lua as go-redis returns it: an array of
// {status, counter, node_max, incarnation, age_ms, quarantine_ms}. It refuses anything else with
// an error that says what was wrong, and never panics.
func DecodeAcquireReply(v any) (AcquireReply, error) {
	a, ok := v.([]any)
	if !ok || len(a) != 6 {
		return AcquireReply{}, fmt.Errorf("acquire: malformed reply %#v", v)
	}
	var n [6]int64
	for _, i := range []int{0, 1, 2, 4, 5} {
		x, ok := a[i].(int64)
		if n[i], ok = acquireElem(i, x, ok); !ok {
			return AcquireReply{}, fmt.Errorf("acquire: reply element %d is %#v, want an integer in [0, 2^53)", i, a[i])
		}
	}
	inc, ok := a[3].(string)
	if !ok {
		return AcquireReply{}, fmt.Errorf("acquire: reply element 3 is %#v, want a string", a[3])
	}
	return acquireReply(n, func() string { return inc })
}

// decodeAcquire is DecodeAcquireReply for a reply as the pipe reads it, without allocating
// unless the node is amnesic.
func decodeAcquire(v *redispipe.Reply) (AcquireReply, error) {
	if v.Kind != redispipe.KindArray || len(v.Elems) != 6 {
		return AcquireReply{}, fmt.Errorf("acquire: malformed reply %#v", v.Value())
	}
	a := v.Elems
	var n [6]int64
	for _, i := range []int{0, 1, 2, 4, 5} {
		var ok bool
		if n[i], ok = acquireElem(i, a[i].Int, a[i].Kind == redispipe.KindInt); !ok {
			return AcquireReply{}, fmt.Errorf("acquire: reply element %d is %#v, want an integer in [0, 2^53)", i, a[i].Value())
		}
	}
	if a[3].Kind != redispipe.KindBulk && a[3].Kind != redispipe.KindStatus {
		return AcquireReply{}, fmt.Errorf("acquire: reply element 3 is %#v, want a string", a[3].Value())
	}
	return acquireReply(n, func() string { return string(a[3].Str) })
}

// acquireElem checks integer element i of an acquire reply (ok says it is an integer).
func acquireElem(i int, x int64, ok bool) (int64, bool) {
	if ok && i == 4 && x < 0 {
		x = 0 // the node's clock stepped back since the marker was written
	}
	return x, ok && x >= 0 && fencing.Token(x) <= fencing.MaxToken
}

// acquireReply builds a checked reply from its integers; inc is read only for an amnesic node.
func acquireReply(n [6]int64, inc func() string) (AcquireReply, error) {
	st := AcquireStatus(n[0])
	if st < Granted || st > Invalid {
		return AcquireReply{}, fmt.Errorf("acquire: unknown status %d", n[0])
	}
	for _, i := range []int{4, 5} {
		if n[i] > maxMillis {
			return AcquireReply{}, fmt.Errorf("acquire: reply element %d is %d ms, longer than a time.Duration holds", i, n[i])
		}
	}
	r := AcquireReply{Status: st, Counter: fencing.Token(n[1]), NodeMax: fencing.Token(n[2])}
	if st == Amnesic {
		r.Marker = Marker{Incarnation: inc(), Age: time.Duration(n[4]) * time.Millisecond,
			Quarantine: time.Duration(n[5]) * time.Millisecond}
	}
	return r, nil
}
