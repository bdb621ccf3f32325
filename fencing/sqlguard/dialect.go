package sqlguard

import "fmt"

// Dialect selects the SQL spelling of one kind of database.
type Dialect int

// The supported dialects. Both run the same statements (an upsert with ON CONFLICT ... DO
// UPDATE ... WHERE, which both report as 1 row affected when it inserts or updates and 0 when
// the WHERE is false); they differ in placeholders.
const (
	// Postgres is PostgreSQL, with $1 placeholders (drivers such as pgx's stdlib).
	Postgres Dialect = iota + 1
	// SQLite is SQLite 3.24 or later, with ? placeholders (drivers such as modernc.org/sqlite).
	SQLite
)

// String returns the dialect's name.
func (d Dialect) String() string {
	switch d {
	case Postgres:
		return "Postgres"
	case SQLite:
		return "SQLite"
	}
	return fmt.Sprintf("Dialect(%d)", int(d))
}

// queries are the statements of a Guard, for one dialect and fence table.
type queries struct {
	schema  string // creates the fence table if missing
	advance string // args: resource, token; 1 row affected if the fence was advanced (or equal)
	fence   string // args: resource; selects the stored fence
}

// newQueries returns the statements for dialect d and a fence table named table, which must
// be a plain identifier (New checks it).
func newQueries(d Dialect, table string) queries {
	p1, p2 := "$1", "$2"
	if d == SQLite {
		p1, p2 = "?", "?"
	}
	return queries{
		schema: "CREATE TABLE IF NOT EXISTS " + table +
			" (resource TEXT PRIMARY KEY, fence BIGINT NOT NULL)",
		// One statement: insert the first fence, or raise an existing one if the token is not
		// older. When the WHERE is false, no row is affected (PostgreSQL still locks the row, so
		// the fence read next is the one that refused us).
		advance: "INSERT INTO " + table + " (resource, fence) VALUES (" + p1 + ", " + p2 + ")" +
			" ON CONFLICT (resource) DO UPDATE SET fence = excluded.fence" +
			" WHERE " + table + ".fence <= excluded.fence",
		fence: "SELECT fence FROM " + table + " WHERE resource = " + p1,
	}
}
