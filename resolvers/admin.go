package resolvers

import (
	"github.com/graphql-go/graphql"

	"shop/auth"
)

// AdminOverview is the counts that lead to work, and today's sales
// (admins).
func (r *Resolver) AdminOverview(p graphql.ResolveParams) (any, error) {
	ov, err := r.reports.Overview(p.Context, auth.CallerFrom(p.Context), optInt(p.Args, "lowStockThreshold"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return ov, nil
}

// SalesReport is the sales of each of the last days UTC days, today
// included (admins).
func (r *Resolver) SalesReport(p graphql.ResolveParams) (any, error) {
	report, err := r.reports.SalesReport(p.Context, auth.CallerFrom(p.Context), optInt(p.Args, "days"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return report, nil
}

// Customers is the customers connection, newest first (admins).
func (r *Resolver) Customers(p graphql.ResolveParams) (any, error) {
	page, err := r.reports.Customers(p.Context, auth.CallerFrom(p.Context), optInt(p.Args, "first"), optString(p.Args, "after"), optString(p.Args, "query"))
	if err != nil {
		return nil, r.fail(p.Context, err)
	}
	return page, nil
}
