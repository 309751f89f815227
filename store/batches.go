package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"shop/internal/faulthook"
	"shop/models"
)

// inBatches runs a write sent as pgx batches (createOrderPG,
// completeCartPG) on one of the pool's connections. fn sends its first
// batch (BEGIN and the reads under the locks), judges what it read, and,
// to write, calls commit with the rows it lays out and send, which sends
// them and COMMIT: commit records the rows' events in them, and the sink
// hears of the events around the COMMIT, as (*Store).write does for
// every other write. An error fn returns rolls the transaction back. The
// connection goes back to the pool before the sink's round trip.
func (s *Store) inBatches(ctx context.Context, doing string, fn func(c *pgx.Conn, commit func(w *rows, send func() error) error) error) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("%s: %w", doing, err)
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", doing, err)
	}
	defer conn.Close()
	var (
		evs       []models.Event
		done      func(context.Context, error)
		commitErr error
	)
	err = conn.Raw(func(dc any) error {
		c := dc.(*stdlib.Conn).Conn()
		commit := func(w *rows, send func() error) error {
			evs = w.pending
			w.events(s.dialect, newWriteID(), evs)
			done = s.sink.Writing(evs)
			commitErr = send()
			return commitErr
		}
		if err := fn(c, commit); err != nil {
			rollback(ctx, c)
			return err
		}
		return nil
	})
	conn.Close()
	if done != nil {
		faulthook.AfterCommit(evs)
		done(ctx, commitErr)
	}
	return err
}
