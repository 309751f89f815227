package store

import "gorm.io/gorm"

// dialect is what differs between PostgreSQL and SQLite in the statements
// the store writes by hand (GORM's own statements need nothing): the one
// seam between the two, so no code asks which database it is by name.
// Where the two take different paths rather than different words (the
// order's two pgx batches, the full-text index), the path asks serverSide:
// PostgreSQL is a server that many instances share, SQLite a file in
// this process.
type dialect interface {
	// name is how logs and errors call the database.
	name() string
	// serverSide reports a database server shared by instances, with row
	// locks, advisory locks and pgx batches.
	serverSide() bool
	// lockRows ends a SELECT that locks the rows it reads until the
	// transaction ends (SQLite's write transaction holds the whole file).
	lockRows(skipLocked bool) string
	// shareRows ends a SELECT that keeps the rows it reads from being
	// changed or deleted until the transaction ends.
	shareRows() string
	// lockKey holds a lock named by key until the transaction ends.
	lockKey(tx *gorm.DB, key int64) error
	// saleDay is created_at's day in UTC, as YYYY-MM-DD.
	saleDay() string
	// pad12 is the integer expression expr as 12 digits, zero-padded.
	pad12(expr string) string
	// txID is the SQL value of the running transaction's id, which orders
	// the outbox (models.Event.Tx).
	txID() string
	// horizon is a condition on events' tx true of every event whose
	// transaction is older than every one of this database still running:
	// those are final, as no event can commit before them any more.
	horizon() string
	// noFlushWait lets the transaction's commit return before its WAL is
	// flushed to disk (a statement either way, so both paths send the same).
	noFlushWait(tx *gorm.DB) error
}

type postgresDialect struct{}

func (postgresDialect) name() string     { return "PostgreSQL" }
func (postgresDialect) serverSide() bool { return true }
func (postgresDialect) lockRows(skipLocked bool) string {
	if skipLocked {
		return " FOR UPDATE SKIP LOCKED"
	}
	return " FOR UPDATE"
}
func (postgresDialect) shareRows() string { return " FOR SHARE" }
func (postgresDialect) lockKey(tx *gorm.DB, key int64) error {
	return tx.Exec("SELECT pg_advisory_xact_lock(?)", key).Error
}
func (postgresDialect) saleDay() string {
	return "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
}
func (postgresDialect) pad12(expr string) string { return "lpad((" + expr + ")::text, 12, '0')" }

// Transaction ids as 64-bit xid8 (PostgreSQL 13 and later), which never wrap.
func (postgresDialect) txID() string { return "pg_current_xact_id()::text::bigint" }

// The horizon is the oldest transaction still running in this database
// (or, with none, the next one to start): the snapshot's running ones,
// less those pg_stat_activity shows in other databases, which can't write
// this database's events. So a long transaction elsewhere on the server
// (another database's, a test's) holds nothing back; one in this database
// holds delivery back for as long as it runs, never reorders it. A
// running transaction pg_stat_activity does not show (another role's,
// without pg_read_all_stats) counts as this database's. The function under
// the view is read directly: the view's joins took 3.5 ms to plan, four
// times a poll.
func (postgresDialect) noFlushWait(tx *gorm.DB) error {
	return tx.Exec("SET LOCAL synchronous_commit TO off").Error
}

func (postgresDialect) horizon() string {
	return `tx < (SELECT least(pg_snapshot_xmax(s)::text::bigint, (SELECT min(x::text::bigint) FROM pg_snapshot_xip(s) x
		WHERE (x::text::bigint % 4294967296) NOT IN (SELECT a.backend_xid::text::bigint FROM pg_stat_get_activity(NULL) a
			WHERE a.datid IS DISTINCT FROM (SELECT oid FROM pg_database WHERE datname = current_database()) AND a.backend_xid IS NOT NULL)))
		FROM pg_current_snapshot() s)`
}

type sqliteDialect struct{}

func (sqliteDialect) name() string                  { return "SQLite" }
func (sqliteDialect) serverSide() bool              { return false }
func (sqliteDialect) lockRows(bool) string          { return "" }
func (sqliteDialect) shareRows() string             { return "" }
func (sqliteDialect) lockKey(*gorm.DB, int64) error { return nil }
func (sqliteDialect) saleDay() string               { return "strftime('%Y-%m-%d', created_at)" }
func (sqliteDialect) pad12(expr string) string      { return "printf('%012d', " + expr + ")" }

// SQLite commits one write at a time, in id order: every event is final.
func (sqliteDialect) txID() string    { return "0" }
func (sqliteDialect) horizon() string { return "1 = 1" }

// SQLite's WAL with synchronous(NORMAL) syncs at checkpoints, not commits.
func (sqliteDialect) noFlushWait(tx *gorm.DB) error { return tx.Exec("SELECT 1").Error }
