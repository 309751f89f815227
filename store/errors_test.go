package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"shop/errcode"
	"shop/internal/testenv"
	"shop/models"
)

// Both databases' ways of saying "already exists", "breaks a rule" and
// "busy" reach clients as the same codes, with no constraint name in them.
func TestDriverErrorsMapToTheSameCodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	open := func(t *testing.T, o Options) *Store {
		s, err := Open(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	type busyFn func(t *testing.T, s *Store, o Options) error
	cases := []struct {
		name string
		opts func(t *testing.T) Options
		busy busyFn
	}{
		{"PostgreSQL", func(t *testing.T) Options {
			return Options{DatabaseURL: testenv.MustPostgres(t), MaxOpenConns: 4, MaxIdleConns: 2}
		}, func(t *testing.T, s *Store, _ Options) error {
			// One transaction holds the row; another refuses to wait for it.
			tx := s.db.WithContext(ctx).Begin()
			defer tx.Rollback()
			if err := tx.Exec(`SELECT 1 FROM products WHERE product_id = 'p1' FOR UPDATE`).Error; err != nil {
				t.Fatal(err)
			}
			return s.db.WithContext(ctx).Exec(`SELECT 1 FROM products WHERE product_id = 'p1' FOR UPDATE NOWAIT`).Error
		}},
		{"SQLite", func(t *testing.T) Options {
			return Options{SQLitePath: filepath.Join(t.TempDir(), "shop.db"), MaxOpenConns: 4, MaxIdleConns: 2}
		}, func(t *testing.T, s *Store, o Options) error {
			// The store holds the write lock; a second connection that
			// won't wait for it is told the database is busy.
			tx := s.db.WithContext(ctx).Begin()
			defer tx.Rollback()
			if err := tx.Exec(`UPDATE products SET stock_count = stock_count WHERE product_id = 'p1'`).Error; err != nil {
				t.Fatal(err)
			}
			other, err := gorm.Open(sqlite.Open("file:"+o.SQLitePath+"?_pragma=busy_timeout(0)&_txlock=immediate"), &gorm.Config{Logger: logger.Discard})
			if err != nil {
				t.Fatal(err)
			}
			if db, err := other.DB(); err == nil {
				defer db.Close()
			}
			return other.WithContext(ctx).Exec(`UPDATE products SET stock_count = 1 WHERE product_id = 'p1'`).Error
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := tc.opts(t)
			s := open(t, o)
			now := time.Now().UTC()
			insert := func() error {
				return s.db.WithContext(ctx).Exec(`INSERT INTO products (product_id, price_cents, stock_count, created_at, last_updated) VALUES ('p1', 100, 1, ?, ?)`, now, now).Error
			}
			if err := insert(); err != nil {
				t.Fatal(err)
			}
			checks := []struct {
				name string
				err  error
				want models.Code
			}{
				{"unique", insert(), errcode.Conflict},
				{"check", s.db.WithContext(ctx).Exec(`UPDATE products SET stock_count = -1 WHERE product_id = 'p1'`).Error, errcode.Conflict},
				{"busy", tc.busy(t, s, o), errcode.ServiceUnavailable},
			}
			for _, c := range checks {
				if c.err == nil {
					t.Errorf("%s: the database accepted it", c.name)
					continue
				}
				mapped := mapError(c.err, "test")
				if got := models.ErrorCode(mapped); got != c.want {
					t.Errorf("%s: %v became %s (%v), want %s", c.name, c.err, got, mapped, c.want)
				}
				if msg := mapped.Error(); strings.Contains(msg, "chk_") || strings.Contains(msg, "products") || strings.Contains(msg, "pkey") {
					t.Errorf("%s: message names the schema: %q", c.name, msg)
				}
			}
		})
	}
}

// A server out of connection slots (as when several instances' pools
// together pass max_connections) or memory is a moment's trouble: clients
// are told to retry, not that something broke.
func TestServerOutOfResourcesIsUnavailable(t *testing.T) {
	t.Parallel()
	for _, code := range []string{"53300", "53200", "57P03", "08006"} {
		err := mapError(fmt.Errorf("query: %w", &pgconn.PgError{Code: code, Message: "sorry, too many clients already"}), "list orders")
		if models.ErrorCode(err) != errcode.ServiceUnavailable {
			t.Errorf("SQLSTATE %s: %v, want SERVICE_UNAVAILABLE", code, err)
		}
	}
	if err := mapError(&pgconn.PgError{Code: "42P01"}, "list orders"); models.ErrorCode(err) != errcode.InternalServerError {
		t.Errorf("an undefined table: %v, want internal", err)
	}
}
