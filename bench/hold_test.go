package bench_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/quorumlock/quorumlock/bench"
)

func TestHoldInProcess(t *testing.T) {
	// Enough leases for batches of a hundred and more, few enough that in-process nodes under
	// -race, beside CI's other packages, keep up: the speed is the benchmark's (bench --hold).
	leases := 300
	nodes := inProcess(t, 3)
	var phases []string
	rep, err := bench.Hold(context.Background(), bench.HoldConfig{Nodes: nodes.URLs, InProcess: true,
		Leases: leases, For: 3500 * time.Millisecond, TTL: 3 * time.Second, Workers: 8,
		// miniredis runs each script in a new Lua interpreter: a batch of a thousand extensions
		// takes about 30 ms, several times that under -race, beyond the default 50 ms. TTL 3 s
		// (extended every second) leaves room for a machine busy with other tests.
		NodeTimeout: 500 * time.Millisecond,
		Progress: func(p bench.HoldProgress) {
			if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
				phases = append(phases, p.Phase)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Acquired != leases || rep.AcquireErrors != 0 {
		t.Errorf("acquired %d of %d, %d errors (first: %s)", rep.Acquired, leases, rep.AcquireErrors, rep.FirstAcquireError)
	}
	if rep.Lost != 0 || rep.LostEvents != 0 || rep.MinValidityLeft <= 0 {
		t.Errorf("lost %d, lost events %d, least validity left %v (first: %s); want none lost",
			rep.Lost, rep.LostEvents, rep.MinValidityLeft, rep.FirstLost)
	}
	// A release that times out on a loaded machine is still written on the node's connection
	// and runs: what must hold is that every lease was released and no key is left once the
	// nodes have run what they were sent.
	if rep.Released+rep.ReleaseErrors != leases {
		t.Errorf("released %d of %d, %d errors (first: %s); want every release sent",
			rep.Released, leases, rep.ReleaseErrors, rep.FirstReleaseError)
	}
	if rep.ReleaseErrors > 0 {
		t.Logf("%d releases timed out (first: %s): the machine is loaded", rep.ReleaseErrors, rep.FirstReleaseError)
	}
	if left := waitNoLockKeys(t, nodes.URLs, 5*time.Second); left != 0 {
		t.Errorf("%d lock keys left after the hold (the report counted %d)", left, rep.KeysLeft)
	}
	// Extended every ½ to 1 TTL/3 during 3.5 s, in batches (up to 1000 leases; the first ones,
	// while leases are still being acquired, are small), never one call per lease.
	if rep.Extensions < int64(2*leases) || rep.ExtendCalls == 0 || rep.LeasesPerCall < 20 || len(rep.ExtendCallsPerNode) != 3 {
		t.Errorf("extensions %d, batches %d (%v per node), %.0f leases per batch; want batched extensions",
			rep.Extensions, rep.ExtendCalls, rep.ExtendCallsPerNode, rep.LeasesPerCall)
	}
	// Not a goroutine (nor a timer goroutine) per lease.
	if rep.MaxGoroutines >= 200 || rep.Goroutines >= 200 {
		t.Errorf("goroutines: %d at the end, %d at most; want fewer than 200 for %d leases",
			rep.Goroutines, rep.MaxGoroutines, leases)
	}
	if rep.HeapInUse == 0 || rep.Sys == 0 || rep.ClientCPU <= 0 || rep.ServerCPUKnown || rep.RedisMemoryKnown {
		t.Errorf("heap %d, sys %d, client CPU %v, server CPU known %v, Redis memory known %v",
			rep.HeapInUse, rep.Sys, rep.ClientCPU, rep.ServerCPUKnown, rep.RedisMemoryKnown)
	}
	if want := []string{"acquire", "hold", "release", ""}; strings.Join(phases, ",") != strings.Join(want, ",") {
		t.Errorf("progress phases %q, want %q", phases, want)
	}
	var table, md bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"leases lost by the end of the hold", "extension batches", "goroutines", "not representative"} {
		if !strings.Contains(table.String(), want) || !strings.Contains(md.String(), want) {
			t.Errorf("table or Markdown lacks %q:\n%s\n%s", want, table.String(), md.String())
		}
	}
	t.Logf("\n%s", table.String())
}

func TestHoldRejectsBadConfig(t *testing.T) {
	for _, cfg := range []bench.HoldConfig{
		{},
		{Nodes: []string{"redis://127.0.0.1:1/0"}, Leases: -1},
		{Nodes: []string{"redis://127.0.0.1:1/0"}, For: -time.Second},
		{Nodes: []string{"redis://127.0.0.1:1/0"}, Workers: -2},
	} {
		if _, err := bench.Hold(context.Background(), cfg); err == nil {
			t.Errorf("Hold(%+v) succeeded", cfg)
		}
	}
}

func TestHoldInterrupted(t *testing.T) {
	nodes := inProcess(t, 3)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	rep, err := bench.Hold(ctx, bench.HoldConfig{Nodes: nodes.URLs, InProcess: true,
		Leases: 200, For: time.Minute, TTL: time.Second, Workers: 4})
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("err = %v, want interrupted", err)
	}
	// As in TestHold: a release that times out on a loaded machine still runs on its node.
	if rep.Released+rep.ReleaseErrors != rep.Acquired {
		t.Errorf("released %d of %d, %d errors (first: %s); want every release sent",
			rep.Released, rep.Acquired, rep.ReleaseErrors, rep.FirstReleaseError)
	}
	if left := waitNoLockKeys(t, nodes.URLs, 5*time.Second); left != 0 {
		t.Errorf("%d lock keys left after the interrupted hold (the report counted %d)", left, rep.KeysLeft)
	}
}

// waitNoLockKeys waits, at most d, until the nodes at urls hold no lock key (a key whose name
// ends with its hash tag's brace), and returns how many are left.
func waitNoLockKeys(t *testing.T, urls []string, d time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		left := 0
		for _, u := range urls {
			o, err := redis.ParseURL(u)
			if err != nil {
				t.Fatal(err)
			}
			c := redis.NewClient(o)
			keys, _ := c.Keys(context.Background(), "*}").Result()
			_ = c.Close()
			left += len(keys)
		}
		if left == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(20 * time.Millisecond)
	}
}
