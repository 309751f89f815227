// Package resolvers translates GraphQL arguments into calls on the shop's
// services and their results and errors back. Rules live in models; data
// access behind the models interfaces. Nothing here knows GORM or Redis.
package resolvers

import (
	"log/slog"

	"github.com/graphql-go/graphql"

	"shop/models"
)

// Resolver holds what every resolver needs.
type Resolver struct {
	store       models.Store
	accounts    models.AccountService
	payments    models.PaymentService
	logger      *slog.Logger
	maxPageSize int
	orderLimits models.OrderLimits
}

// New makes a Resolver over store and accounts. Lists return at most
// maxPageSize items.
func New(store models.Store, accounts models.AccountService, logger *slog.Logger, maxPageSize int) *Resolver {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Resolver{store: store, accounts: accounts, logger: logger, maxPageSize: maxPageSize}
}

// UsePayments gives the resolvers the payments service: createPayment and
// confirmLocalPayment, and status changes, which refund a paid order
// before cancelling it. Without one, status changes go straight to the
// store (as in tools that only print the schema).
func (r *Resolver) UsePayments(p models.PaymentService) { r.payments = p }

// UseOrderLimits bounds customers' orders (see models.OrderLimits);
// without it they are bounded only by ParseOrder's input limits.
func (r *Resolver) UseOrderLimits(l models.OrderLimits) { r.orderLimits = l }

// page reads the optional limit and offset arguments of a list field.
func (r *Resolver) page(p graphql.ResolveParams) (models.Page, error) {
	return models.ParsePage(optInt(p.Args, "limit"), optInt(p.Args, "offset"), r.maxPageSize)
}

func optFloat(m map[string]any, key string) *float64 {
	if v, ok := m[key].(float64); ok {
		return &v
	}
	return nil
}

func optInt(m map[string]any, key string) *int {
	if v, ok := m[key].(int); ok {
		return &v
	}
	return nil
}
