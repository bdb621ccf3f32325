package sqlguard_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/fencing/sqlguard"
)

// wantStale fails the test unless err is a *fencing.StaleTokenError for resource, token and
// fence whose message names all three.
func wantStale(t *testing.T, err error, resource string, token, fence fencing.Token) {
	t.Helper()
	var se *fencing.StaleTokenError
	if !errors.Is(err, fencing.ErrStaleToken) || !errors.As(err, &se) {
		t.Fatalf("err = %v, want a *fencing.StaleTokenError", err)
	}
	if se.Resource != resource || se.Token != token || se.Fence != fence {
		t.Fatalf("StaleTokenError = %+v, want {%q %d %d}", *se, resource, token, fence)
	}
	for _, s := range []string{fmt.Sprintf("%q", resource), token.String(), fence.String()} {
		if !strings.Contains(err.Error(), s) {
			t.Fatalf("error %q does not name %s", err, s)
		}
	}
}

// wantFence fails the test unless resource's fence is want.
func wantFence(t *testing.T, g *sqlguard.Guard, resource string, want fencing.Token) {
	t.Helper()
	if got, err := g.Fence(context.Background(), resource); err != nil || got != want {
		t.Fatalf("Fence(%q) = %d, %v; want %d", resource, got, err, want)
	}
}

// mustWrite writes through g and fails the test on error.
func mustWrite(t *testing.T, g *sqlguard.Guard, resource string, token fencing.Token, write func(context.Context, *sql.Tx) error) {
	t.Helper()
	if err := g.Write(context.Background(), resource, token, write); err != nil {
		t.Fatalf("Write(%q, %d): %v", resource, token, err)
	}
}

func testWriteRefusesOlderTokens(t *testing.T, e *env) {
	g := e.guard(t)
	e.createTables(t)
	mustWrite(t, g, "acct", 5, e.put("acct", 5, "a"))
	mustWrite(t, g, "acct", 5, e.put("acct", 5, "b")) // an equal token is the same holder again
	mustWrite(t, g, "acct", 9, e.put("acct", 9, "c"))
	mustWrite(t, g, "other", 1, e.put("other", 1, "z")) // resources are fenced separately
	called := false
	err := g.Write(context.Background(), "acct", 7, func(context.Context, *sql.Tx) error {
		called = true
		return nil
	})
	wantStale(t, err, "acct", 7, 9)
	if called {
		t.Fatal("the write of a stale token was called")
	}
	e.wantValue(t, "acct", "c")
	wantFence(t, g, "acct", 9)
	wantFence(t, g, "other", 1)
	wantFence(t, g, "never", 0)
}

// testWriteErrorRollsBackFenceAndData: a failed write leaves neither its data nor its fence
// behind, so a token between the old fence and the failed one is still accepted.
func testWriteErrorRollsBackFenceAndData(t *testing.T, e *env) {
	g := e.guard(t)
	e.createTables(t)
	mustWrite(t, g, "acct", 3, e.put("acct", 3, "a"))
	boom := errors.New("boom")
	err := g.Write(context.Background(), "acct", 8, func(ctx context.Context, tx *sql.Tx) error {
		if err := e.put("acct", 8, "half")(ctx, tx); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("Write whose write fails = %v, want the write's error as is", err)
	}
	e.wantValue(t, "acct", "a")
	wantFence(t, g, "acct", 3)
	if rows := e.applied(t, "acct"); len(rows) != 1 {
		t.Fatalf("applied = %v, want only the first write", rows)
	}
	mustWrite(t, g, "acct", 5, e.put("acct", 5, "b"))
	e.wantValue(t, "acct", "b")
}

func testNilWriteMarksTheFence(t *testing.T, e *env) {
	g := e.guard(t)
	mustWrite(t, g, "acct", 4, nil)
	wantFence(t, g, "acct", 4)
	wantStale(t, g.Write(context.Background(), "acct", 3, nil), "acct", 3, 4)
}

// testTokenBounds checks the extreme tokens round-trip exactly, and that invalid ones and an
// empty resource never reach the database.
func testTokenBounds(t *testing.T, e *env) {
	g := e.guard(t)
	ctx := context.Background()
	mustWrite(t, g, "r", fencing.MaxToken, nil)
	wantStale(t, g.Write(ctx, "r", fencing.MaxToken-1, nil), "r", fencing.MaxToken-1, fencing.MaxToken)
	wantFence(t, g, "r", fencing.MaxToken)
	for _, tok := range []fencing.Token{0, fencing.MaxToken + 1} {
		if err := g.Write(ctx, "r", tok, nil); !errors.Is(err, sqlguard.ErrInvalidToken) {
			t.Errorf("Write with token %d = %v, want ErrInvalidToken", tok, err)
		}
	}
	if err := g.Write(ctx, "", 1, nil); !errors.Is(err, sqlguard.ErrInvalidResource) {
		t.Errorf("Write with an empty resource = %v, want ErrInvalidResource", err)
	}
}

func TestNewValidatesOptions(t *testing.T) {
	db := sqliteEnv(t).db
	for _, c := range []struct {
		db     sqlguard.DB
		opts   sqlguard.Options
		fields []string
	}{
		{db, sqlguard.Options{}, []string{"Dialect"}},
		{db, sqlguard.Options{Dialect: 7, Table: "fences; DROP TABLE x"}, []string{"Dialect", "Table"}},
		{db, sqlguard.Options{Dialect: sqlguard.SQLite, Table: "1fences"}, []string{"Table"}},
		{db, sqlguard.Options{Dialect: sqlguard.Postgres, Table: strings.Repeat("t", 64)}, []string{"Table"}},
		{nil, sqlguard.Options{Dialect: sqlguard.Postgres}, []string{"nil db"}},
	} {
		_, err := sqlguard.New(c.db, c.opts)
		if !errors.Is(err, sqlguard.ErrInvalidOptions) {
			t.Errorf("New(%+v) = %v, want ErrInvalidOptions", c.opts, err)
			continue
		}
		for _, f := range c.fields {
			if !strings.Contains(err.Error(), f) {
				t.Errorf("New(%+v) = %q, which does not name %s", c.opts, err, f)
			}
		}
	}
}

func TestCustomTable(t *testing.T) {
	e := sqliteEnv(t)
	g, err := sqlguard.New(e.db, sqlguard.Options{Dialect: sqlguard.SQLite, Table: "my_fences"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := g.Write(ctx, "r", 1, nil); err == nil {
		t.Fatal("Write before EnsureSchema succeeded")
	}
	for range 2 { // EnsureSchema is idempotent
		if err := g.EnsureSchema(ctx); err != nil {
			t.Fatal(err)
		}
	}
	mustWrite(t, g, "r", 6, nil)
	var fence int64
	if err := e.db.QueryRow("SELECT fence FROM my_fences WHERE resource = 'r'").Scan(&fence); err != nil || fence != 6 {
		t.Fatalf("my_fences row = %d, %v; want 6", fence, err)
	}
}

func TestCancelledContext(t *testing.T) {
	e := sqliteEnv(t)
	g := e.guard(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.Write(ctx, "r", 1, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Write on a cancelled context = %v, want context.Canceled", err)
	}
	wantFence(t, g, "r", 0)
}

func TestDialectString(t *testing.T) {
	for d, want := range map[sqlguard.Dialect]string{sqlguard.Postgres: "Postgres", sqlguard.SQLite: "SQLite", 9: "Dialect(9)"} {
		if d.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(d), d.String(), want)
		}
	}
}
