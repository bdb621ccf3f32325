package sqlguard_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/fencing/sqlguard"
)

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

// checkOrder checks a log of applied writes, in the order the database applied them: tokens
// never decrease.
func checkOrder(rows []appliedRow) error {
	for i := 1; i < len(rows); i++ {
		if rows[i].token < rows[i-1].token {
			return fmt.Errorf("write %d (%s) applied token %d after token %d", i, rows[i].value, rows[i].token, rows[i-1].token)
		}
	}
	return nil
}

// TestCheckOrderCatchesBadHistories shows that checkOrder catches the bug it is for.
func TestCheckOrderCatchesBadHistories(t *testing.T) {
	if err := checkOrder([]appliedRow{{3, "a"}, {3, "b"}, {8, "c"}}); err != nil {
		t.Fatalf("good history refused: %v", err)
	}
	if checkOrder([]appliedRow{{3, "a"}, {8, "b"}, {5, "c"}}) == nil {
		t.Fatal("history whose token goes back accepted")
	}
}

var errInjected = errors.New("injected write failure")

// outcomes records what happened to the writes of one round of testStaleTokenRace.
type outcomes struct {
	mu        sync.Mutex
	committed map[string]fencing.Token // value -> token of every Write that returned nil
	failed    map[string]bool          // values whose write returned errInjected
	refused   int
	topFailed int // writes with the highest token that failed (injected)
	errs      []error
}

// record classifies the result err of writing value with tok.
func (o *outcomes) record(value string, tok, top fencing.Token, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var se *fencing.StaleTokenError
	switch {
	case err == nil:
		o.committed[value] = tok
	case errors.Is(err, errInjected):
		o.failed[value] = true
		if tok == top {
			o.topFailed++
		}
	case errors.As(err, &se) && se.Token == tok && se.Fence > tok:
		o.refused++
	default:
		o.errs = append(o.errs, fmt.Errorf("%s: %w", value, err))
	}
}

// writer is what the race drives: a *sqlguard.Guard, or the broken checkThenWrite.
type writer interface {
	Write(ctx context.Context, resource string, token fencing.Token, write func(context.Context, *sql.Tx) error) error
}

// Sizes of one round of the race.
const writers, tokens, block = 8, 30, 5

// race runs one round on resource res: writers concurrently write every token of 1..tokens once
// each, in their own shuffled order; every seventh write of most writers fails after writing.
func race(e *env, w writer, res string, round int) *outcomes {
	o := &outcomes{committed: map[string]fencing.Token{}, failed: map[string]bool{}}
	var wg sync.WaitGroup
	start := make(chan struct{}) // closed when every writer is ready
	for wr := range writers {
		order := shuffledTokens(rand.New(rand.NewPCG(uint64(round), uint64(wr))), tokens, block)
		wg.Go(func() {
			<-start
			for i, tok := range order {
				value := fmt.Sprintf("w%d-i%d-t%d", wr, i, tok)
				fail := wr != 0 && (wr+i)%7 == 0
				err := w.Write(context.Background(), res, tok, func(ctx context.Context, tx *sql.Tx) error {
					if err := e.put(res, int64(tok), value)(ctx, tx); err != nil || !fail {
						return err
					}
					return errInjected
				})
				o.record(value, tok, tokens, err)
			}
		})
	}
	close(start)
	wg.Wait()
	return o
}

// testStaleTokenRace runs several rounds of race through the guard. The log of applied writes,
// in the order the database applied them, must never go backwards in token; it must hold
// exactly the writes that returned nil (no half-writes from refused or failed ones); every
// write with the highest token (equal tokens) must be accepted; and the final fence and value
// must be the highest token's.
func testStaleTokenRace(t *testing.T, e *env) {
	g := e.guard(t)
	e.createTables(t)
	for round := range 3 {
		res := fmt.Sprintf("race-%d", round)
		o := race(e, g, res, round)
		if err := errors.Join(o.errs...); err != nil {
			t.Fatalf("%s: unexpected errors: %v", res, err)
		}
		checkRace(t, e, res, o)
	}
}

// checkThenWrite is the bug the guard exists to prevent: it reads the fence, compares, and then
// writes, in one transaction but not in one statement (PostgreSQL dialect).
type checkThenWrite struct{ db *sql.DB }

func (c checkThenWrite) Write(ctx context.Context, res string, tok fencing.Token, write func(context.Context, *sql.Tx) error) error {
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	var fence int64
	err = tx.QueryRowContext(ctx, "SELECT fence FROM quorumlock_fences WHERE resource = $1", res).Scan(&fence)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if fence > int64(tok) {
		return &fencing.StaleTokenError{Resource: res, Token: tok, Fence: fencing.Token(fence)}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO quorumlock_fences (resource, fence) VALUES ($1, $2)
		ON CONFLICT (resource) DO UPDATE SET fence = excluded.fence`, res, int64(tok)); err != nil {
		return err
	}
	if err := write(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

// testRaceCatchesCheckThenWrite shows that the race and its checker catch a guard whose check
// and write are separate statements: under READ COMMITTED, writes then land out of order.
func testRaceCatchesCheckThenWrite(t *testing.T, e *env) {
	if e.dialect != sqlguard.Postgres {
		t.Skip("SQLite serializes whole transactions; the mutant there fails with SQLITE_BUSY instead")
	}
	e.guard(t) // creates the fence table
	e.createTables(t)
	for round := range 20 {
		res := fmt.Sprintf("mutant-%d", round)
		race(e, checkThenWrite{e.db}, res, round)
		if err := checkOrder(e.applied(t, res)); err != nil {
			t.Logf("caught in round %d: %v", round, err)
			return
		}
	}
	t.Fatal("20 rounds of the race did not catch a check-then-write guard")
}

// checkRace checks the outcome of one round of testStaleTokenRace.
func checkRace(t *testing.T, e *env, res string, o *outcomes) {
	t.Helper()
	rows := e.applied(t, res)
	if err := checkOrder(rows); err != nil {
		t.Fatalf("%s: %v", res, err)
	}
	if n := len(o.committed) + len(o.failed) + o.refused; n != writers*tokens {
		t.Fatalf("%s: %d outcomes, want %d", res, n, writers*tokens)
	}
	if len(rows) != len(o.committed) {
		t.Fatalf("%s: %d rows applied, but %d writes committed", res, len(rows), len(o.committed))
	}
	top := 0
	for _, r := range rows {
		if tok, ok := o.committed[r.value]; !ok || int64(tok) != r.token {
			t.Fatalf("%s: applied row %v is not a committed write (half-write of a refused or failed one)", res, r)
		}
		if r.token == int64(tokens) {
			top++
		}
	}
	if top+o.topFailed != writers {
		t.Fatalf("%s: %d writes with the highest token %d applied and %d failed, want all %d accepted (equal tokens are admitted)",
			res, top, tokens, o.topFailed, writers)
	}
	last := rows[len(rows)-1]
	e.wantValue(t, res, last.value)
	wantFence(t, e.guard(t), res, fencing.Token(tokens))
	t.Logf("%s: %d applied, %d refused, %d failed and rolled back", res, len(rows), o.refused, len(o.failed))
}
