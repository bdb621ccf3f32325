package faultnet_test

import (
	"testing"
	"time"
)

// TestDelayHoldsEachWrite: a command takes at least the delay, and pipelined commands keep
// their order.
func TestDelayHoldsEachWrite(t *testing.T) {
	s, n := startNode(t)
	c := connect(t, n.Dialer(0), s.Addr())
	const d = 80 * time.Millisecond
	n.SetDelay(d)
	start := time.Now()
	for _, v := range []string{"a", "b", "c"} {
		if err := c.send("APPEND", "k", v); err != nil {
			t.Fatal(err)
		}
	}
	c.expect("1")
	if took := time.Since(start); took < d {
		t.Fatalf("first reply after %v, want at least %v", took, d)
	}
	c.expect("2")
	c.expect("3")
	if got, _ := s.Get("k"); got != "abc" {
		t.Fatalf("k = %q, want abc", got)
	}
}

// TestShorterDelayDoesNotOvertake: a write made after the delay is lowered waits behind one
// made before, so order is kept.
func TestShorterDelayDoesNotOvertake(t *testing.T) {
	s, n := startNode(t)
	c := connect(t, n.Dialer(0), s.Addr())
	const d = 80 * time.Millisecond
	n.SetDelay(d)
	start := time.Now()
	if err := c.send("APPEND", "k", "a"); err != nil {
		t.Fatal(err)
	}
	n.SetDelay(0)
	if err := c.send("APPEND", "k", "b"); err != nil {
		t.Fatal(err)
	}
	c.expect("1")
	c.expect("2")
	if took := time.Since(start); took < d {
		t.Fatalf("replies after %v, want at least %v", took, d)
	}
	if got, _ := s.Get("k"); got != "ab" {
		t.Fatalf("k = %q, want ab", got)
	}
}

// TestClientDelaySlowsOneClient: a slow link delays that client's writes only.
func TestClientDelaySlowsOneClient(t *testing.T) {
	s, n := startNode(t)
	slow, fast := connect(t, n.Dialer(1), s.Addr()), connect(t, n.Dialer(2), s.Addr())
	const d = 80 * time.Millisecond
	n.SetClientDelay(1, d)
	start := time.Now()
	if err := fast.send("APPEND", "k", "f"); err != nil {
		t.Fatal(err)
	}
	fast.expect("1")
	if took := time.Since(start); took >= d {
		t.Fatalf("the other client's write took %v, want no delay", took)
	}
	if err := slow.send("APPEND", "k", "s"); err != nil {
		t.Fatal(err)
	}
	slow.expect("2")
	if took := time.Since(start); took < d {
		t.Fatalf("the slow client's write took %v, want at least %v", took, d)
	}
	n.SetClientDelay(1, 0)
}
