package quorum

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/internal/redispipe"
)

// replyFrom builds a reply from fuzz bytes, as the pipe's reader could hand it over: integers,
// bulk and status strings, errors, nils and nested arrays. Tag bytes pick the kind; it returns
// the rest of data.
func replyFrom(data []byte, depth int) (redispipe.Reply, []byte) {
	if len(data) == 0 {
		return redispipe.Reply{Kind: redispipe.KindNil}, data
	}
	tag, data := data[0], data[1:]
	switch tag % 6 {
	case 0: // int64, 8 bytes big-endian
		var b [8]byte
		n := copy(b[:], data)
		return redispipe.Reply{Kind: redispipe.KindInt, Int: int64(binary.BigEndian.Uint64(b[:]))}, data[n:]
	case 1: // small int64 in one signed byte, to reach statuses and counters easily
		if len(data) == 0 {
			return redispipe.Reply{Kind: redispipe.KindInt}, data
		}
		return redispipe.Reply{Kind: redispipe.KindInt, Int: int64(int8(data[0]))}, data[1:]
	case 2, 3: // bulk or status string of length data[0]
		kind := map[bool]redispipe.Kind{true: redispipe.KindBulk, false: redispipe.KindStatus}[tag%6 == 2]
		if len(data) == 0 {
			return redispipe.Reply{Kind: kind}, data
		}
		n := min(int(data[0]), len(data)-1)
		return redispipe.Reply{Kind: kind, Str: data[1 : 1+n]}, data[1+n:]
	case 4: // array of data[0]%10 elements
		if len(data) == 0 || depth >= 4 {
			return redispipe.Reply{Kind: redispipe.KindArray}, data
		}
		n := int(data[0] % 10)
		data = data[1:]
		v := redispipe.Reply{Kind: redispipe.KindArray}
		for range n {
			var e redispipe.Reply
			e, data = replyFrom(data, depth+1)
			v.Elems = append(v.Elems, e)
		}
		return v, data
	}
	return redispipe.Reply{Kind: redispipe.KindError, Str: []byte("ERR x")}, data
}

// acquireReplyBytes encodes an acquire.lua reply in replyFrom's format.
func acquireReplyBytes(status, counter, nodeMax, floor int64, inc string, age, q, lost int64) []byte {
	b := []byte{4, 8}
	for _, n := range []int64{status, counter, nodeMax, floor} {
		b = binary.BigEndian.AppendUint64(append(b, 0), uint64(n))
	}
	b = append(append(b, 2, byte(len(inc))), inc...)
	for _, n := range []int64{age, q, lost} {
		b = binary.BigEndian.AppendUint64(append(b, 0), uint64(n))
	}
	return b
}

// FuzzDecodeAcquireReply: any reply decodes without panic, to an error that says "acquire:",
// or to exactly what its eight elements say, each in range.
func FuzzDecodeAcquireReply(f *testing.F) {
	f.Add(acquireReplyBytes(1, 42, 42, 0, "", 0, 0, 0))
	f.Add(acquireReplyBytes(4, 0, 0, 0, "run:1.2", 1500, 10000, 1))
	f.Add(acquireReplyBytes(4, 0, 0, 0, "run:1.2", -5, 10000, 2)) // node clock stepped back
	f.Add(acquireReplyBytes(4, 0, 0, 0, "i", int64(fencing.MaxToken), int64(fencing.MaxToken), 1))
	f.Add(acquireReplyBytes(4, 0, 0, 0, "i", 0, 1500, 3))
	f.Add(acquireReplyBytes(7, 0, 0, 0, "", 0, 0, 0))
	f.Add(acquireReplyBytes(3, int64(fencing.MaxToken)+1, 0, 0, "", 0, 0, 0))
	f.Add([]byte{4, 8, 1, 1, 4, 2, 1, 5, 2, 1, 'x', 1, 0, 2, 0, 1, 0, 1, 0})
	f.Add([]byte{5, 6, 7, 8})
	f.Fuzz(func(t *testing.T, data []byte) {
		v, _ := replyFrom(data, 0)
		r, err := decodeAcquire(&v)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "acquire: ") {
				t.Fatalf("decodeAcquire(%#v) = %v, want an error starting with \"acquire: \"", v.Value(), err)
			}
			return
		}
		checkAcquireReply(t, &v, r)
	})
}

// checkAcquireReply checks an accepted reply against the raw value it came from.
func checkAcquireReply(t *testing.T, v *redispipe.Reply, r acquireReply) {
	t.Helper()
	if v.Kind != redispipe.KindArray || len(v.Elems) != 8 {
		t.Fatalf("decodeAcquire accepted %#v, not an array of 8", v.Value())
	}
	e := v.Elems
	for _, i := range []int{0, 1, 2, 3, 5, 6, 7} {
		if e[i].Kind != redispipe.KindInt {
			t.Fatalf("decodeAcquire accepted %#v: element %d is not an integer", v.Value(), i)
		}
	}
	if r.status < Granted || r.status > Invalid || int64(r.status) != e[0].Int {
		t.Fatalf("decodeAcquire(%#v): status %d", v.Value(), r.status)
	}
	for i, got := range []fencing.Token{r.counter, r.nodeMax, r.floor} {
		if int64(got) != e[i+1].Int || got > fencing.MaxToken {
			t.Fatalf("decodeAcquire(%#v): element %d read as %d", v.Value(), i+1, got)
		}
	}
	if r.status != Amnesic {
		if r.marker != (marker{}) {
			t.Fatalf("decodeAcquire(%#v): marker %+v for status %v", v.Value(), r.marker, r.status)
		}
		return
	}
	want := marker{incarnation: string(e[4].Str), age: time.Duration(max(e[5].Int, 0)) * time.Millisecond,
		quarantine: time.Duration(e[6].Int) * time.Millisecond, lost: lossKind(e[7].Int)}
	if e[5].Int > maxMillis || e[6].Int > maxMillis || r.marker != want {
		t.Fatalf("decodeAcquire(%#v): marker %+v, want %+v", v.Value(), r.marker, want)
	}
}
