package quorum_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/quorum"
)

// startNodes starts n in-process Redis servers, brought into service as a new deployment, and
// returns their URLs and a function that stops them. Real deployments pass the URLs of
// independent redis-server processes.
func startNodes(n int) ([]string, func()) {
	urls, stop := startNewNodes(n)
	ctx := context.Background()
	locker, err := quorum.Dial(ctx, urls, quorum.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer locker.Close()
	if _, err := locker.Heal(ctx, quorum.HealOptions{NewDeployment: true}); err != nil {
		log.Fatal(err)
	}
	return urls, stop
}

// startNewNodes starts n in-process Redis servers that have never served.
func startNewNodes(n int) ([]string, func()) {
	var urls []string
	var servers []*miniredis.Miniredis
	for range n {
		s := miniredis.NewMiniRedis()
		if err := s.StartAddr("127.0.0.1:0"); err != nil {
			log.Fatal(err)
		}
		servers = append(servers, s)
		urls = append(urls, "redis://"+s.Addr())
	}
	return urls, func() {
		for _, s := range servers {
			s.Close()
		}
	}
}

// A worker takes the lock, writes through a fence with the lease's token, and releases.
func Example() {
	urls, stop := startNewNodes(5)
	defer stop()
	ctx := context.Background()
	locker, err := quorum.Dial(ctx, urls, quorum.Options{TTL: 10 * time.Second})
	if err != nil {
		log.Fatal(err)
	}
	defer locker.Close()
	// Once, on servers that have never served: nothing on a node tells a new one from one that
	// lost its data, so an operator says so (or runs quorumlock heal --new-deployment).
	if _, err := locker.Heal(ctx, quorum.HealOptions{NewDeployment: true}); err != nil {
		log.Fatal(err)
	}

	ledger := fencing.NewFence("ledger") // stands for the store the lock protects
	lease, err := locker.Acquire(ctx, "nightly-billing")
	if err != nil {
		log.Fatal(err)
	}
	err = ledger.Do(lease.Token(), func() error { return nil /* the write */ })
	fmt.Println("write with the lease's token:", err)
	if err := lease.Release(ctx); err != nil {
		log.Fatal(err)
	}

	next, err := locker.Acquire(ctx, "nightly-billing")
	if err != nil {
		log.Fatal(err)
	}
	defer next.Release(ctx)
	fmt.Println("next token is larger:", next.Token() > lease.Token())
	_ = ledger.Do(next.Token(), func() error { return nil })
	err = ledger.Do(lease.Token(), func() error { return nil })
	fmt.Println("late write with the old token refused:", errors.Is(err, fencing.ErrStaleToken))
	// Output:
	// write with the lease's token: <nil>
	// next token is larger: true
	// late write with the old token refused: true
}

// Do is the background-worker pattern: the lease is extended while fn runs, fn's context ends
// if the lease can no longer be guaranteed, and the lock is released when fn returns.
func ExampleLocker_Do() {
	urls, stop := startNodes(3)
	defer stop()
	ctx := context.Background()
	locker, err := quorum.Dial(ctx, urls, quorum.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer locker.Close()

	err = locker.Do(ctx, "rotate-keys", func(ctx context.Context, lease *quorum.Lease) error {
		fmt.Println("rotating keys under", lease.Name())
		return nil
	})
	fmt.Println("done:", err)
	// Output:
	// rotating keys under rotate-keys
	// done: <nil>
}

// TryAcquire makes a single attempt: it tells "held by someone else" apart from "nodes
// unavailable".
func ExampleLocker_TryAcquire() {
	urls, stop := startNodes(3)
	defer stop()
	ctx := context.Background()
	locker, err := quorum.Dial(ctx, urls, quorum.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer locker.Close()

	held, err := locker.Acquire(ctx, "deploy")
	if err != nil {
		log.Fatal(err)
	}
	defer held.Release(ctx)
	_, err = locker.TryAcquire(ctx, "deploy")
	fmt.Println("held by someone else:", errors.Is(err, quorum.ErrNotAcquired))
	// Output:
	// held by someone else: true
}

// Heal is the operator's step for a deployment that cannot heal by itself: here a new one,
// whose nodes refuse every grant (ErrNeedsHeal) until they are brought into service.
func ExampleLocker_Heal() {
	urls, stop := startNewNodes(3)
	defer stop()
	ctx := context.Background()
	locker, err := quorum.Dial(ctx, urls, quorum.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer locker.Close()

	_, err = locker.TryAcquire(ctx, "deploy")
	fmt.Println("new nodes need an operator:", errors.Is(err, quorum.ErrNeedsHeal))
	report, err := locker.Heal(ctx, quorum.HealOptions{NewDeployment: true})
	fmt.Println(report.Action, err)
	lease, err := locker.TryAcquire(ctx, "deploy")
	fmt.Println("granted:", err == nil)
	_ = lease.Release(ctx)
	// Output:
	// new nodes need an operator: true
	// new deployment <nil>
	// granted: true
}
