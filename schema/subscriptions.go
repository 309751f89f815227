package schema

import (
	"github.com/graphql-go/graphql"

	"shop/models"
	"shop/resolvers"
)

// addSubscriptions makes the Subscription root (issue 21), served over
// WebSocket (graphql-transport-ws, server/subscriptions.go): each payload
// is the field's selection executed on its subject read again after the
// event, and OrderEvent learns its order.
func addSubscriptions(b builder, r *resolvers.Resolver, product, order, orderEvent *graphql.Object) *graphql.Object {
	orderEvent.AddFieldConfig("orderId", field(graphql.String, "The order the event is about.", func(e *models.OrderEvent) any { return nullIfEmpty(e.OrderID) }))
	orderEvent.AddFieldConfig("order", &graphql.Field{
		Type:        order,
		Description: "The order as it is now, as the caller may read it.",
		Resolve:     b.safe(r.EventOrder),
	})
	return graphql.NewObject(graphql.ObjectConfig{
		Name:        "Subscription",
		Description: "Live changes over WebSocket (graphql-transport-ws on /graphql): each payload is the order or product as it is after the change.",
		Fields: graphql.Fields{
			"orderUpdated": {
				Type:        graphql.NewNonNull(order),
				Description: "Every change of the order: its customer or an admin.",
				Args:        graphql.FieldConfigArgument{"orderId": {Type: graphql.NewNonNull(graphql.String)}},
				Resolve:     b.safe(r.OrderUpdated),
			},
			"myOrders": {
				Type:        graphql.NewNonNull(order),
				Description: "Every change of any of the signed-in caller's orders, a new one included.",
				Resolve:     b.safe(r.MyOrders),
			},
			"orderEvents": {
				Type:        graphql.NewNonNull(orderEvent),
				Description: "Every new event of every order's timeline (admins).",
				Resolve:     b.safe(r.LiveOrderEvent),
			},
			"productUpdated": {
				Type:        graphql.NewNonNull(product),
				Description: "Every change of the product's price, stock or availability, its variants' included: anyone who may read it.",
				Args:        graphql.FieldConfigArgument{"productId": {Type: graphql.NewNonNull(graphql.String)}},
				Resolve:     b.safe(r.ProductUpdated),
			},
		},
	})
}
