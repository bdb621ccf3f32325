package quorum

import (
	"fmt"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
)

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
		if ok && i == 4 && x < 0 {
			x = 0 // the node's clock stepped back since the marker was written
		}
		if !ok || x < 0 || fencing.Token(x) > fencing.MaxToken {
			return AcquireReply{}, fmt.Errorf("acquire: reply element %d is %#v, want an integer in [0, 2^53)", i, a[i])
		}
		n[i] = x
	}
	inc, ok := a[3].(string)
	if !ok {
		return AcquireReply{}, fmt.Errorf("acquire: reply element 3 is %#v, want a string", a[3])
	}
	st := AcquireStatus(n[0])
	if st < Granted || st > Invalid {
		return AcquireReply{}, fmt.Errorf("acquire: unknown status %d", n[0])
	}
	r := AcquireReply{Status: st, Counter: fencing.Token(n[1]), NodeMax: fencing.Token(n[2])}
	if st == Amnesic {
		r.Marker = Marker{Incarnation: inc, Age: time.Duration(n[4]) * time.Millisecond,
			Quarantine: time.Duration(n[5]) * time.Millisecond}
	}
	return r, nil
}
