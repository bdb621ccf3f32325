package redispipe

import (
	"bufio"
	"bytes"
	"math"
	"testing"
)

func TestWriterEncodes(t *testing.T) {
	var buf bytes.Buffer
	w := &Writer{bw: bufio.NewWriter(&buf)}
	w.Array(5)
	w.Bulk("EVALSHA")
	w.Bulk("k", ":gone:", "o")
	w.Int(-42)
	w.Uint(math.MaxUint64)
	w.Bulk()
	if err := w.bw.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "*5\r\n$7\r\nEVALSHA\r\n$8\r\nk:gone:o\r\n$3\r\n-42\r\n$20\r\n18446744073709551615\r\n$0\r\n\r\n"
	if buf.String() != want {
		t.Fatalf("encoded %q, want %q", buf.String(), want)
	}
}

func TestParseInt(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"-1", -1, true}, {"+7", 7, true}, {"9223372036854775807", math.MaxInt64, true},
		{"-9223372036854775808", math.MinInt64, true}, {"9223372036854775808", 0, false},
		{"", 0, false}, {"-", 0, false}, {"1x", 0, false}, {"12345678901234567890", 0, false},
	} {
		got, ok := parseInt([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseInt(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
