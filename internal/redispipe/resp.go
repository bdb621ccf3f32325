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

// writeCommand encodes args as a RESP array of bulk strings.
func writeCommand(w *bufio.Writer, args []string) error {
	w.WriteByte('*')
	w.WriteString(strconv.Itoa(len(args)))
	w.WriteString("\r\n")
	for _, a := range args {
		w.WriteByte('$')
		w.WriteString(strconv.Itoa(len(a)))
		w.WriteString("\r\n")
		w.WriteString(a)
		if _, err := w.WriteString("\r\n"); err != nil {
			return err
		}
	}
	return nil
}

// maxDepth bounds the nesting of arrays.
const maxDepth = 8

// readReply decodes one RESP2 reply: int64 for integers, string for simple and bulk strings,
// nil for a null bulk or array, []any for arrays, and Error for error replies (returned as the
// value, not as the error: the connection is still fine). The error is for a broken or
// malformed stream.
func readReply(r *bufio.Reader) (any, error) { return readNested(r, 0) }

func readNested(r *bufio.Reader, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("redispipe: arrays nested too deep")
	}
	line, err := readLine(r)
	if err != nil {
		return nil, err
	}
	if len(line) == 0 {
		return nil, errors.New("redispipe: empty reply line")
	}
	body := line[1:]
	switch line[0] {
	case '+':
		return string(body), nil
	case '-':
		return Error(body), nil
	case ':':
		return strconv.ParseInt(string(body), 10, 64)
	case '$':
		return readBulk(r, body)
	case '*':
		return readArray(r, body, depth)
	}
	return nil, fmt.Errorf("redispipe: unexpected reply type %q", line[0])
}

func readBulk(r *bufio.Reader, size []byte) (any, error) {
	n, err := strconv.Atoi(string(size))
	switch {
	case err != nil:
		return nil, fmt.Errorf("redispipe: bad bulk length %q", size)
	case n == -1:
		return nil, nil
	case n < 0 || n > maxBulk:
		return nil, fmt.Errorf("redispipe: bulk length %d out of range", n)
	}
	buf := make([]byte, n+2)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	if buf[n] != '\r' || buf[n+1] != '\n' {
		return nil, errors.New("redispipe: bulk string not terminated by CRLF")
	}
	return string(buf[:n]), nil
}

func readArray(r *bufio.Reader, size []byte, depth int) (any, error) {
	n, err := strconv.Atoi(string(size))
	switch {
	case err != nil:
		return nil, fmt.Errorf("redispipe: bad array length %q", size)
	case n == -1:
		return nil, nil
	case n < 0 || n > maxArray:
		return nil, fmt.Errorf("redispipe: array length %d out of range", n)
	}
	a := make([]any, n)
	for i := range a {
		if a[i], err = readNested(r, depth+1); err != nil {
			return nil, err
		}
	}
	return a, nil
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
