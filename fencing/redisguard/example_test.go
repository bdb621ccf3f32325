package redisguard_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/fencing/redisguard"
)

// A read-modify-write under a lock: mark the key with ReadForUpdate, then write only if the
// version read is still current. A holder whose grant was superseded is refused.
func Example() {
	srv, err := miniredis.Run()
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	client := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer client.Close()
	guard, err := redisguard.New(client, redisguard.Options{KeyPrefix: "app:"})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	// The holder of token 41 reads for update, then pauses (GC, swap, network)...
	old, oldVer, _ := guard.ReadForUpdate(ctx, "counter", 41)
	// ...while the lock passes to the holder of token 42, which does its read-modify-write.
	cur, ver, _ := guard.ReadForUpdate(ctx, "counter", 42)
	ver, _ = guard.WriteIfVersion(ctx, "counter", 42, ver, cur+"x")
	fmt.Println("token 42 wrote version", ver)

	// The old holder wakes up and tries to write: refused, nothing written.
	_, err = guard.WriteIfVersion(ctx, "counter", 41, oldVer, old+"y")
	var stale *fencing.StaleTokenError
	fmt.Println(errors.Is(err, fencing.ErrStaleToken), errors.As(err, &stale) && stale.Fence == 42)
	fmt.Println(err)

	rec, _ := guard.Read(ctx, "counter")
	fmt.Printf("%q version %d fence %d\n", rec.Value, rec.Version, rec.Fence)
	// Output:
	// token 42 wrote version 1
	// true true
	// fencing: stale token 41 for "counter": token 42 was already accepted
	// "x" version 1 fence 42
}
