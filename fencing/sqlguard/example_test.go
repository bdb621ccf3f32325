package sqlguard_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/fencing/sqlguard"
)

// A job that holds a lock writes its result through the guard; a holder whose grant was
// superseded is refused, and its write never runs.
func Example() {
	dir, err := os.MkdirTemp("", "sqlguard-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "app.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE TABLE report (id INTEGER PRIMARY KEY, body TEXT)"); err != nil {
		panic(err)
	}
	guard, err := sqlguard.New(db, sqlguard.Options{Dialect: sqlguard.SQLite})
	if err != nil {
		panic(err)
	}
	if err := guard.EnsureSchema(ctx); err != nil {
		panic(err)
	}
	save := func(body string) func(context.Context, *sql.Tx) error {
		return func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT OR REPLACE INTO report (id, body) VALUES (1, ?)", body)
			return err
		}
	}

	fmt.Println(guard.Write(ctx, "nightly-report", 42, save("from the holder of token 42")))
	err = guard.Write(ctx, "nightly-report", 41, save("from a paused old holder"))
	fmt.Println(errors.Is(err, fencing.ErrStaleToken), err)

	var body string
	_ = db.QueryRowContext(ctx, "SELECT body FROM report WHERE id = 1").Scan(&body)
	fence, _ := guard.Fence(ctx, "nightly-report")
	fmt.Printf("%s; fence %d\n", body, fence)
	// Output:
	// <nil>
	// true fencing: stale token 41 for "nightly-report": token 42 was already accepted
	// from the holder of token 42; fence 42
}
