package bench_test

import (
	"context"
	"errors"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-redsync/redsync/v4"
	rsredis "github.com/go-redsync/redsync/v4/redis"
	"github.com/go-redsync/redsync/v4/redis/goredis/v9"
	"github.com/redis/go-redis/v9"

	"github.com/quorumlock/quorumlock/bench"
	"github.com/quorumlock/quorumlock/internal/redisproc"
	"github.com/quorumlock/quorumlock/quorum"
)

// The hot path, TryAcquire+Release on five nodes, for ours and redsync, on in-process miniredis
// and (when installed) real redis-server processes. Run with
//
//	go test -run '^$' -bench . -benchmem ./bench/
//
// and compare ns/op and allocs/op across changes (benchstat). Allocations on miniredis include
// the in-process servers' own.

// benchNodes returns the URLs of five nodes of the given kind, skipping if unavailable.
func benchNodes(b *testing.B, kind string) []string {
	b.Helper()
	if kind == "miniredis" {
		nodes, err := bench.StartInProcess(5)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = nodes.Close() })
		return nodes.URLs
	}
	servers := redisproc.StartN(b, 5, redisproc.Config{})
	urls := make([]string, len(servers))
	for i, s := range servers {
		urls[i] = s.URL()
	}
	return urls
}

// oursLocker dials ours over urls (fresh servers), brings them into service as a new
// deployment and takes one lock first.
func oursLocker(b *testing.B, urls []string) *quorum.Locker {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l, err := quorum.Dial(ctx, urls, quorum.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = l.Close() })
	if _, err := l.Heal(ctx, quorum.HealOptions{NewDeployment: true}); err != nil {
		b.Fatal(err)
	}
	le, err := l.Acquire(ctx, "bootstrap")
	if err != nil {
		b.Fatal(err)
	}
	if err := le.Release(ctx); err != nil {
		b.Fatal(err)
	}
	return l
}

func redsyncOver(b *testing.B, urls []string) *redsync.Redsync {
	b.Helper()
	pools := make([]rsredis.Pool, len(urls))
	for i, u := range urls {
		o, err := redis.ParseURL(u)
		if err != nil {
			b.Fatal(err)
		}
		c := redis.NewClient(o)
		b.Cleanup(func() { _ = c.Close() })
		pools[i] = goredis.NewPool(c)
	}
	return redsync.New(pools...)
}

// lockFunc takes and releases the named lock once.
type lockFunc func(ctx context.Context, name string) error

func oursPair(l *quorum.Locker) lockFunc {
	return func(ctx context.Context, name string) error {
		le, err := l.TryAcquire(ctx, name)
		if err != nil {
			return err
		}
		return le.Release(ctx)
	}
}

func redsyncPair(rs *redsync.Redsync) lockFunc {
	return func(ctx context.Context, name string) error {
		m := rs.NewMutex(name)
		if err := m.TryLockContext(ctx); err != nil {
			return err
		}
		if ok, err := m.UnlockContext(ctx); !ok {
			return errors.Join(errors.New("unlock not confirmed"), err)
		}
		return nil
	}
}

func BenchmarkTryAcquireRelease(b *testing.B) {
	for _, kind := range []string{"miniredis", "redis-server"} {
		b.Run(kind, func(b *testing.B) {
			urls := benchNodes(b, kind)
			libs := []struct {
				name string
				pair lockFunc
			}{
				{"ours", oursPair(oursLocker(b, urls))},
				{"redsync", redsyncPair(redsyncOver(b, urls))},
			}
			for _, lib := range libs {
				b.Run(lib.name+"/serial", func(b *testing.B) { serial(b, lib.pair) })
				b.Run(lib.name+"/parallel", func(b *testing.B) { parallel(b, lib.pair) })
			}
		})
	}
}

// reportCPU reports the process's CPU time per op since before (user and system, every
// goroutine's): the figure that the CPU target is about.
func reportCPU(b *testing.B, before time.Duration) {
	b.ReportMetric(float64(processCPU(b)-before)/float64(b.N), "cpu-ns/op")
}

func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// serial takes and releases one name b.N times from one goroutine.
func serial(b *testing.B, pair lockFunc) {
	ctx := context.Background()
	b.ReportAllocs()
	cpu := processCPU(b)
	for b.Loop() {
		if err := pair(ctx, "serial"); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

// parallel takes and releases a name of its own per goroutine (GOMAXPROCS goroutines).
func parallel(b *testing.B, pair lockFunc) {
	ctx := context.Background()
	var ids atomic.Int64
	b.ReportAllocs()
	defer reportCPU(b, processCPU(b))
	b.RunParallel(func(pb *testing.PB) {
		name := "parallel-" + strconv.FormatInt(ids.Add(1), 10)
		for pb.Next() {
			if err := pair(ctx, name); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
