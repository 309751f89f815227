// Package schema defines shop's GraphQL schema with graphql-go: types and
// fields only, each field resolved by a resolvers method or by a small
// accessor on the model, and each wrapped in a recover.
package schema

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/graphql-go/graphql"

	"shop/models"
	"shop/requestid"
	"shop/resolvers"
)

// DateTimeLayout is how timestamps are shown: RFC 3339 in UTC, milliseconds.
const DateTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// New builds the schema on r. Field names and types follow
// shared/contract.graphql; additions sit beside them.
func New(r *resolvers.Resolver, logger *slog.Logger) (graphql.Schema, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	b := builder{logger: logger}
	dateTime := graphql.NewScalar(graphql.ScalarConfig{
		Name:        "DateTime",
		Description: "An RFC 3339 timestamp in UTC, e.g. 2026-11-25T06:05:33.123Z.",
		Serialize: func(v any) any {
			switch t := v.(type) {
			case time.Time:
				return t.UTC().Format(DateTimeLayout)
			case *time.Time:
				if t == nil {
					return nil
				}
				return t.UTC().Format(DateTimeLayout)
			}
			return nil
		},
	})

	product := graphql.NewObject(graphql.ObjectConfig{
		Name: "Product",
		Fields: graphql.Fields{
			"productId":  field(graphql.NewNonNull(graphql.String), "", func(p *models.Product) any { return p.ID }),
			"price":      field(graphql.NewNonNull(graphql.Float), "Unit price in the shop's currency, at most 2 decimal places.", func(p *models.Product) any { return p.Price.Float64() }),
			"stockCount": field(graphql.NewNonNull(graphql.Int), "", func(p *models.Product) any { return p.StockCount }),
			"lastUpdated": field(dateTime, "", func(p *models.Product) any {
				return p.LastUpdated
			}),
			"name":        field(graphql.NewNonNull(graphql.String), `Never empty: a product created without one is named like "Product 1a2b3c4d".`, func(p *models.Product) any { return p.Name }),
			"description": field(graphql.NewNonNull(graphql.String), "Plain text (line breaks kept); empty when there is none.", func(p *models.Product) any { return p.Description }),
			"sku": field(graphql.String, "Unique among products, whatever its case; null when there is none.", func(p *models.Product) any {
				if p.SKU == nil {
					return nil
				}
				return *p.SKU
			}),
			"imageUrls": field(graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(graphql.String))), "Up to 10 https URLs, in display order. The shop never fetches them.", func(p *models.Product) any {
				if p.ImageURLs == nil {
					return []string{}
				}
				return []string(p.ImageURLs)
			}),
			"active": field(graphql.NewNonNull(graphql.Boolean), "Inactive products are hidden from everyone but admins and can't be ordered (PRODUCT_INACTIVE).", func(p *models.Product) any { return p.Active }),
		},
	})

	orderItem := graphql.NewObject(graphql.ObjectConfig{
		Name: "OrderItem",
		Fields: graphql.Fields{
			"id":              field(graphql.NewNonNull(graphql.String), "", func(i *models.OrderItem) any { return i.ID }),
			"productId":       field(graphql.NewNonNull(graphql.String), "", func(i *models.OrderItem) any { return i.ProductID }),
			"quantity":        field(graphql.NewNonNull(graphql.Int), "", func(i *models.OrderItem) any { return i.Quantity }),
			"priceAtPurchase": field(graphql.NewNonNull(graphql.Float), "The unit price charged, fixed when the order was placed.", func(i *models.OrderItem) any { return i.PriceAtPurchase.Float64() }),
			"product": &graphql.Field{
				Type:        product,
				Description: "The product as it is now (null if it has since been deleted).",
				Resolve:     b.safe(r.ItemProduct),
			},
		},
	})

	order := graphql.NewObject(graphql.ObjectConfig{
		Name: "Order",
		Fields: graphql.Fields{
			"orderId":     field(graphql.NewNonNull(graphql.String), "", func(o *models.Order) any { return o.ID }),
			"customerId":  field(graphql.NewNonNull(graphql.String), "", func(o *models.Order) any { return o.CustomerID }),
			"totalAmount": field(graphql.NewNonNull(graphql.Float), "Sum of quantity x priceAtPurchase over the items, computed by the server, exact to the cent.", func(o *models.Order) any { return o.TotalAmount.Float64() }),
			"status":      field(graphql.NewNonNull(graphql.String), `A new order is "pending".`, func(o *models.Order) any { return o.Status }),
			"createdAt":   field(dateTime, "", func(o *models.Order) any { return o.CreatedAt }),
			"lastUpdated": field(dateTime, "", func(o *models.Order) any { return o.LastUpdated }),
			"items": field(graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(orderItem))), "", func(o *models.Order) any {
				return o.PricedItems()
			}),
		},
	})

	productInput := graphql.NewInputObject(graphql.InputObjectConfig{
		Name: "ProductInput",
		Fields: graphql.InputObjectConfigFieldMap{
			"price":      {Type: graphql.NewNonNull(graphql.Float)},
			"stockCount": {Type: graphql.NewNonNull(graphql.Int)},
		},
	})
	addDetailInputs(productInput)
	productUpdateInput := graphql.NewInputObject(graphql.InputObjectConfig{
		Name:        "ProductUpdateInput",
		Description: "Fields left out (or null) are left unchanged.",
		Fields: graphql.InputObjectConfigFieldMap{
			"productId":  {Type: graphql.NewNonNull(graphql.String)},
			"price":      {Type: graphql.Float},
			"stockCount": {Type: graphql.Int},
		},
	})
	addDetailInputs(productUpdateInput)
	orderItemInput := graphql.NewInputObject(graphql.InputObjectConfig{
		Name: "OrderItemInput",
		Fields: graphql.InputObjectConfigFieldMap{
			"productId": {Type: graphql.NewNonNull(graphql.String)},
			"quantity":  {Type: graphql.NewNonNull(graphql.Int)},
		},
	})
	createOrderInput := graphql.NewInputObject(graphql.InputObjectConfig{
		Name: "CreateOrderInput",
		Fields: graphql.InputObjectConfigFieldMap{
			"customerId":     {Type: graphql.String, Description: "Left out: the caller. Only an admin may name another customer."},
			"items":          {Type: graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(orderItemInput)))},
			"idempotencyKey": {Type: graphql.String, Description: "Like the Idempotency-Key header (send one, or the same in both): a retry with the same key and items returns the first order instead of placing another."},
		},
	})

	productConn, orderConn, pageInfoType := connectionTypes(b, product, order)
	productFilterInput, productSort := searchTypes()
	connArgs := func(extra graphql.FieldConfigArgument) graphql.FieldConfigArgument {
		args := graphql.FieldConfigArgument{
			"first": {Type: graphql.Int, Description: "Page size, 1 to 100 (default 20)."},
			"after": {Type: graphql.String, Description: "The endCursor of the previous page."},
		}
		for k, v := range extra {
			args[k] = v
		}
		return args
	}
	pageArgs := graphql.FieldConfigArgument{
		"limit":  {Type: graphql.Int, Description: "At most this many (and never more than the server's maximum page size)."},
		"offset": {Type: graphql.Int, Description: "Skip this many first.", DefaultValue: 0},
	}
	query := graphql.NewObject(graphql.ObjectConfig{
		Name: "Query",
		Fields: graphql.Fields{
			"getProducts": {
				Type:        graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(product))),
				Description: "The catalog, served from the cache when it is warm. Oldest first.",
				Args:        pageArgs,
				Resolve:     b.safe(r.GetProducts),
			},
			"getProductsById": {
				Type:        product,
				Description: "Null when no product has that id.",
				Args:        graphql.FieldConfigArgument{"id": {Type: graphql.NewNonNull(graphql.String)}},
				Resolve:     b.safe(r.GetProductByID),
			},
			"getOrders": {
				Type:        graphql.NewNonNull(graphql.NewList(graphql.NewNonNull(order))),
				Description: "Orders, newest first.",
				Args:        pageArgs,
				Resolve:     b.safe(r.GetOrders),
			},
			"products": {
				Type:        graphql.NewNonNull(productConn),
				Description: "The catalog as a Relay connection, oldest first unless sorted: keyset pages that cost the same however deep and, in every sort (RELEVANCE included) and under every filter, neither skip nor repeat a product while products are added; a product whose sort key (price, name, text) changes between pages moves to its new place. Filtered and sorted lists and searches are cached like the rest of the catalog.",
				Args: connArgs(graphql.FieldConfigArgument{
					"filter": {Type: productFilterInput},
					"sort":   {Type: productSort, Description: "Left out: oldest first. The cursor holds the sort's key, so pass `after` only with the sort that gave it."},
				}),
				Resolve: b.safe(r.Products),
			},
			"orders": {
				Type:        graphql.NewNonNull(orderConn),
				Description: "Orders as a Relay connection, newest first, optionally for one customer or status, or matching a query.",
				Args: connArgs(graphql.FieldConfigArgument{
					"customerId": {Type: graphql.String},
					"status":     {Type: graphql.String},
					"query": {Type: graphql.String, Description: "An order id (exact match) or a case-insensitive substring of the customer's email, at most 200 characters. " +
						"Admins search all orders; a customer's query only ever matches its own."},
				}),
				Resolve: b.safe(r.Orders),
			},
			"getOrderById": {
				Type:        order,
				Description: "Null when no order has that id.",
				Args:        graphql.FieldConfigArgument{"orderId": {Type: graphql.NewNonNull(graphql.String)}},
				Resolve:     b.safe(r.GetOrderByID),
			},
		},
	})
	mutation := graphql.NewObject(graphql.ObjectConfig{
		Name: "Mutation",
		Fields: graphql.Fields{
			"createProduct": {
				Type:    graphql.NewNonNull(product),
				Args:    graphql.FieldConfigArgument{"input": {Type: graphql.NewNonNull(productInput)}},
				Resolve: b.safe(r.CreateProduct),
			},
			"updateProduct": {
				Type:        product,
				Description: "Null when no product has that id.",
				Args:        graphql.FieldConfigArgument{"input": {Type: graphql.NewNonNull(productUpdateInput)}},
				Resolve:     b.safe(r.UpdateProduct),
			},
			"deleteProduct": {
				Type:        graphql.NewNonNull(graphql.Boolean),
				Description: "False when no product has that id. Order history that refers to it stays intact.",
				Args:        graphql.FieldConfigArgument{"productId": {Type: graphql.NewNonNull(graphql.String)}},
				Resolve:     b.safe(r.DeleteProduct),
			},
			"createOrder": {
				Type:        graphql.NewNonNull(order),
				Description: "Prices come from the server, never from the client. All items succeed or none do.",
				Args:        graphql.FieldConfigArgument{"input": {Type: graphql.NewNonNull(createOrderInput)}},
				Resolve:     b.safe(r.CreateOrder),
			},
		},
	})
	movementConn, orderEvent := addLifecycle(b, r, dateTime, product, order, pageInfoType, query, mutation)
	vt := newVariantTypes(b, r, product)
	addVariants(b, r, vt, product, orderItem, movementConn, query, mutation)
	addVariantInputs(vt, productInput, orderItemInput)
	addPayments(b, r, dateTime, order, mutation)
	addCarts(b, r, vt.variant, order, orderItem, query, mutation)
	addCategories(b, r, product, query, mutation)
	addPricing(b, r, dateTime, query, mutation)
	accountQueries, accountMutations, user := accountFields(b, r, dateTime)
	for name, f := range accountQueries {
		query.AddFieldConfig(name, f)
	}
	for name, f := range accountMutations {
		mutation.AddFieldConfig(name, f)
	}
	addAdmin(b, r, dateTime, user, pageInfoType, query)
	subscription := addSubscriptions(b, r, product, order, orderEvent)
	s, err := graphql.NewSchema(graphql.SchemaConfig{Query: query, Mutation: mutation, Subscription: subscription})
	if err != nil {
		return graphql.Schema{}, fmt.Errorf("build schema: %w", err)
	}
	meter(&s)
	return s, nil
}

