// Package store keeps the shop's data in PostgreSQL or, by default, in an
// embedded SQLite file, through GORM. It is the source of truth for stock.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"shop/models"
)

// Options says which database to open and how to pool connections.
type Options struct {
	// DatabaseURL is a postgres:// URL; empty opens SQLitePath.
	DatabaseURL     string
	SQLitePath      string
	MaxOpenConns    int
	MaxIdleConns    int
	ConnMaxLifetime time.Duration
	Logger          *slog.Logger
	// Sink hears of every write's events on this instance (the cache's
	// invalidation); nil: nothing does but the outbox.
	Sink Sink
}

// Store is the shop's data on a GORM database; it implements the ports
// the services declare.
type Store struct {
	db         *gorm.DB
	dialect    dialect
	logger     *slog.Logger
	sink       Sink
	statements atomic.Uint64
	roundTrips atomic.Uint64
	background atomic.Uint64
	// fewMatchLimit is maxFewMatches, which tests may change.
	fewMatchLimit int
}

// Open connects, checks the connection and migrates the schema.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	gcfg := &gorm.Config{
		// Timestamps are UTC at the precision PostgreSQL keeps, so a value
		// returned by a write equals the value a later read returns.
		NowFunc:                func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		TranslateError:         false,
	}
	var (
		dial gorm.Dialector
		d    dialect = sqliteDialect{}
	)
	if o.DatabaseURL != "" {
		dial, d = postgres.Open(o.DatabaseURL), postgresDialect{}
	} else {
		// The file holds password hashes and customers' orders: only the
		// service's own user may read it. SQLite gives its -wal and -shm
		// files the database file's mode, so creating it here covers all.
		if dir := filepath.Dir(o.SQLitePath); dir != "" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("create sqlite directory: %w", err)
			}
		}
		f, err := os.OpenFile(o.SQLitePath, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("create sqlite file: %w", err)
		}
		_ = f.Close()
		// WAL lets readers run beside the writer; busy_timeout makes a
		// writer wait for the lock instead of failing; _txlock=immediate
		// takes the write lock at BEGIN, so two order transactions never
		// both read and then deadlock upgrading their locks.
		dsn := "file:" + o.SQLitePath + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
		dial = sqlite.Open(dsn)
	}
	db, err := gorm.Open(dial, gcfg)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", d.name(), err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", d.name(), err)
	}
	sqlDB.SetMaxOpenConns(o.MaxOpenConns)
	sqlDB.SetMaxIdleConns(o.MaxIdleConns)
	sqlDB.SetConnMaxLifetime(o.ConnMaxLifetime)
	s := &Store{db: db, dialect: d, logger: o.Logger, sink: o.Sink, fewMatchLimit: maxFewMatches}
	if s.sink == nil {
		s.sink = noSink{}
	}
	if err := s.countStatements(); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	if err := s.Ping(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("connect to %s: %w", d.name(), err)
	}
	if err := s.migrate(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	return s, nil
}

// migrationLock is the PostgreSQL advisory lock key under which instances
// migrate: concurrent CREATE TABLEs of the same table fail, so instances
// that start together take turns, and the later ones find nothing to do.
const migrationLock = 7_130_411_002 // arbitrary, fixed for shop

