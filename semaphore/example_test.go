package semaphore_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/semaphore"
)

// dialNodes starts n in-process Redis servers, brings them into service as a new deployment,
// and returns a Locker over them and a function that closes it and stops them. Real
// deployments pass the URLs of independent redis-server processes to quorum.Dial.
func dialNodes(n int) (*quorum.Locker, func()) {
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
	ctx := context.Background()
	locker, err := quorum.Dial(ctx, urls, quorum.Options{TTL: 10 * time.Second})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := locker.Heal(ctx, quorum.HealOptions{NewDeployment: true}); err != nil {
		log.Fatal(err)
	}
	return locker, func() {
		locker.Close()
		for _, s := range servers {
			s.Close()
		}
	}
}

// Two permits are granted, on two slots; a third attempt is refused until one is released.
func Example() {
	locker, stop := dialNodes(3)
	defer stop()
	ctx := context.Background()

	exports := semaphore.New(locker, "exports", 2) // at most two exports at once
	a, err := exports.TryAcquire(ctx)
	if err != nil {
		log.Fatal(err)
	}
	b, err := exports.TryAcquire(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("two permits on two slots:", a.Slot() != b.Slot())

	_, err = exports.TryAcquire(ctx)
	fmt.Println("a third is refused as held:", errors.Is(err, quorum.ErrNotAcquired))

	if err := a.Release(ctx); err != nil {
		log.Fatal(err)
	}
	c, err := exports.TryAcquire(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("after a release, its slot is granted again:", c.Slot() == a.Slot(), c.Token() > a.Token())
	_ = b.Release(ctx)
	_ = c.Release(ctx)
	// Output:
	// two permits on two slots: true
	// a third is refused as held: true
	// after a release, its slot is granted again: true true
}

// Workers run exports under a semaphore with Do, which keeps the permit extended and releases it
// when the export returns. Every write goes through the fence of the permit's slot: tokens
// increase per slot, not across slots.
func ExampleSemaphore_Do() {
	locker, stop := dialNodes(3)
	defer stop()
	exports := semaphore.New(locker, "exports", 2)

	var mu sync.Mutex
	fences := map[string]*fencing.Fence{} // stands for the store: one fence per slot
	write := func(p *semaphore.Permit) error {
		mu.Lock()
		defer mu.Unlock()
		if fences[p.Name()] == nil {
			fences[p.Name()] = fencing.NewFence(p.Name())
		}
		return fences[p.Name()].Do(p.Token(), func() error { return nil /* the write */ })
	}

	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- exports.Do(context.Background(), func(ctx context.Context, p *semaphore.Permit) error {
				return write(p) // stop when ctx ends: the permit was lost
			})
		}()
	}
	wg.Wait()
	close(errs)
	done := 0
	for err := range errs {
		if err != nil && !errors.Is(err, quorum.ErrUnavailable) { // a release that too few nodes answered: the keys expire
			log.Fatal(err)
		}
		done++
	}
	fmt.Println("exports done:", done)
	// Output:
	// exports done: 5
}

// Acquire waits for a permit until one is released or the context ends.
func ExampleSemaphore_Acquire() {
	locker, stop := dialNodes(3)
	defer stop()
	exports := semaphore.New(locker, "exports", 1)
	held, err := exports.Acquire(context.Background())
	if err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err = exports.Acquire(ctx)
	fmt.Println("gave up while held:", errors.Is(err, context.DeadlineExceeded), errors.Is(err, quorum.ErrNotAcquired))

	time.AfterFunc(50*time.Millisecond, func() { _ = held.Release(context.Background()) })
	p, err := exports.Acquire(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("granted after the release, on slot", p.Slot())
	_ = p.Release(context.Background())
	// Output:
	// gave up while held: true true
	// granted after the release, on slot 0
}
