package quorum_test

import (
	"encoding/binary"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/quorum"
)

// replyValue builds a reply value from fuzz bytes: the values a Redis client may hand back
// (int64, string, nil, nested []any) and some it should not (float64, bool, []byte, int, map).
// Tag bytes pick the type; it returns the rest of data.
func replyValue(data []byte, depth int) (any, []byte) {
	if len(data) == 0 {
		return nil, data
	}
	tag, data := data[0], data[1:]
	switch tag % 9 {
	case 0: // int64, 8 bytes big-endian
		var b [8]byte
		n := copy(b[:], data)
		return int64(binary.BigEndian.Uint64(b[:])), data[n:]
	case 1: // small int64 in one signed byte, to reach statuses and counters easily
		if len(data) == 0 {
			return int64(0), data
		}
		return int64(int8(data[0])), data[1:]
	case 2: // string of length data[0]
		if len(data) == 0 {
			return "", data
		}
		n := min(int(data[0]), len(data)-1)
		return string(data[1 : 1+n]), data[1+n:]
	case 3: // array of data[0]%8 elements
		if len(data) == 0 || depth >= 4 {
			return []any{}, data
		}
		n := int(data[0] % 8)
		data = data[1:]
		a := make([]any, 0, n)
		for range n {
			var v any
			v, data = replyValue(data, depth+1)
			a = append(a, v)
		}
		return a, data
	case 4:
		return nil, data
	case 5:
		return math.Float64frombits(uint64(tag)<<56 | 1), data
	case 6:
		return tag&16 != 0, data
	case 7:
		return []byte("1"), data
	default:
		return int(tag), data
	}
}

// acquireReplyBytes encodes an acquire.lua reply in replyValue's format.
func acquireReplyBytes(status, counter, nodeMax int64, inc string, age, q int64) []byte {
	b := []byte{3, 6}
	for _, n := range []int64{status, counter, nodeMax} {
		b = binary.BigEndian.AppendUint64(append(b, 0), uint64(n))
	}
	b = append(append(b, 2, byte(len(inc))), inc...)
	for _, n := range []int64{age, q} {
		b = binary.BigEndian.AppendUint64(append(b, 0), uint64(n))
	}
	return b
}

// FuzzDecodeAcquireReply: any value decodes without panic, to an error that says "acquire:", or
// to exactly what the six elements say, each in range.
func FuzzDecodeAcquireReply(f *testing.F) {
	f.Add(acquireReplyBytes(1, 42, 42, "", 0, 0))
	f.Add(acquireReplyBytes(4, 0, 0, "inc-1", 1500, 10000))
	f.Add(acquireReplyBytes(4, 0, 0, "inc-1", -5, 10000))                                      // node clock stepped back
	f.Add(acquireReplyBytes(4, 0, 0, "inc", int64(fencing.MaxToken), int64(fencing.MaxToken))) // ms that overflow a Duration
	f.Add(acquireReplyBytes(4, 0, 0, "inc", 0, math.MaxInt64/int64(time.Millisecond)+1))
	f.Add(acquireReplyBytes(7, 0, 0, "", 0, 0))
	f.Add(acquireReplyBytes(3, int64(fencing.MaxToken)+1, 0, "", 0, 0))
	f.Add([]byte{3, 6, 1, 1, 3, 2, 1, 5, 2, 1, 'x', 1, 0, 2, 0, 1, 0, 1, 0}) // a nested array
	f.Add([]byte{4})
	f.Add([]byte{5, 6, 7, 8})
	f.Fuzz(func(t *testing.T, data []byte) {
		v, _ := replyValue(data, 0)
		r, err := quorum.DecodeAcquireReply(v)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "acquire: ") {
				t.Fatalf("DecodeAcquireReply(%#v) = %v, want an error starting with \"acquire: \"", v, err)
			}
			return
		}
		checkAcquireReply(t, v, r)
	})
}

// checkAcquireReply checks an accepted reply against the raw value it came from.
func checkAcquireReply(t *testing.T, v any, r quorum.AcquireReply) {
	t.Helper()
	a, ok := v.([]any)
	if !ok || len(a) != 6 {
		t.Fatalf("DecodeAcquireReply accepted %#v, not an array of 6", v)
	}
	ints := make([]int64, 6)
	for _, i := range []int{0, 1, 2, 4, 5} {
		if ints[i], ok = a[i].(int64); !ok {
			t.Fatalf("DecodeAcquireReply accepted %#v: element %d is not an integer", v, i)
		}
	}
	inc, ok := a[3].(string)
	if !ok {
		t.Fatalf("DecodeAcquireReply accepted %#v: element 3 is not a string", v)
	}
	if r.Status < quorum.Granted || r.Status > quorum.Invalid || int64(r.Status) != ints[0] {
		t.Fatalf("DecodeAcquireReply(%#v): status %d", v, r.Status)
	}
	if int64(r.Counter) != ints[1] || int64(r.NodeMax) != ints[2] || r.Counter > fencing.MaxToken || r.NodeMax > fencing.MaxToken {
		t.Fatalf("DecodeAcquireReply(%#v): counter %d, node max %d", v, r.Counter, r.NodeMax)
	}
	if r.Status != quorum.Amnesic {
		if r.Marker != (quorum.Marker{}) {
			t.Fatalf("DecodeAcquireReply(%#v): marker %+v for status %v", v, r.Marker, r.Status)
		}
		return
	}
	want := quorum.Marker{Incarnation: inc}
	for _, d := range []struct {
		got *time.Duration
		ms  int64
	}{{&want.Age, max(ints[4], 0)}, {&want.Quarantine, ints[5]}} {
		if d.ms < 0 || d.ms > math.MaxInt64/int64(time.Millisecond) {
			t.Fatalf("DecodeAcquireReply(%#v) accepted %d ms, beyond a time.Duration", v, d.ms)
		}
		*d.got = time.Duration(d.ms) * time.Millisecond
	}
	if !reflect.DeepEqual(r.Marker, want) {
		t.Fatalf("DecodeAcquireReply(%#v): marker %+v, want %+v", v, r.Marker, want)
	}
}
