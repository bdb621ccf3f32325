package proptest

import (
	"net"
	"testing"
	"time"
)

// TestKilledServerPortIsHeld: while a node is killed, nobody else can bind its port (a server of
// another run would take it and receive this run's traffic); it restarts on the same port.
func TestKilledServerPortIsHeld(t *testing.T) {
	ms, err := startMinis(1)
	if err != nil {
		t.Fatal(err)
	}
	defer ms.close()
	addr := ms.ms[0].Addr()
	if err := ms.kill(0); err != nil {
		t.Fatal(err)
	}
	if ln, err := net.Listen("tcp", addr); err == nil {
		ln.Close()
		t.Fatalf("the port %s of a killed server was free", addr)
	}
	if err := ms.revive(0, reviveData); err != nil {
		t.Fatal(err)
	}
	if got := ms.ms[0].Addr(); got != addr {
		t.Fatalf("restarted on %s, want %s", got, addr)
	}
}

// TestKeysAgeWhileAServerIsDown: a server restarted with its data has kept aging its keys while
// it was down, as Redis stores expiry as a time: a lock key outlives a restart only by what was
// left of its TTL.
func TestKeysAgeWhileAServerIsDown(t *testing.T) {
	ms, err := startMinis(1)
	if err != nil {
		t.Fatal(err)
	}
	defer ms.close()
	m := ms.ms[0]
	if err := m.Set("k", "v"); err != nil {
		t.Fatal(err)
	}
	m.SetTTL("k", time.Second)
	if err := ms.kill(0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if err := ms.revive(0, reviveData); err != nil {
		t.Fatal(err)
	}
	if !m.Exists("k") {
		t.Fatal("the key is gone after 300ms down: revived without its data, or aged by more than the downtime")
	}
	if ttl := m.TTL("k"); ttl > 700*time.Millisecond {
		t.Fatalf("TTL %v left after 300ms down: the key did not age while its server was down", ttl)
	}
}
