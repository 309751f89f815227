// Package resolvers translates GraphQL arguments into calls on the shop's
// services and their results and errors back. Who may do what, the
// parsing of input and the rules live in the services and models; nothing
// here knows GORM, Redis, the store or the cache.
package resolvers

import (
	"context"
	"log/slog"

	"shop/auth"
	"shop/catalog"
	"shop/checkout"
	"shop/models"
	"shop/ordering"
	"shop/pricing"
	"shop/reports"
	"shop/webhooks"
)

// Services are the use cases the resolvers call, one per domain.
type Services struct {
	Catalog  *catalog.Service
	Ordering *ordering.Service
	Reports  *reports.Service
	Accounts *auth.Service
	Payments Payments
	Checkout *checkout.Service
	Pricing  *pricing.Service
	Webhooks *webhooks.Service
	// Outbox lists the emails (mail.Outbox).
	Outbox Outbox
}

// Outbox is what the resolvers need of the emails' listing (mail.Outbox),
// declared here so that the resolvers don't depend on the mail library.
type Outbox interface {
	Page(ctx context.Context, c models.Caller, status, kind *string, first *int, after *string) (models.EmailPage, error)
}

// Payments is what the resolvers need of the payments service
// (payments.Service). It is declared here rather than taken whole because
// that package verifies Stripe's webhooks with stripe-go, which the
// resolvers must not depend on.
type Payments interface {
	// CreatePaymentFor starts paying for an order, or returns the
	// order's open payment again; cartID ("" for none) is the guest's
	// cart the order came from, which lets a guest pay it.
	CreatePaymentFor(ctx context.Context, c models.Caller, orderID, cartID string) (*models.PaymentSession, error)
	// ConfirmLocalPayment sends a local payment's webhook event with the
	// outcome asked for (admins), and returns the order as it is then.
	ConfirmLocalPayment(ctx context.Context, c models.Caller, paymentID, outcome string) (*models.Order, error)
}

// Resolver holds what every resolver needs.
type Resolver struct {
	catalog  *catalog.Service
	ordering *ordering.Service
	reports  *reports.Service
	accounts *auth.Service
	payments Payments
	checkout *checkout.Service
	pricing  *pricing.Service
	webhooks *webhooks.Service
	outbox   Outbox
	logger   *slog.Logger
}

// New makes a Resolver over the services. A tool that only prints the
// schema may pass none: introspection calls no resolver of the shop.
func New(s Services, logger *slog.Logger) *Resolver {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Resolver{catalog: s.Catalog, ordering: s.Ordering, reports: s.Reports, accounts: s.Accounts, payments: s.Payments, checkout: s.Checkout, pricing: s.Pricing,
		webhooks: s.Webhooks, outbox: s.Outbox, logger: logger}
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

func optString(m map[string]any, key string) *string {
	if v, ok := m[key].(string); ok {
		return &v
	}
	return nil
}

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}
