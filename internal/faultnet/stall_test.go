package faultnet_test

import (
	"strings"
	"testing"
	"time"
)

// TestStallHoldsUntilResume: a SET written during a stall runs only on Resume, and its reply
// comes then.
func TestStallHoldsUntilResume(t *testing.T) {
	s, n := startNode(t)
	c := connect(t, n.Dialer(0), s.Addr())
	c.do("PING")

	n.Stall()
	if err := c.send("SET", "k", "1"); err != nil {
		t.Fatalf("write during a stall: %v", err)
	}
	staysAbsent(t, s, "k")
	n.Resume()
	c.expect("OK")
	if got := c.do("GET", "k"); got != "1" {
		t.Fatalf("GET after Resume = %q, want 1", got)
	}
}

// TestIncrAcrossStallInOrder: INCR before and during a stall give 1 then 2, the second only
// after Resume.
func TestIncrAcrossStallInOrder(t *testing.T) {
	s, n := startNode(t)
	c := connect(t, n.Dialer(0), s.Addr())
	if got := c.do("INCR", "n"); got != "1" {
		t.Fatalf("first INCR = %q", got)
	}
	n.Stall()
	if err := c.send("INCR", "n"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(heldFor)
	if got, _ := s.Get("n"); got != "1" {
		t.Fatalf("n = %q during the stall, want 1", got)
	}
	n.Resume()
	c.expect("2")
}

// TestStallKeepsOrderOfHeldWrites: a write accepted before a stall but not yet forwarded (it
// is delayed) and one written during the stall run in that order on Resume.
func TestStallKeepsOrderOfHeldWrites(t *testing.T) {
	s, n := startNode(t)
	c := connect(t, n.Dialer(0), s.Addr())
	n.SetDelay(heldFor)
	if err := c.send("APPEND", "k", "a"); err != nil {
		t.Fatal(err)
	}
	n.Stall()
	n.SetDelay(0)
	if err := c.send("APPEND", "k", "b"); err != nil {
		t.Fatal(err)
	}
	staysAbsent(t, s, "k") // past the first write's delay: the stall holds it too
	n.Resume()
	c.expect("1")
	c.expect("2")
	if got, _ := s.Get("k"); got != "ab" {
		t.Fatalf("k = %q, want ab", got)
	}
}

// TestStallDoesNotBlockWriter: during a stall Write accepts any amount at once, as the socket
// buffer of a stopped server would (unbounded here), and all of it runs on Resume, in order.
func TestStallDoesNotBlockWriter(t *testing.T) {
	s, n := startNode(t)
	c := connect(t, n.Dialer(0), s.Addr())
	n.Stall()
	const writes = 20000 // about 800 KB, more than a loopback socket buffer
	done := make(chan error, 1)
	go func() {
		for range writes {
			if err := c.send("APPEND", "k", "x"); err != nil {
				done <- err
				return
			}
		}
		done <- c.send("GET", "k")
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("write during a stall: %v", err)
		}
	case <-time.After(replyWait):
		n.Resume()
		t.Fatal("writes blocked by a stall")
	}
	n.Resume()
	for i := range writes {
		c.expect(itoa(i + 1))
	}
	c.expect(strings.Repeat("x", writes))
}

// TestStallAppliesToNewConnections: a connection dialled during a stall is established (the
// kernel accepts it) but its writes are held too.
func TestStallAppliesToNewConnections(t *testing.T) {
	s, n := startNode(t)
	n.Stall()
	c := connect(t, n.Dialer(1), s.Addr())
	if err := c.send("SET", "k", "v"); err != nil {
		t.Fatal(err)
	}
	staysAbsent(t, s, "k")
	n.Resume()
	c.expect("OK")
}

// TestResumeDeliversEveryClient: Resume forwards what each client's connections held, and
// returns only once it has been written to the server.
func TestResumeDeliversEveryClient(t *testing.T) {
	s, n := startNode(t)
	clients := []*client{connect(t, n.Dialer(0), s.Addr()), connect(t, n.Dialer(1), s.Addr()), connect(t, n.Dialer(1), s.Addr())}
	n.Stall()
	for i, c := range clients {
		if err := c.send("SET", "k"+itoa(i), "v"); err != nil {
			t.Fatal(err)
		}
	}
	n.Resume()
	for _, c := range clients {
		c.expect("OK")
	}
}

// TestCloseDuringStallDeliversHeldBytes: a connection closed while a stall holds its bytes
// still delivers them on Resume, as a server's socket buffer would; then the connection to the
// server is closed.
func TestCloseDuringStallDeliversHeldBytes(t *testing.T) {
	s, n := startNode(t)
	c := connect(t, n.Dialer(0), s.Addr())
	c.do("PING")
	n.Stall()
	for _, v := range []string{"a", "b"} {
		if err := c.send("APPEND", "k", v); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.nc.Close(); err != nil {
		t.Fatal(err)
	}
	staysAbsent(t, s, "k")
	if got := s.CurrentConnectionCount(); got != 1 {
		t.Fatalf("%d connections to the server while bytes are held, want 1", got)
	}
	n.Resume()
	eventually(t, "closed", func() bool { return s.CurrentConnectionCount() == 0 })
	if got, _ := s.Get("k"); got != "ab" {
		t.Fatalf("k = %q, want ab", got)
	}
}

// TestResumeWaitsUntilWritten: Resume returns only once what it forwards has been written,
// here after the delay the bytes carry.
func TestResumeWaitsUntilWritten(t *testing.T) {
	s, n := startNode(t)
	c := connect(t, n.Dialer(0), s.Addr())
	const d = 80 * time.Millisecond
	n.Stall()
	n.SetDelay(d)
	start := time.Now()
	if err := c.send("SET", "k", "v"); err != nil {
		t.Fatal(err)
	}
	n.Resume()
	if took := time.Since(start); took < d {
		t.Fatalf("Resume returned after %v, before the delayed write (%v) was written", took, d)
	}
	c.expect("OK")
}
