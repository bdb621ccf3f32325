package election_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/quorumlock/quorumlock/election"
	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/quorum/quorumtest"
)

// startNodes starts n in-process Redis servers, brought into service as a new deployment, and
// returns their URLs and a function that stops them. Real deployments pass the URLs of
// independent redis-server processes, and bring them into service once with
// quorumlock heal --new-deployment.
func startNodes(n int) ([]string, func()) {
	var urls []string
	var servers []*quorumtest.Server
	stop := func() {
		for _, s := range servers {
			s.Close()
		}
	}
	for range n {
		s, err := quorumtest.StartServer()
		if err != nil {
			log.Fatal(err)
		}
		servers = append(servers, s)
		urls = append(urls, "redis://"+s.Addr())
	}
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

// A candidate campaigns, leads with its term's token, and resigns.
func Example() {
	urls, stop := startNodes(3)
	defer stop()
	ctx := context.Background()
	locker, err := quorum.Dial(ctx, urls, quorum.Options{TTL: 2 * time.Second})
	if err != nil {
		log.Fatal(err)
	}
	defer locker.Close()

	e := election.New(locker, "scheduler", election.Options{ID: "host-a"})
	term, err := e.Campaign(ctx) // blocks until host-a leads
	if err != nil {
		log.Fatal(err)
	}
	ldr, err := e.Leader(ctx) // what every candidate and observer reads
	fmt.Println("leader:", ldr.ID, "with its term's token:", ldr.Token == term.Token(), err)
	if err := term.Resign(ctx); err != nil {
		log.Fatal(err)
	}
	_, err = e.Leader(ctx)
	fmt.Println("after Resign:", err)
	// Output:
	// leader: host-a with its term's token: true <nil>
	// after Resign: election: no leader of "scheduler"
}

// Run calls the leader's function for as long as its term holds. Every write is fenced with the
// term's token, so that a leader that paused past its term is refused by the store.
func ExampleElection_Run() {
	urls, stop := startNodes(3)
	defer stop()
	ctx := context.Background()
	locker, err := quorum.Dial(ctx, urls, quorum.Options{TTL: 2 * time.Second})
	if err != nil {
		log.Fatal(err)
	}
	defer locker.Close()

	jobs := fencing.NewFence("job-queue") // stands for the store the leader writes to
	e := election.New(locker, "scheduler", election.Options{ID: "host-a"})
	err = e.Run(ctx, func(ctx context.Context, term *election.Term) error {
		for job := 1; job <= 3 && ctx.Err() == nil; job++ {
			err := jobs.Do(term.Token(), func() error { fmt.Println("scheduled job", job); return nil })
			if err != nil {
				return err // a stale token: another leader took over
			}
		}
		return nil // done: Run resigns the term and returns
	})
	fmt.Println("Run:", err)
	// Output:
	// scheduled job 1
	// scheduled job 2
	// scheduled job 3
	// Run: <nil>
}

// Observe reports every change of leader, a vacancy included.
func ExampleElection_Observe() {
	urls, stop := startNodes(3)
	defer stop()
	ctx := context.Background()
	locker, err := quorum.Dial(ctx, urls, quorum.Options{TTL: 2 * time.Second})
	if err != nil {
		log.Fatal(err)
	}
	defer locker.Close()

	observer := election.New(locker, "scheduler", election.Options{ObserveInterval: 50 * time.Millisecond})
	octx, cancel := context.WithCancel(ctx)
	changes := observer.Observe(octx)
	show := func(ldr election.Leader) {
		if ldr.IsZero() {
			fmt.Println("nobody leads")
			return
		}
		fmt.Println(ldr.ID, "leads")
	}
	show(<-changes)
	term, err := election.New(locker, "scheduler", election.Options{ID: "host-a"}).Campaign(ctx)
	if err != nil {
		log.Fatal(err)
	}
	show(<-changes)
	if err := term.Resign(ctx); err != nil {
		log.Fatal(err)
	}
	show(<-changes)
	cancel()
	for range changes { // closed once the observer has stopped
	}
	_, err = observer.Leader(ctx)
	fmt.Println(errors.Is(err, election.ErrNoLeader))
	// Output:
	// nobody leads
	// host-a leads
	// nobody leads
	// true
}
