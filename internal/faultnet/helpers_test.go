package faultnet_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/quorumlock/quorumlock/internal/faultnet"
)

// dialFunc is the shape of a faultnet Dialer.
type dialFunc = func(ctx context.Context, network, addr string) (net.Conn, error)

// replyWait bounds every wait for a reply, so that a broken fault hangs no test.
const replyWait = 5 * time.Second

// startNode starts a miniredis server and a Node for it.
func startNode(t *testing.T) (*miniredis.Miniredis, *faultnet.Node) {
	t.Helper()
	s := miniredis.RunT(t)
	return s, faultnet.NewNode(s.Addr())
}

// client speaks RESP over one connection, with no retries and no reconnects, so that what the
// test sees is what the connection did.
type client struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

// connect dials addr through dial; the connection is closed when the test ends.
func connect(t *testing.T, dial dialFunc, addr string) *client {
	t.Helper()
	nc, err := dial(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	return &client{t: t, nc: nc, br: bufio.NewReader(nc)}
}

// send writes one command.
func (c *client) send(args ...string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	_, err := c.nc.Write([]byte(b.String()))
	return err
}

// reply reads one reply (simple string, error, integer or bulk string) as text: "(nil)" for a
// missing bulk string.
func (c *client) reply() (string, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(replyWait))
	line, err := c.br.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return "", fmt.Errorf("empty reply line")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", fmt.Errorf("server error: %s", line[1:])
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "(nil)", err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(c.br, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
	return "", fmt.Errorf("unexpected reply %q", line)
}

// do sends a command and returns its reply; any error fails the test.
func (c *client) do(args ...string) string {
	c.t.Helper()
	if err := c.send(args...); err != nil {
		c.t.Fatalf("%v: send: %v", args, err)
	}
	r, err := c.reply()
	if err != nil {
		c.t.Fatalf("%v: reply: %v", args, err)
	}
	return r
}

// expect reads one reply and fails the test unless it is want.
func (c *client) expect(want string) {
	c.t.Helper()
	got, err := c.reply()
	if err != nil || got != want {
		c.t.Fatalf("reply = %q, %v; want %q", got, err, want)
	}
}

// heldFor is how long a test watches for bytes that must not reach the server: enough for a
// fault that wrongly let them through to show it.
const heldFor = 50 * time.Millisecond

// staysAbsent fails the test if key appears on s within heldFor.
func staysAbsent(t *testing.T, s *miniredis.Miniredis, key string) {
	t.Helper()
	for end := time.Now().Add(heldFor); time.Now().Before(end); time.Sleep(time.Millisecond) {
		if s.Exists(key) {
			t.Fatalf("%s reached the server", key)
		}
	}
}

// eventually waits, at most replyWait, until cond holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(replyWait); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("not %s after %v", what, replyWait)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
