package quorum

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// subscriber is the pub/sub connection of one node (go-redis's PubSub, which reconnects and
// re-subscribes by itself). Watches never wait on it: subscription changes and readiness pings
// are queued and written by the writer goroutine, replies are read by the reader goroutine, so a
// node that is down or stalled delays nothing but its own announcements.
type subscriber struct {
	n      *notifier
	client *redis.Client
	ps     *redis.PubSub
	opTime time.Duration // bounds one write, a connect included

	mu    sync.Mutex
	want  map[string]bool          // channel → subscribe (true) or unsubscribe, not yet written
	pings []string                 // readiness pings not yet written, in order
	pongs map[string]chan struct{} // ping payload → closed when its answer arrives

	wake chan struct{} // the writer has work
	done chan struct{} // closed by close
	wg   sync.WaitGroup
}

// Backoff of the reader between failed reads (a node down or restarting).
const (
	subscriberRetryMin = 50 * time.Millisecond
	subscriberRetryMax = 2 * time.Second
)

func newSubscriber(n *notifier, node *redisNode, opts Options) *subscriber {
	ro := *node.subOpts
	ro.Protocol = 2
	ro.DisableIdentity = true
	ro.MaxRetries = -1
	ro.DialTimeout = max(4*opts.NodeTimeout, time.Second)
	ro.WriteTimeout = ro.DialTimeout
	ro.PoolSize = 1
	if opts.Dialer != nil {
		ro.Dialer = tlsDialer(opts.Dialer, ro.TLSConfig)
	}
	s := &subscriber{
		n:      n,
		client: redis.NewClient(&ro),
		opTime: 2 * ro.DialTimeout,
		want:   make(map[string]bool),
		pongs:  make(map[string]chan struct{}),
		wake:   make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
	s.ps = s.client.Subscribe(context.Background())
	s.wg.Add(2)
	go s.write()
	go s.read()
	return s
}

// tlsDialer dials with dial, then runs the TLS handshake when tc is set (go-redis does not when
// given a dialer of its own).
func tlsDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error), tc *tls.Config) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if tc == nil {
		return dial
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		nc, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		c := tls.Client(nc, tc)
		if err := c.HandshakeContext(ctx); err != nil {
			_ = nc.Close()
			return nil, err
		}
		return c, nil
	}
}

// change queues subscribing to (or unsubscribing from) channels.
func (s *subscriber) change(channels []string, subscribe bool) {
	if len(channels) == 0 {
		return
	}
	s.mu.Lock()
	for _, ch := range channels {
		s.want[ch] = subscribe
	}
	s.mu.Unlock()
	s.kick()
}

// ping queues a readiness ping and returns the channel its answer closes.
func (s *subscriber) ping(payload string) <-chan struct{} {
	c := make(chan struct{})
	s.mu.Lock()
	s.pongs[payload] = c
	s.pings = append(s.pings, payload)
	s.mu.Unlock()
	s.kick()
	return c
}

// forget drops a ping nobody waits for any more.
func (s *subscriber) forget(payload string) {
	s.mu.Lock()
	delete(s.pongs, payload)
	s.mu.Unlock()
}

func (s *subscriber) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// write writes the queued changes, then the queued pings, in that order on the one connection:
// a ping's answer comes after the subscriptions written before it were made.
func (s *subscriber) write() {
	defer s.wg.Done()
	for {
		select {
		case <-s.wake:
		case <-s.done:
			return
		}
		s.mu.Lock()
		want, pings := s.want, s.pings
		s.want, s.pings = make(map[string]bool), nil
		s.mu.Unlock()
		var sub, unsub []string
		for ch, on := range want {
			if on {
				sub = append(sub, ch)
			} else {
				unsub = append(unsub, ch)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), s.opTime)
		// go-redis records a change even when it cannot write it, and replays the channels
		// it has on the next connection: errors need no retry here.
		if len(unsub) > 0 {
			_ = s.ps.Unsubscribe(ctx, unsub...)
		}
		if len(sub) > 0 {
			_ = s.ps.Subscribe(ctx, sub...)
		}
		for _, p := range pings {
			_ = s.ps.Ping(ctx, p)
		}
		cancel()
	}
}

// read hands announcements to the notifier and answers to the waiting pings, until close.
func (s *subscriber) read() {
	defer s.wg.Done()
	backoff := subscriberRetryMin
	for {
		msg, err := s.ps.Receive(context.Background())
		if err != nil {
			if errors.Is(err, redis.ErrClosed) {
				return
			}
			select {
			case <-s.done:
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, subscriberRetryMax)
			continue
		}
		backoff = subscriberRetryMin
		switch m := msg.(type) {
		case *redis.Message:
			s.n.deliver(m.Channel, m.Payload)
		case *redis.Pong:
			s.mu.Lock()
			if c, ok := s.pongs[m.Payload]; ok {
				close(c)
				delete(s.pongs, m.Payload)
			}
			s.mu.Unlock()
		}
	}
}

// close closes the connection and waits for the goroutines.
func (s *subscriber) close() {
	close(s.done)
	_ = s.ps.Close()
	_ = s.client.Close()
	s.wg.Wait()
}
