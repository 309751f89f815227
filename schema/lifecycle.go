package schema

import (
	"github.com/graphql-go/graphql"

	"shop/models"
	"shop/resolvers"
)

// maxOrderEvents is the most events an order keeps, notes included.
const maxOrderEvents = models.MaxOrderEvents

// addLifecycle adds the order lifecycle, the stock ledger and their
// operations beside the contract's fields.
func addLifecycle(b builder, r *resolvers.Resolver, dateTime *graphql.Scalar, product, order, pageInfoType *graphql.Object, query, mutation *graphql.Object) (movementConn, orderEvent *graphql.Object) {
	orderEvent = graphql.NewObject(graphql.ObjectConfig{
		Name:        "OrderEvent",
		Description: "One change of an order's status, the creation included, or a note on it.",
		Fields: graphql.Fields{
			"status":  field(graphql.NewNonNull(graphql.String), "The status the order moved to.", func(e *models.OrderEvent) any { return e.Status }),
			"message": field(graphql.String, "What the order's customer is told, when something was said (a cancellation's reason, a payment's outcome).", func(e *models.OrderEvent) any { return nullIfEmpty(e.Message) }),
			"note":    field(graphql.String, "The shop's internal note: admins read it; for anyone else it is null.", func(e *models.OrderEvent) any { return nullIfEmpty(e.Note) }),
			"actor":   field(graphql.NewNonNull(graphql.String), `The user id of who made the change, or "system". A customer reads "the shop" for an admin.`, func(e *models.OrderEvent) any { return e.Actor }),
			"at":      field(graphql.NewNonNull(dateTime), "", func(e *models.OrderEvent) any { return e.At }),
		},
	})
	order.AddFieldConfig("events", &graphql.Field{
		Type:        graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(orderEvent))),
		Description: "Every status change, oldest first, starting with the creation.",
		Resolve:     b.safe(r.OrderEvents),
	})
	order.AddFieldConfig("trackingNumber", field(graphql.String, "Set when the order ships.", func(o *models.Order) any { return nullIfEmpty(o.TrackingNumber) }))
	order.AddFieldConfig("carrier", field(graphql.String, "Set when the order ships.", func(o *models.Order) any { return nullIfEmpty(o.Carrier) }))

	movement := graphql.NewObject(graphql.ObjectConfig{
		Name:        "StockMovement",
		Description: "One change of a product's stock in the ledger: stockCount is always the sum of the product's movements.",
		Fields: graphql.Fields{
			"delta":      field(graphql.NewNonNull(graphql.Int), "Units added (positive) or taken (negative).", func(m *models.StockMovement) any { return m.Delta }),
			"kind":       field(graphql.NewNonNull(graphql.String), "initial, order, cancellation, adjustment or update.", func(m *models.StockMovement) any { return m.Kind }),
			"reason":     field(graphql.String, "", func(m *models.StockMovement) any { return nullIfEmpty(m.Reason) }),
			"orderId":    field(graphql.String, "The order that took or returned the stock.", func(m *models.StockMovement) any { return m.OrderID }),
			"actor":      field(graphql.NewNonNull(graphql.String), `The user id of who made the change, or "system".`, func(m *models.StockMovement) any { return m.Actor }),
			"at":         field(graphql.NewNonNull(dateTime), "", func(m *models.StockMovement) any { return m.At }),
			"stockAfter": field(graphql.NewNonNull(graphql.Int), "The variant's stock once this movement applied (for a product with one variant, the product's).", func(m *models.StockMovement) any { return m.StockAfter }),
			"variantId":  field(graphql.NewNonNull(graphql.String), "The variant whose stock moved.", func(m *models.StockMovement) any { return m.VariantID }),
		},
	})
	movementEdge := edgeType("StockMovementEdge", movement)
	movementConn = graphql.NewObject(graphql.ObjectConfig{
		Name: "StockMovementConnection",
		Fields: graphql.Fields{
			"edges": field(graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(movementEdge))), "", func(pg *models.MovementPage) any {
				out := make([]edge, len(pg.Movements))
				for i := range pg.Movements {
					out[i] = edge{cursor: models.MovementCursor(pg.Movements[i]), node: &pg.Movements[i]}
				}
				return out
			}),
			"pageInfo": field(graphql.NewNonNull(pageInfoType), "", func(pg *models.MovementPage) any {
				return info(pg.HasNext, len(pg.Movements), func() string { return models.MovementCursor(pg.Movements[len(pg.Movements)-1]) })
			}),
		},
	})
	product.AddFieldConfig("stockMovements", &graphql.Field{
		Type:        movementConn,
		Description: "The product's stock ledger, oldest first (admins).",
		Args: graphql.FieldConfigArgument{
			"first":     {Type: graphql.Int, Description: "Page size, 1 to 100 (default 20)."},
			"after":     {Type: graphql.String, Description: "The endCursor of the previous page."},
			"variantId": {Type: graphql.String, Description: "Only this variant's movements."},
		},
		Resolve: b.safe(r.StockMovements),
	})

	query.AddFieldConfig("lowStock", &graphql.Field{
		Type:        graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(product))),
		Description: "Products with at most threshold units (default 5) in stock, fewest first, at most 200 (admins).",
		Args:        graphql.FieldConfigArgument{"threshold": {Type: graphql.Int}},
		Resolve:     b.safe(r.LowStock),
	})
	mutation.AddFieldConfig("updateOrderStatus", &graphql.Field{
		Type:        graphql.NewNonNull(order),
		Description: "Moves an order along pending → paid → shipped → delivered, or pending|paid → cancelled (admins). A cancellation restocks it.",
		Args: graphql.FieldConfigArgument{
			"orderId":        {Type: graphql.NewNonNull(graphql.String)},
			"status":         {Type: graphql.NewNonNull(graphql.String)},
			"note":           {Type: graphql.String, Description: "An internal note, which only admins read (tell the customer with addOrderNote)."},
			"trackingNumber": {Type: graphql.String, Description: "Only when shipping."},
			"carrier":        {Type: graphql.String, Description: "Only when shipping."},
		},
		Resolve: b.safe(r.UpdateOrderStatus),
	})
	mutation.AddFieldConfig("addOrderNote", &graphql.Field{
		Type:        graphql.NewNonNull(order),
		Description: "Records an event that leaves the order's status as it is: a message its customer reads, an internal note only admins read, or both (admins).",
		Args: graphql.FieldConfigArgument{
			"orderId": {Type: graphql.NewNonNull(graphql.String)},
			"message": {Type: graphql.String, Description: "Told to the order's customer."},
			"note":    {Type: graphql.String, Description: "An internal note, which only admins read."},
		},
		Resolve: b.safe(r.AddOrderNote),
	})
	mutation.AddFieldConfig("cancelOrder", &graphql.Field{
		Type:        graphql.NewNonNull(order),
		Description: "Cancels an order and puts its stock back: the order's customer while it is pending, an admin while it is pending or paid.",
		Args: graphql.FieldConfigArgument{
			"orderId": {Type: graphql.NewNonNull(graphql.String)},
			"reason":  {Type: graphql.String, Description: "Why, told to the order's customer."},
			"note":    {Type: graphql.String, Description: "An internal note, which only admins read and write."},
		},
		Resolve: b.safe(r.CancelOrder),
	})
	mutation.AddFieldConfig("adjustStock", &graphql.Field{
		Type:        graphql.NewNonNull(product),
		Description: "Corrects a variant's stock by delta, recorded in its ledger with the reason (admins). Name the variant, or the product of a product with one variant (VARIANT_REQUIRED otherwise).",
		Args: graphql.FieldConfigArgument{
			"productId": {Type: graphql.String},
			"variantId": {Type: graphql.String},
			"delta":     {Type: graphql.NewNonNull(graphql.Int)},
			"reason":    {Type: graphql.NewNonNull(graphql.String)},
		},
		Resolve: b.safe(r.AdjustStock),
	})
	return movementConn, orderEvent
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
