package quorum_test

import (
	"context"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/quorum"
	"github.com/quorumlock/quorumlock/quorum/quorumtest"
)

var testKeys = quorum.Keys{Lock: "t:{job}", Fence: "t:{job}:fence", Meta: "t:node"}

// oneNode returns a healed miniredis node and its cluster.
func oneNode(t *testing.T) (*quorumtest.Cluster, quorum.Node) {
	t.Helper()
	c := quorumtest.NewCluster(t, 1)
	n := c.Nodes[0]
	rep := acquire(t, n, "boot", 1)
	if rep.Status != quorum.Amnesic {
		t.Fatalf("first contact: %v, want amnesic", rep.Status)
	}
	heal(t, n, quorum.HealRequest{Meta: testKeys.Meta, Incarnation: rep.Marker.Incarnation, Bootstrap: true}, quorum.Healed)
	return c, n
}

func acquire(t *testing.T, n quorum.Node, owner string, token fencing.Token) quorum.AcquireReply {
	t.Helper()
	return acquireReq(t, n, quorum.AcquireRequest{Keys: testKeys, Owner: owner, TTL: time.Second, Token: token,
		Incarnation: "inc-" + owner, Quarantine: time.Second})
}

func acquireReq(t *testing.T, n quorum.Node, req quorum.AcquireRequest) quorum.AcquireReply {
	t.Helper()
	rep, err := n.Acquire(context.Background(), req)
	if err != nil {
		t.Fatalf("Acquire(%s, %d): %v", req.Owner, req.Token, err)
	}
	return rep
}

func heal(t *testing.T, n quorum.Node, req quorum.HealRequest, want quorum.HealResult) {
	t.Helper()
	got, err := n.Heal(context.Background(), req)
	if err != nil || got != want {
		t.Fatalf("Heal(%+v) = %v, %v; want %v", req, got, err, want)
	}
}

func TestAcquireScriptContract(t *testing.T) {
	c, n := oneNode(t)
	steps := []struct {
		owner   string
		token   fencing.Token
		status  quorum.AcquireStatus
		counter fencing.Token
	}{
		{"a", 10, quorum.Granted, 10},
		{"a", 10, quorum.Granted, 10}, // a resent request is idempotent
		{"b", 20, quorum.Held, 10},    // another owner is refused while a holds it
		{"a", 15, quorum.Granted, 15}, // a new round of the same attempt restamps a higher token
	}
	for _, s := range steps {
		rep := acquire(t, n, s.owner, s.token)
		if rep.Status != s.status || rep.Counter != s.counter {
			t.Fatalf("acquire(%s, %d) = %v counter %d; want %v counter %d", s.owner, s.token, rep.Status, rep.Counter, s.status, s.counter)
		}
	}
	c.FastForward(2 * time.Second) // a's key expires; the counter stays
	if rep := acquire(t, n, "b", 15); rep.Status != quorum.Stale || rep.Counter != 15 {
		t.Fatalf("token equal to the counter: %v %d, want stale 15", rep.Status, rep.Counter)
	}
	if rep := acquire(t, n, "b", 16); rep.Status != quorum.Granted || rep.NodeMax != 16 {
		t.Fatalf("token above the counter: %v max %d, want granted max 16", rep.Status, rep.NodeMax)
	}
	if rep := acquire(t, n, "c", fencing.MaxToken+1); rep.Status != quorum.Invalid {
		t.Fatalf("token above 2^53-1: %v, want invalid", rep.Status)
	}
	twoDaysAhead := fencing.Token(time.Now().Add(48 * time.Hour).UnixMicro())
	if rep := acquire(t, n, "c", twoDaysAhead); rep.Status != quorum.Invalid {
		t.Fatalf("token two days ahead of the node's clock: %v, want invalid", rep.Status)
	}
}

func TestAcquireReplacesOnlyOurPreviousAttempt(t *testing.T) {
	_, n := oneNode(t)
	acquire(t, n, "old", 10)
	req := quorum.AcquireRequest{Keys: testKeys, Owner: "new", TTL: time.Second, Token: 11, Replace: "old", Quarantine: time.Second}
	if rep := acquireReq(t, n, req); rep.Status != quorum.Granted {
		t.Fatalf("replacing our own leftover: %v, want granted", rep.Status)
	}
	req.Owner, req.Token, req.Replace = "third", 12, "old"
	if rep := acquireReq(t, n, req); rep.Status != quorum.Held {
		t.Fatalf("Replace of an owner that no longer holds the key: %v, want held", rep.Status)
	}
}

