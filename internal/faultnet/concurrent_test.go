package faultnet_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/internal/faultnet"
)

// TestFaultsUnderConcurrentClients toggles every fault while clients pipeline commands, for
// the race detector, then checks that every client gets its own replies in order once healed:
// no fault desynchronised a live connection.
func TestFaultsUnderConcurrentClients(t *testing.T) {
	s, n := startNode(t)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for client := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := hammer(n.Dialer(client), s.Addr(), fmt.Sprint("n", client), stop); err != nil {
				t.Error(err)
			}
		}()
	}
	toggle(n, 300*time.Millisecond)
	close(stop)
	wg.Wait()
	c := connect(t, n.Dialer(9), s.Addr())
	c.do("PING")
}

// toggle turns the faults of n on and off for d, then heals it.
func toggle(n *faultnet.Node, d time.Duration) {
	steps := []func(){
		n.Stall, n.Resume,
		func() { n.SetFail(true) }, func() { n.SetFail(false) },
		func() { n.SetLoseReplies(true) }, func() { n.SetLoseReplies(false) },
		func() { n.SetDelay(time.Millisecond) }, func() { n.SetDelay(0) },
		func() { n.Cut(1, faultnet.CutBoth) }, func() { n.Uncut(1, faultnet.CutBoth) },
	}
	for i, end := 0, time.Now().Add(d); time.Now().Before(end); i++ {
		steps[i%len(steps)]()
		time.Sleep(2 * time.Millisecond)
	}
	n.Resume()
	n.SetFail(false)
	n.SetLoseReplies(false)
	n.SetDelay(0)
}

// hammer pipelines INCRs of key on one connection at a time, redialling when a fault resets
// it, until stop; a reply out of order on a live connection is an error.
func hammer(dial dialFunc, addr, key string, stop <-chan struct{}) error {
	var last int64
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		nc, err := dial(context.Background(), "tcp", addr)
		if err != nil {
			time.Sleep(time.Millisecond)
			continue
		}
		err = incrs(nc, key, &last, stop)
		_ = nc.Close()
		if err != nil {
			return err
		}
	}
}

// incrs sends INCRs of key in batches of 3 and checks that each reply is above the last one
// seen; a connection error ends it without an error.
func incrs(nc net.Conn, key string, last *int64, stop <-chan struct{}) error {
	br := bufio.NewReader(nc)
	cmd := fmt.Sprintf("*2\r\n$4\r\nINCR\r\n$%d\r\n%s\r\n", len(key), key)
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		_ = nc.SetDeadline(time.Now().Add(50 * time.Millisecond))
		if _, err := nc.Write([]byte(cmd + cmd + cmd)); err != nil {
			return nil
		}
		for range 3 {
			var v int64
			line, err := br.ReadString('\n')
			if err != nil {
				return nil
			}
			if _, err := fmt.Sscanf(line, ":%d\r\n", &v); err != nil || v <= *last {
				return fmt.Errorf("%s: reply %q after %d", key, line, *last)
			}
			*last = v
		}
	}
}
