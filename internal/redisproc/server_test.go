package redisproc_test

import (
	"context"
	"errors"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/quorumlock/quorumlock/internal/redisproc"
)

// client returns a go-redis client for s that honours context deadlines.
func client(t *testing.T, s *redisproc.Server) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{
		Addr:                  s.Addr(),
		ContextTimeoutEnabled: true,
		MaxRetries:            -1,
	})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func set(t *testing.T, c *redis.Client, key, val string) {
	t.Helper()
	if err := c.Set(context.Background(), key, val, 0).Err(); err != nil {
		t.Fatalf("SET %s: %v", key, err)
	}
}

func get(ctx context.Context, c *redis.Client, key string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return c.Get(ctx, key).Result()
}

func TestSetGet(t *testing.T) {
	t.Parallel()
	s := redisproc.Start(t, redisproc.Config{})
	if s.Pid() <= 0 {
		t.Fatalf("Pid = %d", s.Pid())
	}
	if want := "redis://" + s.Addr() + "/0"; s.URL() != want {
		t.Fatalf("URL = %q, want %q", s.URL(), want)
	}
	c := client(t, s)
	set(t, c, "k", "v")
	if got, err := get(context.Background(), c, "k"); err != nil || got != "v" {
		t.Fatalf("GET = %q, %v; want v", got, err)
	}
}

func TestURL(t *testing.T) {
	t.Parallel()
	s := redisproc.Start(t, redisproc.Config{})
	opts, err := redis.ParseURL(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	opts.ContextTimeoutEnabled = true
	c := redis.NewClient(opts)
	defer c.Close()
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("PING via URL: %v", err)
	}
}

func TestStopCont(t *testing.T) {
	t.Parallel()
	s := redisproc.Start(t, redisproc.Config{})
	c := client(t, s)
	set(t, c, "k", "v")
	s.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := c.Get(ctx, "k").Result(); err == nil {
		t.Fatal("GET on a stopped server succeeded")
	}
	s.Cont()
	if got, err := get(context.Background(), c, "k"); err != nil || got != "v" {
		t.Fatalf("GET after Cont = %q, %v; want v", got, err)
	}
}

func TestKillRestartWithoutAOFLosesData(t *testing.T) {
	t.Parallel()
	s := redisproc.Start(t, redisproc.Config{})
	addr, pid := s.Addr(), s.Pid()
	set(t, client(t, s), "k", "v")
	s.Kill()
	if s.Pid() != 0 {
		t.Fatalf("Pid after Kill = %d, want 0", s.Pid())
	}
	s.Restart(t)
	if s.Addr() != addr || s.Pid() == pid || s.Pid() == 0 {
		t.Fatalf("after Restart addr=%s pid=%d; before addr=%s pid=%d", s.Addr(), s.Pid(), addr, pid)
	}
	_, err := get(context.Background(), client(t, s), "k")
	if !errors.Is(err, redis.Nil) {
		t.Fatalf("GET after restart without AOF: err = %v, want redis.Nil", err)
	}
}

func TestKillRestartWithAOFKeepsData(t *testing.T) {
	t.Parallel()
	s := redisproc.Start(t, redisproc.Config{AppendOnly: true})
	set(t, client(t, s), "k", "v")
	s.Kill()
	s.Restart(t)
	if got, err := get(context.Background(), client(t, s), "k"); err != nil || got != "v" {
		t.Fatalf("GET after restart with AOF = %q, %v; want v", got, err)
	}
}

func TestCleanupOfStoppedServer(t *testing.T) {
	t.Parallel()
	redisproc.Require(t) // the subtest would skip, and leave no process to check
	var pid int
	t.Run("stopped", func(t *testing.T) {
		s := redisproc.Start(t, redisproc.Config{})
		pid = s.Pid()
		s.Stop()
	})
	if pid <= 0 {
		t.Fatalf("the subtest started no server (pid %d)", pid)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("process %d still exists after cleanup (kill -0: %v)", pid, err)
	}
}

func TestRepeatedAndConcurrentSignalsAreHarmless(t *testing.T) {
	t.Parallel()
	s := redisproc.Start(t, redisproc.Config{})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Stop()
			s.Cont()
			_ = s.Pid()
		}()
	}
	wg.Wait()
	if err := client(t, s).Ping(context.Background()).Err(); err != nil {
		t.Fatalf("PING after Stop/Cont storm: %v", err)
	}
	s.Kill()
	s.Kill()
	s.Cont()
	s.Stop()
	s.Restart(t)
	s.Restart(t) // restarting a running server kills it first
	if err := client(t, s).Ping(context.Background()).Err(); err != nil {
		t.Fatalf("PING after restarts: %v", err)
	}
}

func TestStartNAndExtraArgs(t *testing.T) {
	t.Parallel()
	cfg := redisproc.Config{ExtraArgs: []string{"--maxmemory-policy", "allkeys-lru"}}
	servers := redisproc.StartN(t, 3, cfg)
	seen := map[string]bool{}
	for _, s := range servers {
		if seen[s.Addr()] {
			t.Fatalf("duplicate address %s", s.Addr())
		}
		seen[s.Addr()] = true
		got, err := client(t, s).ConfigGet(context.Background(), "maxmemory-policy").Result()
		if err != nil || got["maxmemory-policy"] != "allkeys-lru" {
			t.Fatalf("%s: CONFIG GET maxmemory-policy = %v, %v", s.Addr(), got, err)
		}
	}
}

func TestAvailable(t *testing.T) {
	redisproc.Require(t)
	if !redisproc.Available() {
		t.Fatal("Require passed but Available is false")
	}
}

// TestSpawnedRestartWipe: a spawned server with AOF keeps its data across Restart(false) and
// loses it with Restart(true), which deletes the data files as a lost disk would.
func TestSpawnedRestartWipe(t *testing.T) {
	redisproc.Require(t)
	t.Parallel()
	p, err := redisproc.Spawn(redisproc.Config{AppendOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c := redis.NewClient(&redis.Options{Addr: p.Addr()})
	defer c.Close()
	ctx := context.Background()
	set(t, c, "k", "v")
	if err := p.Restart(false); err != nil {
		t.Fatal(err)
	}
	if got, err := get(ctx, c, "k"); err != nil || got != "v" {
		t.Fatalf("GET after Restart(false) = %q, %v; want v", got, err)
	}
	if err := p.Restart(true); err != nil {
		t.Fatal(err)
	}
	if _, err := get(ctx, c, "k"); !errors.Is(err, redis.Nil) {
		t.Fatalf("GET after Restart(true): err = %v, want redis.Nil", err)
	}
}
