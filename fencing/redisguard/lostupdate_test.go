package redisguard_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/quorumlock/quorumlock/fencing/redisguard"
)

// The tests below do a read-modify-write of a set, stored as a sorted, comma-separated string,
// by a stale holder (token 1) and a new holder (token 2), interleaved as PROTOCOL-NOTES §4
// describes.

// with returns set with elem added.
func with(set, elem string) string {
	var elems []string
	if set != "" {
		elems = strings.Split(set, ",")
	}
	if !slices.Contains(elems, elem) {
		elems = append(elems, elem)
	}
	slices.Sort(elems)
	return strings.Join(elems, ",")
}

// testLostUpdateWithPlainReadAndWrite shows the bug the other two tests are about: with a plain
// read and a fenced write, every token is in order and yet the stale holder's update is lost.
func testLostUpdateWithPlainReadAndWrite(t *testing.T, g *redisguard.Guard, _ redis.UniversalClient) {
	ctx := context.Background()
	const key = "set"
	mustWrite(t, g, key, 1, "a", 1)
	newRead, err := g.Read(ctx, key) // new holder reads {a}
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, g, key, 1, with("a", "x"), 2)           // the stale holder's write lands in between
	mustWrite(t, g, key, 2, with(newRead.Value, "b"), 3) // new holder writes from its stale read
	wantRecord(t, g, key, redisguard.Record{Value: "a,b", Version: 3, Fence: 2})
}

// testReadForUpdateRefusesStaleHolder: the stale holder reads; the new holder marks the key with
// ReadForUpdate and writes; the stale holder's write is refused, so nothing is lost silently.
func testReadForUpdateRefusesStaleHolder(t *testing.T, g *redisguard.Guard, _ redis.UniversalClient) {
	ctx := context.Background()
	const key = "set"
	mustWrite(t, g, key, 1, "a", 1)
	staleVal, staleVer, err := g.ReadForUpdate(ctx, key, 1)
	if err != nil || staleVal != "a" || staleVer != 1 {
		t.Fatalf("stale holder's ReadForUpdate = %q, %d, %v", staleVal, staleVer, err)
	}
	newVal, newVer, err := g.ReadForUpdate(ctx, key, 2)
	if err != nil || newVal != "a" || newVer != 1 {
		t.Fatalf("new holder's ReadForUpdate = %q, %d, %v", newVal, newVer, err)
	}
	// Between the new holder's read and its write, the stale holder's write is refused.
	_, err = g.WriteIfVersion(ctx, key, 1, staleVer, with(staleVal, "x"))
	wantStale(t, err, key, 1, 2)
	if v, err := g.WriteIfVersion(ctx, key, 2, newVer, with(newVal, "b")); err != nil || v != 2 {
		t.Fatalf("new holder's WriteIfVersion = %d, %v; want version 2", v, err)
	}
	// And after it too, with either kind of write.
	_, err = g.Write(ctx, key, 1, with(staleVal, "x"))
	wantStale(t, err, key, 1, 2)
	wantRecord(t, g, key, redisguard.Record{Value: "a,b", Version: 2, Fence: 2})
}

// testWriteIfVersionDetectsInterveningWrite: the new holder reads without marking; the stale
// holder's write lands (legitimately: the fence is still 1); the new holder's WriteIfVersion is
// refused as a version change instead of overwriting it, and after reading again both updates
// are kept.
func testWriteIfVersionDetectsInterveningWrite(t *testing.T, g *redisguard.Guard, _ redis.UniversalClient) {
	ctx := context.Background()
	const key = "set"
	mustWrite(t, g, key, 1, "a", 1)
	newRead, err := g.Read(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, g, key, 1, with("a", "x"), 2)
	_, err = g.WriteIfVersion(ctx, key, 2, newRead.Version, with(newRead.Value, "b"))
	var ve *redisguard.VersionError
	if !errors.As(err, &ve) || ve.Version != 1 || ve.Current != 2 || ve.Token != 2 {
		t.Fatalf("WriteIfVersion after an intervening write = %v, want VersionError{1 -> 2}", err)
	}
	val, ver, err := g.ReadForUpdate(ctx, key, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.WriteIfVersion(ctx, key, 2, ver, with(val, "b")); err != nil {
		t.Fatal(err)
	}
	wantRecord(t, g, key, redisguard.Record{Value: "a,b,x", Version: 3, Fence: 2})
}

// testSameTokenWritersDoNotLoseUpdates: two workers of one lease (the same token) each read
// version 1, value "100", add 10 and write "110" concurrently. Both writes are identical, but
// they are two updates: exactly one may land, and the other must be refused so that its worker
// reads again, or the counter ends at 110 instead of 120.
func testSameTokenWritersDoNotLoseUpdates(t *testing.T, g *redisguard.Guard, _ redis.UniversalClient) {
	ctx := context.Background()
	const key = "counter"
	mustWrite(t, g, key, 7, "100", 1)
	errs := make([]error, 2)
	var read, done sync.WaitGroup
	read.Add(len(errs))
	for i := range errs {
		done.Go(func() {
			val, ver, err := g.ReadForUpdate(ctx, key, 7)
			read.Done()
			read.Wait() // both have read before either writes
			if err != nil || val != "100" || ver != 1 {
				errs[i] = fmt.Errorf("ReadForUpdate = %q, %d, %v; want 100, 1", val, ver, err)
				return
			}
			_, errs[i] = g.WriteIfVersion(ctx, key, 7, ver, "110")
		})
	}
	done.Wait()
	ok, changed := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, redisguard.ErrVersionChanged):
			changed++
		default:
			t.Fatalf("WriteIfVersion: %v", err)
		}
	}
	if ok != 1 || changed != 1 {
		t.Fatalf("%d writes succeeded and %d were refused with ErrVersionChanged (errors %v); want 1 and 1", ok, changed, errs)
	}
	// The refused worker reads again and applies its update on top of the other's.
	val, ver, err := g.ReadForUpdate(ctx, key, 7)
	if err != nil || val != "110" || ver != 2 {
		t.Fatalf("ReadForUpdate after the race = %q, %d, %v; want 110, 2", val, ver, err)
	}
	if _, err := g.WriteIfVersion(ctx, key, 7, ver, "120"); err != nil {
		t.Fatal(err)
	}
	wantRecord(t, g, key, redisguard.Record{Value: "120", Version: 3, Fence: 7})
}
