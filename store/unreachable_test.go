package store

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"shop/errcode"
	"shop/internal/pgcluster"
	"shop/internal/testenv"
	"shop/models"
)

// A database that stops answering is SERVICE_UNAVAILABLE, retry later,
// whether the connection broke in the middle of a transaction or none
// could be made; the message names no address. Once the database is back,
// the same store works again without being reopened.
func TestUnreachableDatabaseIsUnavailable(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cluster := pgcluster.MustStart(t)
	s, err := Open(ctx, Options{DatabaseURL: cluster.URL(), MaxOpenConns: 4, MaxIdleConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	p, err := s.CreateProduct(ctx, models.NewProduct{Price: 100, StockCount: 5})
	if err != nil {
		t.Fatal(err)
	}

	unavailable := func(what string, err error) {
		t.Helper()
		var me *models.Error
		if !errors.As(err, &me) || me.Code != errcode.ServiceUnavailable {
			t.Fatalf("%s: %v; want %s", what, err, errcode.ServiceUnavailable)
		}
		if strings.Contains(me.Message, "127.0.0.1") || strings.Contains(me.Message, "SQLSTATE") {
			t.Fatalf("%s: the message %q tells the client about the server", what, me.Message)
		}
	}
	// A transaction open when the server stops loses its connection.
	tx := s.db.WithContext(ctx).Begin()
	if err := tx.Exec(`SELECT 1`).Error; err != nil {
		t.Fatal(err)
	}
	if err := cluster.Stop(); err != nil {
		t.Fatal(err)
	}
	unavailable("a statement on a connection the server closed", mapError(tx.Exec(`SELECT 1`).Error, "select"))
	tx.Rollback()
	// Without a server, no connection can be made.
	_, err = s.ProductByID(ctx, p.ID)
	unavailable("a read while the database is down", err)
	_, err = s.ListOrders(ctx, models.Page{Limit: 10}, models.OrderFilter{})
	unavailable("a list of orders while the database is down", err)
	_, err = s.OrdersPage(ctx, models.Connection{First: 10}, models.OrderFilter{})
	unavailable("a page of orders while the database is down", err)
	_, err = s.ListProducts(ctx, models.Page{Limit: 10}, models.ProductFilter{})
	unavailable("a list of products while the database is down", err)
	_, err = s.ProductsPage(ctx, models.Connection{First: 10}, models.ProductFilter{Words: []string{"mug"}, Sort: models.SortRelevance})
	unavailable("a search while the database is down", err)
	_, err = s.ProductsByIDs(ctx, []string{p.ID})
	unavailable("products by id while the database is down", err)
	_, err = s.CreateOrder(ctx, models.OrderRequest{CustomerID: "c", Lines: []models.OrderLine{{ProductID: p.ID, Quantity: 1}}})
	unavailable("an order while the database is down", err)

	if err := cluster.Start(); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, func() bool { return s.Ping(ctx) == nil })
	o, err := s.CreateOrder(ctx, models.OrderRequest{CustomerID: "c", Lines: []models.OrderLine{{ProductID: p.ID, Quantity: 1}}})
	if err != nil {
		t.Fatalf("an order once the database is back: %v", err)
	}
	if got, err := s.ProductByID(ctx, p.ID); err != nil || got.StockCount != 4 || len(o.Items) != 1 {
		t.Fatalf("after the order: %+v, %v", got, err)
	}
}

// A database that takes the connection and never answers (a host cut off,
// not refusing) is SERVICE_UNAVAILABLE too once connect_timeout passes:
// the driver's error wraps a deadline, which must not read as the
// request's own timeout.
func TestSilentDatabaseIsUnavailable(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered, until the test ends
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = pgx.Connect(ctx, "postgres://postgres@"+ln.Addr().String()+"/shop?sslmode=disable&connect_timeout=1")
	if err == nil {
		t.Fatal("connected to a database that never answers")
	}
	if got := mapError(err, "connect"); models.ErrorCode(got) != errcode.ServiceUnavailable {
		t.Fatalf("%v -> %v; want %s", err, got, errcode.ServiceUnavailable)
	}
}