func (s *Store) migrate(ctx context.Context) error {
	tables := []any{&models.Product{}, &models.Order{}, &models.OrderItem{}, &models.User{}, &models.RefreshToken{},
		&models.OrderEvent{}, &models.StockMovement{}, &models.IdempotencyKey{}, &models.Payment{}, &models.ProcessedEvent{}, &models.Category{},
		&models.Event{}, &models.EventConsumer{}, &models.ProductVariant{}}
	// Issue 20's shipping, taxes and discount codes (store/pricing.go),
	// and carts (store/carts.go).
	tables = append(tables, pricingTables()...)
	tables = append(tables, cartTables()...)
	tables = append(tables, webhookTables()...)
	// Issue 21's emails and account tokens (store/mail.go).
	tables = append(tables, mailTables()...)
	if !s.dialect.serverSide() {
		// SQLite's file lock already serialises schema changes.
		split := needsMessages(s.db.WithContext(ctx))
		if err := s.db.WithContext(ctx).AutoMigrate(tables...); err != nil {
			return fmt.Errorf("migrate %s: %w", s.dialect.name(), err)
		}
		if err := migrateSearch(s.db.WithContext(ctx), s.dialect); err != nil {
			return fmt.Errorf("migrate %s search: %w", s.dialect.name(), err)
		}
		if err := splitEventNotes(s.db.WithContext(ctx), split); err != nil {
			return err
		}
		if err := backfill(s.db.WithContext(ctx)); err != nil {
			return err
		}
		if err := migrateVariants(s.db.WithContext(ctx), s.logger); err != nil {
			return err
		}
		return migrateVariantSearch(s.db.WithContext(ctx), s.dialect)
	}
	// The lock belongs to a session, so everything runs on one connection.
	err := s.db.WithContext(ctx).Connection(func(conn *gorm.DB) error {
		if err := conn.Exec("SELECT pg_advisory_lock(?)", migrationLock).Error; err != nil {
			return fmt.Errorf("take the migration lock: %w", err)
		}
		defer conn.Exec("SELECT pg_advisory_unlock(?)", migrationLock)
		split := needsMessages(conn)
		if err := conn.AutoMigrate(tables...); err != nil {
			return err
		}
		if err := splitEventNotes(conn, split); err != nil {
			return err
		}
		if err := migrateSearch(conn, s.dialect); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
		if err := leaveRoomForStock(conn, s.logger); err != nil {
			return err
		}
		if err := rebaseRestoredEvents(conn, s.logger); err != nil {
			return err
		}
		if err := backfill(conn); err != nil {
			return err
		}
		if err := migrateVariants(conn, s.logger); err != nil {
			return err
		}
		return migrateVariantSearch(conn, s.dialect)
	})
	if err != nil {
		return fmt.Errorf("migrate %s: %w", s.dialect.name(), err)
	}
	return nil
}

// needsMessages reports whether order_events is from before events had a
// message beside their note, so its notes are to be split once
// (splitEventNotes).
func needsMessages(db *gorm.DB) bool {
	m := db.Migrator()
	return m.HasTable(&models.OrderEvent{}) && !m.HasColumn(&models.OrderEvent{}, "message")
}

// splitEventNotes, run once when order_events gains its message column,
// gives customers back what they always read and may still: the notes the
// service wrote (payments, expiry) and the ones the order's customer wrote
// (a cancellation's reason) become messages. What admins wrote stays an
// internal note, which customers read no more.
func splitEventNotes(db *gorm.DB, split bool) error {
	if !split {
		return nil
	}
	err := db.Exec(`UPDATE order_events SET message = note, note = '' WHERE note <> '' AND (actor = ?
		OR actor = (SELECT o.customer_id FROM orders o WHERE o.order_id = order_events.order_id))`, models.ActorSystem).Error
	if err != nil {
		return fmt.Errorf("split order events' notes into messages: %w", err)
	}
	return nil
}

// productsFillFactor leaves a fifth of each products page free. Every order
// rewrites its products' stock; with room on the page PostgreSQL updates
// the row in place (a HOT update) instead of adding an entry to each of the
// seven indexes, the search GIN included. Measured on 100k products: 4,000
// stock updates wrote 36 MB of WAL at the default of 100 and 0.4 MB at 85.
const productsFillFactor = 80

// leaveRoomForStock sets the products table's fill factor once, unless one
// is set already (an operator's choice stands). It applies to pages written
// from then on; an older, full table gains the room as its rows are
// rewritten (or at once with VACUUM FULL, which docs/operations.md notes). The
// ALTER waits for no more than 5 s (behind an autovacuum, say): it is an
// optimisation, so the start goes on without it, and the next one tries
// again.
func leaveRoomForStock(db *gorm.DB, logger *slog.Logger) error {
	// Variants too: an order rewrites its variants' stock, and a variant
	// has up to six indexes (a GIN among them) that a non-HOT update adds
	// an entry to each.
	for _, table := range []string{"products", "product_variants"} {
		var opts string
		if err := db.Raw("SELECT coalesce(array_to_string(reloptions, ','), '') FROM pg_class WHERE oid = ?::regclass", table).Scan(&opts).Error; err != nil {
			return fmt.Errorf("read the %s table's options: %w", table, err)
		}
		if strings.Contains(","+opts, ",fillfactor=") {
			continue
		}
		err := db.Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec("SET LOCAL lock_timeout = '5s'").Error; err != nil {
				return err
			}
			return tx.Exec(fmt.Sprintf("ALTER TABLE %s SET (fillfactor = %d)", table, productsFillFactor)).Error
		})
		if err != nil {
			logger.Warn(table+" keep their fill factor for now", "err", err)
		}
	}
	return nil
}

