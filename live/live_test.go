package live

import (
	"testing"
	"time"

	"shop/models"
)

func TestMatches(t *testing.T) {
	t.Parallel()
	at := time.Now()
	placed := models.NewEvent(models.EventOrderPlaced, "o1", models.OrderPlaced{OrderID: "o1", CustomerID: "c1"}, at)
	placed.ID = 7
	guest := models.NewEvent(models.EventOrderNoted, "o2", models.OrderNoted{OrderID: "o2"}, at)
	guest.ID = 8
	paid := models.NewEvent(models.EventPaymentSuccess, "pay1", models.PaymentChanged{PaymentID: "pay1", OrderID: "o1", CustomerID: "c1"}, at)
	stock := models.NewEvent(models.EventStockChanged, "p1", models.StockChanged{ProductID: "p1", VariantID: "v1", OrderID: "o1"}, at)
	updated := models.NewEvent(models.EventProductUpdated, "p1", models.ProductChanged{ProductID: "p1"}, at)
	for _, tt := range []struct {
		name string
		e    models.Event
		want []match
	}{
		{"an order placed: its order, its customer's, and the timeline", placed, []match{{OrderTopic("o1"), "o1"}, {CustomerTopic("c1"), "o1"}, {AllOrders(), "7"}}},
		{"a guest's order: no customer", guest, []match{{OrderTopic("o2"), "o2"}, {AllOrders(), "8"}}},
		{"a payment: the order, not the timeline", paid, []match{{OrderTopic("o1"), "o1"}, {CustomerTopic("c1"), "o1"}}},
		{"a stock movement: its product", stock, []match{{ProductTopic("p1"), "p1"}}},
		{"a product updated", updated, []match{{ProductTopic("p1"), "p1"}}},
		{"a category: nobody", models.NewEvent(models.EventCategoryChanged, "k", models.CategoryChanged{CategoryID: "k"}, at), nil},
		{"an unreadable payload: nobody", models.Event{Type: models.EventOrderPlaced, Data: "{"}, nil},
	} {
		got := matches(tt.e)
		if len(got) != len(tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
			}
		}
	}
	if OrderIDOf(paid) != "o1" || OrderIDOf(updated) != "" {
		t.Errorf("OrderIDOf: %q %q", OrderIDOf(paid), OrderIDOf(updated))
	}
}
