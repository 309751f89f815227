package store_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"shop/internal/storetest"
	"shop/internal/testenv"
	"shop/models"
	"shop/store"
)

// A database restored with pg_dump into another PostgreSQL server keeps
// the events' and the positions' transaction ids of the server it came
// from, while the new server's ids may start far below them. Once the
// store has opened on it, consumers are still given the events written
// after the restore (and not again the ones they had taken before it).
func TestOutboxAfterRestoreIntoAnotherServer(t *testing.T) {
	t.Parallel()
	url := testenv.MustPostgres(t)
	ctx := context.Background()
	s := storetest.MustOpen(t, store.Options{DatabaseURL: url, MaxOpenConns: 5, MaxIdleConns: 5})
	count := func(context.Context, []models.Event) error { return nil }
	if _, err := deliverOne(ctx, s, "restored", 100, count, nil); err != nil {
		t.Fatal(err)
	}
	p := mustNew(t, s, models.ProductDetails{})
	if n, err := deliverFinal(ctx, s, "restored", 100, count, nil); err != nil || n != 2 {
		t.Fatalf("before the restore: %d %v", n, err)
	}
	// The old server was a trillion transactions ahead of this one.
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"events", "event_consumers"} {
		if _, err := conn.Exec(ctx, "UPDATE "+table+" SET tx = tx + 1000000000000"); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close(ctx)
	restored := storetest.MustOpen(t, store.Options{DatabaseURL: url, MaxOpenConns: 5, MaxIdleConns: 5})
	if _, err := restored.AdjustStock(ctx, models.Adjustment{ProductID: p.ID, Delta: 1, Reason: "after the restore", Actor: "a"}); err != nil {
		t.Fatal(err)
	}
	var got []models.Event
	n, err := deliverFinal(ctx, restored, "restored", 100, func(_ context.Context, evs []models.Event) error {
		got = append(got, evs...)
		return nil
	}, nil)
	if err != nil || n != 1 || got[0].Type != models.EventStockChanged {
		t.Fatalf("after the restore: %d %v %v", n, typesOf(got), err)
	}
}
