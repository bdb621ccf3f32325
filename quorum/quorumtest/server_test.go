package quorumtest

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2/server"
	"github.com/redis/go-redis/v9"
)

const refusal = "-ERR quorumtest: this connection's server has stopped"

func startServer(t *testing.T) *Server {
	t.Helper()
	s, err := StartServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// ping sends PING on a connection that srv serves, as its accept loop would, and returns the
// first line of the reply.
func ping(t *testing.T, srv *server.Server) string {
	t.Helper()
	client, conn := net.Pipe()
	defer client.Close()
	srv.ServeConn(conn)
	_ = client.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := client.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		t.Fatal(err)
	}
	reply, err := bufio.NewReader(client).ReadString('\n')
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return strings.TrimSpace(reply)
}

// A connection that miniredis accepted in the instant it stopped is served by the stopped
// server object, on the data of the process that replaced it, with the run_id it read before:
// a script on it would pass the marker check of a restarted node. It must be refused, while the
// server is down and after it restarted, as a stopped redis-server answers nothing.
func TestConnectionOfAStoppedServerIsRefused(t *testing.T) {
	s := startServer(t)
	stopped := s.Server()
	s.Close()
	if got := ping(t, stopped); got != refusal {
		t.Fatalf("while the server is down, a connection of the stopped one got %q, want %q", got, refusal)
	}
	if err := s.Restart(true); err != nil {
		t.Fatal(err)
	}
	if got := ping(t, stopped); got != refusal {
		t.Fatalf("after the restart, a connection of the stopped server got %q, want %q", got, refusal)
	}
	if got := ping(t, s.Server()); got != "+PONG" {
		t.Fatalf("the restarted server answered PING with %q", got)
	}
}

// The restarted server tells its new run_id.
func TestRestartedServerTellsItsNewRunID(t *testing.T) {
	s := startServer(t)
	before := s.RunID()
	if err := s.Restart(true); err != nil {
		t.Fatal(err)
	}
	if s.RunID() == before {
		t.Fatalf("run_id %s unchanged by a restart", before)
	}
	c := redis.NewClient(&redis.Options{Addr: s.Addr()})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	info, err := c.Info(ctx, "server").Result()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(info, "run_id:"+s.RunID()+"\r\n") {
		t.Fatalf("INFO after the restart said %q, want run_id %s", info, s.RunID())
	}
}
