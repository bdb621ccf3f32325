package sqlguard_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"sync/atomic"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"go.uber.org/goleak"
	_ "modernc.org/sqlite" // database/sql driver "sqlite"

	"github.com/quorumlock/quorumlock/fencing/sqlguard"
	"github.com/quorumlock/quorumlock/internal/pgproc"
)

// TestMain fails the package's tests if any goroutine outlives them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// env is one empty database for one test, with helpers that hide the dialects' differences.
type env struct {
	db      *sql.DB
	dialect sqlguard.Dialect
}

// A suite test runs against each database.
type suiteTest struct {
	name string
	run  func(t *testing.T, e *env)
}

var suite = []suiteTest{
	{"WriteRefusesOlderTokens", testWriteRefusesOlderTokens},
	{"WriteErrorRollsBackFenceAndData", testWriteErrorRollsBackFenceAndData},
	{"NilWriteMarksTheFence", testNilWriteMarksTheFence},
	{"TokenBounds", testTokenBounds},
	{"StaleTokenRace", testStaleTokenRace},
	{"RaceCatchesCheckThenWrite", testRaceCatchesCheckThenWrite},
	{"LostUpdateWithReadOutsideGuard", testLostUpdateWithReadOutsideGuard},
	{"MarkBeforeWriteRefusesStaleHolder", testMarkBeforeWriteRefusesStaleHolder},
	{"StaleWriterWaitsForHolderThenIsRefused", testStaleWriterWaitsForHolderThenIsRefused},
}

// TestSQLite runs the suite on SQLite database files (modernc.org/sqlite, pure Go).
func TestSQLite(t *testing.T) {
	for _, st := range suite {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			st.run(t, sqliteEnv(t))
		})
	}
}

// TestPostgres runs the suite on a real PostgreSQL server, one database per test. It skips when
// PostgreSQL is not installed, unless QUORUMLOCK_REQUIRE_POSTGRES=1.
func TestPostgres(t *testing.T) {
	srv := pgproc.Start(t, pgproc.Config{})
	admin := open(t, "pgx", srv.URL())
	var n atomic.Int64
	for _, st := range suite {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			name := fmt.Sprintf("guard_%d", n.Add(1))
			if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
				t.Fatal(err)
			}
			st.run(t, &env{db: open(t, "pgx", srv.DatabaseURL(name)), dialect: sqlguard.Postgres})
		})
	}
}

// sqliteEnv returns an env on a new SQLite file in t.TempDir(). Concurrent writers wait for the
// database lock (busy_timeout) instead of failing.
func sqliteEnv(t *testing.T) *env {
	t.Helper()
	path := filepath.Join(t.TempDir(), "guard.db")
	dsn := "file:" + path + "?_pragma=busy_timeout(20000)&_pragma=journal_mode(WAL)"
	return &env{db: open(t, "sqlite", dsn), dialect: sqlguard.SQLite}
}

func open(t *testing.T, driver, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

var placeholder = regexp.MustCompile(`\$[0-9]+`)

// q returns query, written with $1 placeholders, in e's dialect.
func (e *env) q(query string) string {
	if e.dialect == sqlguard.SQLite {
		return placeholder.ReplaceAllString(query, "?")
	}
	return query
}

// guard returns a Guard on e with the default table, created.
func (e *env) guard(t *testing.T) *sqlguard.Guard {
	t.Helper()
	g, err := sqlguard.New(e.db, sqlguard.Options{Dialect: e.dialect})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.EnsureSchema(context.Background()); err != nil {
		t.Fatal(err)
	}
	return g
}

// createTables creates the tables the tests write through the guard: data holds one value per
// resource; applied logs every write in the order the database applied it.
func (e *env) createTables(t *testing.T) {
	t.Helper()
	id := "id BIGSERIAL PRIMARY KEY"
	if e.dialect == sqlguard.SQLite {
		id = "id INTEGER PRIMARY KEY AUTOINCREMENT"
	}
	for _, stmt := range []string{
		"CREATE TABLE data (resource TEXT PRIMARY KEY, value TEXT NOT NULL, token BIGINT NOT NULL)",
		"CREATE TABLE applied (" + id + ", resource TEXT NOT NULL, token BIGINT NOT NULL, value TEXT NOT NULL)",
	} {
		if _, err := e.db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
}

// put is a write function: it logs the write in applied and sets resource's value in data.
func (e *env) put(resource string, token int64, value string) func(context.Context, *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, e.q("INSERT INTO applied (resource, token, value) VALUES ($1, $2, $3)"),
			resource, token, value); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, e.q(`INSERT INTO data (resource, value, token) VALUES ($1, $2, $3)
			ON CONFLICT (resource) DO UPDATE SET value = excluded.value, token = excluded.token`),
			resource, value, token)
		return err
	}
}

// queryer is a *sql.DB or a *sql.Tx.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// value returns resource's value in data ("" if none), read through q.
func (e *env) value(ctx context.Context, q queryer, resource string) (string, error) {
	var v string
	err := q.QueryRowContext(ctx, e.q("SELECT value FROM data WHERE resource = $1"), resource).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// wantValue fails the test unless resource's committed value is want.
func (e *env) wantValue(t *testing.T, resource, want string) {
	t.Helper()
	if got, err := e.value(context.Background(), e.db, resource); err != nil || got != want {
		t.Fatalf("value of %q = %q, %v; want %q", resource, got, err, want)
	}
}

// appliedRow is one row of the applied table.
type appliedRow struct {
	token int64
	value string
}

// applied returns resource's rows of the applied table in the order they were applied.
func (e *env) applied(t *testing.T, resource string) []appliedRow {
	t.Helper()
	rows, err := e.db.Query(e.q("SELECT token, value FROM applied WHERE resource = $1 ORDER BY id"), resource)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []appliedRow
	for rows.Next() {
		var r appliedRow
		if err := rows.Scan(&r.token, &r.value); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