// rebaseRestoredEvents makes the outbox work on a database restored from
// another server (pg_dump into a new cluster): the restored events and
// consumers' positions keep that server's transaction ids, which may be far
// above this server's, so every event written here would sort before the
// positions and never be delivered. Transaction ids this server has not
// given yet can only have come that way; they become 0, which puts the
// restored events, in id order, before every event of this server, and
// keeps each position at its event id (around the moment of the dump,
// where ids and transactions disagree, an event may come again or be passed
// over). Elsewhere nothing matches.
func rebaseRestoredEvents(db *gorm.DB, logger *slog.Logger) error {
	var moved int64
	err := db.Transaction(func(tx *gorm.DB) error {
		for _, table := range []string{"events", "event_consumers"} {
			res := tx.Exec("UPDATE " + table + " SET tx = 0 WHERE tx >= pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
			if res.Error != nil {
				return fmt.Errorf("rebase restored %s: %w", table, res.Error)
			}
			moved += res.RowsAffected
		}
		return nil
	})
	if err == nil && moved > 0 {
		logger.Warn("outbox: rows with transaction ids from another server (a restore?) put before this server's events", "rows", moved)
	}
	return err
}

// backfill gives data from before the ledger and the order events what
// they would have had: each product's stock as an initial movement, each
// order its creation event. Products and orders that have any already are
// left alone, so it runs once in effect, on every start.
func backfill(db *gorm.DB) error {
	now := db.NowFunc()
	// SKUs are unique whatever their case; GORM's tags can't say lower().
	// Several products without one (NULL) don't collide.
	if err := db.Exec("CREATE UNIQUE INDEX IF NOT EXISTS idx_products_sku_lower ON products (lower(sku))").Error; err != nil {
		return fmt.Errorf("index product SKUs: %w", err)
	}
	// A new order counts its customer's unpaid ones (models.CheckPending):
	// an index of those alone keeps that count to the few the caps allow,
	// however long the customer's history.
	if err := db.Exec("CREATE INDEX IF NOT EXISTS idx_orders_pending_customer ON orders (customer_id) WHERE status = 'pending'").Error; err != nil {
		return fmt.Errorf("index pending orders: %w", err)
	}
	// Products from before names get the name a new unnamed one gets
	// (models.GeneratedName).
	if err := db.Exec("UPDATE products SET name = 'Product ' || substr(product_id, 1, 8) WHERE name = ''").Error; err != nil {
		return fmt.Errorf("backfill product names: %w", err)
	}
	if err := db.Exec(`INSERT INTO stock_movements (product_id, delta, kind, reason, actor, at, stock_after)
		SELECT p.product_id, p.stock_count, ?, 'stock held before the ledger began', ?, ?, p.stock_count FROM products p
		WHERE p.stock_count <> 0 AND NOT EXISTS (SELECT 1 FROM stock_movements m WHERE m.product_id = p.product_id)`,
		models.MovementInitial, models.ActorSystem, now).Error; err != nil {
		return fmt.Errorf("backfill the stock ledger: %w", err)
	}
	if err := db.Exec(`INSERT INTO order_events (order_id, status, note, actor, at)
		SELECT o.order_id, ?, '', o.customer_id, o.created_at FROM orders o
		WHERE NOT EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.order_id)`,
		models.OrderStatusPending).Error; err != nil {
		return fmt.Errorf("backfill order events: %w", err)
	}
	return nil
}

// migrateVariants gives every product from before variants its default
// variant, with the product's price, stock and SKU and the product's own
// id (so the lines and ledger rows of those days name it without a
// lookup), and moves the ledger and order lines onto it. Each statement
// does only what is left to do, so it runs, in effect, once; instances
// starting together take turns under the migration lock (PostgreSQL) or
// the file's (SQLite).
func migrateVariants(db *gorm.DB, logger *slog.Logger) error {
	// A variant's SKU is unique among variants whatever its case, as a
	// product's was.
	if err := db.Exec("CREATE UNIQUE INDEX IF NOT EXISTS idx_product_variants_sku_lower ON product_variants (lower(sku))").Error; err != nil {
		return fmt.Errorf("index variant SKUs: %w", err)
	}
	start := time.Now()
	var made, ledger, lines int64
	err := db.Transaction(func(tx *gorm.DB) error {
		res := tx.Exec(`INSERT INTO product_variants (variant_id, product_id, position, sku, title, price_cents, stock_count, options, option_key, created_at, last_updated)
			SELECT p.product_id, p.product_id, 0, p.sku, ?, p.price_cents, p.stock_count, '[]', '', p.created_at, p.last_updated FROM products p
			WHERE NOT EXISTS (SELECT 1 FROM product_variants v WHERE v.product_id = p.product_id)`, models.DefaultVariantTitle)
		if res.Error != nil {
			return fmt.Errorf("give products their default variant: %w", res.Error)
		}
		made = res.RowsAffected
		res = tx.Exec("UPDATE stock_movements SET variant_id = product_id WHERE variant_id = ''")
		if res.Error != nil {
			return fmt.Errorf("move the ledger onto variants: %w", res.Error)
		}
		ledger = res.RowsAffected
		res = tx.Exec("UPDATE order_items SET variant_id = product_id, title = ? WHERE variant_id = ''", models.DefaultVariantTitle)
		if res.Error != nil {
			return fmt.Errorf("name the variants of order lines: %w", res.Error)
		}
		lines = res.RowsAffected
		return nil
	})
	if err == nil && made+ledger+lines > 0 {
		logger.Info("variants: products given their default variant", "variants", made, "ledgerRows", ledger, "orderLines", lines,
			"took", time.Since(start).Round(time.Millisecond).String())
	}
	return err
}

// countStatements counts every SQL statement GORM sends, for tests that
// check a request's cost and for metrics; the outbox's polling and
// deliveries, which run whatever the requests do, are counted apart
// (BackgroundStatements), so that a request's statements can be told.
func (s *Store) countStatements() error {
	count := func(db *gorm.DB) {
		if db.Statement.Context != nil && db.Statement.Context.Value(backgroundKey{}) != nil {
			s.background.Add(1)
			return
		}
		s.statements.Add(1)
		s.roundTrips.Add(1)
	}
	cb := s.db.Callback()
	for _, err := range []error{
		cb.Query().After("gorm:query").Register("shop:count_query", count),
		cb.Create().After("gorm:create").Register("shop:count_create", count),
		cb.Update().After("gorm:update").Register("shop:count_update", count),
		cb.Delete().After("gorm:delete").Register("shop:count_delete", count),
		cb.Raw().After("gorm:raw").Register("shop:count_raw", count),
		cb.Row().After("gorm:row").Register("shop:count_row", count),
	} {
		if err != nil {
			return fmt.Errorf("register statement counter: %w", err)
		}
	}
	return nil
}

// Statements is the number of SQL statements sent so far, the outbox's
// bookkeeping aside.
func (s *Store) Statements() uint64 { return s.statements.Load() }

// RoundTrips is the number of round trips those statements took: one a
// statement through GORM (the BEGIN and COMMIT of its transactions aside),
// one a pgx batch however many statements it holds (createOrderPG,
// completeCartPG).
func (s *Store) RoundTrips() uint64 { return s.roundTrips.Load() }

// BackgroundStatements is the number the outbox's polling and deliveries
// sent.
func (s *Store) BackgroundStatements() uint64 { return s.background.Load() }

// backgroundKey marks a context whose statements are the outbox's.
type backgroundKey struct{}

// Kind names the database: "PostgreSQL" or "SQLite".
func (s *Store) Kind() string { return s.dialect.name() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// DB is the connection pool, for its statistics.
func (s *Store) DB() (*sql.DB, error) { return s.db.DB() }

// Close closes the connection pool.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}
