package redispipe

import (
	"bufio"
	"bytes"
	"testing"
)

// FuzzReadReply: no input may panic the decoder or make it allocate without bound.
func FuzzReadReply(f *testing.F) {
	for _, s := range []string{"+OK\r\n", "-ERR x\r\n", ":42\r\n", "$3\r\nabc\r\n", "$-1\r\n",
		"*2\r\n:1\r\n$1\r\nx\r\n", "*-1\r\n", "*1\r\n*1\r\n:1\r\n", "$99999999999\r\n", "*3\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bufio.NewReaderSize(bytes.NewReader(data), 64)
		for range 16 {
			if _, err := readReply(r); err != nil {
				return
			}
		}
	})
}

func TestWriteCommandRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	if err := writeCommand(w, []string{"SET", "k", "a\r\nb"}); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	want := "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\n"
	if buf.String() != want {
		t.Fatalf("encoded %q, want %q", buf.String(), want)
	}
	v, err := readReply(bufio.NewReader(&buf))
	if err != nil || len(v.([]any)) != 3 || v.([]any)[2] != "a\r\nb" {
		t.Fatalf("decoded %#v, %v", v, err)
	}
}
