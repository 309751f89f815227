package store

import (
	"context"
	"errors"
	"fmt"

	sqlite "github.com/glebarez/go-sqlite"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"shop/models"
)

// The kinds of driver failure the shop tells its clients about. PostgreSQL
// and SQLite report each in their own words; both map to the same code.
const (
	failUnique = iota + 1
	failCheck
	failBusy
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
		return &models.Error{Code: models.CodeNotFound, Message: "Not found."}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w", doing, err)
	}
	switch classify(err) {
	case failUnique:
		return &models.Error{Code: models.CodeConflict, Message: "That record already exists."}
	case failCheck:
		return &models.Error{Code: models.CodeConflict, Message: "The change would break a rule of the shop (for instance, stock below zero)."}
	case failBusy:
		return &models.Error{Code: models.CodeUnavailable, Message: "The database is busy with other changes; retry in a moment."}
	}
	return fmt.Errorf("%s: %w", doing, err)
}

func classify(err error) int {
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
