package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestDeletedProductKeepsOrderHistory: deleting a product that was ordered
// removes it from the catalog; the order keeps the item's productId and
// priceAtPurchase, and the item's product becomes null.
func TestDeletedProductKeepsOrderHistory(t *testing.T) {
	t.Parallel()
	in := MustStart(t, PostgresRedisEnv(t))
	id := in.MustCreateProduct(t, 12.34, 5)
	admin := in.MustAdmin(t)
	var created struct {
		CreateOrder struct {
			OrderID     string
			CreatedAt   string
			LastUpdated string
		}
	}
	admin.MustData(t, `mutation($id: String!) { createOrder(input: {customerId: "c", items: [{productId: $id, quantity: 2}]}) { orderId createdAt lastUpdated } }`,
		map[string]any{"id": id}, &created)
	for _, ts := range []string{created.CreateOrder.CreatedAt, created.CreateOrder.LastUpdated} {
		parsed, err := time.Parse(time.RFC3339, ts)
		if err != nil || !strings.HasSuffix(ts, "Z") || time.Since(parsed) > time.Minute || time.Since(parsed) < -time.Minute {
			t.Fatalf("timestamp %q is not a current RFC 3339 UTC time: %v", ts, err)
		}
	}
	var deleted struct{ DeleteProduct bool }
	admin.MustData(t, `mutation($id: String!) { deleteProduct(productId: $id) }`, map[string]any{"id": id}, &deleted)
	if !deleted.DeleteProduct {
		t.Fatal("deleteProduct = false")
	}
	var got struct {
		GetOrderById struct {
			TotalAmount float64
			Items       []struct {
				ProductID       string
				Quantity        int
				PriceAtPurchase float64
				Product         *struct{ ProductID string }
			}
		}
	}
	admin.MustData(t, `query($id: String!) { getOrderById(orderId: $id) { totalAmount items { productId quantity priceAtPurchase product { productId } } } }`,
		map[string]any{"id": created.CreateOrder.OrderID}, &got)
	o := got.GetOrderById
	if o.TotalAmount != 24.68 || len(o.Items) != 1 || o.Items[0].ProductID != id || o.Items[0].PriceAtPurchase != 12.34 ||
		o.Items[0].Quantity != 2 || o.Items[0].Product != nil {
		t.Fatalf("order after delete = %+v", o)
	}
}