func TestExtendNeverRecreates(t *testing.T) {
	c, n := oneNode(t)
	ctx := context.Background()
	acquire(t, n, "a", 10)
	if ok, err := n.Extend(ctx, quorum.ExtendRequest{Keys: testKeys, Owner: "b", TTL: time.Minute}); ok || err != nil {
		t.Fatalf("extend by another owner = %v, %v; want false", ok, err)
	}
	if ok, err := n.Extend(ctx, quorum.ExtendRequest{Keys: testKeys, Owner: "a", TTL: time.Minute}); !ok || err != nil {
		t.Fatalf("extend by the holder = %v, %v; want true", ok, err)
	}
	if ttl := c.Servers[0].TTL(testKeys.Lock); ttl != time.Minute {
		t.Fatalf("TTL after extend = %v, want 1m", ttl)
	}
	c.FastForward(2 * time.Minute)
	if ok, err := n.Extend(ctx, quorum.ExtendRequest{Keys: testKeys, Owner: "a", TTL: time.Minute}); ok || err != nil {
		t.Fatalf("extend of an expired key = %v, %v; want false", ok, err)
	}
	if c.Servers[0].Exists(testKeys.Lock) {
		t.Fatal("extend re-created an expired key")
	}
}

func TestReleaseComparesAndLeavesTombstone(t *testing.T) {
	c, n := oneNode(t)
	ctx := context.Background()
	acquire(t, n, "a", 10)
	rel := func(owner string) bool {
		ok, err := n.Release(ctx, quorum.ReleaseRequest{Keys: testKeys, Owner: owner, TombstoneTTL: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if rel("b") {
		t.Fatal("release by another owner deleted the key")
	}
	if got, _ := c.Servers[0].Get(testKeys.Lock); got != "a" {
		t.Fatalf("key = %q after a foreign release, want a", got)
	}
	if !rel("a") || rel("a") {
		t.Fatal("release by the holder: want deleted once, then nothing")
	}
	// a's second round, queued behind the release on a slow node, must not re-create the key.
	if rep := acquire(t, n, "a", 30); rep.Status != quorum.Abandoned {
		t.Fatalf("acquire of a released owner: %v, want abandoned", rep.Status)
	}
	// b's acquire arrives after b was released (a stalled node): refused.
	if rep := acquire(t, n, "b", 20); rep.Status != quorum.Abandoned {
		t.Fatalf("acquire after own release: %v, want abandoned", rep.Status)
	}
	if c.Servers[0].Exists(testKeys.Lock) {
		t.Fatal("a late acquire created a key after its release")
	}
}

func TestMarkerQuarantineAndHeal(t *testing.T) {
	c := quorumtest.NewCluster(t, 1)
	n, s := c.Nodes[0], c.Servers[0]
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.SetTime(start)
	rep := acquire(t, n, "a", 10)
	if rep.Status != quorum.Amnesic || rep.Marker.Quarantine != time.Second || rep.Marker.Incarnation != "inc-a" {
		t.Fatalf("first contact = %+v, want amnesic with quarantine 1s", rep)
	}
	req := quorum.HealRequest{Meta: testKeys.Meta, Incarnation: "inc-a", Floor: 500}
	heal(t, n, req, quorum.StillWaiting)
	heal(t, n, quorum.HealRequest{Meta: testKeys.Meta, Incarnation: "other", Floor: 500}, quorum.NotAmnesic)
	s.SetTime(start.Add(time.Second))
	heal(t, n, req, quorum.Healed)
	heal(t, n, req, quorum.NotAmnesic)
	if rep := acquire(t, n, "a", 500); rep.Status != quorum.Stale || rep.Counter != 500 {
		t.Fatalf("token at the floor: %v %d, want stale 500", rep.Status, rep.Counter)
	}
	if rep := acquire(t, n, "a", 501); rep.Status != quorum.Granted {
		t.Fatalf("token above the floor: %v, want granted", rep.Status)
	}
	s.FlushAll() // the node loses its data: a new incarnation, quarantined again
	if rep := acquire(t, n, "b", 600); rep.Status != quorum.Amnesic || rep.Marker.Incarnation != "inc-b" {
		t.Fatalf("after FLUSHALL = %+v, want amnesic with a new incarnation", rep)
	}
}

// TestReleaseWithoutTombstone: a client that saw the node answer every acquire of the owner asks
// for no tombstone; the key is deleted and nothing else is written.
func TestReleaseWithoutTombstone(t *testing.T) {
	c, n := oneNode(t)
	acquire(t, n, "a", 10)
	ok, err := n.Release(context.Background(), quorum.ReleaseRequest{Keys: testKeys, Owner: "a"})
	if !ok || err != nil {
		t.Fatalf("release = %v, %v", ok, err)
	}
	if c.Servers[0].Exists(testKeys.TombstoneKey("a")) || c.Servers[0].Exists(testKeys.Lock) {
		t.Fatal("a tombstone was written, or the key was kept")
	}
}
