package schema

import (
	"github.com/graphql-go/graphql"

	"shop/models"
	"shop/resolvers"
)

// addAdmin adds the admin dashboard's queries beside the contract:
// adminOverview, salesReport and customers, admins only.
func addAdmin(b builder, r *resolvers.Resolver, dateTime *graphql.Scalar, user, pageInfoType *graphql.Object, query *graphql.Object) {
	salesDay := graphql.NewObject(graphql.ObjectConfig{
		Name:        "SalesDay",
		Description: `The sales of one UTC day: orders that reached "paid" (status paid, shipped or delivered), counted on the day they were created.`,
		Fields: graphql.Fields{
			"date":    field(graphql.NewNonNull(graphql.String), `The UTC day, e.g. "2026-11-25".`, func(d *models.SalesDay) any { return d.Date }),
			"orders":  field(graphql.NewNonNull(graphql.Int), "", func(d *models.SalesDay) any { return d.Orders }),
			"revenue": field(graphql.NewNonNull(graphql.Float), "The orders' totalAmount summed, exact to the cent.", func(d *models.SalesDay) any { return d.Revenue.Float64() }),
		},
	})
	overview := graphql.NewObject(graphql.ObjectConfig{
		Name:        "AdminOverview",
		Description: "The counts that lead to work, as they are now.",
		Fields: graphql.Fields{
			"ordersToShip":          field(graphql.NewNonNull(graphql.Int), `Orders in status "paid".`, func(o *models.Overview) any { return o.OrdersToShip }),
			"ordersAwaitingPayment": field(graphql.NewNonNull(graphql.Int), `Orders in status "pending".`, func(o *models.Overview) any { return o.OrdersAwaitingPayment }),
			"lowStockProducts":      field(graphql.NewNonNull(graphql.Int), "Products with 0 < stockCount <= lowStockThreshold, inactive ones too.", func(o *models.Overview) any { return o.LowStockProducts }),
			"outOfStockProducts":    field(graphql.NewNonNull(graphql.Int), "Products with stockCount 0, inactive ones too.", func(o *models.Overview) any { return o.OutOfStockProducts }),
			"lowStockVariants":      field(graphql.NewNonNull(graphql.Int), "Variants with 0 < stockCount <= lowStockThreshold, of inactive products too.", func(o *models.Overview) any { return o.LowStockVariants }),
			"lowStockThreshold":     field(graphql.NewNonNull(graphql.Int), "", func(o *models.Overview) any { return o.LowStockThreshold }),
			"today":                 field(graphql.NewNonNull(salesDay), "Today's sales (UTC).", func(o *models.Overview) any { return &o.Today }),
		},
	})
	customer := graphql.NewObject(graphql.ObjectConfig{
		Name:        "Customer",
		Description: "A customer's account with what it has ordered.",
		Fields: graphql.Fields{
			"user":        field(graphql.NewNonNull(user), "", func(c *models.Customer) any { return &c.User }),
			"orderCount":  field(graphql.NewNonNull(graphql.Int), "All its orders, whatever their status.", func(c *models.Customer) any { return c.OrderCount }),
			"totalSpent":  field(graphql.NewNonNull(graphql.Float), "totalAmount summed over its paid, shipped and delivered orders.", func(c *models.Customer) any { return c.TotalSpent.Float64() }),
			"lastOrderAt": field(dateTime, "When its newest order was placed; null without orders.", func(c *models.Customer) any { return c.LastOrderAt }),
		},
	})
	customerEdge := edgeType("CustomerEdge", customer)
	customerConn := graphql.NewObject(graphql.ObjectConfig{
		Name: "CustomerConnection",
		Fields: graphql.Fields{
			"edges": field(graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(customerEdge))), "", func(pg *models.CustomerPage) any {
				out := make([]edge, len(pg.Customers))
				for i := range pg.Customers {
					out[i] = edge{cursor: models.CustomerCursor(pg.Customers[i]).Encode(), node: &pg.Customers[i]}
				}
				return out
			}),
			"pageInfo": field(graphql.NewNonNull(pageInfoType), "", func(pg *models.CustomerPage) any {
				return info(pg.HasNext, len(pg.Customers), func() string { return models.CustomerCursor(pg.Customers[len(pg.Customers)-1]).Encode() })
			}),
		},
	})

	query.AddFieldConfig("adminOverview", &graphql.Field{
		Type:        graphql.NewNonNull(overview),
		Description: "Admins: the counts that lead to work. lowStockThreshold default 5, 0..1000000000 (as lowStock's threshold).",
		Args: graphql.FieldConfigArgument{
			"lowStockThreshold": {Type: graphql.Int, DefaultValue: models.DefaultLowStockThreshold},
		},
		Resolve: b.safe(r.AdminOverview),
	})
	query.AddFieldConfig("salesReport", &graphql.Field{
		Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(salesDay))),
		Description: "Admins: sales per UTC day, oldest first, ending today (UTC), every day present (zeros too). " +
			`days: 1..366, default 30. A sale is an order that reached "paid" (status paid, shipped or delivered), counted on the UTC day it was created.`,
		Args: graphql.FieldConfigArgument{
			"days": {Type: graphql.Int, DefaultValue: models.DefaultSalesDays},
		},
		Resolve: b.safe(r.SalesReport),
	})
	query.AddFieldConfig("customers", &graphql.Field{
		Type: graphql.NewNonNull(customerConn),
		Description: "Admins: customer accounts (role customer), newest first, keyset-paged like orders and products. " +
			"query: case-insensitive substring of email or name (at most 200 characters). first 1..100 (default 20).",
		Args: graphql.FieldConfigArgument{
			"first": {Type: graphql.Int, Description: "Page size, 1 to 100 (default 20)."},
			"after": {Type: graphql.String, Description: "The endCursor of the previous page."},
			"query": {Type: graphql.String},
		},
		Resolve: b.safe(r.Customers),
	})
}
