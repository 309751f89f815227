package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestOrdersAcrossInstances starts three servers, each with its own
// connection pool, on one PostgreSQL and one Redis, and releases 300
// one-unit orders at once for a product with 50 in stock.
func TestOrdersAcrossInstances(t *testing.T) {
	t.Parallel()
	const instances, orders, stock = 3, 300, 50
	env := PostgresRedisEnv(t)
	var ins []*instance
	for i := 0; i < instances; i++ {
		ins = append(ins, MustStart(t, env))
	}
	id := ins[0].MustCreateProduct(t, 19.99, stock)
	// Warm every instance's view of the product through the shared cache.
	for _, in := range ins {
		if got := in.MustStock(t, id); got != stock {
			t.Fatalf("stock before = %d", got)
		}
	}

	body, _ := json.Marshal(map[string]any{
		"query":     `mutation($id: String!) { createOrder(input: {customerId: "hammer", items: [{productId: $id, quantity: 1}]}) { orderId totalAmount } }`,
		"variables": map[string]any{"id": id},
	})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: orders}}
	start := make(chan struct{})
	codes := make(chan string, orders)
	var wg sync.WaitGroup
	for i := 0; i < orders; i++ {
		wg.Add(1)
		go func(in *instance) {
			defer wg.Done()
			<-start
			resp, err := client.Post(in.URL+"/graphql", "application/json", bytes.NewReader(body))
			if err != nil {
				codes <- "transport: " + err.Error()
				return
			}
			defer resp.Body.Close()
			var r gqlResponse
			if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
				codes <- "decode: " + err.Error()
				return
			}
			if len(r.Errors) == 0 {
				codes <- "ok"
			} else {
				codes <- r.Code()
			}
		}(ins[i%instances])
	}
	close(start)
	wg.Wait()
	close(codes)
	count := map[string]int{}
	for c := range codes {
		count[c]++
	}
	if count["ok"] != stock || count["INSUFFICIENT_STOCK"] != orders-stock || len(count) != 2 {
		t.Fatalf("outcomes %v; want %d ok and %d INSUFFICIENT_STOCK", count, stock, orders-stock)
	}

	// Straight after: every instance shows 0, and so does the database.
	for i, in := range ins {
		if got := in.MustStock(t, id); got != 0 {
			t.Fatalf("instance %d shows stock %d, want 0", i, got)
		}
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var dbStock, units, orderRows int
	var total int64
	if err := conn.QueryRow(ctx, `SELECT stock_count FROM products WHERE product_id = $1`, id).Scan(&dbStock); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `SELECT COALESCE(SUM(quantity),0), COUNT(DISTINCT order_id) FROM order_items WHERE product_id = $1`, id).Scan(&units, &orderRows); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `SELECT COALESCE(SUM(total_amount_cents),0) FROM orders`).Scan(&total); err != nil {
		t.Fatal(err)
	}
	if dbStock != 0 || units != stock || orderRows != stock || total != stock*1999 {
		t.Fatalf("database: stock %d, units sold %d in %d orders, total %d cents; want 0, %d, %d, %d",
			dbStock, units, orderRows, total, stock, stock, stock*1999)
	}
}

// TestReadAfterWriteAcrossInstances: a write on one instance is visible on
// another's very next read, though both cache the catalog in Redis.
func TestReadAfterWriteAcrossInstances(t *testing.T) {
	t.Parallel()
	env := PostgresRedisEnv(t)
	a, b := MustStart(t, env), MustStart(t, env)
	id := a.MustCreateProduct(t, 3, 10)
	listQ := `{ getProducts { productId price stockCount } }`
	var list struct{ GetProducts []struct{ StockCount int } }
	b.MustData(t, listQ, nil, &list) // warm b's list and product entries
	if b.MustStock(t, id) != 10 || len(list.GetProducts) != 1 {
		t.Fatal("warm-up read wrong")
	}
	a.MustData(t, `mutation($id: String!) { updateProduct(input: {productId: $id, stockCount: 4}) { stockCount } }`, map[string]any{"id": id}, &struct{}{})
	if got := b.MustStock(t, id); got != 4 {
		t.Fatalf("instance b shows stock %d after a's update, want 4", got)
	}
	b.MustData(t, listQ, nil, &list)
	if list.GetProducts[0].StockCount != 4 {
		t.Fatalf("instance b lists stock %d after a's update, want 4", list.GetProducts[0].StockCount)
	}
	a.MustData(t, `mutation($id: String!) { createOrder(input: {customerId: "c", items: [{productId: $id, quantity: 3}]}) { orderId } }`, map[string]any{"id": id}, &struct{}{})
	if got := b.MustStock(t, id); got != 1 {
		t.Fatalf("instance b shows stock %d after a's order, want 1", got)
	}
	a.MustData(t, `mutation($id: String!) { deleteProduct(productId: $id) }`, map[string]any{"id": id}, &struct{}{})
	var one struct{ GetProductsById *struct{ ProductID string } }
	b.MustData(t, `query($id: String!) { getProductsById(id: $id) { productId } }`, map[string]any{"id": id}, &one)
	if one.GetProductsById != nil {
		t.Fatal("instance b still shows the deleted product")
	}
}
