package redisguard_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/fencing/redisguard"
)

// applied is one write the guard accepted: the version it got, its token and its value.
type applied struct {
	version uint64
	token   fencing.Token
	value   string
}

// checkApplied checks a history of accepted writes, sorted by version (the order in which the
// server applied them): versions are 1, 2, ... with no gap (every applied write is in the
// history, and no refused write took a version) and tokens never decrease.
func checkApplied(h []applied) error {
	for i, w := range h {
		if w.version != uint64(i+1) {
			return fmt.Errorf("write %d has version %d, want %d", i, w.version, i+1)
		}
		if i > 0 && w.token < h[i-1].token {
			return fmt.Errorf("version %d applied token %d after token %d", w.version, w.token, h[i-1].token)
		}
	}
	return nil
}

// TestCheckAppliedCatchesBadHistories shows that checkApplied catches the bugs it is for.
func TestCheckAppliedCatchesBadHistories(t *testing.T) {
	good := []applied{{1, 3, "a"}, {2, 3, "b"}, {3, 8, "c"}}
	if err := checkApplied(good); err != nil {
		t.Fatalf("good history refused: %v", err)
	}
	for name, h := range map[string][]applied{
		"token goes back":   {{1, 3, "a"}, {2, 8, "b"}, {3, 5, "c"}},
		"refused but wrote": {{1, 3, "a"}, {3, 8, "c"}},
		"version reused":    {{1, 3, "a"}, {1, 8, "b"}},
	} {
		if checkApplied(h) == nil {
			t.Errorf("%s: history %v accepted", name, h)
		}
	}
}

// shuffledTokens returns 1..n, shuffled within consecutive blocks of block tokens: a sequence
// that mostly climbs, so that concurrent writers keep meeting near the fence, with older and
// equal tokens mixed in.
func shuffledTokens(rng *rand.Rand, n, block int) []fencing.Token {
	toks := make([]fencing.Token, n)
	for i := range toks {
		toks[i] = fencing.Token(i + 1)
	}
	for lo := 0; lo < n; lo += block {
		b := toks[lo:min(lo+block, n)]
		rng.Shuffle(len(b), func(i, j int) { b[i], b[j] = b[j], b[i] })
	}
	return toks
}

// testStaleTokenRace runs writers concurrently, each writing every token of 1..tokens once in
// its own shuffled order (shuffledTokens), over several keys. The accepted writes, ordered by the version each
// got, must never go backwards in token; every refused write must be stale and leave nothing
// behind; every writer's write with the highest token (equal tokens) must be accepted; and the
// final fence must be the highest token.
func testStaleTokenRace(t *testing.T, g *redisguard.Guard, _ redis.UniversalClient) {
	const writers, tokens, block, rounds = 8, 60, 6, 5
	for round := range rounds {
		key := fmt.Sprintf("race-%d", round)
		var (
			mu      sync.Mutex
			history []applied
			refused int
			errs    []error
			wg      sync.WaitGroup
			start   = make(chan struct{}) // closed when every writer is ready
		)
		for w := range writers {
			order := shuffledTokens(rand.New(rand.NewPCG(uint64(round), uint64(w))), tokens, block)
			wg.Go(func() {
				<-start
				for i, tok := range order {
					value := fmt.Sprintf("w%d-i%d-t%d", w, i, tok)
					v, err := g.Write(context.Background(), key, tok, value)
					var se *fencing.StaleTokenError
					mu.Lock()
					switch {
					case err == nil:
						history = append(history, applied{v, tok, value})
					case errors.As(err, &se) && se.Token == tok && se.Fence > tok && se.Resource == key:
						refused++
					default:
						errs = append(errs, err)
					}
					mu.Unlock()
				}
			})
		}
		close(start)
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("round %d: unexpected errors: %v", round, err)
		}
		checkRace(t, g, key, history, refused, writers, tokens)
	}
}

// checkRace checks the outcome of one round of testStaleTokenRace.
func checkRace(t *testing.T, g *redisguard.Guard, key string, h []applied, refused, writers, tokens int) {
	t.Helper()
	slices.SortFunc(h, func(a, b applied) int { return int(a.version) - int(b.version) })
	if err := checkApplied(h); err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	if len(h)+refused != writers*tokens {
		t.Fatalf("%s: %d accepted + %d refused, want %d writes", key, len(h), refused, writers*tokens)
	}
	top := 0
	for _, w := range h {
		if w.token == fencing.Token(tokens) {
			top++
		}
	}
	if top != writers {
		t.Fatalf("%s: %d writes with the highest token %d accepted, want all %d (equal tokens are admitted)",
			key, top, tokens, writers)
	}
	last := h[len(h)-1]
	wantRecord(t, g, key, redisguard.Record{Value: last.value, Version: last.version, Fence: fencing.Token(tokens)})
	t.Logf("%s: %d accepted, %d refused", key, len(h), refused)
}
