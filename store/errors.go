package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	sqlite "github.com/glebarez/go-sqlite"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"shop/errcode"
	"shop/models"
)

// The kinds of driver failure the shop tells its clients about. PostgreSQL
// and SQLite report each in their own words; both map to the same code.
const (
	failUnique = iota + 1
	failCheck
	failBusy
	failUnreachable
)

// SQLite's extended result codes (sqlite3.h); the driver exposes them as
// plain ints.
const (
	sqliteBusy             = 5
	sqliteLocked           = 6
	sqliteConstraintCheck  = 275
	sqliteConstraintPK     = 1555
	sqliteConstraintUnique = 2067
)

// mapError is the one place driver errors become the shop's codes. Errors
// it does not recognise stay internal, wrapped with what was being done.
// No constraint or table name reaches a client: they describe the schema,
// not the caller's mistake.
func mapError(err error, doing string) error {
	if err == nil {
		return nil
	}
	var me *models.Error
	switch {
	case errors.As(err, &me):
		return err
	case errors.Is(err, gorm.ErrRecordNotFound):
		return &models.Error{Code: errcode.NotFound, Message: "Not found."}
	case errors.As(err, new(*pgconn.ConnectError)) && !errors.As(err, new(*pgconn.PgError)):
		// No connection could be made: refused, cut, or not answered
		// within connect_timeout (which is why this comes before the
		// deadline's case: that error wraps a deadline too). A server
		// that answered with an error (no such database, a wrong
		// password) is classified by its code below: most are mistakes
		// of configuration, internal and logged, not a reason to retry.
		return unreachableError()
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w", doing, err)
	}
	switch classify(err) {
	case failUnique:
		return &models.Error{Code: errcode.Conflict, Message: "That record already exists."}
	case failCheck:
		return &models.Error{Code: errcode.Conflict, Message: "The change would break a rule of the shop (for instance, stock below zero)."}
	case failBusy:
		return &models.Error{Code: errcode.ServiceUnavailable, Message: "The database is busy with other changes; retry in a moment."}
	case failUnreachable:
		return unreachableError()
	}
	return fmt.Errorf("%s: %w", doing, err)
}

func classify(err error) int {
	if connectionBroke(err) {
		return failUnreachable
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505":
			return failUnique
		case "23514":
			return failCheck
		// serialization_failure, deadlock_detected, lock_not_available:
		// another transaction won; the same request can succeed again.
		case "40001", "40P01", "55P03":
			return failBusy
		}
		return 0
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() {
		case sqliteConstraintUnique, sqliteConstraintPK:
			return failUnique
		case sqliteConstraintCheck:
			return failCheck
		}
		// Primary codes are the low byte of extended ones (SQLITE_BUSY_SNAPSHOT…).
		switch liteErr.Code() & 0xff {
		case sqliteBusy, sqliteLocked:
			return failBusy
		}
	}
	return 0
}

// unreachableError is what clients see while the database is down or
// restarting: a reason to retry, not an internal error, and no address.
// (A write whose COMMIT was cut off may have been committed all the same;
// retrying it safely is what idempotency keys are for.)
func unreachableError() *models.Error {
	return &models.Error{Code: errcode.ServiceUnavailable, Message: "The database cannot be reached; retry in a moment."}
}

// connectionBroke tells a connection that the database closed or lost in
// the middle of its work (a restart, a crash, the network), from an error
// in the work itself.
func connectionBroke(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08 is connection_exception; 57P01-57P03 are the server
		// shutting down (admin_shutdown, crash_shutdown) or not yet
		// accepting connections (cannot_connect_now); 53300 and 53200 are
		// a server out of connection slots or memory, which a moment may
		// free.
		switch pgErr.Code {
		case "57P01", "57P02", "57P03", "53300", "53200":
			return true
		}
		return strings.HasPrefix(pgErr.Code, "08")
	}
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone)
}
