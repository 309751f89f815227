package resolvers

import (
	"time"

	"github.com/graphql-go/graphql"

	"shop/auth"
	"shop/models"
)

// AdminOverview is the counts that lead to work, and today's sales
// (admins).
func (r *Resolver) AdminOverview(p graphql.ResolveParams) (any, error) {
	if err := models.RequireAdmin(auth.CallerFrom(p.Context)); err != nil {
		return nil, r.fail(p.Context, err)
	}
	threshold, err := models.ParseLowStockThreshold(optInt(p.Args, "lowStockThreshold"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	ov, err := r.store.Overview(p.Context, threshold, time.Now())
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return &ov, nil
}

// SalesReport is the sales of each of the last days UTC days, today
// included (admins).
func (r *Resolver) SalesReport(p graphql.ResolveParams) (any, error) {
	if err := models.RequireAdmin(auth.CallerFrom(p.Context)); err != nil {
		return nil, r.fail(p.Context, err)
	}
	days, err := models.ParseSalesDays(optInt(p.Args, "days"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	report, err := r.store.SalesReport(p.Context, models.SalesDays(time.Now(), days))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return report, nil
}

// Customers is the customers connection, newest first (admins).
func (r *Resolver) Customers(p graphql.ResolveParams) (any, error) {
	if err := models.RequireAdmin(auth.CallerFrom(p.Context)); err != nil {
		return nil, r.fail(p.Context, err)
	}
	s, err := models.ParseCustomerSearch(optInt(p.Args, "first"), optString(p.Args, "after"), optString(p.Args, "query"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	page, err := r.store.CustomersPage(p.Context, s)
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return page, nil
}
