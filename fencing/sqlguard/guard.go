package sqlguard

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"

	"github.com/quorumlock/quorumlock/fencing"
)

// DefaultTable is the name of the fence table when Options.Table is empty.
const DefaultTable = "quorumlock_fences"

// DB is what a Guard needs of a database handle. *sql.DB satisfies it, and so does *sql.Conn,
// which runs one transaction at a time.
type DB interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

var (
	_ DB = (*sql.DB)(nil)
	_ DB = (*sql.Conn)(nil)
)

// Options configures a Guard.
type Options struct {
	// Dialect is the kind of database: Postgres or SQLite. Required; zero is an error.
	Dialect Dialect
	// Table is the name of the fence table: an unquoted SQL identifier (letters, digits and
	// underscores, not starting with a digit, at most 63 bytes). Default DefaultTable
	// ("quorumlock_fences").
	Table string
	// TxOptions are passed to BeginTx by Write. Default nil: the driver's default isolation
	// (READ COMMITTED on PostgreSQL). Under stricter levels the database may abort a Write
	// with a serialization failure, which the caller must retry.
	TxOptions *sql.TxOptions
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// validate returns o with its defaults, or an error naming the fields that are wrong.
func (o Options) validate() (Options, error) {
	if o.Table == "" {
		o.Table = DefaultTable
	}
	var errs []error
	if o.Dialect != Postgres && o.Dialect != SQLite {
		errs = append(errs, fmt.Errorf("option Dialect: %v is not Postgres or SQLite", o.Dialect))
	}
	if !identifier.MatchString(o.Table) {
		errs = append(errs, fmt.Errorf("option Table: %q is not a plain SQL identifier", o.Table))
	}
	if len(errs) > 0 {
		return o, fmt.Errorf("%w: %w", ErrInvalidOptions, errors.Join(errs...))
	}
	return o, nil
}

// Guard fences writes to a SQL database: each Write advances the resource's fence in a fence
// table and runs the caller's write in the same transaction, so that the check and the write
// commit together or not at all. A Guard is safe for concurrent use (as far as its DB is).
type Guard struct {
	db   DB
	opts Options
	q    queries
}

// New returns a Guard over db. It returns an error wrapping ErrInvalidOptions for a nil db, a
// missing or unknown Dialect, or a Table that is not a plain identifier. Call EnsureSchema
// before the first Write, unless the fence table is created by migrations.
func New(db DB, opts Options) (*Guard, error) {
	opts, err := opts.validate()
	if db == nil {
		err = errors.Join(err, fmt.Errorf("%w: nil db", ErrInvalidOptions))
	}
	if err != nil {
		return nil, err
	}
	return &Guard{db: db, opts: opts, q: newQueries(opts.Dialect, opts.Table)}, nil
}

// EnsureSchema creates the fence table if it does not exist:
//
//	CREATE TABLE IF NOT EXISTS quorumlock_fences (resource TEXT PRIMARY KEY, fence BIGINT NOT NULL)
//
// Run it once at start-up; on PostgreSQL, concurrent runs of CREATE TABLE IF NOT EXISTS can
// fail with a unique violation.
func (g *Guard) EnsureSchema(ctx context.Context) error {
	if _, err := g.db.ExecContext(ctx, g.q.schema); err != nil {
		return opError(ctx, "create fence table", g.opts.Table, err)
	}
	return nil
}

// Write runs write in a transaction that first advances resource's fence to token, and
// commits both together. The fence advances in one conditional statement (an upsert whose
// update applies only if the stored fence is not above token), which also locks the fence row
// until the transaction ends, so concurrent Writes of one resource run one after the other.
//
// For a token older than the fence, Write returns a *fencing.StaleTokenError naming the
// resource, the token and the fence stored now; write is not called and nothing is written.
// A token equal to the fence is accepted. If write returns an error, the transaction is rolled
// back, fence included, and that error is returned as is. write must do all its work through
// tx, and must not commit or roll it back; it may be nil, to only advance the fence ("mark
// before write").
func (g *Guard) Write(ctx context.Context, resource string, token fencing.Token, write func(ctx context.Context, tx *sql.Tx) error) error {
	if err := check(resource, token); err != nil {
		return err
	}
	tx, err := g.db.BeginTx(ctx, g.opts.TxOptions)
	if err != nil {
		return opError(ctx, "begin write of", resource, err)
	}
	defer func() { _ = tx.Rollback() }() // a no-op once committed
	if err := g.advance(ctx, tx, resource, token); err != nil {
		return err
	}
	if write != nil {
		if err := write(ctx, tx); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return opError(ctx, "commit write of", resource, err)
	}
	return nil
}

// advance raises resource's fence to token in tx, or returns a *fencing.StaleTokenError.
func (g *Guard) advance(ctx context.Context, tx *sql.Tx, resource string, token fencing.Token) error {
	res, err := tx.ExecContext(ctx, g.q.advance, resource, int64(token))
	if err != nil {
		return opError(ctx, "advance fence of", resource, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return opError(ctx, "advance fence of", resource, err)
	}
	switch n {
	case 1:
		return nil
	case 0:
		var fence int64
		if err := tx.QueryRowContext(ctx, g.q.fence, resource).Scan(&fence); err != nil {
			return opError(ctx, "read fence of", resource, err)
		}
		return &fencing.StaleTokenError{Resource: resource, Token: token, Fence: fencing.Token(fence)}
	}
	return opError(ctx, "advance fence of", resource,
		fmt.Errorf("%d rows affected, want 0 or 1 (is the dialect %v right?)", n, g.opts.Dialect))
}

// Fence returns the highest token accepted for resource, or 0 if none. It reads outside any
// transaction: by the time it returns, a newer token may have been accepted.
func (g *Guard) Fence(ctx context.Context, resource string) (fencing.Token, error) {
	var fence int64
	err := g.db.QueryRowContext(ctx, g.q.fence, resource).Scan(&fence)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, nil
	case err != nil:
		return 0, opError(ctx, "read fence of", resource, err)
	}
	return fencing.Token(fence), nil
}
