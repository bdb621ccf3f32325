package quorum

import (
	"context"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
)

// Waiting by notification. A node announces on a channel of the lock's own (releaseChannel) the
// moment a release or a clean-up deletes the lock's key (lua/release.lua). A Locker subscribes
// to the channels of the names its callers wait for, and only while they wait, on one pub/sub
// connection per node (subscriber): a release reaches the clients waiting for that name and
// nobody else. A notification is a hint: it wakes a waiter, whose next attempt decides. A lost
// one (a node restarting, a connection being re-established) costs at most the retry delay.

// releaseChannel names the pub/sub channel on which the nodes announce the release of a lock.
func releaseChannel(k keys) string { return k.lock + ":released" }

// notifier keeps the Locker's subscriptions: which watches wait for which channels, and the
// per-node subscribers, made at the first watch.
type notifier struct {
	l     *Locker
	start sync.Once
	subs  []*subscriber

	mu     sync.Mutex
	chans  map[string]map[*Watch]struct{} // channel → watches waiting on it
	closed bool

	pings atomic.Uint64 // numbers the readiness pings
}

func newNotifier(l *Locker) *notifier {
	return &notifier{l: l, chans: make(map[string]map[*Watch]struct{})}
}

// watch adds w to the watchers of channels, subscribing on every node to those nobody watched.
// It reports false once the Locker is closed.
func (n *notifier) watch(w *Watch, channels []string) bool {
	n.start.Do(n.startSubscribers)
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return false
	}
	var added []string
	for _, ch := range channels {
		ws := n.chans[ch]
		if ws == nil {
			ws = make(map[*Watch]struct{})
			n.chans[ch] = ws
			added = append(added, ch)
		}
		ws[w] = struct{}{}
	}
	for _, s := range n.subs {
		s.change(added, true)
	}
	return true
}

// unwatch removes w from the watchers of channels, unsubscribing those nobody watches any more.
func (n *notifier) unwatch(w *Watch, channels []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	var dropped []string
	for _, ch := range channels {
		ws := n.chans[ch]
		delete(ws, w)
		if ws != nil && len(ws) == 0 {
			delete(n.chans, ch)
			dropped = append(dropped, ch)
		}
	}
	if n.closed {
		return
	}
	for _, s := range n.subs {
		s.change(dropped, false)
	}
}

// deliver wakes every watch of channel with the announcement's payload: the released lease's
// token, or anything else from a publisher we do not know, which counts as the highest token.
func (n *notifier) deliver(channel, payload string) {
	tok, err := strconv.ParseUint(payload, 10, 64)
	if err != nil {
		tok = math.MaxUint64
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for w := range n.chans[channel] {
		w.wake(fencing.Token(tok))
	}
}

// ready sends a ping behind the subscriptions already asked of every node and returns, per
// node, a channel closed when its answer arrives: a node that answered the ping has made every
// earlier subscription, so a release it runs afterwards is announced to us.
func (n *notifier) ready() (pongs []<-chan struct{}, cancel func()) {
	payload := "quorumlock-ready-" + strconv.FormatUint(n.pings.Add(1), 10)
	pongs = make([]<-chan struct{}, len(n.subs))
	for i, s := range n.subs {
		pongs[i] = s.ping(payload)
	}
	return pongs, func() {
		for _, s := range n.subs {
			s.forget(payload)
		}
	}
}

// close stops the subscribers and waits for their goroutines.
func (n *notifier) close() {
	n.mu.Lock()
	n.closed = true
	subs := n.subs
	n.mu.Unlock()
	n.start.Do(func() {}) // a watch racing with Close starts nothing
	for _, s := range subs {
		s.close()
	}
}

// startSubscribers makes one subscriber per node.
func (n *notifier) startSubscribers() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	n.subs = make([]*subscriber, len(n.l.nodes))
	for i, node := range n.l.nodes {
		n.subs[i] = newSubscriber(n, node, n.l.opts)
	}
}

// Watch is a subscription to the releases of some locks, from Locker.Watch.
type Watch struct {
	n        *notifier
	channels []string
	c        chan struct{}
	closed   atomic.Bool
	released atomic.Uint64 // the highest token announced released since the watch began
}

// C returns a channel that receives a value when a node announces that one of the watched locks
// was released (or that a failed attempt's key was cleaned up), coalesced: a value waiting to be
// received stands for every announcement since the last one received. An announcement is a hint
// that an attempt may now succeed, not a promise: announcements are lost while a node's
// connection is down, and the lock may be taken again before the watcher's attempt.
func (w *Watch) C() <-chan struct{} { return w.c }

// releasedSince reports whether a node announced the release of a lease whose token is at least
// tok since the watch began: of the holder with token tok, or of a later one.
func (w *Watch) releasedSince(tok fencing.Token) bool { return w.released.Load() >= uint64(tok) }

// Close ends the subscription. It is idempotent.
func (w *Watch) Close() {
	if w.closed.CompareAndSwap(false, true) {
		w.n.unwatch(w, w.channels)
	}
}

func (w *Watch) wake(tok fencing.Token) {
	for {
		old := w.released.Load()
		if uint64(tok) <= old || w.released.CompareAndSwap(old, uint64(tok)) {
			break
		}
	}
	select {
	case w.c <- struct{}{}:
	default:
	}
}

// Watch subscribes to the releases of the named locks on every node and returns once every node
// that answers within NodeTimeout has made the subscription: from then on, a release that a
// node runs is announced on C. Make the attempt after Watch returns, not before, or a release
// between the attempt and the subscription goes unannounced. Close the Watch when done: each
// name stays subscribed on the nodes while a Watch of this Locker is open on it.
//
// Watch fails only on an invalid name or a closed Locker; a node that does not answer in time
// is not an error (its announcements may be lost, like any other).
func (l *Locker) Watch(ctx context.Context, names ...string) (*Watch, error) {
	channels := make([]string, len(names))
	for i, name := range names {
		if err := validateName(name); err != nil {
			return nil, err
		}
		channels[i] = releaseChannel(keysFor(l.opts.KeyPrefix, name))
	}
	w := &Watch{n: l.notify, channels: channels, c: make(chan struct{}, 1)}
	if err := l.enter(); err != nil {
		return nil, err
	}
	defer l.tasks.Done()
	if !l.notify.watch(w, channels) {
		return nil, ErrClosed
	}
	pongs, forget := l.notify.ready()
	defer forget()
	t := time.NewTimer(l.opts.NodeTimeout) // as a round's deadline: real time
	defer t.Stop()
	for _, p := range pongs {
		select {
		case <-p:
		case <-t.C:
			return w, nil
		case <-ctx.Done():
			return w, nil
		}
	}
	return w, nil
}
