package sqlguard_test

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quorumlock/quorumlock/fencing/sqlguard"
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

// read returns a write function that reads the set into *dst, in the guard's transaction.
func (e *env) read(resource string, dst *string) func(context.Context, *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) (err error) {
		*dst, err = e.value(ctx, tx, resource)
		return err
	}
}

// testLostUpdateWithReadOutsideGuard shows the bug the other tests are about: the new holder
// reads outside the guard, the stale holder's write lands in between, and the new holder's
// fenced write, with every token in order, overwrites it from its stale read.
func testLostUpdateWithReadOutsideGuard(t *testing.T, e *env) {
	g := e.guard(t)
	e.createTables(t)
	mustWrite(t, g, "set", 1, e.put("set", 1, "a"))
	newRead, err := e.value(context.Background(), e.db, "set")
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, g, "set", 1, e.put("set", 1, with("a", "x")))
	mustWrite(t, g, "set", 2, e.put("set", 2, with(newRead, "b")))
	e.wantValue(t, "set", "a,b") // x is lost, and nobody was told
}

// testMarkBeforeWriteRefusesStaleHolder: the stale holder reads; the new holder reads in a Write
// with its token (marking the fence) and writes later; the stale holder's write, in between,
// is refused, so nothing is lost silently.
func testMarkBeforeWriteRefusesStaleHolder(t *testing.T, e *env) {
	g := e.guard(t)
	e.createTables(t)
	mustWrite(t, g, "set", 1, e.put("set", 1, "a"))
	var staleRead, newRead string
	mustWrite(t, g, "set", 1, e.read("set", &staleRead))
	mustWrite(t, g, "set", 2, e.read("set", &newRead))
	err := g.Write(context.Background(), "set", 1, e.put("set", 1, with(staleRead, "x")))
	wantStale(t, err, "set", 1, 2)
	mustWrite(t, g, "set", 2, e.put("set", 2, with(newRead, "b")))
	e.wantValue(t, "set", "a,b")
	if rows := e.applied(t, "set"); len(rows) != 2 || rows[1].value != "a,b" {
		t.Fatalf("applied = %v, want the first write and the new holder's", rows)
	}
}

// testStaleWriterWaitsForHolderThenIsRefused: while the new holder's read-modify-write runs in
// one Write, a stale holder's Write must wait for it (on PostgreSQL: blocked on the fence row's
// lock, observed in pg_stat_activity) and then be refused.
func testStaleWriterWaitsForHolderThenIsRefused(t *testing.T, e *env) {
	g := e.guard(t)
	e.createTables(t)
	mustWrite(t, g, "set", 1, e.put("set", 1, "a"))
	inside, release := make(chan struct{}), make(chan struct{})
	holder := make(chan error, 1)
	go func() {
		holder <- g.Write(context.Background(), "set", 2, func(ctx context.Context, tx *sql.Tx) error {
			cur, err := e.value(ctx, tx, "set")
			if err != nil {
				return err
			}
			close(inside)
			<-release
			return e.put("set", 2, with(cur, "b"))(ctx, tx)
		})
	}()
	<-inside
	stale := make(chan error, 1)
	go func() { stale <- g.Write(context.Background(), "set", 1, e.put("set", 1, "a,x")) }()
	if e.dialect == sqlguard.Postgres {
		waitForLockWaiter(t, e.db)
	}
	close(release)
	if err := <-holder; err != nil {
		t.Fatalf("holder's Write: %v", err)
	}
	wantStale(t, <-stale, "set", 1, 2)
	e.wantValue(t, "set", "a,b")
}

// waitForLockWaiter waits until one session of the database waits for a lock.
func waitForLockWaiter(t *testing.T, db *sql.DB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		err := db.QueryRow(`SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no session waits for the fence row's lock after 10 s (%d waiting)", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
