package faultnet_test

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/quorumlock/quorumlock/internal/faultnet"
)

// TestReadDeadline: a Read past its deadline fails as on a TCP connection, and the connection
// stays usable: the reply it waited for comes once the deadline is lifted.
func TestReadDeadline(t *testing.T) {
	s, n := startNode(t)
	c := connect(t, n.Dialer(0), s.Addr())
	n.Stall()
	if err := c.send("PING"); err != nil {
		t.Fatal(err)
	}
	if err := c.nc.SetReadDeadline(time.Now().Add(heldFor)); err != nil {
		t.Fatal(err)
	}
	_, err := c.nc.Read(make([]byte, 16))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		n.Resume()
		t.Fatalf("Read past its deadline: %v, want a timeout", err)
	}
	n.Resume()
	c.expect("PONG")
}

// TestDeadlineUnblocksPendingRead: SetDeadline, as in a client's handshake, wakes a Read
// already waiting.
func TestDeadlineUnblocksPendingRead(t *testing.T) {
	s, n := startNode(t)
	c := connect(t, n.Dialer(0), s.Addr())
	n.Stall()
	defer n.Resume()
	done := make(chan error, 1)
	go func() {
		_, err := c.nc.Read(make([]byte, 16))
		done <- err
	}()
	time.Sleep(heldFor)
	if err := c.nc.SetDeadline(time.Now()); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("pending Read: %v, want a timeout", err)
		}
	case <-time.After(replyWait):
		_ = c.nc.Close()
		<-done
		t.Fatal("SetDeadline did not wake the pending Read")
	}
}

// TestWriteDeadlinePassed: a Write after its deadline fails with a timeout; a lifted deadline
// lets it through.
func TestWriteDeadlinePassed(t *testing.T) {
	s, n := startNode(t)
	c := connect(t, n.Dialer(0), s.Addr())
	if err := c.nc.SetWriteDeadline(time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := c.send("SET", "k", "v"); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Write past its deadline: %v, want a timeout", err)
	}
	staysAbsent(t, s, "k")
	if err := c.nc.SetWriteDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	c.do("PING")
}

// TestCloseClosesServerConnection: Close closes the connection to the server; the closed
// connection then fails as a closed TCP connection does.
func TestCloseClosesServerConnection(t *testing.T) {
	s, n := startNode(t)
	c := connect(t, n.Dialer(0), s.Addr())
	c.do("PING")
	if got := c.nc.RemoteAddr().String(); got != s.Addr() {
		t.Fatalf("RemoteAddr = %s, want %s", got, s.Addr())
	}
	if err := c.nc.Close(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "closed on the server", func() bool { return s.CurrentConnectionCount() == 0 })
	if _, err := c.nc.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Read after Close: %v, want net.ErrClosed", err)
	}
	if err := c.send("PING"); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Write after Close: %v, want net.ErrClosed", err)
	}
	if err := c.nc.Close(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("second Close: %v, want net.ErrClosed", err)
	}
}

// TestServerCloseReachesClient: a server that goes away shows as io.EOF on Read and an
// error on Write.
func TestServerCloseReachesClient(t *testing.T) {
	s := miniredis.NewMiniRedis()
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	n := faultnet.NewNode(s.Addr())
	c := connect(t, n.Dialer(0), s.Addr())
	c.do("PING")
	s.Close()
	if _, err := c.reply(); err != io.EOF {
		t.Fatalf("Read after the server closed: %v, want io.EOF", err)
	}
	if err := c.send("PING"); err == nil {
		t.Fatal("Write after the server closed succeeded")
	}
}
