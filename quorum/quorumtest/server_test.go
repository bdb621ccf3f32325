package quorumtest

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// A connection that miniredis accepted in the instant it stopped is served by the stopped
// server object, on the data of the process that replaced it, with the run_id it read before:
// a script on it would pass the marker check of a restarted node. It must be refused, as a
// stopped redis-server answers nothing.
func TestConnectionOfAStoppedServerIsRefused(t *testing.T) {
	s, err := StartServer()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	stopped := s.Server()
	if err := s.Restart(true); err != nil {
		t.Fatal(err)
	}
	client, conn := net.Pipe()
	defer client.Close()
	stopped.ServeConn(conn) // what the stopped server's accept loop does with a late connection
	_ = client.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := client.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		t.Fatal(err)
	}
	reply, err := bufio.NewReader(client).ReadString('\n')
	if err != nil {
		t.Fatalf("read: %v, want the refusal", err)
	}
	if !strings.HasPrefix(reply, "-ERR quorumtest: this connection's server has stopped") {
		t.Fatalf("a connection of the stopped server got %q, want it refused", reply)
	}
}

// The server that replaced it serves as before.
func TestRestartedServerServes(t *testing.T) {
	s, err := StartServer()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	before := s.RunID()
	if err := s.Restart(true); err != nil {
		t.Fatal(err)
	}
	if s.RunID() == before {
		t.Fatalf("run_id %s unchanged by a restart", before)
	}
	c, err := net.DialTimeout("tcp", s.Addr(), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n")); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	if _, err := r.ReadString('\n'); err != nil { // the bulk string's length
		t.Fatal(err)
	}
	var info strings.Builder
	for range 3 {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		info.WriteString(line)
	}
	if !strings.Contains(info.String(), "run_id:"+s.RunID()) {
		t.Fatalf("INFO after the restart said %q, want run_id %s", info.String(), s.RunID())
	}
}
