package proptest

import (
	"net"
	"testing"
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