type builder struct{ logger *slog.Logger }

// safe turns a panic in a resolver into the generic internal error.
// graphql-go would otherwise send the panic's text to the client, and crash
// the process on a panic value that is not an error. Resolvers return
// values, never thunks, so there is nothing to guard after they return.
func (b builder) safe(fn graphql.FieldResolveFn) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (res any, err error) {
		defer b.recover(p, &res, &err)
		return fn(p)
	}
}

func (b builder) recover(p graphql.ResolveParams, res *any, err *error) {
	if rec := recover(); rec != nil {
		b.logger.ErrorContext(p.Context, "panic in resolver", "panic", fmt.Sprint(rec),
			"field", p.Info.FieldName, "request_id", requestid.From(p.Context), "stack", string(debug.Stack()))
		*res, *err = nil, resolvers.Internal(p.Context)
	}
}

// field is a field of T read by get. Explicit accessors avoid graphql-go's
// reflection-based default resolver on the hottest types. Lists hand their
// elements over as values, single results as pointers.
//
// Accessors only read struct fields, so they are not wrapped in safe: a
// deferred recover on every field of every row costs more than it guards.
func field[T any](t graphql.Output, desc string, get func(*T) any) *graphql.Field {
	return &graphql.Field{Type: t, Description: desc, Resolve: func(p graphql.ResolveParams) (any, error) {
		switch v := p.Source.(type) {
		case *T:
			return get(v), nil
		case T:
			return get(&v), nil
		}
		var zero T
		return nil, fmt.Errorf("%T field on %T", zero, p.Source)
	}}
}

// addDetailInputs adds the optional catalog fields beside the contract's
// fields of a product input: optional, so no client that omits them breaks.
func addDetailInputs(in *graphql.InputObject) {
	in.AddFieldConfig("name", &graphql.InputObjectFieldConfig{Type: graphql.String, Description: "1 to 200 characters, trimmed."})
	in.AddFieldConfig("description", &graphql.InputObjectFieldConfig{Type: graphql.String, Description: "Plain text, up to 10,000 characters."})
	in.AddFieldConfig("sku", &graphql.InputObjectFieldConfig{Type: graphql.String, Description: "ASCII letters, digits, '-', '_' and '.', up to 64; unique whatever its case. Empty: none."})
	in.AddFieldConfig("imageUrls", &graphql.InputObjectFieldConfig{Type: graphql.NewList(graphql.NewNonNull(graphql.String)), Description: "Up to 10 https URLs; replaces the list."})
	in.AddFieldConfig("active", &graphql.InputObjectFieldConfig{Type: graphql.Boolean, Description: "False hides the product from shoppers and stops orders of it."})
	in.AddFieldConfig("categoryId", &graphql.InputObjectFieldConfig{Type: graphql.String, Description: `The category the product is in; "": none.`})
}
