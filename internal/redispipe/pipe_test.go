package redispipe_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/quorumlock/quorumlock/internal/redispipe"
	"github.com/quorumlock/quorumlock/internal/redisproc"
)

func newPipe(t *testing.T, cfg redispipe.Config) *redispipe.Pipe {
	t.Helper()
	p := redispipe.New(cfg)
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func do(t *testing.T, p *redispipe.Pipe, args ...string) any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	v, err := p.Do(ctx, args...)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return v
}

func TestRepliesOfEveryType(t *testing.T) {
	s := miniredis.RunT(t)
	p := newPipe(t, redispipe.Config{Addr: s.Addr()})
	if v := do(t, p, "SET", "k", "v"); v != "OK" {
		t.Fatalf("SET = %#v", v)
	}
	if v := do(t, p, "GET", "k"); v != "v" {
		t.Fatalf("GET = %#v", v)
	}
	if v := do(t, p, "GET", "missing"); v != nil {
		t.Fatalf("GET missing = %#v, want nil", v)
	}
	if v := do(t, p, "INCR", "n"); v != int64(1) {
		t.Fatalf("INCR = %#v", v)
	}
	if v := do(t, p, "EVAL", "return {1, 'x', {2}}", "0"); len(v.([]any)) != 3 {
		t.Fatalf("EVAL = %#v", v)
	}
	var e redispipe.Error
	if v := do(t, p, "INCR", "k"); !errors.As(v.(error), &e) {
		t.Fatalf("INCR of a string = %#v, want an Error reply", v)
	}
}

func TestAuthAndDatabase(t *testing.T) {
	s := miniredis.RunT(t)
	s.RequireUserAuth("app", "secret")
	p := newPipe(t, redispipe.Config{Addr: s.Addr(), Username: "app", Password: "secret", DB: 3})
	do(t, p, "SET", "k", "v")
	s.Select(3)
	if got, _ := s.Get("k"); got != "v" {
		t.Fatalf("key not in database 3: %q", got)
	}
	bad := newPipe(t, redispipe.Config{Addr: s.Addr(), Username: "app", Password: "wrong"})
	if _, err := bad.Do(context.Background(), "PING"); err == nil {
		t.Fatal("wrong password accepted")
	}
}

// TestConcurrentCallersGetTheirOwnReplies: replies are matched to callers in order.
func TestConcurrentCallersGetTheirOwnReplies(t *testing.T) {
	s := miniredis.RunT(t)
	p := newPipe(t, redispipe.Config{Addr: s.Addr()})
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				val := strconv.Itoa(g*1000 + i)
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				v, err := p.Do(ctx, "ECHO", val)
				cancel()
				if err != nil || v != val {
					t.Errorf("ECHO %s = %v, %v", val, v, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestReconnectsAfterServerRestart(t *testing.T) {
	s := miniredis.RunT(t)
	p := newPipe(t, redispipe.Config{Addr: s.Addr()})
	do(t, p, "PING")
	s.Close()
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := p.Do(ctx, "PING")
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no reconnect: %v", err)
		}
	}
}

func TestCancelledBeforeWriteIsNotSent(t *testing.T) {
	s := miniredis.RunT(t)
	p := newPipe(t, redispipe.Config{Addr: s.Addr()})
	do(t, p, "PING")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.DoUnlessCancelled(ctx, "SET", "k", "v"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	do(t, p, "PING")
	if s.Exists("k") {
		t.Fatal("a command cancelled before it was written ran")
	}
}

// TestAbandonedCommandsRunInOrderOnResume is why this package exists: on a SIGSTOPped server,
// a SET whose caller gave up and a DEL issued after it run in that order when it resumes.
func TestAbandonedCommandsRunInOrderOnResume(t *testing.T) {
	srv := redisproc.Start(t, redisproc.Config{})
	p := newPipe(t, redispipe.Config{Addr: srv.Addr()})
	do(t, p, "PING")
	srv.Stop()
	for i := range 50 {
		k := "k" + strconv.Itoa(i)
		for _, cmd := range [][]string{{"SET", k, "v"}, {"DEL", k}} {
			ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
			if _, err := p.Do(ctx, cmd...); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("%v on a stopped server = %v, want DeadlineExceeded", cmd, err)
			}
			cancel()
		}
	}
	srv.Cont()
	if n := do(t, p, "DBSIZE"); n != int64(0) {
		t.Fatalf("%v keys left: a DEL ran before the SET it followed", n)
	}
}

// TestDeadConnectionIsReplaced: replies that do not come within ReplyTimeout fail the
// connection; commands already written still run when the server resumes, and new commands
// go to a new connection.
func TestDeadConnectionIsReplaced(t *testing.T) {
	srv := redisproc.Start(t, redisproc.Config{})
	p := newPipe(t, redispipe.Config{Addr: srv.Addr(), ReplyTimeout: 100 * time.Millisecond})
	do(t, p, "PING")
	srv.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := p.Do(ctx, "SET", "k", "v"); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("SET on a server stopped past ReplyTimeout = %v, want the connection's failure", err)
	}
	srv.Cont()
	if v := do(t, p, "GET", "k"); v != "v" {
		t.Fatalf("GET after resume = %#v: the written SET should have run", v)
	}
}
