package redispipe

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Error is an error reply from the server, such as "NOSCRIPT No matching script".
type Error string

func (e Error) Error() string { return "redis: " + string(e) }

// maxBulk bounds the size of one bulk reply, and maxArray the length of one array reply: the
// lock's replies are tiny, and a corrupt length must not make the reader allocate gigabytes.
const (
	maxBulk  = 64 << 20
	maxArray = 1 << 16
)

// keepBuf is the largest string buffer a Reply keeps for the next reply.
const keepBuf = 4 << 10

// writeCommand encodes args as a RESP array of bulk strings.
func writeCommand(w *bufio.Writer, args []string) error {
	cw := Writer{bw: w}
	cw.Array(len(args))
	for _, a := range args {
		cw.Bulk(a)
	}
	return cw.Err()
}

// Writer encodes one command for a Request: Array with the number of arguments, then one Bulk
// or Int per argument. It writes straight into the connection's buffer.
type Writer struct {
	bw       *bufio.Writer
	num, hdr [24]byte
	runID    string
}

// RunID returns the run_id of the server process at the other end of the connection being
// written (see Config.ReadRunID): a command can carry the identity of the one process that can
// run it, since a restarted server is reached only through a new connection. It is empty when
// the server did not tell it.
func (w *Writer) RunID() string { return w.runID }

// Array starts a command of n arguments.
func (w *Writer) Array(n int) { w.header('*', n) }

// Bulk writes one argument: the concatenation of parts.
func (w *Writer) Bulk(parts ...string) {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	w.header('$', n)
	for _, p := range parts {
		w.bw.WriteString(p)
	}
	w.bw.WriteString("\r\n")
}

// Int writes one argument: i in decimal.
func (w *Writer) Int(i int64) {
	w.digits(strconv.AppendInt(w.num[:0], i, 10))
}

// Uint writes one argument: u in decimal.
func (w *Writer) Uint(u uint64) {
	w.digits(strconv.AppendUint(w.num[:0], u, 10))
}

func (w *Writer) digits(b []byte) {
	w.header('$', len(b))
	w.bw.Write(b)
	w.bw.WriteString("\r\n")
}

func (w *Writer) header(kind byte, n int) {
	b := strconv.AppendInt(w.hdr[:0], int64(n), 10)
	w.bw.WriteByte(kind)
	w.bw.Write(b)
	w.bw.WriteString("\r\n")
}

// Err returns the first error of the underlying writer, if any.
func (w *Writer) Err() error {
	_, err := w.bw.Write(nil)
	return err
}

// Kind is the type of a Reply.
type Kind byte

// The kinds of Reply.
const (
	KindNil    Kind = iota // a null bulk string or array
	KindStatus             // a simple string, such as OK: Str
	KindError              // an error reply: Str
	KindInt                // an integer: Int
	KindBulk               // a bulk string: Str
	KindArray              // an array: Elems
)

// Reply is one decoded reply. The reader reuses it for the next reply: its slices are valid
// only until the Request's Complete returns.
type Reply struct {
	Kind  Kind
	Int   int64
	Str   []byte
	Elems []Reply
}

// Err returns the reply as an Error if it is an error reply, else nil.
func (v *Reply) Err() error {
	if v.Kind == KindError {
		return Error(v.Str)
	}
	return nil
}

// Value returns the reply as generic values: int64 for integers, string for simple and bulk
// strings, nil for a null bulk or array, []any for arrays, and Error for error replies.
func (v *Reply) Value() any {
	switch v.Kind {
	case KindStatus, KindBulk:
		return string(v.Str)
	case KindError:
		return Error(v.Str)
	case KindInt:
		return v.Int
	case KindArray:
		a := make([]any, len(v.Elems))
		for i := range v.Elems {
			a[i] = v.Elems[i].Value()
		}
		return a
	}
	return nil
}

// maxDepth bounds the nesting of arrays.
const maxDepth = 8

// readReply decodes one RESP2 reply into generic values (see Reply.Value). The error is for a
// broken or malformed stream; an error reply is returned as the value.
func readReply(r *bufio.Reader) (any, error) {
	var v Reply
	if err := readInto(r, &v, 0); err != nil {
		return nil, err
	}
	return v.Value(), nil
}

// readInto decodes one RESP2 reply into v, reusing v's buffers. An error reply is KindError,
// not an error: the connection is still fine. The error is for a broken or malformed stream.
func readInto(r *bufio.Reader, v *Reply, depth int) error {
	if depth > maxDepth {
		return errors.New("redispipe: arrays nested too deep")
	}
	line, err := readLine(r)
	if err != nil {
		return err
	}
	if len(line) == 0 {
		return errors.New("redispipe: empty reply line")
	}
	body := line[1:]
	switch line[0] {
	case '+', '-':
		v.Kind = KindStatus
		if line[0] == '-' {
			v.Kind = KindError
		}
		v.Str = append(v.Str[:0], body...)
		return nil
	case ':':
		n, ok := parseInt(body)
		if !ok {
			return fmt.Errorf("redispipe: bad integer %q", body)
		}
		v.Kind, v.Int = KindInt, n
		return nil
	case '$':
		return readBulk(r, v, body)
	case '*':
		return readArray(r, v, body, depth)
	}
	return fmt.Errorf("redispipe: unexpected reply type %q", line[0])
}

func readBulk(r *bufio.Reader, v *Reply, size []byte) error {
	n, ok := parseInt(size)
	switch {
	case !ok:
		return fmt.Errorf("redispipe: bad bulk length %q", size)
	case n == -1:
		v.Kind = KindNil
		return nil
	case n < 0 || n > maxBulk:
		return fmt.Errorf("redispipe: bulk length %d out of range", n)
	}
	if cap(v.Str) < int(n)+2 || cap(v.Str) > keepBuf {
		v.Str = make([]byte, n+2, max(n+2, 32))
	}
	buf := v.Str[:n+2]
	if _, err := io.ReadFull(r, buf); err != nil {
		return err
	}
	if buf[n] != '\r' || buf[n+1] != '\n' {
		return errors.New("redispipe: bulk string not terminated by CRLF")
	}
	v.Kind, v.Str = KindBulk, buf[:n]
	return nil
}

func readArray(r *bufio.Reader, v *Reply, size []byte, depth int) error {
	n, ok := parseInt(size)
	switch {
	case !ok:
		return fmt.Errorf("redispipe: bad array length %q", size)
	case n == -1:
		v.Kind = KindNil
		return nil
	case n < 0 || n > maxArray:
		return fmt.Errorf("redispipe: array length %d out of range", n)
	}
	if cap(v.Elems) < int(n) {
		v.Elems = append(v.Elems[:cap(v.Elems)], make([]Reply, int(n)-cap(v.Elems))...)
	}
	v.Kind, v.Elems = KindArray, v.Elems[:n]
	for i := range v.Elems {
		if err := readInto(r, &v.Elems[i], depth+1); err != nil {
			return err
		}
	}
	return nil
}

// parseInt parses a decimal integer with an optional sign, as strconv.ParseInt does, without
// allocating.
func parseInt(b []byte) (int64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg, b = b[0] == '-', b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	switch {
	case neg && n <= 1<<63:
		return int64(-n), true
	case !neg && n < 1<<63:
		return int64(n), true
	}
	return 0, false
}

// readLine reads one CRLF-terminated line, without the CRLF.
func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, errors.New("redispipe: reply line too long")
		}
		return nil, err
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return nil, errors.New("redispipe: reply line not terminated by CRLF")
	}
	return line[:len(line)-2], nil
}
