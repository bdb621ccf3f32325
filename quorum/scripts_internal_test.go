package quorum

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/quorumlock/quorumlock/fencing"
)

// The contract of each script, on one in-process node (miniredis tells no run_id: the
// marker's check of the server process compares empty ones; see the black-box restart tests
// for that check).

const testPrefix = "t:"

var testKeys = keysFor(testPrefix, "job")

// oneNode returns a miniredis server and a Locker over it alone, with the node not yet
// brought into service.
func oneNode(t *testing.T) (*miniredis.Miniredis, *Locker) {
	t.Helper()
	s := miniredis.RunT(t)
	l, err := Dial(context.Background(), []string{"redis://" + s.Addr()}, Options{TTL: time.Second, KeyPrefix: testPrefix, Quarantine: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return s, l
}

// servingNode is oneNode, brought into service as a new deployment.
func servingNode(t *testing.T) (*miniredis.Miniredis, *Locker) {
	t.Helper()
	s, l := oneNode(t)
	if _, err := l.Heal(context.Background(), HealOptions{NewDeployment: true}); err != nil {
		t.Fatal(err)
	}
	return s, l
}

// call runs one script call on the Locker's only node.
func call[R any](t *testing.T, l *Locker, c nodeCall[R]) R {
	t.Helper()
	r, err := callOne(l, context.Background(), time.Second, c, 0)
	if err != nil {
		t.Fatalf("%s: %v", c.op(), err)
	}
	return r
}

func acquire(t *testing.T, l *Locker, owner string, token fencing.Token) acquireReply {
	t.Helper()
	return acquireReq(t, l, owner, token, "")
}

func acquireReq(t *testing.T, l *Locker, owner string, token fencing.Token, replace string) acquireReply {
	t.Helper()
	return call(t, l, &acquireCall{req: acquireRequest{keys: testKeys, owner: owner, ttl: time.Second, token: token, replace: replace}, q: time.Second})
}

func release(t *testing.T, l *Locker, owner string, tomb time.Duration) bool {
	t.Helper()
	return call(t, l, &releaseCall{keys: testKeys, owner: owner, tombstoneTTL: tomb, q: time.Second})
}

func extend(t *testing.T, l *Locker, owner string) extendVote {
	t.Helper()
	return call(t, l, &extendCall{keys: testKeys, owner: owner, ttl: time.Minute, q: time.Second})
}

func healWith(t *testing.T, l *Locker, inc string, floor uint64, how healHow) healResult {
	t.Helper()
	return call(t, l, &healCall{meta: testKeys.meta, incarnation: inc, floor: floor, how: how, q: time.Second})
}

func TestAcquireScriptContract(t *testing.T) {
	s, l := servingNode(t)
	steps := []struct {
		owner   string
		token   fencing.Token
		status  AcquireStatus
		counter fencing.Token
	}{
		{"a", 10, Granted, 10},
		{"a", 10, Granted, 10}, // a resent request is idempotent
		{"b", 20, Held, 10},    // another owner is refused while a holds it
		{"a", 15, Granted, 15}, // a new round of the same attempt restamps a higher token
	}
	for _, st := range steps {
		rep := acquire(t, l, st.owner, st.token)
		if rep.status != st.status || rep.counter != st.counter {
			t.Fatalf("acquire(%s, %d) = %v counter %d; want %v counter %d", st.owner, st.token, rep.status, rep.counter, st.status, st.counter)
		}
	}
	s.FastForward(1500 * time.Millisecond) // a's key expires; the counter (two TTLs) stays
	if rep := acquire(t, l, "b", 15); rep.status != Stale || rep.counter != 15 {
		t.Fatalf("token equal to the counter: %v %d, want stale 15", rep.status, rep.counter)
	}
	if rep := acquire(t, l, "b", 16); rep.status != Granted || rep.nodeMax != 16 {
		t.Fatalf("token above the counter: %v max %d, want granted max 16", rep.status, rep.nodeMax)
	}
	if rep := acquire(t, l, "c", fencing.MaxToken+1); rep.status != Invalid {
		t.Fatalf("token above 2^53-1: %v, want invalid", rep.status)
	}
	twoDaysAhead := fencing.Token(time.Now().Add(48 * time.Hour).UnixMicro())
	if rep := acquire(t, l, "c", twoDaysAhead); rep.status != Invalid {
		t.Fatalf("token two days ahead of the node's clock: %v, want invalid", rep.status)
	}
}

// TestExpiredCounterFallsBackToNodeMax: a name's fence key expires two TTLs after its last
// grant, so a node keeps no key per name that is not in use; the name is then judged against
// the node's highest token, which is never below any counter it held, so tokens still rise.
func TestExpiredCounterFallsBackToNodeMax(t *testing.T) {
	s, l := servingNode(t)
	acquire(t, l, "a", 10)
	other := keysFor(testPrefix, "other")
	r := call(t, l, &acquireCall{req: acquireRequest{keys: other, owner: "x", ttl: time.Second, token: 50}, q: time.Second})
	if r.status != Granted {
		t.Fatal(r.status)
	}
	s.FastForward(2*time.Second + time.Millisecond)
	if s.Exists(testKeys.fence) || s.Exists(testKeys.lock) {
		t.Fatalf("keys of an unused name left after two TTLs: %v", s.Keys())
	}
	if rep := acquire(t, l, "b", 11); rep.status != Stale || rep.counter != 50 {
		t.Fatalf("after the counter expired: %v counter %d, want stale at the node's highest token 50", rep.status, rep.counter)
	}
	if rep := acquire(t, l, "b", 51); rep.status != Granted {
		t.Fatalf("above the node's highest token: %v, want granted", rep.status)
	}
}

func TestAcquireReplacesOnlyOurPreviousAttempt(t *testing.T) {
	_, l := servingNode(t)
	acquire(t, l, "old", 10)
	if rep := acquireReq(t, l, "new", 11, "old"); rep.status != Granted {
		t.Fatalf("replacing our own leftover: %v, want granted", rep.status)
	}
	if rep := acquireReq(t, l, "third", 12, "old"); rep.status != Held {
		t.Fatalf("Replace of an owner that no longer holds the key: %v, want held", rep.status)
	}
}

func TestExtendNeverRecreates(t *testing.T) {
	s, l := servingNode(t)
	acquire(t, l, "a", 10)
	if v := extend(t, l, "b"); v != voteRefused {
		t.Fatalf("extend by another owner = %v; want refused", v)
	}
	if v := extend(t, l, "a"); v != voteExtended {
		t.Fatalf("extend by the holder = %v; want extended", v)
	}
	if ttl := s.TTL(testKeys.lock); ttl != time.Minute {
		t.Fatalf("TTL after extend = %v, want 1m", ttl)
	}
	s.FastForward(2 * time.Minute)
	if v := extend(t, l, "a"); v != voteRefused {
		t.Fatalf("extend of an expired key = %v; want refused", v)
	}
	if s.Exists(testKeys.lock) {
		t.Fatal("extend re-created an expired key")
	}
}

func TestReleaseComparesAndLeavesTombstone(t *testing.T) {
	s, l := servingNode(t)
	acquire(t, l, "a", 10)
	if release(t, l, "b", time.Second) {
		t.Fatal("release by another owner deleted the key")
	}
	if got, _ := s.Get(testKeys.lock); got != "a" {
		t.Fatalf("key = %q after a foreign release, want a", got)
	}
	if !release(t, l, "a", time.Second) || release(t, l, "a", time.Second) {
		t.Fatal("release by the holder: want deleted once, then nothing")
	}
	// a's second round, queued behind the release on a slow node, must not re-create the key.
	if rep := acquire(t, l, "a", 30); rep.status != Abandoned {
		t.Fatalf("acquire of a released owner: %v, want abandoned", rep.status)
	}
	// b's acquire arrives after b was released (a stalled node): refused.
	if rep := acquire(t, l, "b", 20); rep.status != Abandoned {
		t.Fatalf("acquire after own release: %v, want abandoned", rep.status)
	}
	if s.Exists(testKeys.lock) {
		t.Fatal("a late acquire created a key after its release")
	}
}

// TestReleaseWithoutTombstone: a client that saw the node answer every acquire of the owner asks
// for no tombstone; the key is deleted and nothing else is written.
func TestReleaseWithoutTombstone(t *testing.T) {
	s, l := servingNode(t)
	acquire(t, l, "a", 10)
	if !release(t, l, "a", 0) {
		t.Fatal("release by the holder deleted nothing")
	}
	if s.Exists(testKeys.lock+tombstoneInfix+"a") || s.Exists(testKeys.lock) {
		t.Fatal("a tombstone was written, or the key was kept")
	}
}

// restartedHolding returns a serving node on which owner "a" was granted and whose server then
// restarted with its data (the marker names an earlier process), as after a reload of an AOF or
// a snapshot.
func restartedHolding(t *testing.T) (*miniredis.Miniredis, *Locker) {
	t.Helper()
	s, l := servingNode(t)
	acquire(t, l, "a", 10)
	s.HSet(testKeys.meta, "run", "an-earlier-process")
	return s, l
}

// markerSays returns the marker's state and why it was lost, as "state/lost".
func markerSays(s *miniredis.Miniredis) string {
	return s.HGet(testKeys.meta, "state") + "/" + s.HGet(testKeys.meta, "lost")
}

// TestReleaseChecksTheMarkerWhereItFindsNoKey: a release that finds its own key deletes it and
// reads no marker, even on a restarted node (the reload kept the key); the next call of another
// kind sees the restart before it can grant. A release that finds no key of its own (none, or
// another owner's) records the restart itself.
func TestReleaseChecksTheMarkerWhereItFindsNoKey(t *testing.T) {
	s, l := restartedHolding(t)
	if !release(t, l, "a", 0) || s.Exists(testKeys.lock) {
		t.Fatal("release of a restored key of ours did not delete it")
	}
	if got := markerSays(s); got != "ok/" {
		t.Fatalf("marker after a release that found its key: %q, want ok/ (unread)", got)
	}
	if rep := acquire(t, l, "b", 11); rep.status != Amnesic || rep.marker.lost != lossRestart {
		t.Fatalf("acquire after that release = %+v, want amnesic, lost by a restart", rep)
	}

	for _, tc := range []struct {
		name string
		key  func(*miniredis.Miniredis) error // what the restart left of the lock key
	}{
		{"no key", func(s *miniredis.Miniredis) error { s.Del(testKeys.lock); return nil }},
		{"another owner's key", func(s *miniredis.Miniredis) error { return s.Set(testKeys.lock, "b") }},
	} {
		s, l := restartedHolding(t)
		if err := tc.key(s); err != nil {
			t.Fatal(err)
		}
		if release(t, l, "a", 0) {
			t.Fatalf("%s: release deleted a key that was not ours", tc.name)
		}
		if got := markerSays(s); got != "amnesic/restart" {
			t.Fatalf("%s: marker after the release %s, want amnesic/restart", tc.name, got)
		}
	}
}

func TestMarkerQuarantineAndHeal(t *testing.T) {
	s, l := oneNode(t)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.SetTime(start)
	rep := acquire(t, l, "a", 10)
	m := rep.marker
	if rep.status != Amnesic || m.quarantine != time.Second || m.lost != lossNew || m.incarnation == "" {
		t.Fatalf("first contact = %+v, want amnesic, no marker found, quarantine 1s", rep)
	}
	if got := healWith(t, l, m.incarnation, 500, healRegular); got != stillWaiting {
		t.Fatalf("heal within the quarantine = %v, want still waiting", got)
	}
	if got := healWith(t, l, "other", 500, healRegular); got != notAmnesic {
		t.Fatalf("heal of another incarnation = %v, want nothing done", got)
	}
	s.SetTime(start.Add(time.Second))
	if got := healWith(t, l, m.incarnation, 500, healRegular); got != healed {
		t.Fatalf("heal after the quarantine = %v, want healed", got)
	}
	if got := healWith(t, l, m.incarnation, 500, healRegular); got != notAmnesic {
		t.Fatalf("second heal = %v, want nothing done", got)
	}
	if rep := acquire(t, l, "a", 500); rep.status != Stale || rep.counter != 500 || rep.floor != 500 {
		t.Fatalf("token at the floor: %v %d floor %d, want stale 500", rep.status, rep.counter, rep.floor)
	}
	if rep := acquire(t, l, "a", 501); rep.status != Granted {
		t.Fatalf("token above the floor: %v, want granted", rep.status)
	}
	s.FlushAll() // the node loses its data: a new incarnation, quarantined again
	if rep := acquire(t, l, "b", 600); rep.status != Amnesic || rep.marker.incarnation == m.incarnation {
		t.Fatalf("after FLUSHALL = %+v, want amnesic with a new incarnation", rep)
	}
}

// TestNewDeploymentHealRefusedOnAServedNode: the new-deployment heal skips the quarantine, so
// the node refuses it unless it shows no sign of having served.
func TestNewDeploymentHealRefusedOnAServedNode(t *testing.T) {
	_, l := restartedHolding(t)
	rep := acquire(t, l, "a", 11)
	if rep.status != Amnesic || rep.marker.lost != lossRestart {
		t.Fatalf("after a restart = %+v, want amnesic, lost by a restart", rep)
	}
	if got := healWith(t, l, rep.marker.incarnation, 0, healNewDeployment); got != hasServed {
		t.Fatalf("new-deployment heal of a restarted node = %v, want refused", got)
	}
}

// TestQuarantineCapped: a node keeps at most a day of quarantine, whatever a client asks.
func TestQuarantineCapped(t *testing.T) {
	_, l := oneNode(t)
	r := call(t, l, &acquireCall{req: acquireRequest{keys: testKeys, owner: "a", ttl: time.Second, token: 10}, q: 10 * 365 * 24 * time.Hour})
	if r.marker.quarantine != MaxQuarantine {
		t.Fatalf("quarantine kept for a ten-year request: %v, want %v", r.marker.quarantine, MaxQuarantine)
	}
}

func TestExtendManyScriptContract(t *testing.T) {
	s, l := servingNode(t)
	acquire(t, l, "a", 10)
	other := keysFor(testPrefix, "other")
	got := call(t, l, &extendManyCall{meta: testKeys.meta, locks: []string{testKeys.lock, testKeys.lock, other.lock},
		fences: []string{testKeys.fence, testKeys.fence, other.fence}, owners: []string{"a", "b", "a"}, ttl: time.Minute, q: time.Second})
	if want := []extendVote{voteExtended, voteRefused, voteRefused}; !slices.Equal(got, want) {
		t.Fatalf("extend_many = %v, want %v (ours, another owner's, a missing key)", got, want)
	}
	if s.Exists(other.lock) {
		t.Fatal("extend_many re-created a missing key")
	}
	if ttl, fttl := s.TTL(testKeys.lock), s.TTL(testKeys.fence); ttl != time.Minute || fttl != 2*time.Minute {
		t.Fatalf("TTLs after extend_many: lock %v, fence %v; want 1m and 2m", ttl, fttl)
	}
	s.FlushAll() // amnesic: no vote for any lease
	got = call(t, l, &extendManyCall{meta: testKeys.meta, locks: []string{testKeys.lock}, fences: []string{testKeys.fence},
		owners: []string{"a"}, ttl: time.Minute, q: time.Second})
	if !slices.Equal(got, []extendVote{voteAmnesic}) {
		t.Fatalf("extend_many on an amnesic node = %v, want amnesic", got)
	}
}
