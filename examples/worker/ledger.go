//go:build unix

package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"

	"github.com/quorumlock/quorumlock/fencing"
	"github.com/quorumlock/quorumlock/fencing/sqlguard"
	_ "modernc.org/sqlite" // the "sqlite" driver, pure Go
)

// openLedger opens the SQLite database at path for several processes at once: WAL, so that
// readers do not block the writer, and a busy timeout, so that writers wait for each other
// instead of failing with SQLITE_BUSY.
func openLedger(path string) (*sql.DB, error) {
	u := url.URL{Scheme: "file", Path: path,
		RawQuery: "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"}
	return sql.Open("sqlite", u.String())
}

// createLedger creates the database with the ledger table and the guard's fence table.
func createLedger(ctx context.Context, path string) error {
	db, err := openLedger(path)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, `CREATE TABLE ledger (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		replica INTEGER NOT NULL,
		token INTEGER NOT NULL,
		batch INTEGER NOT NULL,
		written_at TEXT NOT NULL)`)
	if err != nil {
		return fmt.Errorf("create ledger: %w", err)
	}
	guard, err := sqlguard.New(db, sqlguard.Options{Dialect: sqlguard.SQLite})
	if err != nil {
		return err
	}
	return guard.EnsureSchema(ctx)
}

// row is one accepted write.
type row struct {
	replica, batch int
	token          fencing.Token
}

// ledger is what the database holds at the end.
type ledger struct {
	rows  []row         // in commit order
	fence fencing.Token // the guard's fence
}

// readLedger reads the ledger in commit order and the fence.
func readLedger(ctx context.Context, path string) (ledger, error) {
	var l ledger
	db, err := openLedger(path)
	if err != nil {
		return l, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "SELECT replica, token, batch FROM ledger ORDER BY id")
	if err != nil {
		return l, err
	}
	defer rows.Close()
	for rows.Next() {
		var r row
		var token int64
		if err := rows.Scan(&r.replica, &token, &r.batch); err != nil {
			return l, err
		}
		r.token = fencing.Token(token)
		l.rows = append(l.rows, r)
	}
	if err := rows.Err(); err != nil {
		return l, err
	}
	guard, err := sqlguard.New(db, sqlguard.Options{Dialect: sqlguard.SQLite})
	if err != nil {
		return l, err
	}
	l.fence, err = guard.Fence(ctx, resource)
	return l, err
}

// stretch is a run of consecutive ledger rows with one token.
type stretch struct {
	token   fencing.Token
	replica int
	writes  int
}

// runs groups the rows by consecutive token.
func (l ledger) stretches() []stretch {
	var rs []stretch
	for _, r := range l.rows {
		if n := len(rs); n > 0 && rs[n-1].token == r.token && rs[n-1].replica == r.replica {
			rs[n-1].writes++
			continue
		}
		rs = append(rs, stretch{token: r.token, replica: r.replica, writes: 1})
	}
	return rs
}

// checkOrder returns an error unless the tokens never decrease in commit order, each token was
// written by one replica only, and the fence is the last token.
func (l ledger) checkOrder() error {
	owner := make(map[fencing.Token]int)
	for i, r := range l.rows {
		if i > 0 && r.token < l.rows[i-1].token {
			return fmt.Errorf("row %d: token %d after token %d", i+1, r.token, l.rows[i-1].token)
		}
		if o, ok := owner[r.token]; ok && o != r.replica {
			return fmt.Errorf("row %d: token %d written by replicas %d and %d", i+1, r.token, o, r.replica)
		}
		owner[r.token] = r.replica
	}
	if n := len(l.rows); n > 0 && l.fence != l.rows[n-1].token {
		return fmt.Errorf("fence %d, but the last row has token %d", l.fence, l.rows[n-1].token)
	}
	return nil
}

// contains reports whether the ledger holds a row of replica's batch written with token.
func (l ledger) contains(replica, batch int, token fencing.Token) bool {
	for _, r := range l.rows {
		if r.replica == replica && r.batch == batch && r.token == token {
			return true
		}
	}
	return false
}
