package bench_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/quorumlock/quorumlock/bench"
)

// echoServer echoes every connection on 127.0.0.1 until the test ends.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

func startProxy(t *testing.T, upstream string, delay time.Duration) *bench.DelayProxy {
	t.Helper()
	p, err := bench.NewDelayProxy(upstream, delay)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func TestDelayProxyPassesEveryByteBothWays(t *testing.T) {
	p := startProxy(t, echoServer(t), time.Millisecond)
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	payload := make([]byte, 1<<20)
	_, _ = rand.Read(payload)
	writeErr := make(chan error, 1)
	go func() {
		_, err := c.Write(payload)
		if err == nil {
			err = c.(*net.TCPConn).CloseWrite() // the EOF must travel through the proxy too
		}
		writeErr <- err
	}()
	got, err := io.ReadAll(c) // ends only when the proxy forwards the echo server's EOF
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if err := <-writeErr; err != nil {
		t.Fatalf("write: %v", err)
	}
	if !bytes.Equal(got, payload) {
		t.Fatalf("got %d bytes back, want the %d sent, unchanged", len(got), len(payload))
	}
}

func TestDelayProxyDelaysEachDirection(t *testing.T) {
	const delay = 20 * time.Millisecond
	p := startProxy(t, echoServer(t), delay)
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 4)
	for range 3 {
		start := time.Now()
		if _, err := c.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatal(err)
		}
		// Only a lower bound: the delay is applied on the way in and on the way out.
		if rtt := time.Since(start); rtt < 2*delay {
			t.Fatalf("round trip took %v, want at least 2 × %v", rtt, delay)
		}
	}
}

func TestDelayProxyCloseStopsEverything(t *testing.T) {
	upstream := echoServer(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent()) // the echo server's accept loop stays
	p, err := bench.NewDelayProxy(upstream, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("in flight when the proxy closes")); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Fatalf("read from a closed proxy: %v; want the connection closed", err)
	}
	if c2, err := net.Dial("tcp", p.Addr()); err == nil {
		c2.Close()
		t.Fatal("dial after Close succeeded")
	}
}

func TestNewDelayProxyRefusesNegativeDelay(t *testing.T) {
	if _, err := bench.NewDelayProxy("127.0.0.1:1", -time.Millisecond); err == nil {
		t.Fatal("negative delay accepted")
	}
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
